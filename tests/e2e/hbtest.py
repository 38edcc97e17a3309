"""Shared helpers of the end-to-end tests: running the heartbase binary, sending an MLLP frame,
reading a message's control id, and demo messages with canonical CR terminators. A test sets
hbtest.BINARY from its command line before using them."""
import re
import socket
import subprocess

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
