#!/usr/bin/python3
"""End-to-end tests of the heartbase binary's tools: real processes, real files.
Usage: cli_test.py HEARTBASE_BINARY CORPUS_DIR   (run by ctest)."""
import hashlib
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

BINARY = CORPUS = None


def run(*args, check=None):
    p = subprocess.run([BINARY, *args], capture_output=True, timeout=300,
                       stdin=subprocess.DEVNULL)
    if check is not None:
        assert p.returncode == check, (p.returncode, p.stderr.decode(errors="replace")[-2000:])
    return p


def lines(p):
    return [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]


class IdcoParse(unittest.TestCase):
    def setUp(self):
        if not (CORPUS / "idco-hl7v2").is_dir():
            self.skipTest(f"shared corpus not found at {CORPUS} (set HB_CORPUS_DIR)")
    def test_every_corpus_file_maps(self):
        files = sorted(str(f) for f in (CORPUS / "idco-hl7v2").glob("*.hl7"))
        out = lines(run("idco", "parse", *files, check=0))
        self.assertEqual(len(out), len(files))
        by_file = {pathlib.Path(o["file"]).name: o["interrogation"] for o in out}
        self.assertEqual(by_file["icardea_11_SecuraDR.hl7"]["patient"]["device_serial"], "PZC600368S")
        full = by_file["icardea_fullMessageOriginal.hl7"]
        self.assertEqual(full["device"]["type"], "crt-d")
        self.assertEqual(len(full["leads"]), 3)
        rv = [m for m in full["measurements"] if m["code"] == 722433]
        self.assertEqual(len(rv), 1)
        self.assertEqual(rv[0]["unit"], "Ohm")

    def test_attachments_are_written(self):
        with tempfile.TemporaryDirectory() as d:
            f = str(CORPUS / "idco-hl7v2" / "icardea_VTCareplan_Step_12_with_ED_pdf.hl7")
            out = lines(run("idco", "parse", "--attachments", d, f, check=0))
            att = out[0]["interrogation"]["attachments"]
            self.assertEqual(len(att), 1)
            data = pathlib.Path(att[0]["file"]).read_bytes()
            self.assertTrue(data.startswith(b"%PDF-"))
            self.assertEqual(len(data), att[0]["bytes"])

    def test_bad_file_is_reported_and_others_still_processed(self):
        with tempfile.TemporaryDirectory() as d:
            bad = pathlib.Path(d, "bad.hl7")
            bad.write_bytes(b"MSH|^~\\&|A|B|||2026||ORU^R01|1|P|2.5\rPID|||model:a/serial:b^^^X^U\r")
            good = str(CORPUS / "idco-hl7v2" / "icardea_AF_Scenario.hl7")
            missing = str(pathlib.Path(d, "missing.hl7"))
            p = run("idco", "parse", str(bad), missing, good, check=1)
            err = p.stderr.decode()
            self.assertIn("bad.hl7: message 1: message has no OBR segment", err)
            self.assertIn("missing.hl7", err)
            out = lines(p)
            self.assertEqual(len(out), 1)
            self.assertTrue(out[0]["file"].endswith("icardea_AF_Scenario.hl7"))

    def test_summary_is_one_line_per_message(self):
        f = str(CORPUS / "idco-hl7v2" / "nhapi_paceart_oru_r01_v26.hl7")
        p = run("idco", "parse", "--summary", f, check=0)
        text = p.stdout.decode().strip().splitlines()
        self.assertEqual(len(text), 1)
        self.assertIn("MDT", text[0])
        self.assertIn("session=InClinic", text[0])


