#!/usr/bin/python3
"""End-to-end tests of heartbase on PostgreSQL (issue 21): two `serve` nodes sharing one server
behave as one system, a node killed with kill -9 loses no acknowledged message, and the server's
files (data, WAL, log) never hold a plaintext identifier.

Usage: postgres_test.py HEARTBASE_BINARY   (run by ctest, whose fixture starts the suite's
PostgreSQL server; HB_TEST_POSTGRES names the file with its connection string). Each test makes a
database of its own on it.
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hbtest  # noqa: E402
from hbtest import control_id, run, send  # noqa: E402

ADMIN = None  # the suite server's administrative connection string
SERVER_ROOT = None  # its directory (data, log), from tests/pg_server.py


def psql(conninfo, sql):
    p = subprocess.run(["psql", conninfo, "-XqAt", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    return p.stdout.decode().strip()


class Node(hbtest.Serve):
    """One `heartbase serve` on a data directory whose database is on PostgreSQL."""

    def stop(self):
        code = super().stop()
        assert code == 0, self.tail()


class PostgresTest(hbtest.DemoClinicTest):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name)
        name = "hb_" + uuid.uuid4().hex[:12]
        psql(ADMIN, f"CREATE DATABASE {name}")
        self.conninfo = re.sub(r"dbname=\S+", f"dbname={name}", ADMIN)
        self.a = self.dir / "node-a"
        run("init", "--data", str(self.a), "--store-driver", "postgres", "--postgres",
            self.conninfo)
        # A further node is a copy of the first node's directory: the same key ring, signing keys
        # and configuration, pointing at the same server.
        self.b = self.dir / "node-b"
        shutil.copytree(self.a, self.b, symlinks=True)

    def tearDown(self):
        self.tmp.cleanup()

    def count(self, sql):
        return int(psql(self.conninfo, sql))

    def test_two_nodes_store_each_message_once_when_both_receive_it(self):
        a, b = Node(self.a), Node(self.b)
        acks, failures = {}, []
        lock = threading.Lock()
        messages = self.messages[:120]

        # 16 connections, 8 per node; every message goes to both nodes at the same moment.
        def sender(k):
            for i in range(k, len(messages), 8):
                results = {}

                def one(node):
                    try:
                        results[node.port] = send(node.port, messages[i], timeout=60)
                    except OSError as e:
                        results[node.port] = f"error {e}"

                pair = [threading.Thread(target=one, args=(n,)) for n in (a, b)]
                for t in pair:
                    t.start()
                for t in pair:
                    t.join()
                with lock:
                    acks[i] = list(results.values())

        threads = [threading.Thread(target=sender, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        try:
            for i, pair in acks.items():
                for ack in pair:
                    if not re.search(r"MSA\|[AC]A\|" + re.escape(control_id(messages[i])), ack):
                        failures.append((i, ack))
            self.assertEqual(failures, [], "every copy is acknowledged (stored or duplicate)")
            # Each message once, though every one arrived twice at two nodes at once.
            self.assertEqual(self.count("SELECT COUNT(*) FROM interrogation"), len(messages))
            self.assertEqual(
                self.count("SELECT COUNT(DISTINCT sender || '|' || control_id) FROM interrogation"),
                len(messages))
        finally:
            a.stop()
            b.stop()
        # One audit trail, written by both nodes, verifies as one chain; the store verifies.
        p = run("audit", "verify", "--data", str(self.a))
        self.assertIn("intact", p.stdout.decode())
        p = run("store", "verify", "--data", str(self.b))
        self.assertIn("verdict: intact", p.stdout.decode())

    def test_a_user_signed_in_on_one_node_is_served_by_the_other(self):
        password = "lantern orchard velvet summit"
        run("user", "add", "--data", str(self.a), "--name", "nurse", "--role", "device_clinician",
            stdin=(password + "\n").encode())
        a, b = Node(self.a, https=True), Node(self.b, https=True)
        try:
            r, body = a.request("POST", "/api/v1/auth/login", {"name": "nurse", "password": password})
            self.assertEqual(r.status, 200, body)
            session = r.getheader("Set-Cookie").split(";")[0]
            csrf = json.loads(body)["csrf_token"]
            r, body = b.request("GET", "/api/v1/auth/me", headers={"Cookie": session})
            self.assertEqual(r.status, 200, body)
            # Signed out on b: refused on a too.
            r, _ = b.request("POST", "/api/v1/auth/logout",
                             headers={"Cookie": session, "X-CSRF-Token": csrf})
            self.assertEqual(r.status, 200)
            r, _ = a.request("GET", "/api/v1/auth/me", headers={"Cookie": session})
            self.assertEqual(r.status, 401)
            # Failed sign-ins count on both nodes: the free failures spread over a and b, then
            # the growing delay refuses attempts (429), and the right password on the other node
            # waits too.
            statuses = []
            for k in range(12):
                node = a if k % 2 else b
                r, _ = node.request("POST", "/api/v1/auth/login", {"name": "nurse", "password": "no"})
                statuses.append(r.status)
                if r.status == 429:
                    break
            self.assertEqual(statuses[:5], [401] * 5)
            self.assertEqual(statuses[-1], 429, statuses)
            other = b if node is a else a
            r, _ = other.request("POST", "/api/v1/auth/login", {"name": "nurse", "password": password})
            self.assertEqual(r.status, 429)
        finally:
            a.stop()
            b.stop()

    def test_kill_9_of_one_node_loses_no_acknowledged_message(self):
        a, b = Node(self.a), Node(self.b)
        acked, lock, stop = set(), threading.Lock(), threading.Event()
        messages = self.messages

        def sender(k, node):
            for i in range(k, len(messages), 16):
                if stop.is_set() and node is a:
                    return
                try:
                    ack = send(node.port, messages[i], timeout=30)
                except OSError:
                    if node is a:
                        return
                    raise
                if re.search(r"MSA\|[AC]A\|", ack):
                    with lock:
                        acked.add(i)

        threads = [threading.Thread(target=sender, args=(k, a if k % 2 else b))
                   for k in range(16)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        a.kill()  # mid-load, holding connections and transactions
        stop.set()
        for t in threads:
            t.join()
        try:
            self.assertGreater(len(acked), 0)
            # Node b went on alone; node a comes back on the same server.
            a = Node(self.a)
            stored = set(psql(self.conninfo,
                              "SELECT control_id FROM interrogation").split())
            missing = [i for i in acked if control_id(messages[i]) not in stored]
            self.assertEqual(missing, [], "every acknowledged message is stored")
            self.assertEqual(
                self.count("SELECT COUNT(*) FROM interrogation"),
                self.count("SELECT COUNT(DISTINCT sender || '|' || control_id) FROM interrogation"))
            # Sending an acknowledged message again to either node is a duplicate, not a new row.
            before = self.count("SELECT COUNT(*) FROM interrogation")
            for i in sorted(acked)[:10]:
                self.assertRegex(send(a.port, messages[i]), r"MSA\|[AC]A\|")
                self.assertRegex(send(b.port, messages[i]), r"MSA\|[AC]A\|")
            self.assertEqual(self.count("SELECT COUNT(*) FROM interrogation"), before)
        finally:
            a.stop()
            b.stop()
        p = run("audit", "verify", "--data", str(self.b))
        self.assertIn("intact", p.stdout.decode())

    def test_store_copy_moves_a_clinic_from_sqlite_and_is_resumable(self):
        # A clinic that started embedded: 40 patients over 2 years, with its audit trail.
        src = self.dir / "embedded"
        run("init", "--data", str(src))
        demo = pathlib.Path(self.shared.name) / "demo"
        run("import", "--data", str(src), str(demo), check=1)  # facts.jsonl is quarantined
        name = "hb_" + uuid.uuid4().hex[:12]
        psql(ADMIN, f"CREATE DATABASE {name}")
        target = re.sub(r"dbname=\S+", f"dbname={name}", ADMIN)
        # Interrupted part-way (killed), then run again: it resumes and ends equal.
        p = subprocess.Popen([hbtest.BINARY, "store", "copy", "--from", f"sqlite:{src}", "--to",
                              f"postgres:{target}", "--batch", "5"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.7)
        p.kill()
        p.wait()
        out = run("store", "copy", "--from", f"sqlite:{src}", "--to", f"postgres:{target}").stdout.decode()
        self.assertIn("verdict: copied", out)
        interrogations = int(psql(target, "SELECT COUNT(*) FROM interrogation"))
        self.assertGreater(interrogations, 100)
        # Run on the copy: the same data directory (keys, certificates) pointed at PostgreSQL.
        moved = self.dir / "moved"
        shutil.copytree(src, moved)
        (moved / "heartbase.db").unlink()
        for suffix in ("-wal", "-shm"):
            (moved / f"heartbase.db{suffix}").unlink(missing_ok=True)
        config = (moved / "heartbase.toml").read_text()
        config = config.replace('\ndriver = "sqlite"\n', '\ndriver = "postgres"\n')
        config = config.replace('\npostgres = ""\n', f'\npostgres = "{target}"\n')
        (moved / "heartbase.toml").write_text(config)
        self.assertIn("verdict: intact", run("store", "verify", "--data", str(moved)).stdout.decode())
        self.assertIn("intact", run("audit", "verify", "--data", str(moved)).stdout.decode())
        node = Node(moved, "--feed", "*=1")  # the import put the patients in clinic 1
        try:
            # Every message is already there: a resend is a duplicate.
            self.assertRegex(send(node.port, self.messages[5]), r"MSA\|[AC]A\|")
        finally:
            node.stop()
        self.assertEqual(int(psql(target, "SELECT COUNT(*) FROM interrogation")), interrogations)
        # New rows get ids after the copied ones.
        for table in ("interrogation", "patient", "audit_event", "blob"):
            key = "seq" if table == "audit_event" else "id"
            self.assertEqual(psql(target, f"SELECT nextval(pg_get_serial_sequence('{table}', '{key}')) "
                                          f"> (SELECT MAX({key}) FROM {table})"), "t", table)
        # A row changed on one side is found by the comparison.
        psql(target, "UPDATE patient SET created_us = created_us + 1 WHERE id = (SELECT MIN(id) FROM patient)")
        out = run("store", "copy", "--from", f"sqlite:{src}", "--to", f"postgres:{target}",
                  check=1).stdout.decode()
        self.assertIn("different: patient", out)

    def test_the_server_files_hold_no_plaintext_identifier(self):
        # A patient whose name, MRN and device serial are canaries, stored through node a.
        canary = "Zq" + uuid.uuid4().hex[:10]
        message = self.messages[0]
        segments = message.split(b"\r")
        for n, seg in enumerate(segments):
            fields = seg.split(b"|")
            if fields[0] == b"PID" and len(fields) > 5:
                fields[3] = f"{canary}MRN^^^HOSP^MR".encode()
                fields[5] = f"{canary}Family^{canary}Given".encode()
                segments[n] = b"|".join(fields)
        msh = segments[0].split(b"|")
        msh[9] = b"CANARY-1"
        segments[0] = b"|".join(msh)
        message = b"\r".join(segments)
        node = Node(self.a)
        try:
            self.assertRegex(send(node.port, message), r"MSA\|[AC]A\|")
        finally:
            node.stop()
        self.assertEqual(self.count("SELECT COUNT(*) FROM interrogation WHERE control_id = 'CANARY-1'"), 1)
        # The search finds what is there: a plaintext probe written beside the rows.
        psql(self.conninfo, f"CREATE TABLE probe (t TEXT); INSERT INTO probe VALUES ('P{canary}')")
        # The rows reach the heap and the WAL on disk.
        psql(ADMIN, "CHECKPOINT")
        probe = ("P" + canary).encode()
        self.assertTrue(any(probe in p.read_bytes() for p in pathlib.Path(SERVER_ROOT).rglob("*")
                            if p.is_file()), "the probe is on disk")
        psql(self.conninfo, "DROP TABLE probe")
        psql(ADMIN, "CHECKPOINT")
        found = []
        for path in pathlib.Path(SERVER_ROOT).rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                if re.search(rb"(?<!P)" + canary.encode(), data) or canary.encode("utf-16-le") in data:
                    found.append(str(path))
        self.assertEqual(found, [], "a plaintext identifier in the server's files")


if __name__ == "__main__":
    hbtest.BINARY = sys.argv.pop(1)
    conninfo_file = os.environ.get("HB_TEST_POSTGRES")
    if not conninfo_file:
        sys.exit("postgres_test: HB_TEST_POSTGRES is not set (run through ctest)")
    ADMIN = pathlib.Path(conninfo_file).read_text().strip()
    SERVER_ROOT = (pathlib.Path(conninfo_file).parent / "root").read_text().strip()
    unittest.main()
