#!/usr/bin/python3
"""End-to-end tests of the HTTPS API of `heartbase serve`: TLS versions and suites (openssl
s_client), sign-in, cookies, the patient routes over a real socket, request limits, a secure first
start, and operational logs free of patient data, passwords and tokens.
Usage: https_test.py HEARTBASE_BINARY   (run by ctest)."""
import http.client
import json
import os
import pathlib
import re
import resource
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

BINARY = None
PASSWORD = "lantern orchard velvet summit"
CANARY_FAMILY = "Qorvanthe"
CANARY_MRN = "MRN4417730"


def run(*args, stdin=None, check=0):
    p = subprocess.run([BINARY, *args], input=stdin, capture_output=True, timeout=300)
    assert p.returncode == check, (p.returncode, p.stderr.decode(errors="replace")[-2000:])
    return p


def message(control, serial, family, mrn):
    return (f"MSH|^~\\&|CARELINK|MDT|||20260101120500+0000||ORU^R01^ORU_R01|{control}|P|2.6|||AL|NE\r"
            f"PID|||model:A3DR01/serial:{serial}^^^MDT^U~{mrn}^^^HOSP^MR||{family}^Jane||19480312|F\r"
            f"OBR|1||S-{control}|754053^MDC_IDC_ENUM_SESS_TYPE_RemoteScheduled^MDC|||20260101120000+0000\r"
            "OBX|1|CWE|720897^MDC_IDC_DEV_TYPE^MDC||753665^MDC_IDC_ENUM_DEV_TYPE_IPG^MDC\r"
            f"OBX|2|ST|720899^MDC_IDC_DEV_SERIAL^MDC||{serial}\r"
            "OBX|3|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC||2.95|V\r").encode()


class Server:
    def __init__(self, data, listen="127.0.0.1:0", expect_start=True):
        self.log = pathlib.Path(data).parent / f"serve-{time.monotonic_ns()}.log"
        # In sanitizer builds, freed memory waits in a quarantine and would look like growth.
        env = dict(os.environ, ASAN_OPTIONS="quarantine_size_mb=0:detect_leaks=0")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([BINARY, "serve", "--data", str(data), "--mllp-listen",
                                          "127.0.0.1:0", "--https-listen", listen],
                                         stdout=subprocess.PIPE, stderr=log, env=env)
        if not expect_start:
            return
        out = self.proc.stdout.readline().decode() + self.proc.stdout.readline().decode()
        m = re.search(r"listening https 127\.0\.0\.1:(\d+)", out)
        assert m, f"unexpected output: {out!r} {self.log.read_text()[-2000:]!r}"
        self.port = int(m.group(1))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout=60) == 0


class HttpsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = pathlib.Path(cls.tmp.name)
        cls.data = cls.dir / "data"
        out = run("init", "--data", str(cls.data)).stdout.decode()
        token = re.search(r"hbb_[a-z0-9]+", out).group(0)
        run("user", "add", "--data", str(cls.data), "--name", "admin", "--role", "administrator",
            "--bootstrap-token", token, stdin=(PASSWORD + "\n").encode())
        run("user", "add", "--data", str(cls.data), "--name", "nurse", "--role",
            "device_clinician", stdin=(PASSWORD + "\n").encode())
        run("user", "add", "--data", str(cls.data), "--name", "elsewhere", "--role", "physician",
            "--clinic", "2", stdin=(PASSWORD + "\n").encode(), check=1)  # no clinic 2 yet
        run("user", "add", "--data", str(cls.data), "--name", "gateway", "--role", "integration",
            "--no-password")
        cls.token = run("token", "create", "--data", str(cls.data), "--user", "gateway",
                        "--scope", "patient.read").stdout.decode().strip()
        msg = cls.dir / "m.hl7"
        msg.write_bytes(message("C1", "PZK600806S", CANARY_FAMILY, CANARY_MRN))
        run("import", "--data", str(cls.data), str(msg))
        cls.server = Server(cls.data)
        cls.ctx = ssl.create_default_context(cafile=str(cls.data / "tls" / "cert.pem"))

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    def request(self, method, path, body=None, headers=None):
        c = http.client.HTTPSConnection("localhost", self.server.port, context=self.ctx,
                                        timeout=30)
        h = {"Content-Type": "application/json"} if body is not None else {}
        h.update(headers or {})
        c.request(method, path, body=json.dumps(body) if isinstance(body, dict) else body,
                  headers=h)
        r = c.getresponse()
        data = r.read().decode()
        c.close()
        return r, data

    def s_client(self, *args):
        p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{self.server.port}",
                            "-servername", "localhost", *args], input=b"Q\n",
                           capture_output=True, timeout=60)
        return p.returncode == 0 and b"Cipher is (NONE)" not in p.stdout

    def test_tls_12_and_13_only_with_forward_secret_aead_suites(self):
        self.assertTrue(self.s_client("-tls1_3"))
        self.assertTrue(self.s_client("-tls1_2"))
        self.assertFalse(self.s_client("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"))
        self.assertFalse(self.s_client("-tls1", "-cipher", "DEFAULT@SECLEVEL=0"))
        self.assertFalse(self.s_client("-tls1_2", "-cipher", "AES128-SHA"))  # no forward secrecy
        self.assertFalse(self.s_client("-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA"))

    def test_sign_in_read_the_patient_and_sign_out(self):
        r, _ = self.request("POST", "/api/v1/auth/login", {"name": "nurse", "password": "nope"})
        self.assertEqual(r.status, 401)
        r, body = self.request("POST", "/api/v1/auth/login", {"name": "nurse", "password": PASSWORD})
        self.assertEqual(r.status, 200, body)
        cookie = r.getheader("Set-Cookie")
        for attr in ("__Host-hb_session=", "Path=/", "Secure", "HttpOnly", "SameSite=Strict"):
            self.assertIn(attr, cookie)
        self.assertIn("max-age=", r.getheader("Strict-Transport-Security"))
        session = cookie.split(";")[0]
        csrf = json.loads(body)["csrf_token"]
        r, body = self.request("GET", f"/api/v1/patients?q={CANARY_MRN}",
                               headers={"Cookie": session})
        self.assertEqual(r.status, 200, body)
        items = json.loads(body)["items"]
        self.assertEqual([p["family_name"] for p in items], [CANARY_FAMILY])
        pid = items[0]["id"]
        r, body = self.request("GET", f"/api/v1/patients/{pid}/trends?code=721344",
                               headers={"Cookie": session})
        self.assertEqual(r.status, 200)
        self.assertEqual(json.loads(body)["series"][0]["points"][0][1], 2.95)
        r, body = self.request("GET", f"/api/v1/interrogations?patient={pid}",
                               headers={"Cookie": session})
        iid = json.loads(body)["items"][0]["id"]
        r, body = self.request("GET", f"/api/v1/interrogations/{iid}", headers={"Cookie": session})
        self.assertEqual(r.status, 200)
        self.assertIn("MDC_IDC_MSMT_BATTERY_VOLTAGE", body)
        r, _ = self.request("POST", "/api/v1/auth/logout", headers={"Cookie": session})
        self.assertEqual(r.status, 403)  # no CSRF token
        r, _ = self.request("POST", "/api/v1/auth/logout",
                            headers={"Cookie": session, "X-CSRF-Token": csrf})
        self.assertEqual(r.status, 200)
        r, _ = self.request("GET", "/api/v1/auth/me", headers={"Cookie": session})
        self.assertEqual(r.status, 401)

    def test_bearer_token_is_scoped(self):
        auth = {"Authorization": f"Bearer {self.token}"}
        r, body = self.request("GET", "/api/v1/patients", headers=auth)
        self.assertEqual(r.status, 200, body)
        r, _ = self.request("GET", "/api/v1/interrogations", headers=auth)
        self.assertEqual(r.status, 403)  # the token was given patient.read only
        r, _ = self.request("GET", "/api/v1/patients", headers={"Authorization": f"Bearer {self.token[:-1]}A"})
        self.assertEqual(r.status, 401)

    def rss_kb(self):
        with open(f"/proc/{self.server.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def huge_bodies(self, n):
        for _ in range(n):
            raw = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
            s = self.ctx.wrap_socket(raw, server_hostname="localhost")
            s.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
                      b"Content-Type: application/json\r\nContent-Length: 4294967296\r\n\r\n{}")
            reply = s.recv(4096)
            self.assertIn(b" 413 ", reply.split(b"\r\n")[0])
            s.close()

    def test_limits_refuse_huge_bodies_slow_heads_and_deep_json(self):
        # A declared 4 GiB body is refused from its head. Sanitizer builds keep freed memory in
        # quarantine, so the bound is loose: buffering even 1 MiB per request would exceed it.
        self.huge_bodies(20)
        before = self.rss_kb()
        self.huge_bodies(50)
        self.assertLess(self.rss_kb() - before, 16 * 1024)
        r, body = self.request("POST", "/api/v1/auth/login", "[" * 200 + "]" * 200)
        self.assertEqual(r.status, 400)
        self.assertIn("correlation_id", body)
        r, _ = self.request("GET", "/api/v1/health", headers={"X-Big": "x" * 10000})
        self.assertEqual(r.status, 431)

    def exchange_until_close(self, request):
        """Sends `request` and reads until the server ends the connection. With
        suppress_ragged_eofs=False a close without TLS close_notify raises ssl.SSLEOFError
        instead of reading as a clean end of stream (the truncation a client could not tell
        from a complete response)."""
        raw = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
        with self.ctx.wrap_socket(raw, server_hostname="localhost",
                                  suppress_ragged_eofs=False) as s:
            s.sendall(request)
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        return data

    def test_server_initiated_closes_end_with_close_notify(self):
        cases = [
            (b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
             b" 200 "),
            (b"NOT A REQUEST LINE\r\n\r\n", b" 400 "),
            (b"\r\n\r\n", b" 400 "),
            (b"GET / HTTP/1.1\r\nHost: localhost\r\nBad Field\r\n\r\n", b" 400 "),
        ]
        for request, status in cases:
            with self.subTest(request=request):
                reply = self.exchange_until_close(request)
                self.assertIn(status, reply.split(b"\r\n")[0])
                self.assertIn(b"\r\nConnection: close\r\n", reply)

    def test_s_client_sees_no_unexpected_eof(self):
        p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{self.server.port}",
                            "-servername", "localhost", "-quiet", "-ign_eof"],
                           input=b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n"
                                 b"Connection: close\r\n\r\n",
                           capture_output=True, timeout=60)
        self.assertIn(b" 200 ", p.stdout.split(b"\r\n")[0])
        self.assertNotIn(b"unexpected eof", p.stderr)

    def test_zz_logs_hold_no_patient_data_passwords_or_tokens(self):
        self.test_sign_in_read_the_patient_and_sign_out()
        log = self.server.log.read_text()
        self.assertIn("info http method=GET", log)
        for secret in (CANARY_FAMILY, CANARY_MRN, "PZK600806S", "19480312", PASSWORD, self.token,
                       "__Host-hb_session="):
            self.assertNotIn(secret, log)


class FirstStartTest(unittest.TestCase):
    def test_network_listener_needs_an_administrator(self):
        with tempfile.TemporaryDirectory() as tmp:
            data = pathlib.Path(tmp) / "data"
            run("init", "--data", str(data))
            s = Server(data, listen="0.0.0.0:0", expect_start=False)
            self.assertEqual(s.proc.wait(timeout=60), 1)
            self.assertIn("administrator", s.log.read_text())


if __name__ == "__main__":
    BINARY = sys.argv.pop(1)
    unittest.main()
