#!/usr/bin/python3
"""End-to-end tests of `heartbase serve`: MLLP over loopback with Debian's mllp_send as an
independent client and a raw-socket client; crash safety under kill -9 with 16 connections.
Usage: serve_test.py HEARTBASE_BINARY   (run by ctest)."""
import os
import pathlib
import random
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

BINARY = None
VT, FS, CR = b"\x0b", b"\x1c", b"\r"


def run(*args, check=0):
    p = subprocess.run([BINARY, *args], capture_output=True, timeout=600)
    assert p.returncode == check, (p.returncode, p.stderr.decode(errors="replace")[-2000:])
    return p


def rss_kib(pid):
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))


class Server:
    def __init__(self, data, *extra, env=None):
        # The operational log goes to a file: a pipe nobody reads would fill up and stall the server.
        self.log = pathlib.Path(data).parent / f"serve-{time.monotonic_ns()}.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([BINARY, "serve", "--data", str(data), "--mllp-listen",
                                          "127.0.0.1:0", "--https-listen", "none", *extra],
                                         stdout=subprocess.PIPE,
                                         stderr=log, env=env)
        line = self.proc.stdout.readline().decode()
        m = re.match(r"listening mllp 127\.0\.0\.1:(\d+)", line)
        assert m, f"unexpected first line: {line!r} {self.log.read_text()[-2000:]!r}"
        self.port = int(m.group(1))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout=60) == 0

    def kill(self):
        self.proc.kill()
        self.proc.wait(timeout=60)