class Hl7Parse(unittest.TestCase):
    def test_batch_envelope_gives_one_line_per_message_with_unescaped_values(self):
        with tempfile.TemporaryDirectory() as d:
            f = pathlib.Path(d, "batch.hl7")
            f.write_bytes(b"FHS|^~\\&\rBHS|^~\\&\r"
                          b"MSH|^~\\&|A|B|||2026||ORU^R01|1|P|2.5\rNTE|1|L|a\\F\\b&c\r"
                          b"MSH|^~\\&|A|B|||2026||ORU^R01|2|P|2.5\rPID|||x~y\r"
                          b"BTS|2\rFTS|1\r")
            out = lines(run("hl7", "parse", str(f), check=0))
            self.assertEqual(len(out), 2)
            nte = out[0]["segments"][1]
            self.assertEqual(nte["id"], "NTE")
            self.assertEqual(nte["fields"]["3"], [[["a|b", "c"]]])
            self.assertEqual(out[0]["segments"][0]["fields"]["2"], [["^~\\&"]])
            self.assertEqual(out[1]["segments"][1]["fields"]["3"], [["x"], ["y"]])

    def test_malformed_message_names_position(self):
        with tempfile.TemporaryDirectory() as d:
            f = pathlib.Path(d, "x.hl7")
            f.write_bytes(b"MSH|^^\\&|A\r")
            p = run("hl7", "parse", str(f), check=1)
            self.assertIn("x.hl7", p.stderr.decode())
            self.assertIn("MSH-2", p.stderr.decode())

    def test_segments_in_no_message_are_an_error_naming_segment_and_offset(self):
        # Both shapes by hand: the nested BHS of python-hl7's sample_bad_batch1.hl7 and
        # sample_bad_file1.hl7 (it cut the message after EVN and dropped PID, PD1, NK1, PV1), and
        # a BHS whose segments have no MSH before the next header.
        nested_head = (b"FHS|^~\\&|GW\rBHS|^~\\&|GW\r"
                       b"MSH|^~\\&|LAB|NORTH|||20260101||ADT^A01|7|P|2.5\rEVN|A01|20260101\r"
                       b"BHS|^~\\&|GW\r")
        nested = (nested_head + b"PID|||X1||TESTNAME^ONE\rPD1|||CLINIC\rNK1|1|TESTNAME^TWO\r"
                  b"PV1|1|O\rBTS|1\rFTS|1\r")
        headless = (b"BHS|^~\\&\rPID|||X2\rOBX|1|NM|x||1\rBHS|^~\\&\r"
                    b"MSH|^~\\&|A|B|||2026||ORU^R01|9|P|2.5\rPID|||X3\rBTS|1\r")
        with tempfile.TemporaryDirectory() as d:
            for name, data, offset, segment, messages in (
                    ("nested.hl7", nested, len(nested_head), "PID", [["MSH", "EVN"]]),
                    ("headless.hl7", headless, 9, "PID", [["MSH", "PID"]])):
                with self.subTest(name):
                    f = pathlib.Path(d, name)
                    f.write_bytes(data)
                    p = run("hl7", "parse", str(f), check=1)
                    err = p.stderr.decode()
                    self.assertIn(f"{f}: segment {segment} and the ", err)
                    self.assertIn(f"belong to no message", err)
                    self.assertIn(f"byte {offset})", err)
                    self.assertNotIn("TESTNAME", err)
                    out = lines(p)
                    self.assertEqual([[s["id"] for s in m["segments"]] for m in out], messages)
                    summary = run("hl7", "parse", "--summary", str(f), check=1)
                    self.assertIn("belong to no message", summary.stderr.decode())


class DemoData(unittest.TestCase):
    def generate(self, d, *extra):
        run("demo-data", "generate", "--patients", "25", "--years", "2", "--seed", "5",
            "--out", d, *extra, check=0)
        return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in pathlib.Path(d).rglob("*") if p.is_file()}

    def test_generation_is_deterministic(self):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            self.assertEqual(self.generate(a), self.generate(b))

    def test_every_generated_message_maps_to_its_facts(self):
        with tempfile.TemporaryDirectory() as d:
            self.generate(d, "--pdf")
            files = sorted(str(p) for p in pathlib.Path(d).rglob("*.hl7"))
            self.assertGreater(len(files), 100)
            p = run("idco", "parse", *files, check=0)
            self.assertEqual(p.stderr.decode(), "")
            mapped = {o["file"]: o["interrogation"] for o in lines(p)}
            facts = [json.loads(l) for l in pathlib.Path(d, "facts.jsonl").read_text().splitlines()]
            self.assertEqual(len(facts), len(files))
            by_control = {m["message"]["control_id"]: m for m in mapped.values()}
            checked = 0
            for f in facts:
                m = by_control[f["control_id"]]
                self.assertEqual(m["device"]["serial"], f["device_serial"])
                self.assertEqual(m["session"]["type"], f["session_type"])
                if f.get("battery_voltage") is not None:
                    v = [o["value"] for o in m["measurements"] if o["code"] == 721344]
                    self.assertEqual(v, [f["battery_voltage"]])
                    checked += 1
                if f.get("rv_impedance") is not None:
                    v = [o["value"] for o in m["measurements"] if o["code"] == 722433]
                    self.assertEqual(v, [f["rv_impedance"]])
            self.assertGreater(checked, 50)


