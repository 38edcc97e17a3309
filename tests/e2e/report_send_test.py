#!/usr/bin/env python3
"""End to end: "send report" (issue 18 §4). A physician signs an interrogation off over HTTPS,
serve renders and stores the signed report, and the physician sends it to a configured recipient
(`heartbase recipient add`). `heartbase notify` receives the PDF over the lease channel and
delivers it by SMTP with STARTTLS to a local sink (Debian's python3-aiosmtpd under
/usr/bin/python3, certificate from a test CA made here with openssl):

- the one recipient receives one message with the PDF attached (application/pdf, base64,
  follow-up-report-HB-<ticket>.pdf), byte for byte the stored report (its SHA-256 is in the text);
- the subject, headers and text carry no patient data (a canary family name and MRN);
- a sink that refuses the recipient (550) dead-letters the job at once, and receives nothing.

Usage: report_send_test.py HEARTBASE
"""
import email
import email.policy
import hashlib
import http.client
import json
import mailbox
import os
import re
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time

HEARTBASE = sys.argv[1]
PY = "/usr/bin/python3"  # Debian's python: the one that sees aiosmtpd
PASSWORD = "lantern orchard velvet summit"
CANARY_FAMILY = "Qorvanthe"
CANARY_MRN = "MRN4417730"
FAILURES = []

REFUSING_HANDLER = '''
class Refuse:
    """Refuses every recipient with a permanent 550."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.7.1 recipient refused"
'''


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def run(*args, stdin=None, check_rc=0):
    p = subprocess.run([HEARTBASE, *args], input=stdin, capture_output=True, timeout=300)
    assert p.returncode == check_rc, (args, p.returncode, p.stderr.decode(errors="replace")[-2000:])
    return p.stdout.decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(d):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.pem", "-days", "2", "-subj", "/CN=heartbase test CA", cwd=d)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "good.key", "-out", "good.csr",
            "-subj", "/CN=127.0.0.1", cwd=d)
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "good.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "good.pem", "-days", "2", "-extfile", "san.ext", cwd=d)


def start_sink(d, name, port, handler=None):
    """An SMTP sink with STARTTLS (the test CA's certificate): a Maildir, or `handler`."""
    box = os.path.join(d, "mail-" + name)
    args = [PY, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
            "--tlscert", os.path.join(d, "good.pem"), "--tlskey", os.path.join(d, "good.key")]
    args += ["-c", handler] if handler else ["-c", "aiosmtpd.handlers.Mailbox", box]
    env = dict(os.environ, PYTHONPATH=d)
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(box + ".log", "w"), env=env)
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


def message(control, serial):
    return (f"MSH|^~\\&|CARELINK|MDT|||20260101120500+0000||ORU^R01^ORU_R01|{control}|P|2.6|||AL|NE\r"
            f"PID|||model:A3DR01/serial:{serial}^^^MDT^U~{CANARY_MRN}^^^HOSP^MR||"
            f"{CANARY_FAMILY}^Jane||19480312|F\r"
            f"OBR|1||S-{control}|754053^MDC_IDC_ENUM_SESS_TYPE_RemoteScheduled^MDC|||"
            "20260101120000+0000\r"
            "OBX|1|CWE|720897^MDC_IDC_DEV_TYPE^MDC||753665^MDC_IDC_ENUM_DEV_TYPE_IPG^MDC\r"
            f"OBX|2|ST|720899^MDC_IDC_DEV_SERIAL^MDC||{serial}\r"
            "OBX|3|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC||2.95|V\r").encode()


