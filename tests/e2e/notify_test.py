#!/usr/bin/env python3
"""End to end: `heartbase serve --notify-socket` and `heartbase notify` against local SMTP sinks
(Debian's python3-aiosmtpd, run with /usr/bin/python3).

- A sink with STARTTLS and a certificate from a test CA (generated here with openssl) receives the
  jobs sent to it.
- A sink without TLS and a sink with a self-signed (untrusted) certificate receive nothing; their
  jobs are retried, then dead-lettered.
- A poison job (a pager gateway that accepts the connection and never answers) does not delay the
  next job by more than the pager timeout plus a set margin.
- Forged and oversized frames on the lease socket are refused and serve keeps serving.
- kill -9 of notify, then of serve, while jobs are being delivered: after a restart every job is
  sent, each under one Message-ID (its idempotency key), so a receiver keeps each once.
- Without --notify-socket nothing listens for notify.

Usage: notify_test.py HEARTBASE
"""
import json
import mailbox
import os
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

HEARTBASE = sys.argv[1]
PY = "/usr/bin/python3"  # Debian's python: the one that sees aiosmtpd
FAILURES = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*args, **kw):
    return subprocess.run([HEARTBASE, *args], capture_output=True, text=True, timeout=60, **kw)


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(d):
    # A test CA and a server certificate for 127.0.0.1 it signs; and an unrelated self-signed one.
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.pem", "-days", "2", "-subj", "/CN=heartbase test CA", cwd=d)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "good.key", "-out", "good.csr",
            "-subj", "/CN=127.0.0.1", cwd=d)
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "good.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "good.pem", "-days", "2", "-extfile", "san.ext", cwd=d)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "bad.key", "-out",
            "bad.pem", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
            "subjectAltName=IP:127.0.0.1", cwd=d)


def start_sink(d, name, port, tls=None):
    box = os.path.join(d, "mail-" + name)
    args = [PY, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
    if tls:
        args += ["--tlscert", os.path.join(d, tls + ".pem"),
                 "--tlskey", os.path.join(d, tls + ".key")]
    args += ["-c", "aiosmtpd.handlers.Mailbox", box]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(box + ".log", "w"))
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return p, box
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"sink {name} did not start")


def messages(box):
    if not os.path.isdir(os.path.join(box, "new")):
        return []
    return [m for m in mailbox.Maildir(box, create=False)]


