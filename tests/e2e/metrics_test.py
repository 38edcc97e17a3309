#!/usr/bin/python3
"""The metrics listener (docs/operations.md, "Monitoring"): Prometheus counters per sender and
outcome, the acknowledgment histogram, HTTPS requests by route, queue depths, database sizes; no
patient data in any label; at most 256 sender labels however many names senders claim; scrapes
during ingest; readiness; loopback only.
Usage: metrics_test.py HEARTBASE_BINARY   (run by ctest as e2e_metrics)."""
import http.client
import pathlib
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import hbtest  # noqa: E402
from hbtest import run, send, demo_messages  # noqa: E402

SAMPLE = re.compile(r'^([a-z_]+)(\{[^}]*\})? (\S+)$')


def scrape(addr, path="/metrics", method="GET"):
    host, port = addr.rsplit(":", 1)
    c = http.client.HTTPConnection(host, int(port), timeout=60)
    c.request(method, path)
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    return r.status, body


def samples(text):
    """{(name, labels): value} of an exposition; asserts every line is well-formed."""
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        assert m, f"malformed sample line: {line!r}"
        out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


class Metrics(unittest.TestCase):
    def test_metrics_and_readiness(self):
        with tempfile.TemporaryDirectory() as tmp:
            d = pathlib.Path(tmp)
            data = d / "data"
            run("init", "--data", str(data))
            _, messages = demo_messages(d / "gen", patients=3, years=1, seed=11)
            # A metrics listener beyond loopback is refused (plain HTTP).
            p = subprocess.run([hbtest.BINARY, "serve", "--data", str(data), "--mllp-listen",
                                "127.0.0.1:0", "--https-listen", "none", "--metrics-listen",
                                "0.0.0.0:0"], capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 1)
            self.assertIn("--metrics-listen", p.stderr.decode())

            proc = subprocess.Popen([hbtest.BINARY, "serve", "--data", str(data), "--mllp-listen",
                                     "127.0.0.1:0", "--https-listen", "127.0.0.1:0",
                                     "--metrics-listen", "127.0.0.1:0"],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            try:
                lines = [proc.stdout.readline().decode() for _ in range(3)]
                ports = {m.group(1): m.group(2) for m in
                         (re.match(r"listening (\w+) (\S+)", l) for l in lines) if m}
                mllp = int(ports["mllp"].rsplit(":", 1)[1])
                metrics = ports["metrics"]
                self.assertEqual(scrape(metrics, "/ready")[0], 200)
                self.assertEqual(scrape(metrics, "/metrics", "POST")[0], 405)
                self.assertEqual(scrape(metrics, "/other")[0], 404)

                sender = messages[0].split(b"|")[2].split(b"^")[0].decode() + "|" + \
                    messages[0].split(b"|")[3].split(b"^")[0].decode()
                # Scrapes while messages arrive: every one well-formed.
                stop = threading.Event()
                problems = []

                def scraper():
                    while not stop.is_set():
                        try:
                            status, body = scrape(metrics)
                            assert status == 200
                            samples(body)
                        except Exception as e:  # noqa: BLE001
                            problems.append(repr(e))
                            return
                t = threading.Thread(target=scraper)
                t.start()
                for m in messages[:10]:
                    self.assertRegex(send(mllp, m), r"MSA\|[AC]A\|")
                send(mllp, messages[0])  # a duplicate
                send(mllp, b"not hl7 at all")
                # Senders that name themselves differently each time: bounded labels.
                for i in range(300):
                    send(mllp, f"MSH|^~\\&|S{i}|F|||20260101||ADT^A99|X{i}|P|2.5\r".encode())
                stop.set()
                t.join()
                self.assertEqual(problems, [])

                ctx = ssl.create_default_context(cafile=str(data / "tls" / "cert.pem"))
                c = http.client.HTTPSConnection("localhost", int(ports["https"].rsplit(":", 1)[1]),
                                                context=ctx, timeout=60)
                c.request("GET", "/api/v1/health")
                c.getresponse().read()
                c.close()

                status, text = scrape(metrics)
                self.assertEqual(status, 200)
                s = samples(text)
                stored = s[("heartbase_messages_total", f'{{sender="{sender}",outcome="stored"}}')]
                self.assertGreaterEqual(stored, 1)
                total_stored = sum(v for (n, l), v in s.items()
                                   if n == "heartbase_messages_total" and 'outcome="stored"' in l)
                self.assertEqual(total_stored, 10)
                self.assertEqual(sum(v for (n, l), v in s.items() if n == "heartbase_messages_total"
                                     and 'outcome="duplicate"' in l), 1)
                self.assertEqual(s[("heartbase_ack_latency_seconds_count", "")], 312)
                self.assertEqual(s[("heartbase_ack_latency_seconds_bucket", '{le="+Inf"}')], 312)
                senders = {l for (n, l), _ in s.items() if n == "heartbase_messages_total"}
                names = {re.search(r'sender="([^"]*)"', l).group(1) for l in senders}
                self.assertLessEqual(len(names), 256)
                self.assertIn("other", names)
                self.assertEqual(s[("heartbase_quarantine_open", "")], 301)
                self.assertGreaterEqual(sum(v for (n, _), v in s.items()
                                            if n == "heartbase_triage_queue"), 10)
                self.assertEqual(s[("heartbase_http_requests_total",
                                    '{route="/api/v1/health",status="200"}')], 1)
                self.assertGreater(s[("heartbase_database_bytes", "")], 0)
                self.assertIn(("heartbase_sender_last_message_timestamp_seconds",
                               f'{{sender="{sender}"}}'), s)
                self.assertEqual(s[("heartbase_database_damaged", "")], 0)
                # No patient data in the exposition: no name or MRN of the messages sent.
                for m in messages[:10]:
                    pid = next(seg for seg in m.split(b"\r") if seg.startswith(b"PID|"))
                    fields = pid.split(b"|")
                    for value in (fields[3].split(b"^")[0], fields[5].split(b"^")[0]):
                        if len(value) >= 4:
                            self.assertNotIn(value.decode(errors="replace"), text)
            finally:
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(timeout=60), 0)
                proc.stdout.close()


if __name__ == "__main__":
    hbtest.BINARY = sys.argv.pop(1)
    unittest.main(verbosity=2)