class InitAndImport(unittest.TestCase):
    def test_import_stores_deduplicates_and_quarantines_without_losing_anything(self):
        with tempfile.TemporaryDirectory() as d:
            data = pathlib.Path(d, "data")
            out = run("init", "--data", str(data), check=0).stdout.decode()
            self.assertIn("key file", out)
            self.assertEqual(os.stat(data / "keyring").st_mode & 0o777, 0o400)
            self.assertEqual(os.stat(data).st_mode & 0o777, 0o700)
            run("init", "--data", str(data), check=1)  # never overwrites
            gen = pathlib.Path(d, "gen")
            run("demo-data", "generate", "--patients", "12", "--years", "1", "--seed", "9",
                "--pdf", "--out", str(gen), check=0)
            (gen / "facts.jsonl").unlink()
            n = len(list(gen.rglob("*.hl7")))
            # One more file holding two messages in MLLP frames, and one that is not HL7 at all.
            msgs = sorted(gen.rglob("*.hl7"))[:2]
            framed = b"".join(b"\x0b" + m.read_bytes() + b"\x1c\r" for m in msgs)
            extra = pathlib.Path(d, "extra")
            extra.mkdir()
            (extra / "stream.mllp").write_bytes(framed)
            (extra / "junk.txt").write_bytes(b"not an HL7 message\n")
            # A stream whose second frame never ends: the first is stored, the file quarantined.
            (extra / "broken.mllp").write_bytes(b"\x0b" + msgs[0].read_bytes() + b"\x1c\r" +
                                                b"\x0bMSH|^~\\&|cut off")
            p = run("import", "--data", str(data), str(gen), str(extra), check=1)
            summary = p.stdout.decode()
            self.assertIn(f"{n} stored, 3 duplicate, 2 quarantined, 0 failed", summary)
            err = p.stderr.decode()
            self.assertIn("junk.txt: the whole file quarantined (malformed)", err)
            self.assertIn("broken.mllp: the whole file quarantined (malformed): unterminated", err)
            again = run("import", "--data", str(data), str(gen), check=0).stdout.decode()
            self.assertIn(f"0 stored, {n} duplicate, 0 quarantined", again)
            # Key rotation re-seals everything; the data stays readable (duplicates found).
            rotated = run("key", "rotate", "--data", str(data), check=0).stdout.decode()
            self.assertIn("data key 2 is now active", rotated)
            self.assertIn("0 left under older keys", rotated)
            resumed = run("key", "rotate", "--resume", "--data", str(data), check=0)
            self.assertIn("re-sealed 0 values", resumed.stdout.decode())
            again = run("import", "--data", str(data), str(gen), check=0).stdout.decode()
            self.assertIn(f"0 stored, {n} duplicate, 0 quarantined", again)

    def test_a_file_of_random_bytes_larger_than_a_message_is_named_with_exit_status_1(self):
        with tempfile.TemporaryDirectory() as d:
            data = pathlib.Path(d, "data")
            run("init", "--data", str(data), check=0)
            # Over the 32 MiB message limit. Neither an MLLP start byte first nor "MSH" anywhere,
            # so that the file is one oversized non-message whatever the random draw.
            noise = bytearray(os.urandom((32 << 20) + (1 << 20)).replace(b"MSH", b"MSX"))
            noise[0] = ord("x")
            f = pathlib.Path(d, "noise.bin")
            f.write_bytes(noise)
            p = run("import", "--data", str(data), str(f), check=1)
            self.assertIn("0 stored, 0 duplicate, 1 quarantined, 0 failed", p.stdout.decode())
            err = p.stderr.decode()
            self.assertIn(f"{f}: the whole file quarantined (limit_exceeded)", err)

    def test_of_a_good_and_a_bad_message_the_good_is_stored_and_the_bad_named(self):
        with tempfile.TemporaryDirectory() as d:
            data = pathlib.Path(d, "data")
            run("init", "--data", str(data), check=0)
            gen = pathlib.Path(d, "gen")
            run("demo-data", "generate", "--patients", "1", "--years", "1", "--seed", "4",
                "--out", str(gen), check=0)
            good = sorted(gen.rglob("*.hl7"))[0].read_bytes().rstrip(b"\r\n") + b"\r"
            bad = b"MSH|^~\\&|A|B|||2026||ORU^R01|X1|P|2.5\rPID|||serial:b^^^X^U\r"
            f = pathlib.Path(d, "two.hl7")
            f.write_bytes(good + bad)
            p = run("import", "--data", str(data), str(f), check=1)
            self.assertIn("1 stored, 0 duplicate, 1 quarantined, 0 failed", p.stdout.decode())
            err = p.stderr.decode()
            self.assertIn(f"{f}: message 2 (byte {len(good)} of the file) quarantined", err)
            self.assertIn("no OBR segment", err)
            self.assertNotIn("message 1", err)
            # The good message is in the store: importing it alone finds a duplicate.
            alone = pathlib.Path(d, "good.hl7")
            alone.write_bytes(good)
            again = run("import", "--data", str(data), str(alone), check=0).stdout.decode()
            self.assertIn("0 stored, 1 duplicate, 0 quarantined", again)

    def test_import_without_init_says_what_to_do(self):
        with tempfile.TemporaryDirectory() as d:
            p = run("import", "--data", d, d, check=1)
            self.assertIn("key file", p.stderr.decode())


