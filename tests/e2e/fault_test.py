#!/usr/bin/python3
"""End-to-end fault tests of `heartbase serve` and `heartbase store verify`: a database page
overwritten on disk, a WAL made unwritable for a while (chattr +i; skipped where the file system or
the user cannot set the immutable attribute), a data directory that cannot be written, and SIGBUS.
Usage: fault_test.py HEARTBASE_BINARY   (run by ctest)."""
import http.client
import os
import pathlib
import re
import signal
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

import hbtest
from hbtest import demo_messages, run, send


def chattr(flag, path):
    return subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode == 0


class Server:
    def __init__(self, data, *extra, expect_start=True):
        self.log = pathlib.Path(data).parent / f"serve-{time.monotonic_ns()}.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([hbtest.BINARY, "serve", "--data", str(data), "--mllp-listen",
                                          "127.0.0.1:0", "--https-listen", "127.0.0.1:0", *extra],
                                         stdout=subprocess.PIPE, stderr=log)
        if not expect_start:
            return
        out = self.proc.stdout.readline().decode() + self.proc.stdout.readline().decode()
        mllp = re.search(r"listening mllp 127\.0\.0\.1:(\d+)", out)
        https = re.search(r"listening https 127\.0\.0\.1:(\d+)", out)
        assert mllp and https, (out, self.log.read_text()[-2000:])
        self.port, self.https = int(mllp.group(1)), int(https.group(1))
        self.ctx = ssl.create_default_context(cafile=str(pathlib.Path(data) / "tls" / "cert.pem"))

    def ready(self):
        c = http.client.HTTPSConnection("localhost", self.https, context=self.ctx, timeout=30)
        c.request("GET", "/api/v1/ready")
        r = c.getresponse()
        body = r.read().decode()
        c.close()
        return r.status, body

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout=60) == 0, self.log.read_text()[-2000:]


class FaultTest(unittest.TestCase):
    def setUp(self):
        # Under the build directory rather than /tmp, which may be a tmpfs without chattr.
        self.tmp = tempfile.TemporaryDirectory(dir=os.environ.get("HB_FAULT_DIR"))
        self.dir = pathlib.Path(self.tmp.name)
        self.data = self.dir / "data"
        run("init", "--data", str(self.data))
        self.files, self.messages = demo_messages(self.dir / "gen", patients=6, years=2, seed=3)

    def tearDown(self):
        for name in ("heartbase.db", "heartbase.db-wal", "heartbase.db-shm"):
            chattr("-i", self.data / name)
        self.tmp.cleanup()

    def overwrite_page(self, table):
        """Overwrites the root page of `table` with junk, as a failing disk or a stray write
        would. The database must be closed (its WAL checkpointed into the file)."""
        self.assertFalse((self.data / "heartbase.db-wal").exists())
        db = sqlite3.connect(f"file:{self.data / 'heartbase.db'}?mode=ro", uri=True)
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?",
                          (table,)).fetchone()[0]
        db.close()
        # A read-only connection leaves an empty WAL and its index behind; nothing is in them.
        for name in ("heartbase.db-wal", "heartbase.db-shm"):
            (self.data / name).unlink(missing_ok=True)
        with open(self.data / "heartbase.db", "r+b") as f:
            f.seek((root - 1) * page_size)
            f.write(b"\x5a" * page_size)

    def test_store_verify_and_serve_report_an_overwritten_page(self):
        run("import", "--data", str(self.data), *map(str, self.files[:10]))
        p = run("store", "verify", "--data", str(self.data))
        self.assertIn("verdict: intact", p.stdout.decode())
        self.overwrite_page("interrogation")
        p = run("store", "verify", "--data", str(self.data), check=1)
        out = p.stdout.decode()
        self.assertIn("verdict: DAMAGED", out)
        self.assertRegex(out, r"damaged: structure: ")
        # serve starts, says so, answers not ready, and acknowledges nothing.
        server = Server(self.data)
        try:
            status, body = server.ready()
            self.assertEqual(status, 503, body)
            self.assertIn("degraded", body)
            ack = send(server.port, self.messages[20])
            self.assertRegex(ack, r"MSA\|[AC]E\|")
        finally:
            server.stop()
        log = server.log.read_text()
        self.assertRegex(log, r"error store.damaged ")

    def test_damage_met_at_run_time_stops_acknowledging(self):
        run("import", "--data", str(self.data), *map(str, self.files[:10]))
        self.overwrite_page("interrogation")
        # No start-up check: the damage is met by the first message that reads the page.
        server = Server(self.data, "--startup-check-ms", "0")
        try:
            acks = [send(server.port, m) for m in self.messages[20:23]]
            for ack in acks:
                self.assertRegex(ack, r"MSA\|[AC]E\|")
            self.assertEqual(server.ready()[0], 503)
        finally:
            server.stop()
        self.assertRegex(server.log.read_text(), r"error store.damaged reason=")

    def test_ingest_recovers_by_itself_after_the_wal_was_unwritable(self):
        server = Server(self.data)
        try:
            self.assertRegex(send(server.port, self.messages[0]), r"MSA\|[AC]A\|")
            wal = self.data / "heartbase.db-wal"
            if not chattr("+i", wal):
                self.skipTest("chattr +i is not available here")
            try:
                self.assertRegex(send(server.port, self.messages[1]), r"MSA\|[AC]E\|")
            finally:
                self.assertTrue(chattr("-i", wal))
            # Once the fault is gone the sender's retry is stored, without a restart.
            deadline = time.monotonic() + 20
            while True:
                ack = send(server.port, self.messages[1])
                if re.search(r"MSA\|[AC]A\|", ack) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            self.assertRegex(ack, r"MSA\|[AC]A\|")
            self.assertRegex(send(server.port, self.messages[2]), r"MSA\|[AC]A\|")
            self.assertEqual(server.ready()[0], 200)
        finally:
            server.stop()
        self.assertIn("store.writer_closed", server.log.read_text())
        p = run("import", "--data", str(self.data), *map(str, self.files[:3]))
        self.assertIn("0 stored, 3 duplicate", p.stdout.decode())

    def test_a_database_that_cannot_be_written_is_refused_at_start(self):
        db = self.data / "heartbase.db"
        if not chattr("+i", db):
            self.skipTest("chattr +i is not available here")
        server = Server(self.data, expect_start=False)
        self.assertEqual(server.proc.wait(timeout=60), 1)
        self.assertIn("the database cannot be written", server.log.read_text())

    def test_sigbus_is_reported_before_the_process_ends(self):
        server = Server(self.data)
        server.proc.send_signal(signal.SIGBUS)
        self.assertEqual(server.proc.wait(timeout=60), -signal.SIGBUS)
        self.assertIn("heartbase: fatal: SIGBUS", server.log.read_text())


if __name__ == "__main__":
    hbtest.BINARY = sys.argv.pop(1)
    unittest.main(verbosity=2)
