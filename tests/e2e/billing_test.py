#!/usr/bin/python3
"""End-to-end tests of follow-up scheduling and billing (issue 23) on the real binary: a demo year
imported, a physician signs interrogations off over HTTPS, a biller closes the periods, reads the
charges (and nothing clinical), exports them as CSV (read back with the csv module) and as HL7
DFT^P03 (read back with python3-hl7), each charge exactly once; `heartbase billing send` delivers
the DFT batch over MLLP; a bad code table stops start-up naming the key and the line; the
physician's follow-up work list lists every patient.
Usage: billing_test.py HEARTBASE_BINARY   (run by ctest)."""
import csv
import http.client
import io
import json
import os
import pathlib
import re
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import hbtest  # noqa: E402
from hbtest import run  # noqa: E402
from ehr_test import Receiver, msh10  # noqa: E402

BINARY = None
PASSWORD = "lantern orchard velvet summit"
CODES = {"93288", "93289", "93291", "93294", "93295", "93296", "93298"}
PATIENTS = 6


class BillingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = pathlib.Path(cls.tmp.name)
        cls.data = cls.dir / "data"
        run("init", "--data", str(cls.data))
        for name, role in (("doc", "physician"), ("bill", "biller")):
            run("user", "add", "--data", str(cls.data), "--name", name, "--role", role,
                stdin=(PASSWORD + "\n").encode())
        files, _ = hbtest.demo_messages(cls.dir / "demo", PATIENTS, 1, 3)
        run("import", "--data", str(cls.data), "--known-patients", *map(str, files))
        cls.proc, cls.port = cls.serve()

    @classmethod
    def serve(cls, *extra, expect_start=True):
        log = cls.dir / f"serve-{time.monotonic_ns()}.log"
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
        args = [BINARY, "serve", "--data", str(cls.data), "--mllp-listen", "127.0.0.1:0",
                "--https-listen", "127.0.0.1:0", "--billing-facility", "DEVCLINIC",
                "--billing-receiver", "BILLSYS|HOSP", *extra]
        with open(log, "wb") as f:
            proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=f, env=env)
        if not expect_start:
            proc.wait(timeout=120)
            return proc, log.read_text()
        out = proc.stdout.readline().decode() + proc.stdout.readline().decode()
        m = re.search(r"listening https 127\.0\.0\.1:(\d+)", out)
        assert m, f"unexpected output: {out!r} {log.read_text()[-2000:]!r}"
        return proc, int(m.group(1))

    @classmethod
    def tearDownClass(cls):
        if cls.proc.poll() is None:
            cls.proc.terminate()
            cls.proc.wait(timeout=60)
        cls.tmp.cleanup()

    def request(self, method, path, body=None, headers=None, raw=False):
        ctx = ssl.create_default_context(cafile=str(self.data / "tls" / "cert.pem"))
        c = http.client.HTTPSConnection("localhost", self.port, context=ctx, timeout=120)
        h = {"Content-Type": "application/json"} if body is not None else {}
        h.update(headers or {})
        c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r, (data if raw else data.decode())

    def login(self, name):
        r, body = self.request("POST", "/api/v1/auth/login", {"name": name, "password": PASSWORD})
        self.assertEqual(r.status, 200, body)
        return {"Cookie": r.getheader("Set-Cookie").split(";")[0],
                "X-CSRF-Token": json.loads(body)["csrf_token"]}

    def sign(self, doc, interrogations):
        for i in interrogations:
            r, body = self.request("POST", f"/api/v1/interrogations/{i}/signoff",
                                   {"password": PASSWORD, "note": "Stable"}, doc)
            self.assertEqual(r.status, 200, body)

    def test_1_close_read_export_send(self):
        doc, bill = self.login("doc"), self.login("bill")
        r, body = self.request("GET", "/api/v1/interrogations?limit=500", headers=doc)
        self.assertEqual(r.status, 200, body)
        ids = sorted(i["id"] for i in json.loads(body)["items"])
        self.assertGreater(len(ids), 10)
        half = ids[: len(ids) // 2]
        self.sign(doc, half)

        # The biller closes the periods: charges are written once however often it runs.
        r, body = self.request("POST", "/api/v1/charges/close", {}, bill)
        self.assertEqual(r.status, 200, body)
        first = json.loads(body)
        self.assertGreater(first["created"], 0, first)
        self.assertEqual(first["code_table"], "2026.1")
        r, body = self.request("POST", "/api/v1/charges/close", {}, bill)
        again = json.loads(body)
        self.assertEqual(again["created"], 0)
        self.assertEqual(again["existing"], first["created"])
        # A physician may not run it (billing.export is the biller's).
        r, _ = self.request("POST", "/api/v1/charges/close", {}, doc)
        self.assertEqual(r.status, 403)

        r, body = self.request("GET", "/api/v1/charges?exported=false&limit=1000", headers=bill)
        self.assertEqual(r.status, 200, body)
        charges = json.loads(body)["items"]
        self.assertEqual(len(charges), first["created"])
        for c in charges:
            self.assertIn(c["code"], CODES)
            self.assertTrue(c["interrogations"])
            self.assertRegex(c["service_date"], r"^\d{4}-\d\d-\d\d$")
        self.assertTrue(any(c["reading_physician"] for c in charges))
        # The biller sees the charge's facts, never the measurements.
        self.assertNotIn("MDC_IDC", body)
        r, _ = self.request("GET", f"/api/v1/interrogations/{ids[0]}", headers=bill)
        self.assertEqual(r.status, 403)
        r, body = self.request("GET", "/api/v1/charges/missed?limit=1000", headers=bill)
        self.assertEqual(r.status, 200, body)
        missed = json.loads(body)
        self.assertGreater(missed["total"], 0)  # the unsigned half
        self.assertTrue(all(m["reason"] for m in missed["items"]))

        # CSV: one row per charge, read back with the csv module; a second export has nothing.
        r, body = self.request("POST", "/api/v1/charges/export", {"format": "csv"}, bill)
        self.assertEqual(r.status, 201, body)
        batch = json.loads(body)
        self.assertEqual(batch["charges"], len(charges))
        r, data = self.request("GET", f"/api/v1/charges/exports/{batch['id']}", headers=bill,
                               raw=True)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("X-Export-SHA256"), batch["sha256"])
        rows = list(csv.DictReader(io.StringIO(data.decode())))
        self.assertEqual(len(rows), len(charges))
        self.assertEqual({int(x["charge_id"]) for x in rows}, {c["id"] for c in charges})
        self.assertTrue(all(x["cpt_code"] in CODES and x["family_name"] for x in rows))
        r2, data2 = self.request("GET", f"/api/v1/charges/exports/{batch['id']}", headers=bill,
                                 raw=True)
        self.assertEqual(data2, data)  # byte-identical on every download
        r, body = self.request("POST", "/api/v1/charges/export", {"format": "csv"}, bill)
        self.assertEqual(r.status, 404, body)
        self.assertIn("nothing_to_export", body)

        # The other half signed: the next close writes only the new charges, exported as DFT^P03.
        self.sign(doc, [i for i in ids if i not in half])
        r, body = self.request("POST", "/api/v1/charges/close", {}, bill)
        more = json.loads(body)
        self.assertGreater(more["created"], 0, more)
        r, body = self.request("POST", "/api/v1/charges/export", {"format": "dft"}, bill)
        self.assertEqual(r.status, 201, body)
        dft = json.loads(body)
        self.assertEqual(dft["charges"], more["created"])
        r, data = self.request("GET", f"/api/v1/charges/exports/{dft['id']}", headers=bill,
                               raw=True)
        self.assertEqual(r.status, 200)
        self.assertIn("hl7", r.getheader("Content-Type"))
        reader = ("import hl7,json,sys\n"
                  "text=sys.stdin.buffer.read().decode()\n"
                  "f=hl7.parse_file(text)\n"
                  "out=[]\n"
                  "for batch in f:\n"
                  "  for m in batch:\n"
                  "    ft1=m.segment('FT1')\n"
                  "    out.append({'type':str(m.segment('MSH')[9]),'control':str(m.segment('MSH')[10]),"
                  "'code':str(ft1[25]).split('^')[0],'kind':str(ft1[6]),'date':str(ft1[4]),"
                  "'pid':str(m.segment('PID')[5]),'reader':str(ft1[20]),'qty':str(ft1[10])})\n"
                  "print(json.dumps(out))\n")
        p = subprocess.run(["/usr/bin/python3", "-c", reader], input=data, capture_output=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        messages = json.loads(p.stdout)
        self.assertEqual(len(messages), more["created"])
        for m in messages:
            self.assertEqual(m["type"], "DFT^P03^DFT_P03")
            self.assertTrue(m["control"].startswith("HBCHG"))
            self.assertIn(m["code"], CODES)
            self.assertEqual(m["kind"], "CG")
            self.assertRegex(m["date"], r"^\d{8}$")
            self.assertTrue(m["pid"])
            self.assertEqual(m["qty"], "1")
        self.assertTrue(any(m["reader"] for m in messages))  # FT1-20 performed by
        self.assertEqual(len({m["control"] for m in messages}), len(messages))
        # Every charge is in exactly one batch.
        r, body = self.request("GET", "/api/v1/charges?limit=1000", headers=bill)
        all_charges = json.loads(body)["items"]
        self.assertEqual(len(all_charges), first["created"] + more["created"])
        self.assertTrue(all(c["export_id"] in (batch["id"], dft["id"]) for c in all_charges))

        # The physician's work list: every patient has a remote follow-up.
        r, body = self.request("GET", "/api/v1/followups?status=upcoming,due,overdue,missed&limit=500",
                               headers=doc)
        self.assertEqual(r.status, 200, body)
        items = json.loads(body)["items"]
        self.assertEqual(len({i["patient_id"] for i in items if i["kind"] == "remote"}), PATIENTS)

        # The DFT batch over MLLP (serve stopped: the command opens the data directory itself).
        self.proc.terminate()
        self.proc.wait(timeout=60)
        receiver = Receiver(["AA"])
        try:
            out = run("billing", "send", "--data", str(self.data), "--export", str(dft["id"]),
                      "--to", f"127.0.0.1:{receiver.port}").stdout.decode()
            self.assertIn(f"sent {more['created']} messages", out)
            self.assertEqual(sorted(msh10(f) for f in receiver.frames),
                             sorted(m["control"] for m in messages))
            # A CSV export is not an HL7 batch.
            p = run("billing", "send", "--data", str(self.data), "--export", str(batch["id"]),
                    "--to", f"127.0.0.1:{receiver.port}", check=1)
            self.assertIn("only a DFT export", p.stderr.decode())
        finally:
            receiver.close()
        rejecting = Receiver(["AR"])
        try:
            p = run("billing", "send", "--data", str(self.data), "--export", str(dft["id"]),
                    "--to", f"127.0.0.1:{rejecting.port}", check=1)
            self.assertIn("0 of", p.stderr.decode())
            self.assertIn("answered AR", p.stderr.decode())
            self.assertEqual(len(rejecting.frames), 1)  # stops at the first refusal
        finally:
            rejecting.close()

    def test_2_a_bad_code_table_stops_start_up(self):
        table = run("billing", "codes").stdout.decode()
        good = self.dir / "codes.toml"
        good.write_text(table.replace('version = "2026.1"', 'version = "2027.1"'))
        self.assertIn("code table 2027.1", run("billing", "check", str(good)).stdout.decode())
        bad = self.dir / "bad.toml"
        bad.write_text(table.replace("period_days = 30", "period_days = 0", 1))
        p = run("billing", "check", str(bad), check=1)
        line = table.splitlines().index("period_days = 30") + 1
        self.assertIn(f"bad.toml:{line}: remote.loop_recorder.period_days: 0 is out of range",
                      p.stderr.decode())
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=60)
        proc, log = self.serve("--billing-codes", str(bad), expect_start=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("remote.loop_recorder.period_days", log)


if __name__ == "__main__":
    BINARY = sys.argv.pop(1)
    hbtest.BINARY = BINARY
    unittest.main(verbosity=2)
