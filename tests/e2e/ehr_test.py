#!/usr/bin/python3
"""End-to-end tests of results out to the hospital's EHR (issue 19 §1–2): a physician signs an
interrogation off over HTTPS, and `heartbase serve` sends the signed result to each configured
destination over MLLP. Scripted receivers (threads here): one answers AE twice and then AA (one
message, the same MSH-10 on every attempt, read by python3-hl7 with the report's PDF intact and
verifiable), one answers AR (dead, on the work list with its text), one never answers (retried,
holding nobody else up), one with a certificate the client does not trust (gets nothing). Then
kill -9 between the send and the ACK: after the restart the same MSH-10 comes again. ADT in
(§3): registrations, an update and merges over the same MLLP listener, read back through the API
and the audit trail; bad merges refused with nothing applied.
Usage: ehr_test.py HEARTBASE_BINARY   (run by ctest)."""
import base64
import http.client
import json
import os
import pathlib
import re
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import hbtest  # noqa: E402
from hbtest import CR, FS, VT, run  # noqa: E402

BINARY = None
PASSWORD = "lantern orchard velvet summit"


def message(control, serial, family, mrn):
    return (f"MSH|^~\\&|CARELINK|MDT|||20260101120500+0000||ORU^R01^ORU_R01|{control}|P|2.6|||AL|NE\r"
            f"PID|||model:A3DR01/serial:{serial}^^^MDT^U~{mrn}^^^HOSP^MR||{family}^Zoë||19480312|F\r"
            f"OBR|1||S-{control}|754053^MDC_IDC_ENUM_SESS_TYPE_RemoteScheduled^MDC|||20260101120000+0000\r"
            "OBX|1|CWE|720897^MDC_IDC_DEV_TYPE^MDC||753665^MDC_IDC_ENUM_DEV_TYPE_IPG^MDC\r"
            "OBX|2|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC||2.95|V\r"
            "OBX|3|NM|^MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE^MDC|1|520|Ohm\r").encode()


def adt(control, event, mrn, family, given, prior=None, sender="EPIC|HOSP"):
    app, facility = sender.split("|")
    text = (f"MSH|^~\\&|{app}|{facility}|HEARTBASE|CLINIC|20260301090000+0000||ADT^{event}^ADT_A01|"
            f"{control}|P|2.5.1\r"
            f"EVN|{event}|20260301090000\r"
            f"PID|||{mrn}^^^HOSP^MR||{family}^{given}||19500101|F\r")
    if prior is not None:
        text += f"MRG|{prior}^^^HOSP^MR\r"
    return text.encode()


def msa(ack_text):
    line = next(s for s in ack_text.split("\r") if s.startswith("MSA|"))
    return line.split("|")[1]


def msh10(frame):
    return frame.split(b"\r", 1)[0].split(b"|")[9].decode()


def ack(control, code, text=""):
    return (f"MSH|^~\\&|EPIC|HOSP|HEARTBASE||20260101||ACK^R01^ACK|A{control}|P|2.5.1\r"
            f"MSA|{code}|{control}|{text}\r").encode()


class Receiver(threading.Thread):
    """An MLLP receiver on 127.0.0.1 that answers each frame with answers[i] (a code, or None to
    stay silent); the last answer repeats. frames holds what arrived."""

    def __init__(self, answers, tls_context=None):
        super().__init__(daemon=True)
        self.answers = answers
        self.frames = []
        self.bytes_read = 0
        self.ctx = tls_context
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.start()

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        try:
            if self.ctx is not None:
                conn = self.ctx.wrap_socket(conn, server_side=True)
            buf = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                self.bytes_read += len(chunk)
                buf += chunk
                while FS + CR in buf:
                    frame, buf = buf.split(FS + CR, 1)
                    frame = frame.lstrip(VT)
                    self.frames.append(frame)
                    code = self.answers[min(len(self.frames), len(self.answers)) - 1]
                    if code is not None:
                        conn.sendall(VT + ack(msh10(frame), code, "unknown MRN" if code == "AR"
                                              else "") + FS + CR)
        except (OSError, ssl.SSLError):
            return
        finally:
            conn.close()

    def close(self):
        self.sock.close()


