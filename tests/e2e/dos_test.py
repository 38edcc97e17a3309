#!/usr/bin/python3
"""End-to-end tests of `heartbase serve` under slow-client attacks (issue 17): stalled partial MLLP
frames from many connections, and slow HTTPS heads and bodies from several 127.0.0.x addresses
(Linux routes all of 127.0.0.0/8 to loopback), while a legitimate client must be answered within
a second. Short rate windows via flags keep the run to seconds.
Usage: dos_test.py HEARTBASE_BINARY   (run by ctest)."""
import os
import pathlib
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

BINARY = None
ATTACK_SECONDS = 6  # the attack is held this long; longer than several rate windows
RATE_WINDOW_MS = 1000
LEGIT_DEADLINE = 1.0  # seconds a legitimate client may wait for its answer


def run(*args):
    p = subprocess.run([BINARY, *args], capture_output=True, timeout=300)
    assert p.returncode == 0, p.stderr.decode(errors="replace")[-2000:]
    return p


def message(control):
    return (f"MSH|^~\\&|CARELINK|MDT|||20260101120500+0000||ORU^R01^ORU_R01|{control}|P|2.6|||AL|NE\r"
            f"PID|||model:A3DR01/serial:PZK{control}S^^^MDT^U~MRN{control}^^^HOSP^MR||Doe^Jane||19480312|F\r"
            f"OBR|1||S-{control}|754053^MDC_IDC_ENUM_SESS_TYPE_RemoteScheduled^MDC|||20260101120000+0000\r"
            "OBX|1|CWE|720897^MDC_IDC_DEV_TYPE^MDC||753665^MDC_IDC_ENUM_DEV_TYPE_IPG^MDC\r"
            "OBX|2|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC||2.95|V\r").encode()


def connect(port, source, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
    except OSError:
        s.close()
        raise
    return s


class Attack:
    """Keeps `per_address` connections open from each source address, each started with
    `opening(sock)` (which returns the socket to hold) and then left stalled; a connection the
    server closes is replaced."""

    def __init__(self, port, sources, per_address, opening):
        self.port, self.sources, self.per_address, self.opening = port, sources, per_address, opening
        self.stop = threading.Event()
        self.opened = 0
        self.threads = [threading.Thread(target=self.hold, args=(src,), daemon=True)
                        for src in sources]

    def hold(self, source):
        socks = []
        while not self.stop.is_set():
            for s in [s for s in socks if self.closed(s)]:
                s.close()
                socks.remove(s)
            while len(socks) < self.per_address and not self.stop.is_set():
                try:
                    socks.append(self.opening(connect(self.port, source, timeout=2.0)))
                    self.opened += 1
                except OSError:
                    time.sleep(0.02)  # refused or reset at once: try again
                    break
            time.sleep(0.05)
        for s in socks:
            s.close()

    @staticmethod
    def closed(s):
        s.setblocking(False)
        try:
            return s.recv(65536) == b""  # EOF; data (an error answer) means closing too
        except (BlockingIOError, ssl.SSLWantReadError):
            return False
        except OSError:
            return True
        finally:
            s.setblocking(True)

    def __enter__(self):
        for t in self.threads:
            t.start()
        time.sleep(1.0)  # let the crowd fill the cap
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=10)


class DosTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.data = pathlib.Path(cls.tmp.name) / "data"
        run("init", "--data", str(cls.data))
        cls.log = pathlib.Path(cls.tmp.name) / "serve.log"
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
        with open(cls.log, "wb") as log:
            cls.proc = subprocess.Popen(
                [BINARY, "serve", "--data", str(cls.data), "--mllp-listen", "127.0.0.1:0",
                 "--https-listen", "127.0.0.1:0",
                 # The caps of the reports, with short rate windows.
                 "--mllp-max-connections", "64", "--mllp-rate-window-ms", str(RATE_WINDOW_MS),
                 "--https-max-connections", "64", "--https-max-per-address", "4",
                 "--https-rate-window-ms", str(RATE_WINDOW_MS)],
                stdout=subprocess.PIPE, stderr=log, env=env)
        out = cls.proc.stdout.readline().decode() + cls.proc.stdout.readline().decode()
        mllp = re.search(r"listening mllp 127\.0\.0\.1:(\d+)", out)
        https = re.search(r"listening https 127\.0\.0\.1:(\d+)", out)
        assert mllp and https, f"unexpected output: {out!r} {cls.log.read_text()[-2000:]!r}"
        cls.mllp_port, cls.https_port = int(mllp.group(1)), int(https.group(1))
        cls.ctx = ssl.create_default_context(cafile=str(cls.data / "tls" / "cert.pem"))
        cls.control = 0

    @classmethod
    def tearDownClass(cls):
        cls.proc.send_signal(signal.SIGTERM)
        cls.proc.wait(timeout=60)
        cls.proc.stdout.close()
        cls.tmp.cleanup()

    def mllp_send(self):
        """One real message from 127.0.0.1; returns (ACK text, seconds it took)."""
        DosTest.control += 1
        t0 = time.monotonic()
        with connect(self.mllp_port, "127.0.0.1") as s:
            s.sendall(b"\x0b" + message(f"D{DosTest.control:05d}") + b"\x1c\r")
            ack = b""
            while not ack.endswith(b"\x1c\r"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                ack += chunk
        return ack.decode(errors="replace"), time.monotonic() - t0

    def https_wrap(self, sock):
        return self.ctx.wrap_socket(sock, server_hostname="localhost")

    def health(self, pause=0.0):
        """GET /api/v1/health from 127.0.0.1 over TLS, `pause` seconds between the TCP connect and
        the TLS handshake (a slow client or a loaded machine); returns (status line, seconds)."""
        t0 = time.monotonic()
        sock = connect(self.https_port, "127.0.0.1")
        time.sleep(pause)
        with self.https_wrap(sock) as s:
            s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            reply = b""
            while b"\r\n" not in reply:
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
        return reply.split(b"\r\n")[0].decode(errors="replace"), time.monotonic() - t0

    def log_text(self):
        return self.log.read_text(errors="replace")

    def log_tail(self):
        """The server's last log lines about 127.0.0.1, the legitimate client, for a failure."""
        lines = [l for l in self.log_text().splitlines() if '"127.0.0.1"' in l]
        return "\n".join(lines[-10:])

    def test_stalled_mllp_frames_do_not_keep_a_real_sender_out(self):
        # 100 connections from 20 addresses, each beginning a frame and stopping: more than the
        # 64-connection cap, none idle. The sender's message must still be acknowledged.
        sources = [f"127.0.0.{i}" for i in range(2, 22)]
        def stalled_frame(sock):
            sock.sendall(b"\x0bMSH|^~\\&|")
            return sock

        with Attack(self.mllp_port, sources, 5, stalled_frame) as attack:
            deadline = time.monotonic() + ATTACK_SECONDS
            while time.monotonic() < deadline:
                ack, took = self.mllp_send()
                self.assertRegex(ack, r"MSA\|[AC]A\|", self.log_tail())
                self.assertLess(took, LEGIT_DEADLINE)
                time.sleep(0.5)
        self.assertGreater(attack.opened, 100)  # the attacker had to reconnect
        log = self.log_text()
        self.assertRegex(log, r"mllp\.(evicted|closed).*127\.0\.0\.\d+")
        self.assertRegex(log, r"mllp\.closed.*too_slow")
        self.assertNotIn("MSH|^~", log)  # addresses and reasons, never message content

    def test_slow_https_bodies_and_heads_do_not_keep_health_checks_out(self):
        # A 1 MB sign-in body is refused from its head (16 KiB before identification), with the
        # same security headers as every other response.
        with self.https_wrap(connect(self.https_port, "127.0.0.1")) as s:
            s.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
                      b"Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{")
            reply = s.recv(65536).decode(errors="replace")
        self.assertIn(" 413 ", reply.split("\r\n")[0])
        for header in ("Content-Security-Policy: ", "frame-ancestors 'none'",
                       "X-Content-Type-Options: nosniff", "Referrer-Policy: no-referrer",
                       "Cache-Control: no-store", "Strict-Transport-Security: "):
            self.assertIn(header, reply)

        def slow_body(sock):
            s = self.https_wrap(sock)
            s.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
                      b"Content-Type: application/json\r\nContent-Length: 16000\r\n\r\n{\"name\"")
            return s

        def slow_head(sock):
            s = self.https_wrap(sock)
            s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: loc")
            return s

        # 16 addresses x 4 connections: the whole 64-connection cap, bodies and heads.
        bodies = Attack(self.https_port, [f"127.0.1.{i}" for i in range(1, 13)], 4, slow_body)
        heads = Attack(self.https_port, [f"127.0.2.{i}" for i in range(1, 5)], 4, slow_head)
        with bodies, heads:
            deadline = time.monotonic() + ATTACK_SECONDS
            pauses = iter([0.0, 2.0] * ATTACK_SECONDS)
            while time.monotonic() < deadline:
                # While a real client waits, the crowd keeps replacing the connections evicted to
                # admit it, so its own are always the youngest: the client with one connection
                # must outlast addresses holding four, however long it has waited.
                pause = next(pauses)
                status, took = self.health(pause)
                self.assertIn(" 200 ", status, self.log_tail())
                self.assertLess(took - pause, LEGIT_DEADLINE)
                time.sleep(0.5)
        self.assertGreater(bodies.opened + heads.opened, 64)
        log = self.log_text()
        self.assertRegex(log, r"http_(too_slow|connection_evicted).*127\.0\.[12]\.\d+")


if __name__ == "__main__":
    BINARY = sys.argv.pop(1)
    unittest.main(verbosity=2)
