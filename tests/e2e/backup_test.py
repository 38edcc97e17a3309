#!/usr/bin/python3
"""End-to-end tests of `heartbase backup`, `backup verify` and `restore`: a backup taken while
serve ingests over MLLP holds everything acknowledged before it started and restores to a
directory that verifies and serves; damaged backups, a data directory that already holds a
database and another directory's key ring are refused without writing anything.
Usage: backup_test.py HEARTBASE_BINARY   (run by ctest)."""
import os
import pathlib
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import hbtest
from hbtest import demo_messages, run, send


class Server:
    def __init__(self, data):
        self.log = pathlib.Path(data).parent / f"serve-{time.monotonic_ns()}.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([hbtest.BINARY, "serve", "--data", str(data),
                                          "--mllp-listen", "127.0.0.1:0", "--https-listen",
                                          "none"], stdout=subprocess.PIPE, stderr=log)
        line = self.proc.stdout.readline().decode()
        m = re.match(r"listening mllp 127\.0\.0\.1:(\d+)", line)
        assert m, (line, self.log.read_text()[-2000:])
        self.port = int(m.group(1))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.stdout.close()
        assert self.proc.wait(timeout=60) == 0, self.log.read_text()[-2000:]


def flip(path, offset):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


class BackupTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gen_tmp = tempfile.TemporaryDirectory()
        cls.files, cls.messages = demo_messages(pathlib.Path(cls.gen_tmp.name), 20, 2, 7)

    @classmethod
    def tearDownClass(cls):
        cls.gen_tmp.cleanup()

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name)
        self.data = self.dir / "data"
        run("init", "--data", str(self.data))
        self.key = self.data / "keyring"

    def tearDown(self):
        self.tmp.cleanup()

    def backup(self, out, check=0):
        return run("backup", "--data", str(self.data), "--out", str(out), check=check)

    def test_backup_while_serving_restores_everything_acknowledged_before_it(self):
        server = Server(self.data)
        acked, lock = [], threading.Lock()
        started_backup = threading.Event()
        after_backup = []

        def sender(indices):
            for i in indices:
                ack = send(server.port, self.messages[i])
                with lock:
                    if re.search(r"MSA\|[AC]A\|", ack):
                        acked.append(i)
                    if started_backup.is_set():
                        after_backup.append(i)

        threads = [threading.Thread(target=sender, args=(range(k, len(self.messages), 4),))
                   for k in range(4)]
        out = self.dir / "during.hbk"
        try:
            for t in threads:
                t.start()
            while True:
                with lock:
                    if len(acked) >= 40:
                        before = set(acked)
                        started_backup.set()
                        break
                time.sleep(0.005)
            began = time.monotonic()
            p = self.backup(out)
            took = time.monotonic() - began
            with lock:
                during = len(after_backup)
            for t in threads:
                t.join()
        finally:
            server.stop()
        # Ingest was still going on when the backup started.
        self.assertLess(len(before), len(self.messages))
        self.assertIn("schema version", p.stdout.decode())
        self.assertIn("store.backup", p.stderr.decode())
        print(f"backup of {out.stat().st_size} bytes in {took:.2f} s, {during} messages "
              f"acknowledged while it ran", file=sys.stderr)
        self.assertEqual(stat.S_IMODE(out.stat().st_mode), 0o600)
        # No secret is in the file.
        backup_bytes = out.read_bytes()
        for secret in ("keyring", "audit-signing.key", "report-signing.key", "tls/key.pem"):
            self.assertNotIn((self.data / secret).read_bytes().strip(), backup_bytes, secret)

        v = run("backup", "verify", str(out)).stdout.decode()
        self.assertIn("intact", v)
        self.assertIn("key ring", v)

        restored = self.dir / "restored"
        r = run("restore", "--from", str(out), "--data", str(restored), "--key-file",
                str(self.key)).stdout.decode()
        self.assertIn("restored", r)
        self.assertIn("audit-signing.key", r)  # told to put the signing keys back
        self.assertEqual(stat.S_IMODE(restored.stat().st_mode), 0o700)
        self.assertEqual(stat.S_IMODE((restored / "heartbase.db").stat().st_mode), 0o600)
        self.assertFalse((restored / "keyring").exists())
        # The operator puts the ring and the signing keys back from where they keep them.
        shutil.copy2(self.key, restored / "keyring")
        shutil.copy2(self.data / "audit-signing.key", restored / "audit-signing.key")
        self.assertIn("verdict: intact",
                      run("store", "verify", "--data", str(restored)).stdout.decode())
        self.assertTrue(run("audit", "verify", "--data", str(restored)).stdout.decode()
                        .startswith("intact"))
        # The restored directory serves.
        server = Server(restored)
        try:
            self.assertRegex(send(server.port, self.messages[0]), r"MSA\|[AC]A\|")
        finally:
            server.stop()
        # Every message acknowledged before the backup started is in it: importing them again
        # finds each one a duplicate.
        files = [str(self.files[i]) for i in sorted(before)]
        imported = run("import", "--data", str(restored), *files).stdout.decode()
        self.assertIn(f"0 stored, {len(files)} duplicate", imported)

    def test_damaged_backups_are_refused_and_nothing_is_written(self):
        run("import", "--data", str(self.data), *map(str, self.files[:20]))
        good = self.dir / "good.hbk"
        self.backup(good)
        size = good.stat().st_size
        truncated = self.dir / "truncated.hbk"
        truncated.write_bytes(good.read_bytes()[:size - 1000])
        image_flip = self.dir / "image.hbk"
        shutil.copy(good, image_flip)
        flip(image_flip, size // 2)
        header_flip = self.dir / "header.hbk"  # the schema version field
        shutil.copy(good, header_flip)
        flip(header_flip, 16)
        check_flip = self.dir / "check.hbk"  # inside the key check carried in the header
        shutil.copy(good, check_flip)
        flip(check_flip, 70)
        for bad in (truncated, image_flip, header_flip, check_flip):
            with self.subTest(bad.name):
                err = run("backup", "verify", str(bad), check=1).stderr.decode()
                self.assertIn("not an intact heartbase backup", err)
                target = self.dir / f"restore-{bad.stem}"
                err = run("restore", "--from", str(bad), "--data", str(target), "--key-file",
                          str(self.key), check=1).stderr.decode()
                self.assertIn("not an intact heartbase backup", err)
                self.assertFalse(target.exists())
        self.assertIn("truncated", run("backup", "verify", str(truncated), check=1)
                      .stderr.decode())
        self.assertIn("hash does not match", run("backup", "verify", str(image_flip), check=1)
                      .stderr.decode())
        # Into a directory the operator prepared (the ring already there): left as it was.
        prepared = self.dir / "prepared"
        prepared.mkdir()
        shutil.copy2(self.key, prepared / "keyring")
        run("restore", "--from", str(image_flip), "--data", str(prepared), check=1)
        self.assertEqual(sorted(p.name for p in prepared.iterdir()), ["keyring"])

    def test_restore_never_overwrites_a_database_and_needs_the_backups_key_ring(self):
        run("import", "--data", str(self.data), *map(str, self.files[:5]))
        out = self.dir / "b.hbk"
        self.backup(out)
        # Nor does backup replace a file.
        before = out.read_bytes()
        self.assertIn("already exists", self.backup(out, check=1).stderr.decode())
        self.assertEqual(out.read_bytes(), before)
        # Onto the live directory.
        db = (self.data / "heartbase.db").read_bytes()
        err = run("restore", "--from", str(out), "--data", str(self.data), check=1)
        self.assertIn("already holds a heartbase database", err.stderr.decode())
        self.assertEqual((self.data / "heartbase.db").read_bytes(), db)
        # Another directory's ring.
        other = self.dir / "other"
        run("init", "--data", str(other))
        target = self.dir / "target"
        err = run("restore", "--from", str(out), "--data", str(target), "--key-file",
                  str(other / "keyring"), check=1).stderr.decode()
        self.assertIn("does not belong to this backup", err)
        self.assertFalse(target.exists())
        # No ring at all: says where it is expected and which one.
        err = run("restore", "--from", str(out), "--data", str(target), check=1).stderr.decode()
        self.assertIn(f"no key ring at {target / 'keyring'}", err)
        self.assertRegex(err, r"fingerprint [0-9a-f]{4}-")
        self.assertFalse(target.exists())
        # The ring put there beforehand, as the docs say.
        target.mkdir()
        shutil.copy2(self.key, target / "keyring")
        run("restore", "--from", str(out), "--data", str(target))
        self.assertIn("verdict: intact",
                      run("store", "verify", "--data", str(target)).stdout.decode())

    def test_a_database_older_than_the_binary_is_backed_up_and_restored_for_upgrade(self):
        run("import", "--data", str(self.data), *map(str, self.files[:3]))
        with sqlite3.connect(self.data / "heartbase.db") as db:
            newest = db.execute("SELECT version FROM schema_version").fetchone()[0]
            db.execute("UPDATE schema_version SET version = ?", (newest - 1,))
        db.close()
        # What the schema gate asks for before `serve --upgrade`: a backup.
        self.assertIn("older than", run("store", "verify", "--data", str(self.data), check=1)
                      .stderr.decode())
        out = self.dir / "old.hbk"
        p = self.backup(out).stdout.decode()
        self.assertIn(f"schema version {newest - 1}", p)
        self.assertIn("Not recorded in the audit trail", p)
        self.assertIn("serve --upgrade", run("backup", "verify", str(out)).stdout.decode())
        target = self.dir / "target"
        r = run("restore", "--from", str(out), "--data", str(target), "--key-file",
                str(self.key)).stdout.decode()
        self.assertIn("--upgrade", r)
        with sqlite3.connect(target / "heartbase.db") as db:
            self.assertEqual(db.execute("SELECT version FROM schema_version").fetchone()[0],
                             newest - 1)
        db.close()
        # Another ring is refused here too.
        other = self.dir / "other"
        run("init", "--data", str(other))
        err = run("backup", "--data", str(self.data), "--out", str(self.dir / "x.hbk"),
                  "--key-file", str(other / "keyring"), check=1).stderr.decode()
        self.assertIn("does not belong", err)
        self.assertFalse((self.dir / "x.hbk").exists())


if __name__ == "__main__":
    hbtest.BINARY = sys.argv.pop(1)
    unittest.main(verbosity=2)
