#!/usr/bin/python3
"""End-to-end tests of feeds. Over MLLP (16 connections at once), the watched drop folder,
`POST /api/v1/hl7` and `heartbase import`, a message with a reused control id (MSH-10) and other
bytes is stored and flagged, and only a retry of the same message is answered as a duplicate.
Every feed belongs to a clinic: another clinic's upload token can neither change nor detect a
clinic's interrogation.
Usage: feed_test.py HEARTBASE_BINARY   (run by ctest)."""
import http.client
import pathlib
import re
import signal
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import hbtest
from hbtest import control_id, demo_messages, run, send


def reuse_id(message, stamp):
    """The same message under the same control id with other bytes: the gateway's clock (MSH-7)
    and the battery voltage differ, as when a restarted counter hands out an id again."""
    head, rest = message.split(b"\r", 1)
    fields = head.split(b"|")
    fields[6] = stamp
    rest = re.sub(rb"(MDC_IDC_MSMT_BATTERY_VOLTAGE[^|]*\|[^|]*\|)([0-9.]+)", rb"\g<1>1.11", rest)
    return b"|".join(fields) + b"\r" + rest


class FeedTestBase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name)
        self.data = self.dir / "data"
        run("init", "--data", str(self.data))
        run("user", "add", "--data", str(self.data), "--name", "gateway", "--role",
            "integration", "--no-password")
        self.token = run("token", "create", "--data", str(self.data), "--user", "gateway",
                         "--scope", "hl7.upload").stdout.decode().strip()
        _, messages = demo_messages(self.dir / "gen", patients=8, years=1, seed=5)
        self.originals = messages[:8]
        self.variants = [reuse_id(m, b"20991231235959") for m in self.originals]
        for o, v in zip(self.originals, self.variants):
            self.assertNotEqual(o, v)
            self.assertEqual(control_id(o), control_id(v))

    def tearDown(self):
        self.tmp.cleanup()

    def start(self, *extra):
        self.log = self.dir / f"serve-{time.monotonic_ns()}.log"
        with open(self.log, "wb") as log:
            proc = subprocess.Popen([hbtest.BINARY, "serve", "--data", str(self.data), "--mllp-listen",
                                     "127.0.0.1:0", "--https-listen", "127.0.0.1:0", *extra],
                                    stdout=subprocess.PIPE, stderr=log)
        out = proc.stdout.readline().decode() + proc.stdout.readline().decode()
        mllp = re.search(r"listening mllp 127\.0\.0\.1:(\d+)", out)
        https = re.search(r"listening https 127\.0\.0\.1:(\d+)", out)
        assert mllp and https, (out, self.log.read_text()[-2000:])
        return proc, int(mllp.group(1)), int(https.group(1))

    def upload(self, port, body, token=None):
        ctx = ssl.create_default_context(cafile=str(self.data / "tls" / "cert.pem"))
        c = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=60)
        c.request("POST", "/api/v1/hl7", body=body,
                  headers={"Authorization": f"Bearer {token or self.token}",
                           "Content-Type": "application/hl7-v2"})
        r = c.getresponse()
        text = r.read().decode()
        c.close()
        self.assertEqual(r.status, 200, text)
        return text


