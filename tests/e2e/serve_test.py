#!/usr/bin/python3
"""End-to-end tests of `heartbase serve`: MLLP over loopback with Debian's mllp_send as an
independent client and a raw-socket client; crash safety under kill -9 with 16 connections.
Usage: serve_test.py HEARTBASE_BINARY   (run by ctest)."""
import pathlib
import random
import re
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


class Server:
    def __init__(self, data):
        self.proc = subprocess.Popen([BINARY, "serve", "--data", str(data), "--mllp-listen",
                                      "127.0.0.1:0"], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        line = self.proc.stdout.readline().decode()
        m = re.match(r"listening mllp 127\.0\.0\.1:(\d+)", line)
        assert m, f"unexpected first line: {line!r} {self.proc.stderr.read(2000)!r}"
        self.port = int(m.group(1))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout=60) == 0

    def kill(self):
        self.proc.kill()
        self.proc.wait(timeout=60)


def send(port, message, timeout=30):
    """Sends one framed message and returns the ACK text (without framing)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
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
            bad = send(server.port, b"MSH|^~\\&|X|Y|||2026||ADT^A01|Q1|P|2.5\rPID|||1\r")
            self.assertIn("MSA|AR|Q1", bad)
            self.assertIn("ERR|", bad)
        finally:
            server.stop()
        # The stored messages are found again: importing them reports duplicates only.
        p = run("import", "--data", str(self.data), str(self.files[0]), str(self.files[1]))
        self.assertIn("0 stored, 2 duplicate", p.stdout.decode())

    def test_protocol_abuse_closes_the_connection_and_others_are_still_served(self):
        server = Server(self.data)
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
                s.sendall(b"no start byte here")
                self.assertEqual(s.recv(100), b"")  # closed
            idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(20)]
            ack = send(server.port, self.messages[2])
            self.assertIn("|" + control_id(self.messages[2]), ack)
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


if __name__ == "__main__":
    BINARY = sys.argv.pop(1)
    unittest.main(verbosity=1)