def wait_for(pred, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


class EhrTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = pathlib.Path(cls.tmp.name)
        cls.data = cls.dir / "data"
        run("init", "--data", str(cls.data))
        run("user", "add", "--data", str(cls.data), "--name", "doc", "--role", "physician",
            stdin=(PASSWORD + "\n").encode())
        for n in range(3):
            m = cls.dir / f"m{n}.hl7"
            m.write_bytes(message(f"C{n}", f"PZK60080{n}S", "Müller|Łukasiewicz", f"MRN77{n}"))
            run("import", "--data", str(cls.data), str(m))
        # A receiver whose certificate the client does not trust.
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(cls.dir / "rogue.key"), "-out", str(cls.dir / "rogue.pem")],
                       check=True, capture_output=True, timeout=60)
        rogue = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        rogue.load_cert_chain(cls.dir / "rogue.pem", cls.dir / "rogue.key")
        cls.flaky = Receiver(["AE", "AE", "AA"])
        cls.rejecting = Receiver(["AR"])
        cls.silent = Receiver([None])
        cls.untrusted = Receiver(["AA"], tls_context=rogue)
        cls.crash = Receiver([None, "AA"])  # silent until serve is killed, then answers
        cls.other_clinic = run("clinic", "add", "--data", str(cls.data), "--name",
                               "North").stdout.decode().strip()

    @classmethod
    def tearDownClass(cls):
        for r in (cls.flaky, cls.rejecting, cls.silent, cls.untrusted, cls.crash):
            r.close()
        cls.tmp.cleanup()

    def serve(self, *destinations, feeds=()):
        log = self.dir / f"serve-{time.monotonic_ns()}.log"
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
        args = [BINARY, "serve", "--data", str(self.data), "--mllp-listen", "127.0.0.1:0",
                "--https-listen", "127.0.0.1:0"]
        for d in destinations:
            args += ["--ehr-destination", d]
        for f in feeds:
            args += ["--feed", f]
        with open(log, "wb") as f:
            proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=f, env=env)
        out = proc.stdout.readline().decode() + proc.stdout.readline().decode()
        m = re.search(r"listening https 127\.0\.0\.1:(\d+)", out)
        assert m, f"unexpected output: {out!r} {log.read_text()[-2000:]!r}"
        self.mllp = int(re.search(r"listening mllp 127\.0\.0\.1:(\d+)", out).group(1))
        return proc, int(m.group(1)), log

    def request(self, port, method, path, body=None, headers=None):
        ctx = ssl.create_default_context(cafile=str(self.data / "tls" / "cert.pem"))
        c = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=60)
        h = {"Content-Type": "application/json"} if body is not None else {}
        h.update(headers or {})
        c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        r = c.getresponse()
        data = r.read().decode()
        c.close()
        return r, data

    def login(self, port):
        r, body = self.request(port, "POST", "/api/v1/auth/login",
                               {"name": "doc", "password": PASSWORD})
        self.assertEqual(r.status, 200, body)
        cookie = r.getheader("Set-Cookie").split(";")[0]
        return {"Cookie": cookie, "X-CSRF-Token": json.loads(body)["csrf_token"]}

    def sign_off(self, port, interrogation):
        headers = self.login(port)
        r, body = self.request(port, "POST", f"/api/v1/interrogations/{interrogation}/signoff",
                               {"password": PASSWORD, "note": "Stable | no action\nFollow-up 3 mo"},
                               headers)
        self.assertEqual(r.status, 200, body)
        return headers

    def test_results_out(self):
        def dest(name, receiver, extra=""):
            return (f"name={name},host=127.0.0.1,port={receiver.port},authority=HOSP,"
                    f"backoff-ms=200,attempts=4,ack-timeout-ms=700{extra}")

        proc, port, log = self.serve(
            dest("flaky", self.flaky), dest("rejecting", self.rejecting, ",type=mdm"),
            dest("silent", self.silent),
            dest("untrusted", self.untrusted, f",ca={self.data / 'tls' / 'cert.pem'}"))
        try:
            headers = self.sign_off(port, 1)
            # AE, AE, AA: three attempts of one message, one MSH-10.
            self.assertTrue(wait_for(lambda: len(self.flaky.frames) >= 3), self.flaky.frames)
            controls = {msh10(f) for f in self.flaky.frames}
            self.assertEqual(len(controls), 1, controls)
            self.assertTrue(self.rejecting.frames)
            self.assertIn(b"MDM^T02", self.rejecting.frames[0])
            # The result, read by python3-hl7: the patient's MRN of HOSP, the PDF intact.
            frame = self.flaky.frames[-1]
            reader = ("import base64,hl7,sys\n"
                      "m=hl7.parse(sys.stdin.buffer.read().decode())\n"
                      "print(m.segment('PID')[3])\n"
                      "sys.stdout.flush()\n"
                      "open(sys.argv[1],'wb').write(base64.b64decode(str(m.segments('OBX')[-1][5][0][4])))\n")
            pdf = self.dir / "from-ehr.pdf"
            p = subprocess.run(["/usr/bin/python3", "-c", reader, str(pdf)], input=frame.replace(b"\r", b"\r"),
                               capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn(b"MRN770^^^HOSP^MR", p.stdout)
            self.assertTrue(pdf.read_bytes().startswith(b"%PDF-"))
            v = subprocess.run([BINARY, "report", "verify", str(pdf), "--data", str(self.data)],
                               capture_output=True, timeout=60)
            self.assertEqual(v.returncode, 0, v.stderr)
            self.assertIn(b'"draft":false', v.stdout)
            # AR: dead at once, on the clinic's work list with the receiver's words.
            def dead():
                r, body = self.request(port, "GET", "/api/v1/results?state=dead", headers=headers)
                return r.status == 200 and "rejecting" in body and body
            self.assertTrue(wait_for(dead, 30))
            body = dead()
            self.assertIn('"ack_code":"AR"', body)
            self.assertIn("unknown MRN", body)
            self.assertEqual(len(self.rejecting.frames), 1)
            # The silent receiver is retried; the others were not held up by it.
            self.assertTrue(wait_for(lambda: len(self.silent.frames) >= 2, 30))
            # The untrusted receiver read no application data (the handshake failed first).
            time.sleep(1.0)
            self.assertEqual(self.untrusted.frames, [])
            self.assertNotIn(b"MSH|", (log.read_bytes()))  # no message content in the log
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            proc.stdout.close()

    def test_kill_between_send_and_ack_sends_the_same_message_again(self):
        spec = (f"name=crash,host=127.0.0.1,port={self.crash.port},authority=HOSP,"
                "backoff-ms=200,attempts=10,ack-timeout-ms=30000")
        proc, port, _ = self.serve(spec)
        self.sign_off(port, 2)
        self.assertTrue(wait_for(lambda: len(self.crash.frames) >= 1), "nothing sent")
        proc.send_signal(signal.SIGKILL)  # the ACK never came
        proc.wait(timeout=60)
        proc.stdout.close()
        first = msh10(self.crash.frames[0])
        proc, port, _ = self.serve(spec)
        try:
            self.assertTrue(wait_for(lambda: len(self.crash.frames) >= 2), "not sent again")
            self.assertEqual(msh10(self.crash.frames[1]), first)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            proc.stdout.close()


    def test_adt_in_registers_updates_and_merges_patients(self):
        proc, port, log = self.serve(
            feeds=["EPIC|HOSP=1," + self.other_clinic, "OTHER|SITE=" + self.other_clinic, "*=1"])
        try:
            def send(m):
                return hbtest.send(self.mllp, m)

            def get(path):
                r, body = self.request(port, "GET", path, headers=headers)
                return r.status, (json.loads(body) if r.status == 200 else body)

            def patient_of(mrn):
                status, body = get(f"/api/v1/patients?q={mrn}")
                self.assertEqual(status, 200, body)
                ids = [p["id"] for p in body["items"]]
                self.assertEqual(len(ids), 1, body)
                return ids[0]

            headers = self.login(port)
            # Registration, then a remote transmission from a device never seen before: it finds
            # the registered patient by the MRN it carries, not a new unmatched record.
            self.assertEqual(msa(send(adt("R1", "A04", "ADT100", "Nakamura", "Aiko"))), "AA")
            # (The ORU asks for enhanced acknowledgement: CA.)
            self.assertEqual(msa(send(message("O1", "ADTDEV001S", "Nakamura", "ADT100"))), "CA")
            self.assertEqual(msa(send(adt("R2", "A04", "ADT200", "Nakamura", "A"))), "AA")
            self.assertEqual(msa(send(message("O2", "ADTDEV002S", "Nakamura", "ADT200"))), "CA")
            survivor, prior = patient_of("ADT100"), patient_of("ADT200")
            self.assertNotEqual(survivor, prior)
            status, body = get(f"/api/v1/patients/{survivor}")
            self.assertEqual([d["serial"] for d in body["devices"]], ["ADTDEV001S"])
            self.assertFalse(body["unmatched"], body)
            # A40: everything of ADT200 moves to ADT100, with the history; the retry of the same
            # bytes is acknowledged and not applied again.
            merge = adt("M1", "A40", "ADT100", "Nakamura", "Aiko", prior="ADT200")
            self.assertEqual(msa(send(merge)), "AA")
            self.assertEqual(msa(send(merge)), "AA")
            self.assertEqual(get(f"/api/v1/patients/{prior}")[0], 404)
            status, body = get(f"/api/v1/patients/{survivor}")
            self.assertEqual(sorted(d["serial"] for d in body["devices"]),
                             ["ADTDEV001S", "ADTDEV002S"])
            self.assertEqual([(m["merged_from"], m["control_id"], m["sender"])
                              for m in body["merged"]], [(prior, "M1", "EPIC|HOSP")])
            status, body = get(f"/api/v1/interrogations?patient={survivor}")
            self.assertEqual(len(body["items"]), 2, body)
            status, body = get(f"/api/v1/patients/{survivor}/trends?code=MDC_IDC_MSMT_BATTERY_VOLTAGE"
                               "&from=0&to=4102444800000000")
            self.assertEqual(status, 200, body)
            self.assertEqual(sum(len(s["points"]) for s in body["series"]), 2, body)
            # A08: the name changes (found again by the new name).
            self.assertEqual(msa(send(adt("U1", "A08", "ADT100", "Nakamura-Sato", "Aiko"))), "AA")
            status, body = get(f"/api/v1/patients/{survivor}")
            self.assertEqual(body["family_name"], "Nakamura-Sato", body)
            # A08 of an MRN nobody registered: an unconfirmed patient, listed for the Unmatched
            # screen; once accepted, the next device message carrying that MRN finds it.
            self.assertEqual(msa(send(adt("U2", "A08", "ADT300", "Okafor", "Chidi"))), "AA")
            status, body = get("/api/v1/patients?unconfirmed=true")
            waiting = [p["id"] for p in body["items"]]
            self.assertEqual(len(waiting), 1, body)
            r, text = self.request(port, "POST", f"/api/v1/patients/{waiting[0]}/link",
                                   {"create": True}, headers)
            self.assertEqual(r.status, 200, text)
            self.assertEqual(get("/api/v1/patients?unconfirmed=true")[1]["items"], [])
            self.assertEqual(msa(send(message("O3", "ADTDEV003S", "Okafor", "ADT300"))), "CA")
            status, body = get(f"/api/v1/patients/{waiting[0]}")
            self.assertEqual([d["serial"] for d in body["devices"]], ["ADTDEV003S"], body)
            # Refused, nothing applied: an unknown prior patient, a merge into itself, no MRN, and
            # a merge across clinics (the feed delivers for both; its patients stay apart).
            self.assertEqual(msa(send(adt("M2", "A40", "ADT100", "N", "A", prior="ADT999"))), "AE")
            self.assertEqual(msa(send(adt("M3", "A40", "ADT100", "N", "A", prior="ADT100"))), "AE")
            self.assertEqual(msa(send(adt("R3", "A01", "", "Nobody", "N"))), "AE")
            self.assertEqual(msa(send(adt("R4", "A04", "NRT900", "North", "Nils",
                                          sender="OTHER|SITE"))), "AA")
            self.assertEqual(msa(send(adt("M4", "A40", "ADT100", "N", "A", prior="NRT900"))), "AR")
            status, body = get(f"/api/v1/patients/{survivor}")
            self.assertEqual(body["family_name"], "Nakamura-Sato")
            self.assertEqual(len(body["merged"]), 1)
            with sqlite3.connect(f"file:{self.data / 'heartbase.db'}?mode=ro", uri=True) as db:
                self.assertEqual(db.execute(
                    "SELECT count(*) FROM patient WHERE clinic_id = ?",
                    (int(self.other_clinic),)).fetchone()[0], 1)
                actions = dict(db.execute(
                    "SELECT action, count(*) FROM audit_event WHERE user_name = 'system:ingest' "
                    "GROUP BY action").fetchall())
            self.assertEqual(actions.get("patient.merge"), 1, actions)
            self.assertEqual(actions.get("patient.create"), 4, actions)
            self.assertEqual(actions.get("patient.update"), 1, actions)
            self.assertNotIn(b"Nakamura", log.read_bytes())  # no patient data in the log
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            proc.stdout.close()

if __name__ == "__main__":
    BINARY = hbtest.BINARY = sys.argv.pop(1)
    unittest.main(verbosity=2)
