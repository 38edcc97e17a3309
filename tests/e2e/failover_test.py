#!/usr/bin/python3
"""End-to-end test of heartbase on PostgreSQL across a failover (issue 21): a primary with
durability on and a synchronous streaming standby; one `serve` node whose connection string lists
both servers (target_session_attrs=read-write) takes messages on 8 MLLP connections while the
primary is stopped (immediate) and the standby promoted. The node must never crash, must answer
AE/AR or drop the connection while no primary is reachable, must acknowledge again on its own once
the standby is promoted, and every message it acknowledged, before or after, must be on the
promoted server exactly once.

Usage: failover_test.py HEARTBASE_BINARY   (run by ctest as e2e_failover; it starts its own two
PostgreSQL 15 servers on private Unix sockets, as the `postgres` user when run as root).

The negative controls: the standby is checked to be streaming in sync state before the load; every
message acknowledged before the primary stopped is checked to be on the standby *before* it is
promoted (what synchronous replication promises, and what asynchronous replication would not); and
the messages acknowledged as new (AA) after the promotion are checked to be absent from that
snapshot, present on the promoted server (timeline 2), with the old primary down: they were really
written to the promoted server.
"""
import os
import pathlib
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hbtest  # noqa: E402
from hbtest import control_id, run, send  # noqa: E402

PG_BIN = "/usr/lib/postgresql/15/bin"
SENDERS = 8
ACK = re.compile(r"MSA\|(AA|CA)\|")
NAK = re.compile(r"MSA\|(AE|AR|CE|CR)\|")
SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:")


def as_server_user(cmd, check=True, **kw):
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    return subprocess.run(cmd, check=check, **kw)