def send(port, message, timeout=30, tls=None):
    """Sends one framed message and returns the ACK text (without framing)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        s = tls.wrap_socket(raw, server_hostname="localhost") if tls else raw
        s.sendall(VT + message + FS + CR)
        data = b""
        while not data.endswith(FS + CR):
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError("closed before ACK")
            data += chunk
    return data[1:-2].decode()


def control_id(message):
    return message.split(b"\r", 1)[0].split(b"|")[9].decode()


class ServeTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name)
        self.data = self.dir / "data"
        run("init", "--data", str(self.data))
        gen = self.dir / "gen"
        run("demo-data", "generate", "--patients", "20", "--years", "2", "--seed", "11",
            "--out", str(gen))
        self.files = sorted(gen.rglob("*.hl7"))
        # Canonical CR terminators, as an MLLP gateway sends them.
        self.messages = [re.sub(rb"\r\n|\n|\r", b"\r", f.read_bytes()).strip(b"\r") + b"\r"
                         for f in self.files]

    def tearDown(self):
        self.tmp.cleanup()

    def test_mllp_send_gets_an_ack_after_the_message_is_stored(self):
        server = Server(self.data)
        try:
            f = self.dir / "one.hl7"
            f.write_bytes(self.messages[0])
            out = subprocess.run(["/usr/bin/mllp_send", "--loose", "--file", str(f), "-p",
                                  str(server.port), "127.0.0.1"], capture_output=True, timeout=60)
            self.assertEqual(out.returncode, 0, out.stderr)
            ack = out.stdout.decode().replace("\r", "\n")
            self.assertRegex(ack, r"MSA\|[AC]A\|" + re.escape(control_id(self.messages[0])))
            ack2 = send(server.port, self.messages[1])
            self.assertRegex(ack2, r"MSA\|[AC]A\|" + re.escape(control_id(self.messages[1])))
            # A message type heartbase does not take (scheduling) is rejected.
            bad = send(server.port, b"MSH|^~\\&|X|Y|||2026||SIU^S12|Q1|P|2.5\rPID|||1\r")
            self.assertIn("MSA|AR|Q1", bad)
            self.assertIn("ERR|", bad)
        finally:
            server.stop()
        # The stored messages are found again: importing them reports duplicates only.
        p = run("import", "--data", str(self.data), str(self.files[0]), str(self.files[1]))
        self.assertIn("0 stored, 2 duplicate", p.stdout.decode())

    def test_watched_folder_moves_files_only_after_commit_and_logs_no_patient_data(self):
        drop = self.dir / "drop"
        drop.mkdir()
        server = Server(self.data, "--watch", str(drop), "--watch-interval-ms", "100")
        try:
            # A complete file, a batch of two, a file that is not HL7, and one still being written
            # under a dot-name, which must be left alone.
            (drop / "one.hl7").write_bytes(self.messages[0])
            (drop / "batch.hl7").write_bytes(self.messages[1] + self.messages[2])
            (drop / "junk.txt").write_bytes(b"hello, not a message")
            (drop / ".partial.hl7").write_bytes(self.messages[3][:100])
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and any(
                    p.is_file() and not p.name.startswith(".") for p in drop.iterdir()):
                time.sleep(0.1)
            self.assertEqual(sorted(p.name for p in (drop / "done").iterdir()),
                             ["batch.hl7", "one.hl7"])
            self.assertEqual([p.name for p in (drop / "failed").iterdir()], ["junk.txt"])
            self.assertTrue((drop / ".partial.hl7").exists())
            # The same file again: already stored, so it is done, under a new name.
            (drop / "one.hl7").write_bytes(self.messages[0])
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (drop / "one.hl7").exists():
                time.sleep(0.1)
            self.assertTrue((drop / "done" / "one.hl7.1").exists())
        finally:
            server.stop()
        p = run("import", "--data", str(self.data), *map(str, self.files[:3]))
        self.assertIn("0 stored, 3 duplicate", p.stdout.decode())
        log = server.log.read_text()
        self.assertRegex(log, r"info watch.file inode=\d+ stored=2 duplicate=0 control_id_reused=0 quarantined=0")
        self.assertRegex(log, r"warn watch.file inode=\d+ stored=0 duplicate=0 control_id_reused=0 quarantined=1")
        # No name, MRN, birth date or serial of any message sent appears in the log.
        for m in self.messages[:4]:
            pid = next(l for l in m.split(b"\r") if l.startswith(b"PID|")).split(b"|")
            secrets = [pid[5].split(b"^")[0], pid[7][:8]]
            secrets += [c.split(b"^")[0] for c in pid[3].split(b"~")]
            for secret in secrets:
                if len(secret) >= 4:
                    self.assertNotIn(secret.decode(errors="replace"), log)
        self.assertNotIn("one.hl7", log)

    def test_protocol_abuse_closes_the_connection_and_others_are_still_served(self):
        # In the sanitizer build freed memory waits in AddressSanitizer's quarantine (256 MB) before
        # it is reused, which would read as growth; a small quarantine leaves what is kept.
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"),
                                                     "quarantine_size_mb=1"]))
        server = Server(self.data, env=env)
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
                s.sendall(b"no start byte here")
                self.assertEqual(s.recv(100), b"")  # closed
            # 1,000 idle connections, far more than the cap (64): the longest idle are closed, a
            # real sender is still served, and the server's memory stays where it was.
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            if soft != resource.RLIM_INFINITY and soft < 1100:
                resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
            ack = send(server.port, self.messages[1])
            self.assertIn("|" + control_id(self.messages[1]), ack)
            before = rss_kib(server.proc.pid)
            idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(1000)]
            time.sleep(0.5)
            ack = send(server.port, self.messages[2])
            self.assertIn("|" + control_id(self.messages[2]), ack)
            grown = rss_kib(server.proc.pid) - before
            self.assertLess(grown, 16 * 1024, "memory must not grow with idle connections")
            for s in idle:
                s.close()
        finally:
            server.stop()

    def test_kill_9_loses_no_acknowledged_message_and_stores_none_twice(self):
        acked = set()
        lock = threading.Lock()
        server = Server(self.data)
        stop = threading.Event()

        def sender(k):
            for i in range(k, len(self.messages), 16):
                if stop.is_set():
                    return
                try:
                    ack = send(server.port, self.messages[i], timeout=10)
                except OSError:
                    return
                if re.search(r"MSA\|[AC]A\|", ack):
                    with lock:
                        acked.add(i)

        threads = [threading.Thread(target=sender, args=(k,)) for k in range(16)]
        for t in threads:
            t.start()
        time.sleep(random.uniform(0.3, 1.5))
        server.kill()
        stop.set()
        for t in threads:
            t.join()
        self.assertGreater(len(acked), 0)
        # After a restart every acknowledged message is there exactly once.
        server = Server(self.data)
        try:
            for i in sorted(acked)[:50]:
                ack = send(server.port, self.messages[i])
                self.assertRegex(ack, r"MSA\|[AC]A\|")
        finally:
            server.stop()
        listing = self.dir / "acked"
        listing.mkdir()
        for i in acked:
            (listing / f"{i:05}.hl7").write_bytes(self.messages[i])
        p = run("import", "--data", str(self.data), str(listing))
        self.assertIn(f"0 stored, {len(acked)} duplicate, 0 quarantined", p.stdout.decode())


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


class TlsTest(ServeTest):
    """MLLP over TLS: client certificates required, and each certificate may only speak for the
    senders it is allowed to."""

    def make_pki(self):
        d = self.dir
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Test CA",
                cwd=d)
        for name, cn in (("server", "localhost"), ("client", "gw.merlin.test")):
            openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)
            (d / f"{name}.ext").write_text(f"subjectAltName=DNS:{cn}\n")
            openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                    "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile",
                    f"{name}.ext", cwd=d)
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "rogue.key", "-out", "rogue.pem", "-days", "2", "-subj",
                "/CN=gw.merlin.test", cwd=d)

    def client_context(self, name):
        import ssl
        ctx = ssl.create_default_context(cafile=str(self.dir / "ca.pem"))
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if name:
            ctx.load_cert_chain(str(self.dir / f"{name}.pem"), str(self.dir / f"{name}.key"))
        return ctx

    def test_mutual_tls_and_sender_allowlist(self):
        import ssl
        self.make_pki()
        # The Abbott sender in the generated data is MERLIN.NET|SJM.
        abbott = next(m for m in self.messages if b"|MERLIN.NET|SJM|" in m.split(b"\r", 1)[0])
        other = next(m for m in self.messages if b"|MERLIN.NET|SJM|" not in m.split(b"\r", 1)[0])
        server = Server(self.data, "--mllp-tls-cert", str(self.dir / "server.pem"),
                        "--mllp-tls-key", str(self.dir / "server.key"),
                        "--mllp-client-ca", str(self.dir / "ca.pem"),
                        "--mllp-sender", "gw.merlin.test=MERLIN.NET|SJM")
        try:
            ack = send(server.port, abbott, tls=self.client_context("client"))
            self.assertRegex(ack, r"MSA\|[AC]A\|" + re.escape(control_id(abbott)))
            # The same certificate may not speak for another manufacturer's gateway.
            refused = send(server.port, other, tls=self.client_context("client"))
            self.assertRegex(refused, r"MSA\|[AC]R\|")
            self.assertIn("not allowed for certificate", refused)
            # No certificate, or one from outside the CA: no session at all.
            for name in (None, "rogue"):
                with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
                    send(server.port, abbott, tls=self.client_context(name))
            # Plaintext MLLP to the TLS port gets nothing either.
            with self.assertRaises((ConnectionError, OSError)):
                send(server.port, abbott, timeout=5)
        finally:
            server.stop()

    def test_server_closes_with_close_notify(self):
        # Bytes outside a frame make the server close. With suppress_ragged_eofs=False the client
        # raises ssl.SSLEOFError unless the close began with a TLS close_notify, so an ACK cut
        # short could not pass for a complete one.
        self.make_pki()
        server = Server(self.data, "--mllp-tls-cert", str(self.dir / "server.pem"),
                        "--mllp-tls-key", str(self.dir / "server.key"),
                        "--mllp-client-ca", str(self.dir / "ca.pem"),
                        "--mllp-sender", "gw.merlin.test=MERLIN.NET|SJM")
        try:
            ctx = self.client_context("client")
            for garbage in (b"no start byte here", VT + b"MSH|" + FS + b"x"):
                with self.subTest(garbage=garbage):
                    raw = socket.create_connection(("127.0.0.1", server.port), timeout=30)
                    with ctx.wrap_socket(raw, server_hostname="localhost",
                                         suppress_ragged_eofs=False) as s:
                        s.sendall(garbage)
                        self.assertEqual(s.recv(100), b"")
        finally:
            server.stop()
        self.assertNotIn("error", server.log.read_text())

    # The plaintext tests of the parent class are not repeated here.
    test_mllp_send_gets_an_ack_after_the_message_is_stored = None
    test_protocol_abuse_closes_the_connection_and_others_are_still_served = None
    test_kill_9_loses_no_acknowledged_message_and_stores_none_twice = None


if __name__ == "__main__":
    BINARY = sys.argv.pop(1)
    unittest.main(verbosity=1)