class ControlIdReuseTest(FeedTestBase):
    def test_other_bytes_under_a_known_control_id_are_stored_on_every_channel(self):
        drop = self.dir / "drop"
        drop.mkdir()
        proc, mllp, https = self.start("--watch", str(drop), "--watch-interval-ms", "100",
                                       "--feed", "*=1")
        try:
            # MLLP: 16 connections at once, each sending messages 0-3 and their variants, half of
            # them variants first. Every answer is an acceptance.
            acks, errors = [], []

            def sender(i):
                try:
                    pairs = list(zip(self.originals[:4], self.variants[:4]))
                    for o, v in pairs:
                        for m in ((o, v) if i % 2 == 0 else (v, o)):
                            acks.append((control_id(m), send(mllp, m)))
                except Exception as e:  # reported below, with the others
                    errors.append(repr(e))

            threads = [threading.Thread(target=sender, args=(i,)) for i in range(16)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(errors, [])
            self.assertEqual(len(acks), 16 * 8)
            for cid, ack in acks:
                self.assertRegex(ack, r"MSA\|[AC]A\|" + re.escape(cid))

            # The drop folder: message 4 and its variant in two files.
            (drop / "a.hl7").write_bytes(self.originals[4])
            (drop / "b.hl7").write_bytes(self.variants[4])
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and (drop / "a.hl7").exists() or (
                    drop / "b.hl7").exists():
                time.sleep(0.1)
            self.assertEqual(sorted(p.name for p in (drop / "done").iterdir()),
                             ["a.hl7", "b.hl7"])

            # POST /api/v1/hl7: message 5, then its variant, then the variant again.
            self.assertIn('"stored":1', self.upload(https, self.originals[5]))
            body = self.upload(https, self.variants[5])
            self.assertIn('"stored":1', body)
            self.assertIn('"control_id_reused":1', body)
            body = self.upload(https, self.variants[5])
            self.assertIn('"stored":0', body)
            self.assertIn('"duplicate":1', body)
        finally:
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=60), 0)

        log = self.log.read_text()
        ingest = re.findall(r"ingest disposition=(\w+) .*?control_id_reused=(\w+)", log)
        stored = [reused for d, reused in ingest if d == "stored"]
        self.assertEqual(len(stored), 8, log[-3000:])  # each of the 8 MLLP messages once
        self.assertEqual(stored.count("yes"), 4)
        self.assertEqual(sum(1 for d, _ in ingest if d == "duplicate"), 16 * 8 - 8)
        self.assertRegex(log, r"watch.file inode=\d+ stored=1 duplicate=0 control_id_reused=1")

        # heartbase import: message 6 and its variant; then everything again, all duplicates.
        a, b = self.dir / "six.hl7", self.dir / "six-again.hl7"
        a.write_bytes(self.originals[6])
        b.write_bytes(self.variants[6])
        out = run("import", "--data", str(self.data), str(a), str(b)).stdout.decode()
        self.assertIn("2 stored, 0 duplicate", out)
        self.assertIn("1 of the stored messages with a reused control id", out)
        every = self.dir / "every"
        every.mkdir()
        for i in range(7):
            (every / f"o{i}.hl7").write_bytes(self.originals[i])
            (every / f"v{i}.hl7").write_bytes(self.variants[i])
        out = run("import", "--data", str(self.data), str(every)).stdout.decode()
        self.assertIn("0 stored, 14 duplicate", out)

        # Both versions of every message are kept; each reuse is flagged once, per sender.
        db = sqlite3.connect(f"file:{self.data / 'heartbase.db'}?mode=ro", uri=True)
        self.assertEqual(db.execute("SELECT count(*) FROM interrogation").fetchone()[0], 14)
        self.assertEqual(db.execute(
            "SELECT count(*) FROM interrogation WHERE control_id_reused = 1").fetchone()[0], 7)
        self.assertEqual(db.execute(
            "SELECT count(DISTINCT sender || control_id) FROM interrogation").fetchone()[0], 7)
        db.close()


class ClinicFeedTest(FeedTestBase):
    """Every feed belongs to a clinic: MLLP senders by --feed, upload tokens by their user's
    clinics. A clinic's feed cannot write to another clinic's patients, nor learn of them."""

    def test_feeds_deliver_only_for_their_clinics(self):
        run("clinic", "add", "--data", str(self.data), "--name", "North")  # clinic 2
        run("user", "add", "--data", str(self.data), "--name", "gateway-b", "--role",
            "integration", "--no-password", "--clinic", "2")
        token_b = run("token", "create", "--data", str(self.data), "--user", "gateway-b",
                      "--scope", "hl7.upload").stdout.decode().strip()
        sender = self.originals[0].split(b"|")
        mapped = f"{sender[2].split(b'^')[0].decode()}|{sender[3].split(b'^')[0].decode()}"
        proc, mllp, https = self.start("--feed", f"{mapped}=1")
        try:
            # Clinic 1's sender delivers message 0 over MLLP: its patient is clinic 1's.
            self.assertRegex(send(mllp, self.originals[0]), r"MSA\|[AC]A\|")
            # Clinic 2's token: a forged correction of it (new control id, status C, another
            # voltage), a copy of the original, and the original under a new control id: none is
            # applied, and the three answers are alike.
            forged = self.originals[0].replace(b"|" + control_id(self.originals[0]).encode() + b"|",
                                               b"|FORGED1|", 1)
            forged = reuse_id(forged, b"20991231235959")
            answers = {self.upload(https, m, token_b)
                       for m in (forged, self.originals[0], self.variants[0])}
            self.assertEqual(len(answers), 1, answers)
            self.assertIn('"stored":0', answers.pop())
        finally:
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=60), 0)
        db = sqlite3.connect(f"file:{self.data / 'heartbase.db'}?mode=ro", uri=True)
        self.assertEqual(db.execute("SELECT count(*) FROM interrogation").fetchone()[0], 1)
        self.assertEqual(db.execute(
            "SELECT p.clinic_id FROM interrogation i JOIN patient p ON p.id = i.patient_id"
        ).fetchone()[0], 1)
        self.assertEqual(db.execute("SELECT count(*) FROM quarantine WHERE code = "
                                    "'permission_denied'").fetchone()[0], 3)
        db.close()

    def test_a_feed_naming_a_missing_clinic_is_refused_at_start(self):
        p = subprocess.run([hbtest.BINARY, "serve", "--data", str(self.data), "--mllp-listen",
                            "127.0.0.1:0", "--https-listen", "none", "--feed", "APP|FAC=9"],
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("there is no clinic 9", p.stderr.decode())


if __name__ == "__main__":
    hbtest.BINARY = sys.argv.pop(1)
    unittest.main(verbosity=2)