class PgServer:
    """One PostgreSQL 15 server in ROOT/NAME, listening only on ROOT/NAME-sock/.s.PGSQL.PORT."""

    def __init__(self, root, name, port):
        self.data = os.path.join(root, name)
        self.sock = os.path.join(root, name + "-sock")
        self.log = os.path.join(root, name + ".log")
        self.port = port
        os.makedirs(self.sock)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.sock, pw.pw_uid, pw.pw_gid)

    def conninfo(self, dbname="postgres"):
        return f"host={self.sock} port={self.port} dbname={dbname} user=postgres"

    def start(self, *settings):
        options = " ".join(["-c listen_addresses=''", f"-c unix_socket_directories={self.sock}",
                            f"-c port={self.port}", "-c max_connections=100",
                            "-c shared_buffers=32MB", *(f"-c {s}" for s in settings)])
        as_server_user([f"{PG_BIN}/pg_ctl", "-D", self.data, "-o", options, "-l", self.log, "-w",
                        "-t", "60", "start"], stdout=subprocess.DEVNULL)

    def stop(self, mode="immediate"):
        as_server_user([f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"],
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def running(self):
        return as_server_user([f"{PG_BIN}/pg_ctl", "-D", self.data, "status"], check=False,
                              stdout=subprocess.DEVNULL).returncode == 0

    def psql(self, sql, dbname="postgres"):
        p = subprocess.run(["psql", self.conninfo(dbname), "-XqAt", "-v", "ON_ERROR_STOP=1",
                            "-c", sql], capture_output=True, timeout=60)
        assert p.returncode == 0, p.stderr.decode(errors="replace")
        return p.stdout.decode().strip()


def Node(data, log):
    """One `heartbase serve` on a data directory whose database is on PostgreSQL."""
    return hbtest.Serve(data, log=log)


class Load:
    """SENDERS connections sending messages in turn; a message answered AE/AR or left without an
    answer goes back to the end of the queue, as a sender's retry. Every outcome is recorded with
    the moment its send began."""

    def __init__(self, port, messages):
        self.port = port
        self.queue = list(range(len(messages)))
        self.messages = messages
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.events = []  # (start, end, index, "ack"|"dup"|"nak"|"error", detail)
        self.threads = [threading.Thread(target=self.sender) for _ in range(SENDERS)]

    def sender(self):
        while not self.stop.is_set():
            with self.lock:
                if not self.queue:
                    return
                i = self.queue.pop(0)
            start = time.monotonic()
            try:
                answer = send(self.port, self.messages[i], timeout=60)
                m = ACK.search(answer)
                if m and control_id(self.messages[i]) in answer:
                    kind = "ack" if m.group(1) == "AA" else "dup"
                elif NAK.search(answer):
                    kind = "nak"
                else:
                    kind = "error"
            except OSError as e:
                answer, kind = f"{type(e).__name__}: {e}", "error"
            with self.lock:
                self.events.append((start, time.monotonic(), i, kind, answer))
                if kind in ("nak", "error"):
                    self.queue.append(i)
            if kind in ("nak", "error"):
                time.sleep(0.05)  # a sender waits a moment before its retry

    def acked(self, since=None, until=None, kinds=("ack", "dup")):
        with self.lock:
            return [e for e in self.events if e[3] in kinds and
                    (since is None or e[0] >= since) and (until is None or e[1] <= until)]

    def wait_for(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return False


class FailoverTest(hbtest.DemoClinicTest):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name)
        # The servers' directories live in /tmp: the postgres user may not traverse a build tree.
        self.root = tempfile.mkdtemp(prefix="hb-fo-")
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        os.chmod(self.root, 0o700)
        self.a = PgServer(self.root, "a", 5441)
        self.b = PgServer(self.root, "b", 5442)
        self.addCleanup(shutil.rmtree, self.root, ignore_errors=True)
        self.addCleanup(self.b.stop)
        self.addCleanup(self.a.stop)
        self.addCleanup(self.tmp.cleanup)

    def start_pair(self, sync=True):
        # The primary, durability on. initdb's pg_hba.conf lets local connections replicate (trust:
        # the sockets are in a directory only the postgres user and root reach); checked here.
        as_server_user([f"{PG_BIN}/initdb", "-D", self.a.data, "-A", "trust", "-U", "postgres",
                        "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], stdout=subprocess.DEVNULL)
        hba = pathlib.Path(self.a.data, "pg_hba.conf")
        if not re.search(r"^local\s+replication\s+all\s+trust", hba.read_text(), re.M):
            with open(hba, "a") as f:
                f.write("local replication all trust\n")
        # synchronous_standby_names only on the primary's command line, not in a file the base
        # backup copies: the promoted standby has no standby of its own to wait for.
        self.a.start("fsync=on", "synchronous_commit=on", "full_page_writes=on",
                     "wal_level=replica", "max_wal_senders=4", "wal_keep_size=256MB",
                     "synchronous_standby_names='*'" if sync else "synchronous_standby_names=''")
        # The standby: a base backup whose -R writes primary_conninfo and standby.signal.
        as_server_user([f"{PG_BIN}/pg_basebackup", "-h", self.a.sock, "-p", str(self.a.port),
                        "-U", "postgres", "-D", self.b.data, "-R", "-X", "stream",
                        "--checkpoint=fast", "--no-sync"], stdout=subprocess.DEVNULL)
        self.assertTrue(pathlib.Path(self.b.data, "standby.signal").exists())
        self.start_standby()
        want = "streaming sync" if sync else "streaming async"
        deadline = time.monotonic() + 30
        state = ""
        while time.monotonic() < deadline:
            state = self.a.psql("SELECT state || ' ' || sync_state FROM pg_stat_replication")
            if state == want:
                break
            time.sleep(0.1)
        self.assertEqual(state, want, "the standby streams (and is synchronous unless told not)")
        self.assertEqual(self.a.psql("SHOW synchronous_commit"), "on")
        self.assertEqual(self.a.psql("SHOW fsync"), "on")
        self.assertEqual(self.b.psql("SELECT pg_is_in_recovery()"), "t")

    def start_standby(self):
        self.b.start("fsync=on", "synchronous_commit=on", "full_page_writes=on",
                     "hot_standby=on", "wal_receiver_status_interval=1s",
                     # One syncfs, not an fsync per file, when it starts from the backup.
                     "recovery_init_sync_method=syncfs")

    def init_node(self):
        """A data directory whose connection string lists both servers: libpq tries them in turn
        and keeps the one that accepts writes."""
        self.a.psql("CREATE DATABASE hb_failover")
        conninfo = (f"host={self.a.sock},{self.b.sock} port={self.a.port},{self.b.port} "
                    "dbname=hb_failover user=postgres target_session_attrs=read-write "
                    "connect_timeout=2")
        data = self.dir / "node"
        run("init", "--data", str(data), "--store-driver", "postgres", "--postgres", conninfo)
        self.assertGreater(len(self.messages), 200)
        return data, self.messages

    def stored(self):
        """control_id → number of rows, on the (promoted) server b."""
        rows = self.b.psql("SELECT control_id || ' ' || COUNT(*) FROM interrogation "
                           "GROUP BY control_id", "hb_failover").split("\n")
        return {c: int(n) for c, n in (r.split(" ") for r in rows if r)}

    def test_acknowledged_messages_survive_promotion_of_the_standby(self):
        t_begin = time.monotonic()
        self.start_pair()
        data, messages = self.init_node()

        node = Node(data, self.dir / "serve.log")
        load = Load(node.port, messages)
        try:
            for t in load.threads:
                t.start()
            self.assertTrue(load.wait_for(lambda: len(load.acked()) >= 40, 30),
                            f"acknowledged before the failover: {node.tail()}")

            # The primary goes away mid-load: immediate stop, no checkpoint, connections cut.
            t_stop = time.monotonic()
            self.a.stop("immediate")
            self.assertFalse(self.a.running())
            t_stopped = time.monotonic()
            before = {control_id(messages[e[2]]) for e in load.acked(until=t_stop)}
            # What the standby holds before promotion: every message acknowledged so far (before
            # the stop, or answered just after it) must be there already — synchronous replication
            # — and nothing new is acknowledged while the node can write nowhere.
            time.sleep(1.0)
            t_snapshot = time.monotonic()
            on_standby = set(self.b.psql("SELECT control_id FROM interrogation",
                                         "hb_failover").split())
            so_far = {control_id(messages[e[2]]) for e in load.acked(until=t_snapshot)}
            self.assertEqual(sorted(so_far - on_standby), [],
                             "acknowledged but not on the synchronous standby")
            as_server_user([f"{PG_BIN}/pg_ctl", "-D", self.b.data, "-w", "-t", "60", "promote"],
                           stdout=subprocess.DEVNULL)
            t_promoted = time.monotonic()
            self.assertEqual(self.b.psql("SELECT pg_is_in_recovery()"), "f")
            # The same serve process acknowledges again, within a bounded time.
            self.assertTrue(load.wait_for(lambda: len(load.acked(since=t_promoted)) >= 40, 45),
                            f"no recovery after promotion: {load.events[-3:]} {node.tail()}")
            first_after = min(e[1] for e in load.acked(since=t_stop))
            load.stop.set()
            for t in load.threads:
                t.join(timeout=90)
                self.assertFalse(t.is_alive(), "a sender hangs")
            self.assertIsNone(node.proc.poll(), f"serve died: {node.tail()}")
            # The messages left unacknowledged (answered AE, or cut off) are sent again: each is
            # acknowledged now, as stored or as a duplicate of a commit whose outcome was unknown.
            with load.lock:
                tried = {e[2] for e in load.events}
                retry = sorted(set(load.queue) & tried)
            for i in retry:
                answer = send(node.port, messages[i], timeout=60)
                self.assertRegex(answer, ACK, answer)
                load.events.append((time.monotonic(), time.monotonic(), i, "retry", answer))
        finally:
            load.stop.set()
            for t in load.threads:
                t.join(timeout=90)
            self.assertIsNone(node.proc.poll(), f"serve died: {node.tail()}")
            code = node.stop()
        log = pathlib.Path(node.log).read_text(errors="replace")
        self.assertEqual(code, 0, log[-4000:])
        self.assertIsNone(SANITIZER.search(log), log[-4000:])

        # Every acknowledged message is on the promoted server exactly once.
        acked = {control_id(messages[e[2]]) for e in load.events if e[3] in ("ack", "dup", "retry")}
        counts = self.stored()
        self.assertEqual(sorted(c for c in acked if c not in counts), [], "acknowledged but lost")
        self.assertEqual({c: n for c, n in counts.items() if n != 1}, {}, "stored twice")
        self.assertEqual(set(counts), acked, "stored but never sent")

        # Those acknowledged as new after the promotion were written to the promoted server: not
        # in the standby's snapshot, on timeline 2, while the old primary stayed down.
        after = {control_id(messages[e[2]]) for e in load.acked(since=t_promoted, kinds=("ack",))}
        self.assertGreater(len(after), 0)
        self.assertEqual(sorted(after & on_standby), [])
        self.assertTrue(after <= set(counts))
        self.assertFalse(self.a.running())
        self.assertEqual(self.b.psql("SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)"),
                         "00000002")

        p = run("audit", "verify", "--data", str(data))
        self.assertIn("intact", p.stdout.decode())
        p = run("store", "verify", "--data", str(data))
        self.assertIn("verdict: intact", p.stdout.decode())

        naks = [e for e in load.events if e[3] == "nak"]
        errors = [e for e in load.events if e[3] == "error"]
        last_before = max(e[1] for e in load.acked(until=t_stop))
        print(f"failover: {len(before)} acknowledged before the stop, {len(after)} new after "
              f"promotion ({len(acked)} in all, {len(retry)} resent at the end); primary stopped "
              f"{t_stopped - t_stop:.2f}s, promoted after {t_promoted - t_stop:.2f}s; no "
              f"acknowledgement for {first_after - last_before:.2f}s (first {first_after - t_promoted:+.2f}s "
              f"from promotion); {len(naks)} NAKs, {len(errors)} connection errors; "
              f"{time.monotonic() - t_begin:.1f}s in all", file=sys.stderr)
        kinds = {}
        for e in naks + errors:
            key = re.sub(r"\d+", "N", e[4][-160:])
            kinds[key] = kinds.get(key, 0) + 1
        for k, n in sorted(kinds.items(), key=lambda kv: -kv[1])[:5]:
            print(f"  {n} x {k!r}", file=sys.stderr)



    def test_a_primary_fenced_read_only_is_left_for_the_promoted_standby(self):
        """A failover that fences the old primary (default_transaction_read_only, the server left
        running) instead of stopping it: the node's pooled connections still reach it and are
        refused writes (25006). The driver drops such a connection, so the node moves to the
        promoted standby without a restart, as when the primary stops."""
        self.start_pair()
        data, messages = self.init_node()
        node = Node(data, self.dir / "serve.log")
        load = Load(node.port, messages)
        try:
            for t in load.threads:
                t.start()
            self.assertTrue(load.wait_for(lambda: len(load.acked()) >= 20, 30), node.tail())
            self.a.psql("ALTER SYSTEM SET default_transaction_read_only = on")
            self.a.psql("SELECT pg_reload_conf()")
            t_fence = time.monotonic()
            # Fenced once no write transaction is left open on it (they take milliseconds).
            self.assertTrue(load.wait_for(lambda: self.a.psql(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE backend_xid IS NOT NULL") == "0", 10))
            as_server_user([f"{PG_BIN}/pg_ctl", "-D", self.b.data, "-w", "-t", "60", "promote"],
                           stdout=subprocess.DEVNULL)
            t_promoted = time.monotonic()
            self.assertTrue(self.a.running())
            self.assertTrue(load.wait_for(lambda: len(load.acked(since=t_promoted)) >= 20, 30),
                            f"no recovery while the fenced primary stays up: {load.events[-2:]}")
        finally:
            load.stop.set()
            for t in load.threads:
                t.join(timeout=90)
            self.assertIsNone(node.proc.poll(), f"serve died: {node.tail()}")
            self.assertEqual(node.stop(), 0, node.tail())
        self.assertIsNone(SANITIZER.search(pathlib.Path(node.log).read_text(errors="replace")))
        acked = {control_id(messages[e[2]]) for e in load.acked()}
        counts = self.stored()
        self.assertEqual(sorted(c for c in acked if c not in counts), [], "acknowledged but lost")
        self.assertEqual({c: n for c, n in counts.items() if n != 1}, {}, "stored twice")
        naks = [e for e in load.events if e[3] in ("nak", "error") and e[0] >= t_fence]
        first = min(e[1] for e in load.acked(since=t_fence))
        print(f"fenced primary: {len(acked)} acknowledged, {len(naks)} NAKs/errors, first "
              f"acknowledgement {first - t_promoted:+.2f}s from promotion", file=sys.stderr)
    def test_negative_control_asynchronous_standby_loses_acknowledged_messages(self):
        """The same checks on a pair without synchronous replication, whose standby is cut off
        mid-load: the primary acknowledges commits the standby never receives, and the check of the
        promoted server must report them lost. The guarantee the first test sees comes from
        synchronous replication, not from the test."""
        self.start_pair(sync=False)
        data, messages = self.init_node()
        node = Node(data, self.dir / "serve.log")
        load = Load(node.port, messages)
        try:
            for t in load.threads:
                t.start()
            self.assertTrue(load.wait_for(lambda: len(load.acked()) >= 10, 30), node.tail())
            self.b.stop("fast")  # the standby goes away; asynchronous commits do not wait for it
            t_cut = time.monotonic()
            self.assertTrue(load.wait_for(lambda: len(load.acked(since=t_cut)) >= 10, 30),
                            node.tail())
            self.a.stop("immediate")
            self.start_standby()
            as_server_user([f"{PG_BIN}/pg_ctl", "-D", self.b.data, "-w", "-t", "60", "promote"],
                           stdout=subprocess.DEVNULL)
            t_promoted = time.monotonic()
            self.assertTrue(load.wait_for(lambda: len(load.acked(since=t_promoted)) >= 5, 45),
                            node.tail())
        finally:
            load.stop.set()
            for t in load.threads:
                t.join(timeout=90)
            self.assertIsNone(node.proc.poll(), f"serve died: {node.tail()}")
            self.assertEqual(node.stop(), 0, node.tail())
        acked = {control_id(messages[e[2]]) for e in load.acked(kinds=("ack",))}
        lost = sorted(c for c in acked if c not in self.stored())
        print(f"negative control: {len(lost)} of {len(acked)} acknowledged messages not on the "
              f"promoted asynchronous standby", file=sys.stderr)
        self.assertGreater(len(lost), 0, "the check of the promoted server sees no loss")
        self.assertFalse(SANITIZER.search(pathlib.Path(node.log).read_text(errors="replace")))

if __name__ == "__main__":
    hbtest.BINARY = sys.argv.pop(1)
    unittest.main()