def init(data):
    """Initializes a data directory; returns the fingerprint of its key ring from init's report."""
    out = run("init", "--data", str(data), check=0).stdout.decode()
    return re.search(r"key ring fingerprint: (\S+)", out).group(1)


def snapshot(data):
    """Bytes and modification time of every file of a data directory."""
    return {str(p.relative_to(data)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(data.rglob("*")) if p.is_file()}


class KeyCheck(unittest.TestCase):
    def commands(self, data, key_file, messages):
        with_keys = ["--data", str(data), "--key-file", str(key_file)]
        return [
            ["serve", *with_keys, "--mllp-listen", "127.0.0.1:0", "--https-listen", "none"],
            ["import", *with_keys, str(messages)],
            ["key", "rotate", *with_keys],
            ["key", "rotate", "--resume", *with_keys],
            ["user", "add", *with_keys, "--name", "ann", "--role", "clinician", "--no-password"],
            ["user", "disable", *with_keys, "--name", "ann"],
            ["user", "enable", *with_keys, "--name", "ann"],
            ["user", "reset-mfa", *with_keys, "--name", "ann"],
            ["clinic", "add", *with_keys, "--name", "North"],
            ["token", "create", *with_keys, "--user", "ann", "--scope", "patient.read"],
            ["audit", "verify", *with_keys],
            ["outbox", "status", *with_keys],
            ["outbox", "enqueue-test", *with_keys, "--to", "a@example.org"],
        ]

    def test_every_command_refuses_another_directorys_key_ring_and_changes_nothing(self):
        with tempfile.TemporaryDirectory() as d:
            a, b = pathlib.Path(d, "a"), pathlib.Path(d, "b")
            fa, fb = init(a), init(b)
            self.assertNotEqual(fa, fb)
            gen = pathlib.Path(d, "gen")
            run("demo-data", "generate", "--patients", "3", "--years", "1", "--seed", "2",
                "--out", str(gen), check=0)
            (gen / "facts.jsonl").unlink()
            n = len(list(gen.rglob("*.hl7")))
            run("import", "--data", str(a), str(gen), check=0)
            before = snapshot(a)
            for command in self.commands(a, b / "keyring", gen):
                with self.subTest(command=" ".join(command[:2])):
                    p = run(*command)
                    err = p.stderr.decode()
                    self.assertNotEqual(p.returncode, 0, err)
                    self.assertIn("does not belong to data directory", err)
                    self.assertIn(fa, err)
                    self.assertIn(fb, err)
                    self.assertEqual(snapshot(a), before)
            # The directory's own ring still reads everything.
            again = run("import", "--data", str(a), str(gen), check=0).stdout.decode()
            self.assertIn(f"0 stored, {n} duplicate", again)

    def test_rotation_refuses_the_ring_from_before_it(self):
        with tempfile.TemporaryDirectory() as d:
            a = pathlib.Path(d, "a")
            init(a)
            old = pathlib.Path(d, "old-keyring")
            shutil.copy(a / "keyring", old)
            os.chmod(old, 0o400)
            rotated = run("key", "rotate", "--data", str(a), check=0).stdout.decode()
            new = re.search(r"key ring fingerprint (\S+)", rotated).group(1)
            p = run("outbox", "status", "--data", str(a), "--key-file", str(old), check=1)
            self.assertIn("lacks data key 2", p.stderr.decode())
            self.assertIn(new, p.stderr.decode())
            run("outbox", "status", "--data", str(a), check=0)

    def test_a_directory_without_key_check_tests_the_ring_on_its_data_then_records_it(self):
        with tempfile.TemporaryDirectory() as d:
            a, b = pathlib.Path(d, "a"), pathlib.Path(d, "b")
            fa, fb = init(a), init(b)
            gen = pathlib.Path(d, "gen")
            run("demo-data", "generate", "--patients", "2", "--years", "1", "--seed", "3",
                "--out", str(gen), check=0)
            (gen / "facts.jsonl").unlink()
            run("import", "--data", str(a), str(gen), check=0)
            (a / "key-check").unlink()  # as made by heartbase before key checks
            before = snapshot(a)
            p = run("outbox", "status", "--data", str(a), "--key-file", str(b / "keyring"),
                    check=1)
            self.assertIn(fb, p.stderr.decode())
            self.assertIn("failed authentication", p.stderr.decode())
            self.assertEqual(snapshot(a), before)
            run("outbox", "status", "--data", str(a), check=0)
            self.assertIn(fa, (a / "key-check").read_text())
            p = run("outbox", "status", "--data", str(a), "--key-file", str(b / "keyring"),
                    check=1)
            self.assertIn(fa, p.stderr.decode())


if __name__ == "__main__":
    BINARY = sys.argv.pop(1)
    CORPUS = pathlib.Path(sys.argv.pop(1))
    unittest.main(verbosity=1)