class Blackhole(threading.Thread):
    """Accepts TCP connections and never says a word: the poison destination."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held = []

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
                self.held.append(c)
            except OSError:
                return


def status(data):
    r = run("outbox", "status", "--data", data)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def enqueue(data, to, key, channel="email", attempts=3, backoff_ms=200):
    r = run("outbox", "enqueue-test", "--data", data, "--channel", channel, "--to", to,
            "--idempotency-key", key, "--ticket", "HB-" + key.split(":")[-1],
            "--max-attempts", str(attempts), "--backoff-ms", str(backoff_ms))
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["id"]


def write_config(d, name, sock, key_file, smtp_port=None, pager_port=None, batch=4, lease=30):
    path = os.path.join(d, name + ".toml")
    lines = [f'socket = "{sock}"', f'key_file = "{key_file}"', f'holder = "{name}"',
             f"batch = {batch}", "poll_interval_ms = 100", f"lease_seconds = {lease}"]
    if smtp_port:
        lines += ["[smtp]", f'url = "smtp://127.0.0.1:{smtp_port}"',
                  'from = "heartbase@clinic.example"', f'ca_file = "{d}/ca.pem"',
                  "connect_timeout_ms = 2000", "timeout_ms = 5000"]
    if pager_port:
        lines += ["[pager]", f'url = "https://127.0.0.1:{pager_port}/send"',
                  f'ca_file = "{d}/ca.pem"', "connect_timeout_ms = 1000", "timeout_ms = 1500"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def start_notify(config, log):
    return subprocess.Popen([HEARTBASE, "notify", "--config", config], stdout=subprocess.DEVNULL,
                            stderr=open(log, "w"))


def stop(p):
    p.terminate()
    try:
        return p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return None


def wait_for(pred, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    return pred()


def job_state(data, key):
    s = status(data)
    return s


def main():
    tmp = tempfile.mkdtemp(prefix="hb-notify-e2e-")
    data = os.path.join(tmp, "data")
    procs = []
    try:
        make_certificates(tmp)
        r = run("init", "--data", data)
        check(r.returncode == 0, "init")

        # Off by default: serve without the flag opens no notify socket and writes no key.
        serve = subprocess.Popen([HEARTBASE, "serve", "--data", data, "--mllp-listen",
                                  "127.0.0.1:0", "--https-listen", "none"],
                                 stdout=subprocess.PIPE, stderr=open(tmp + "/serve0.log", "w"),
                                 text=True)
        first = serve.stdout.readline()
        check(first.startswith("listening mllp"), "serve starts without the messaging service")
        found = [f for f in os.listdir(data) if f.startswith("notify")]
        check(found == [], f"no notify socket or key without --notify-socket ({found})")
        stop(serve)

        # A recipient option that cannot be honoured stops start-up with a message naming it.
        for flag, value in (("--notify-signoff", "fax:5551234"), ("--notify-signoff", "email:"),
                            ("--notify-alert", "purple:email:a@b.example")):
            r = run("serve", "--data", data, "--mllp-listen", "127.0.0.1:0", "--https-listen",
                    "none", flag, value)
            check(r.returncode == 1 and flag in r.stderr,
                  f"serve refuses {flag} {value} ({r.returncode}: {r.stderr.strip()})")

        sock = os.path.join(data, "notify", "notify.sock")

        def start_serve(log):
            p = subprocess.Popen([HEARTBASE, "serve", "--data", data, "--mllp-listen",
                                  "127.0.0.1:0", "--https-listen", "none", "--notify-socket",
                                  sock], stdout=subprocess.PIPE, stderr=open(log, "w"), text=True)
            procs.append(p)
            return p, [p.stdout.readline() for _ in range(2)]

        serve, lines = start_serve(tmp + "/serve.log")
        check(any(l.startswith("listening notify " + sock) for l in lines),
              f"serve announces the notify socket ({lines})")
        st = os.stat(sock)
        check(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600, "socket mode 0600")
        check(stat.S_IMODE(os.stat(os.path.dirname(sock)).st_mode) == 0o700, "socket dir 0700")
        key_file = os.path.join(data, "notify.key")
        check(stat.S_IMODE(os.stat(key_file).st_mode) == 0o400, "notify key mode 0400")

        # Forged and oversized frames: refused, the connection dropped, serve unharmed.
        for frame in [b"\x00\x00\x00\x05hello", b"\xff\xff\xff\xff",
                      b"\x00\x00\x00\x40" + b"\x01\x01" + os.urandom(62)]:
            c = socket.socket(socket.AF_UNIX)
            c.connect(sock)
            c.sendall(frame)
            c.settimeout(5)
            try:
                got = c.recv(16)
            except OSError:
                got = b""
            c.close()
            check(got == b"", f"forged frame {frame[:6]!r}... gets no answer")
        check(serve.poll() is None, "serve survives forged frames")

        good_port, plain_port, bad_port = free_port(), free_port(), free_port()
        good, good_box = start_sink(tmp, "good", good_port, tls="good")
        plain, plain_box = start_sink(tmp, "plain", plain_port)
        bad, bad_box = start_sink(tmp, "bad", bad_port, tls="bad")
        procs += [good, plain, bad]

        # 1. STARTTLS with a verified certificate: delivered once each.
        enqueue(data, "oncall@clinic.example", "e2e:good:1")
        enqueue(data, "fellow@clinic.example", "e2e:good:2")
        again = run("outbox", "enqueue-test", "--data", data, "--to", "oncall@clinic.example",
                    "--idempotency-key", "e2e:good:1")
        check(json.loads(again.stdout)["created"] is False, "same idempotency key: not queued twice")
        n = start_notify(write_config(tmp, "good", sock, key_file, smtp_port=good_port),
                         tmp + "/notify-good.log")
        got = wait_for(lambda: len(messages(good_box)) >= 2 and status(data)["sent"] >= 2, 30)
        check(got, "TLS sink receives both jobs and serve records them sent")
        msgs = messages(good_box)
        check(len(msgs) == 2, f"exactly two messages ({len(msgs)})")
        check(sorted(m["To"] for m in msgs) ==
              ["<fellow@clinic.example>", "<oncall@clinic.example>"], "recipients")
        check(all(m["X-Heartbase-Ticket"].startswith("HB-") for m in msgs), "ticket header")
        check(stop(n) == 0, "notify stops cleanly on SIGTERM")

        # 2 and 3. No TLS / untrusted certificate: nothing received, retried, then dead.
        for name, port, box, code in [("plain", plain_port, plain_box, "curl 64"),
                                      ("bad", bad_port, bad_box, "curl 60")]:
            before = status(data)["dead"]
            enqueue(data, "oncall@clinic.example", f"e2e:{name}:1", attempts=3, backoff_ms=200)
            n = start_notify(write_config(tmp, name, sock, key_file, smtp_port=port),
                             f"{tmp}/notify-{name}.log")
            s = wait_for(lambda: status(data)["dead"] > before and status(data), 30)
            stop(n)
            check(bool(s), f"{name}: job dead-lettered")
            if s:
                dl = [j for j in s["dead_letters"] if j["idempotency_key"] == f"e2e:{name}:1"]
                check(len(dl) == 1 and dl[0]["attempts"] == 3,
                      f"{name}: three attempts before the dead letter ({dl})")
                check(len(dl) == 1 and dl[0]["last_error"].startswith(code),
                      f"{name}: last error is {code} ({dl and dl[0]['last_error']})")
            check(messages(box) == [], f"{name}: the sink received nothing")
            with open(f"{tmp}/notify-{name}.log") as f:
                log = f.read()
            check(log.count("notify.failed") == 3, f"{name}: three failed attempts logged")
            check("oncall@clinic.example" not in log, f"{name}: no recipient in notify's log")

        # 4. A poison job (pager gateway that never answers, 1.5 s timeout) ahead of a good job:
        # the good one arrives within the timeout plus a margin, with one job leased at a time.
        hole = Blackhole()
        hole.start()
        bound = 1.5 + 2.5
        n = start_notify(write_config(tmp, "poison", sock, key_file, smtp_port=good_port,
                                      pager_port=hole.port, batch=1), tmp + "/notify-poison.log")
        time.sleep(0.5)
        before = len(messages(good_box))
        t0 = time.time()
        enqueue(data, "4711", "e2e:poison:1", channel="pager", attempts=2, backoff_ms=100)
        enqueue(data, "oncall@clinic.example", "e2e:after-poison:1")
        got = wait_for(lambda: len(messages(good_box)) > before, 20)
        delay = time.time() - t0
        check(got and delay < bound,
              f"job behind the poison job delivered after {delay:.2f} s (bound {bound} s)")
        s = wait_for(lambda: any(j["idempotency_key"] == "e2e:poison:1"
                                 for j in status(data)["dead_letters"]), 20)
        check(s, "the poison job is dead-lettered after its attempts")
        stop(n)
        st = status(data)
        check(st["pending"] == 0 and st["leased"] == 0, f"queue drained ({st})")

        # 5. kill -9 mid-delivery, notify first, then serve. Delivery is at least once (a send
        # whose report was lost goes out again after the 5 s lease), always under the job's
        # Message-ID, so every job must be sent and arrive under exactly one id.
        def message_ids():
            return [m["Message-ID"] for m in messages(good_box)]

        for victim in ("notify", "serve"):
            keys = [f"e2e:kill-{victim}:{i}" for i in range(1, 13)]
            seen = set(message_ids())
            sent_before = status(data)["sent"]
            for k in keys:
                enqueue(data, "oncall@clinic.example", k)
            cfg = write_config(tmp, f"kill-{victim}", sock, key_file, smtp_port=good_port,
                               batch=2, lease=5)
            n = start_notify(cfg, f"{tmp}/notify-kill-{victim}.log")
            check(wait_for(lambda: len(set(message_ids()) - seen) >= 1, 20),
                  f"kill {victim}: delivery under way")
            if victim == "notify":
                n.kill()
                n.wait()
                n = start_notify(cfg, f"{tmp}/notify-kill-{victim}-2.log")
            else:
                serve.kill()
                serve.wait()
                serve, lines = start_serve(tmp + "/serve-2.log")
                check(any(l.startswith("listening notify " + sock) for l in lines),
                      f"serve restarts on the socket it left behind ({lines})")
            done = wait_for(lambda: (lambda st: st["sent"] - sent_before == len(keys) and
                                     st["pending"] == 0 and st["leased"] == 0)(status(data)), 60)
            stop(n)
            check(done, f"kill {victim}: every job sent after the restart ({status(data)})")
            new = [i for i in message_ids() if i not in seen]
            check(len(set(new)) == len(keys),
                  f"kill {victim}: {len(keys)} jobs arrived under {len(set(new))} Message-IDs "
                  f"({len(new)} messages, {len(new) - len(set(new))} repeated)")

        stop(serve)
        procs.remove(serve)
        check(not os.path.exists(sock), "socket removed when serve stops")
        with open(tmp + "/serve.log") as f:
            slog = f.read()
        check("outbox.request_refused" in slog, "serve logs refused frames")
        check("oncall@clinic.example" not in slog, "no recipient in serve's log")
    finally:
        for p in procs:
            if p.poll() is None:
                stop(p)
        if FAILURES or os.environ.get("HB_E2E_KEEP"):
            print(f"kept {tmp} for inspection")
        else:
            subprocess.run(["rm", "-rf", tmp])
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        sys.exit(1)
    print("notify e2e: all checks passed")


if __name__ == "__main__":
    main()