def write_config(d, name, sock, key_file, smtp_port):
    path = os.path.join(d, name + ".toml")
    lines = [f'socket = "{sock}"', f'key_file = "{key_file}"', f'holder = "{name}"',
             "batch = 4", "poll_interval_ms = 100", "lease_seconds = 30",
             "[smtp]", f'url = "smtp://127.0.0.1:{smtp_port}"',
             'from = "heartbase@clinic.example"', f'ca_file = "{d}/ca.pem"',
             "connect_timeout_ms = 2000", "timeout_ms = 10000"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


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
        time.sleep(0.1)
    return pred()


def signed_report(data, iid):
    """The id of the interrogation's stored signed report, or None (read-only look)."""
    db = sqlite3.connect(f"file:{data}/heartbase.db?mode=ro", uri=True, timeout=10)
    try:
        row = db.execute("SELECT id FROM report WHERE interrogation_id = ? AND signed = 1",
                         (iid,)).fetchone()
    finally:
        db.close()
    return row[0] if row else None


class Api:
    def __init__(self, port, ca):
        self.port = port
        self.ctx = ssl.create_default_context(cafile=ca)
        self.headers = {}

    def request(self, method, path, body=None):
        c = http.client.HTTPSConnection("localhost", self.port, context=self.ctx, timeout=30)
        h = dict(self.headers)
        if body is not None:
            h["Content-Type"] = "application/json"
        c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        r = c.getresponse()
        data = r.read().decode()
        c.close()
        return r.status, data

    def sign_in(self, name):
        """Signs in; later requests carry the session cookie and the CSRF token."""
        c = http.client.HTTPSConnection("localhost", self.port, context=self.ctx, timeout=30)
        c.request("POST", "/api/v1/auth/login",
                  body=json.dumps({"name": name, "password": PASSWORD}),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        body = r.read().decode()
        c.close()
        if r.status != 200:
            return False
        self.headers = {"Cookie": r.getheader("Set-Cookie").split(";")[0],
                        "X-CSRF-Token": json.loads(body)["csrf_token"]}
        return True


def main():
    tmp = tempfile.mkdtemp(prefix="hb-report-send-e2e-")
    data = os.path.join(tmp, "data")
    procs = []
    try:
        make_certificates(tmp)
        with open(os.path.join(tmp, "refuse_handler.py"), "w") as f:
            f.write(REFUSING_HANDLER)
        run("init", "--data", data)
        run("user", "add", "--data", data, "--name", "doc", "--role", "physician",
            stdin=(PASSWORD + "\n").encode())
        msg = os.path.join(tmp, "m.hl7")
        with open(msg, "wb") as f:
            f.write(message("C1", "PZK600806S"))
        run("import", "--data", data, msg)
        referrer = int(run("recipient", "add", "--data", data, "--clinic", "1", "--name",
                           "Dr. A. Referrer", "--email", "a.referrer@praxis.example").strip())
        refusing = int(run("recipient", "add", "--data", data, "--clinic", "1", "--name",
                           "Dr. Refusing", "--email", "refuse@praxis.example").strip())
        listed = json.loads(run("recipient", "list", "--data", data))
        check([r["id"] for r in listed] == [referrer, refusing], f"recipients listed ({listed})")

        sock = os.path.join(data, "notify", "notify.sock")
        serve = subprocess.Popen([HEARTBASE, "serve", "--data", data, "--mllp-listen",
                                  "127.0.0.1:0", "--https-listen", "127.0.0.1:0",
                                  "--notify-socket", sock],
                                 stdout=subprocess.PIPE, stderr=open(tmp + "/serve.log", "w"),
                                 text=True)
        procs.append(serve)
        lines = [serve.stdout.readline() for _ in range(3)]
        port = int(re.search(r"listening https 127\.0\.0\.1:(\d+)", "".join(lines)).group(1))
        key_file = os.path.join(data, "notify.key")

        api = Api(port, os.path.join(data, "tls", "cert.pem"))
        check(api.sign_in("doc"), "the physician signs in")
        status, body = api.request("GET", "/api/v1/interrogations")
        iid = json.loads(body)["items"][0]["id"]
        ticket = f"HB-{iid:06d}"

        status, body = api.request("GET", "/api/v1/report-recipients")
        check(status == 200 and "a.referrer@praxis.example" not in body and
              "Dr. A. Referrer" in body, f"recipients listed with masked addresses ({body})")
        status, body = api.request("POST", f"/api/v1/interrogations/{iid}/report/send",
                                   {"recipient_id": referrer})
        check(status == 409 and "not_signed" in body, f"no signed report yet: 409 ({status})")

        status, body = api.request("POST", f"/api/v1/interrogations/{iid}/signoff",
                                   {"password": PASSWORD})
        check(status == 200, f"sign-off ({status} {body})")
        # The signed report is rendered in the background after the sign-off.
        stored = wait_for(lambda: signed_report(data, iid), 120)
        check(bool(stored), "serve stores the signed report after the sign-off")
        # The password again in the send itself, as the web application asks for it.
        status, body = api.request("POST", f"/api/v1/interrogations/{iid}/report/send",
                                   {"recipient_id": referrer, "password": PASSWORD})
        check(status == 200 and json.loads(body)["created"] is True,
              f"send queues a job ({status} {body})")
        job = json.loads(body)["job_id"] if status == 200 else None
        status, body = api.request("POST", f"/api/v1/interrogations/{iid}/report/send",
                                   {"recipient_id": referrer})
        check(status == 200 and json.loads(body) == {"job_id": job, "created": False},
              f"a repeat returns the same job ({body})")

        good_port, refuse_port = free_port(), free_port()
        good, good_box = start_sink(tmp, "good", good_port)
        procs.append(good)
        n = subprocess.Popen([HEARTBASE, "notify", "--config",
                              write_config(tmp, "good", sock, key_file, good_port)],
                             stdout=subprocess.DEVNULL, stderr=open(tmp + "/notify-good.log", "w"))
        procs.append(n)
        status_of = lambda: json.loads(run("outbox", "status", "--data", data))
        got = wait_for(lambda: len(messages(good_box)) >= 1 and status_of()["sent"] >= 1, 60)
        check(bool(got), "the sink receives the report and serve records it sent")
        time.sleep(1)
        msgs = messages(good_box)
        check(len(msgs) == 1, f"exactly one message ({len(msgs)})")
        if msgs:
            raw = msgs[0].as_bytes()
            m = email.message_from_bytes(raw, policy=email.policy.default)
            check(str(m["To"]).strip("<>") == "a.referrer@praxis.example",
                  f"to the one recipient ({m['To']})")
            check(m["Subject"] == f"Device follow-up report {ticket}", f"subject ({m['Subject']})")
            check(m.get_content_type() == "multipart/mixed", "multipart/mixed")
            pdfs = [p for p in m.iter_attachments() if p.get_content_type() == "application/pdf"]
            check(len(pdfs) == 1, "one PDF attached")
            texts = [p.get_content() for p in m.walk() if p.get_content_type() == "text/plain"]
            if pdfs:
                pdf = pdfs[0].get_content()
                check(pdfs[0].get_filename() == f"follow-up-report-{ticket}.pdf",
                      f"file name names the ticket only ({pdfs[0].get_filename()})")
                check(pdf.startswith(b"%PDF-"), "the attachment is a PDF")
                digest = hashlib.sha256(pdf).hexdigest()
                check(any(digest in t for t in texts),
                      "the text names the SHA-256 of exactly the attached PDF")
            b64_lines = [l for l in raw.split(b"\n") if len(l.rstrip(b"\r")) > 76]
            check(not b64_lines, "no line over 76 characters")
            # Everything but the PDF: headers and text parts, raw and decoded.
            visible = "".join(f"{k}: {v}\n" for k, v in m.items()) + "".join(texts)
            for canary in (CANARY_FAMILY, CANARY_MRN, "Jane", "19480312", "PZK600806S"):
                check(canary not in visible, f"mail text carries no patient data ({canary})")
        check(stop(n) == 0, "notify stops cleanly")

        # A sink that refuses the recipient permanently: dead at once, nothing delivered.
        refuse, refuse_box = start_sink(tmp, "refuse", refuse_port, handler="refuse_handler.Refuse")
        procs.append(refuse)
        status, body = api.request("POST", f"/api/v1/interrogations/{iid}/report/send",
                                   {"recipient_id": refusing})
        check(status == 200, f"send to the second recipient ({status})")
        n = subprocess.Popen([HEARTBASE, "notify", "--config",
                              write_config(tmp, "refuse", sock, key_file, refuse_port)],
                             stdout=subprocess.DEVNULL,
                             stderr=open(tmp + "/notify-refuse.log", "w"))
        procs.append(n)
        s = wait_for(lambda: (lambda st: st if st["dead"] >= 1 else None)(status_of()), 60)
        check(bool(s), "the refused job is dead-lettered")
        if s:
            dl = [j for j in s["dead_letters"] if j["idempotency_key"].endswith(f":{refusing}")]
            check(len(dl) == 1 and dl[0]["attempts"] == 1 and "550" in dl[0]["last_error"],
                  f"after one attempt, with the SMTP code ({dl})")
            check(CANARY_FAMILY not in json.dumps(s), "the dead letter names no patient")
        check(messages(refuse_box) == [], "the refusing sink stored nothing")
        check(stop(n) == 0, "notify stops cleanly")
        with open(tmp + "/serve.log") as f:
            slog = f.read()
        check(CANARY_FAMILY not in slog and "praxis.example" not in slog,
              "serve's log names neither the patient nor the recipient")
    finally:
        for p in procs:
            if p.poll() is None:
                stop(p)
    if FAILURES:
        print(f"{len(FAILURES)} failure(s); files in {tmp}")
        sys.exit(1)
    print("all passed")
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
