#!/usr/bin/python3
"""The serve configuration file (docs/configuration.md): printed defaults, the repository's
example, the strict reader's errors (file, line, key), and flags over the file.
Usage: config_test.py HEARTBASE_BINARY SOURCE_DIR   (run by ctest as e2e_config)."""
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
import unittest

import hbtest
from hbtest import run

SOURCE = None


def serve(data, *extra, timeout=60):
    """Starts serve; returns (process, the first stdout line) or the finished process."""
    proc = subprocess.Popen([hbtest.BINARY, "serve", "--data", str(data), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline().decode()
    return proc, first


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    proc.stderr.close()


class Config(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, text):
        f = self.dir / "heartbase.toml"
        f.write_text(text)
        return f

    def check(self, text):
        """--check-config on `text`: returns (exit status, stderr)."""
        f = self.write(text)
        p = subprocess.run([hbtest.BINARY, "serve", "--config", str(f), "--check-config"],
                           capture_output=True, timeout=60)
        return p.returncode, p.stderr.decode() + p.stdout.decode()

    def test_printed_defaults_are_the_example_in_the_repository_and_read_back(self):
        printed = run("serve", "--print-default-config").stdout.decode()
        example = (SOURCE / "packaging" / "heartbase.toml").read_text()
        self.assertEqual(printed, example,
                         "packaging/heartbase.toml differs from `serve --print-default-config`: "
                         "regenerate it")
        # Every key of the printed file is one the reader knows, at its default.
        rc, out = self.check(printed)
        self.assertEqual(rc, 0, out)
        self.assertIn("configuration ok", out)
        for key in ("[mllp]", "[https]", "[store]", "[ingest]", "[rules]", "[notify]",
                    "[billing]", "[metrics]", "[[sender]]", "[[ehr.destination]]",
                    "[[notify.alert]]"):
            self.assertIn(key, printed)
        # The commented examples are valid when uncommented.
        # (Not the destination's certificate files: they would have to exist.)
        uncommented = "\n".join(line[2:] if re.match(r"# ([a-z_]+ = |\[\[)", line) else line
                                for line in printed.splitlines()
                                if not re.match(r"# (ca|cert|key) = ", line))
        self.assertIn("\n[[sender]]\napplication = ", uncommented)
        rc, out = self.check(uncommented)
        self.assertEqual(rc, 0, out)

    def test_init_writes_the_defaults_into_the_data_directory(self):
        data = self.dir / "data"
        out = run("init", "--data", str(data)).stdout.decode()
        self.assertIn("heartbase.toml", out)
        written = (data / "heartbase.toml").read_text()
        self.assertEqual(written, run("serve", "--print-default-config").stdout.decode())
        self.assertEqual((data / "heartbase.toml").stat().st_mode & 0o777, 0o600)

    def test_a_bad_key_stops_start_up_naming_the_line_and_the_key(self):
        cases = [
            ("[mllp]\nlisten = \"127.0.0.1:0\"\nlistn = \"x\"\n", ":3: mllp.listn: unknown key"),
            ("[mlp]\nlisten = \"x\"\n", ":1: mlp: unknown section"),
            ("\n[https]\nmax_connections = \"many\"\n",
             ":3: https.max_connections: expected an integer"),
            ("[rules]\nmissed_scan_interval_s = 0\n",
             ":2: rules.missed_scan_interval_s: 0 is out of range 1–86400"),
            ("[store]\nupgrade = \"yes\"\n", ":2: store.upgrade: expected true or false"),
            ("[[sender]]\napplication = \"A\"\nack_mode = \"fast\"\n",
             "sender.ack_mode: expected \"original\" or \"enhanced\""),
            ("[[sender]]\napplication = \"A|B\"\n", ":2: sender.application: may not contain"),
            ("[[sender]]\napplication = \"A\"\nclinic = [1]\n", ":3: sender.clinic: unknown key"),
            ("[[ehr.destination]]\nname = \"e\"\nport = 1\nauthority = \"H\"\n",
             ":1: ehr.destination: --ehr-destination: host= and port= are required"),
            ("[[notify.alert]]\nseverity = \"orange\"\nchannel = \"email\"\nrecipient = \"a@b\"\n",
             ":2: notify.alert.severity"),
            ("[mllp\nlisten = 1\n", ":1: "),  # TOML syntax
        ]
        for text, expected in cases:
            rc, out = self.check(text)
            self.assertEqual(rc, 1, (text, out))
            self.assertIn(f"heartbase.toml{expected}" if expected.startswith(":") else expected,
                          out, text)

    def test_the_file_configures_serve_and_flags_override_it(self):
        data = self.dir / "data"
        run("init", "--data", str(data))
        run("clinic", "add", "--data", str(data), "--name", "North")  # clinic 2
        # DATA/heartbase.toml is read without --config: HTTPS off, a listen address that only a
        # flag can correct.
        (data / "heartbase.toml").write_text(
            "[mllp]\nlisten = \"not-an-address\"\n[https]\nlisten = \"none\"\n")
        p = subprocess.run([hbtest.BINARY, "serve", "--data", str(data)], capture_output=True,
                           timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("--mllp-listen", p.stderr.decode())
        proc, first = serve(data, "--mllp-listen", "127.0.0.1:0")
        try:
            self.assertRegex(first, r"^listening mllp 127\.0\.0\.1:\d+")
        finally:
            stop(proc)
        self.assertNotIn("https", proc.stdout.read().decode())  # [https] listen = "none"
        proc.stdout.close()
        # Senders from the file reach the feed map: a clinic that does not exist is refused.
        cfg = self.write("[mllp]\nlisten = \"127.0.0.1:0\"\n[https]\nlisten = \"none\"\n"
                         "[[sender]]\napplication = \"APP\"\nfacility = \"FAC\"\nclinics = [2, 9]\n")
        p = subprocess.run([hbtest.BINARY, "serve", "--data", str(data), "--config", str(cfg)],
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("there is no clinic 9", p.stderr.decode())
        # A repeatable flag adds to the file's list instead of replacing it.
        p = subprocess.run([hbtest.BINARY, "serve", "--data", str(data), "--config", str(cfg),
                            "--feed", "OTHER|FAC=1"], capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("there is no clinic 9", p.stderr.decode())
        # [ingest] default_clinic is the catch-all feed.
        cfg = self.write("[mllp]\nlisten = \"127.0.0.1:0\"\n[https]\nlisten = \"none\"\n"
                         "[ingest]\ndefault_clinic = 7\n")
        p = subprocess.run([hbtest.BINARY, "serve", "--data", str(data), "--config", str(cfg)],
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("there is no clinic 7", p.stderr.decode())
        # The data directory itself can come from the file.
        cfg = self.write(f"[store]\ndata = \"{data}\"\n[mllp]\nlisten = \"127.0.0.1:0\"\n"
                         "[https]\nlisten = \"none\"\n[[sender]]\napplication = \"APP\"\n"
                         "facility = \"FAC\"\nclinics = [2]\n")
        proc = subprocess.Popen([hbtest.BINARY, "serve", "--config", str(cfg)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            self.assertRegex(proc.stdout.readline().decode(), r"^listening mllp 127\.0\.0\.1:\d+")
        finally:
            stop(proc)
            proc.stdout.close()
        # Without a data directory anywhere, a clear error.
        p = subprocess.run([hbtest.BINARY, "serve", "--config", str(self.write("[https]\n"))],
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 2)
        self.assertIn("no data directory", p.stderr.decode())


if __name__ == "__main__":
    hbtest.BINARY = sys.argv.pop(1)
    SOURCE = pathlib.Path(sys.argv.pop(1))
    unittest.main(verbosity=2)
