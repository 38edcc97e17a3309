"""Shared helpers of the end-to-end tests: running the heartbase binary, a `heartbase serve`
process, sending an MLLP frame, reading a message's control id, and demo messages with canonical
CR terminators. A test sets hbtest.BINARY from its command line before using them."""
import http.client
import json
import pathlib
import re
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

BINARY = None
VT, FS, CR = b"\x0b", b"\x1c", b"\r"


def run(*args, check=0, stdin=None):
    """Runs `heartbase ARGS…` (with `stdin` bytes as its input) and asserts its exit status;
    returns the CompletedProcess."""
    p = subprocess.run([BINARY, *args], input=stdin, capture_output=True, timeout=600)
    assert p.returncode == check, (p.returncode, p.stdout.decode(errors="replace")[-2000:],
                                   p.stderr.decode(errors="replace")[-2000:])
    return p


def send(port, message, timeout=60):
    """Sends one framed message over plaintext MLLP and returns the ACK text (without framing)."""
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


def demo_messages(directory, patients, years, seed):
    """Generates a demo clinic into `directory`; returns (files, messages), the messages with CR
    terminators as an MLLP gateway sends them."""
    run("demo-data", "generate", "--patients", str(patients), "--years", str(years), "--seed",
        str(seed), "--out", str(directory))
    files = sorted(directory.rglob("*.hl7"))
    return files, [re.sub(rb"\r\n|\n|\r", b"\r", f.read_bytes()).strip(b"\r") + b"\r"
                   for f in files]


class Serve:
    """`heartbase serve --data DATA` with MLLP (and, with https=True, HTTPS) on loopback ports the
    system picks; its operational log goes to `log` (default: beside DATA)."""

    def __init__(self, data, *extra, https=False, log=None):
        self.log = pathlib.Path(log) if log else (
            pathlib.Path(data).parent / f"serve-{pathlib.Path(data).name}-{time.monotonic_ns()}.log")
        with open(self.log, "wb") as f:
            self.proc = subprocess.Popen(
                [BINARY, "serve", "--data", str(data), "--mllp-listen", "127.0.0.1:0",
                 "--https-listen", "127.0.0.1:0" if https else "none", *extra],
                stdout=subprocess.PIPE, stderr=f)
        line = self.proc.stdout.readline().decode()
        m = re.match(r"listening mllp 127\.0\.0\.1:(\d+)", line)
        assert m, f"unexpected first line: {line!r} {self.tail()!r}"
        self.port = int(m.group(1))
        if https:
            line = self.proc.stdout.readline().decode()
            m = re.search(r"listening https 127\.0\.0\.1:(\d+)", line)
            assert m, f"unexpected line: {line!r}"
            self.https_port = int(m.group(1))
            self.ctx = ssl.create_default_context(cafile=str(pathlib.Path(data) / "tls" / "cert.pem"))

    def tail(self):
        return self.log.read_text(errors="replace")[-4000:]

    def request(self, method, path, body=None, headers=None):
        """One HTTPS request; returns (response, body text)."""
        c = http.client.HTTPSConnection("localhost", self.https_port, context=self.ctx, timeout=30)
        h = {"Content-Type": "application/json"} if body is not None else {}
        h.update(headers or {})
        c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        r = c.getresponse()
        data = r.read().decode()
        c.close()
        return r, data

    def stop(self):
        """SIGTERM; returns the exit status."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=60)
        self.proc.stdout.close()
        return code

    def kill(self):
        self.proc.kill()
        self.proc.wait(timeout=60)
        self.proc.stdout.close()


class DemoClinicTest(unittest.TestCase):
    """A test case whose tests share one demo clinic, generated once for the class: 40 patients
    over 2 years (seed 21), as cls.messages (CR terminators), each message once."""

    @classmethod
    def setUpClass(cls):
        cls.shared = tempfile.TemporaryDirectory()
        _, cls.messages = demo_messages(pathlib.Path(cls.shared.name) / "demo", 40, 2, 21)

    @classmethod
    def tearDownClass(cls):
        cls.shared.cleanup()
