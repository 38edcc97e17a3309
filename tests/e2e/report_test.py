#!/usr/bin/python3
"""End-to-end tests of follow-up reports from the command line (issue 18): `heartbase report
render` on imported interrogations of every manufacturer in the demo clinic, read back with
poppler-utils (pdftotext, pdfinfo, pdftoppm, pdfdetach); `heartbase report verify` on the report
and on altered copies; attached device PDFs appended as pages, a broken one listed as unreadable;
a message with 500 episodes and a non-Latin name paginates. The signed path (sign-off, stored once)
is walked by the API tests (src/api/api_report_test.cpp).
Usage: report_test.py HEARTBASE_BINARY   (run by ctest)."""
import base64
import json
import pathlib
import re
import sqlite3
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import hbtest  # noqa: E402
from hbtest import run  # noqa: E402

BROKEN_SERIAL = "RPT500EP"
NAME = ("Müller-Łukasiewicz", "Zoë")


def png(width, height):
    """A small valid PNG (grey), for the clinic's logo."""
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def five_hundred_episodes():
    """A remote transmission with 500 episodes, a name in two non-ASCII scripts and a broken
    attached PDF (it says %PDF- and then is not one)."""
    obx = [
        "OBX|1|CWE|720897^MDC_IDC_DEV_TYPE^MDC||753666^MDC_IDC_ENUM_DEV_TYPE_ICD^MDC",
        "OBX|2|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC||3.01|V",
    ]
    n = 3
    for e in range(1, 501):
        obx.append(f"OBX|{n}|ST|739536^MDC_IDC_EPISODE_ID^MDC|{e}|EP{e:04d}")
        obx.append(f"OBX|{n + 1}|DTM|739552^MDC_IDC_EPISODE_DTM^MDC|{e}|20260101{e % 24:02d}0000+0000")
        obx.append(f"OBX|{n + 2}|CWE|739568^MDC_IDC_EPISODE_TYPE^MDC|{e}|"
                   "754882^MDC_IDC_ENUM_EPISODE_TYPE_Epis_VT^MDC")
        obx.append(f"OBX|{n + 3}|NM|739712^MDC_IDC_EPISODE_DURATION^MDC|{e}|{e}|s")
        n += 4
    broken = base64.b64encode(b"%PDF-1.7\n" + b"\x00\xff garbage " * 200).decode()
    obx.append(f"OBX|{n}|ED|18750-0^Cardiac Electrophysiology Report^LN||^application^pdf^Base64^"
               f"{broken}||||||F")
    family, given = NAME
    return ("MSH|^~\\&|LATITUDE|BSX|||20260102120500+0000||ORU^R01^ORU_R01|RPT-500|P|2.6|||AL|NE|"
            "||UNICODE UTF-8\r"
            f"PID|||model:D433/serial:{BROKEN_SERIAL}^^^BSX^U~MRN5000^^^HOSP^MR||{family}^{given}||"
            "19500101|F\r"
            "OBR|1||S-RPT500|754051^MDC_IDC_ENUM_SESS_TYPE_RemoteScheduled^MDC|||20260102120000+0000\r"
            + "\r".join(obx) + "\r").encode()


def pdf_text(path, page=None):
    args = ["pdftotext", "-layout"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    return subprocess.run(args + [str(path), "-"], capture_output=True, check=True,
                          timeout=60).stdout.decode()


def pdf_info(path):
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True,
                         timeout=60).stdout.decode()
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line)


def pages(path):
    return int(pdf_info(path)["Pages"].strip())


class ReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        root = pathlib.Path(cls.tmp.name)
        cls.data = root / "data"
        run("init", "--data", str(cls.data))
        run("demo-data", "generate", "--patients", "8", "--years", "3", "--seed", "9", "--pdf",
            "--out", str(root / "demo"))
        (root / "demo" / "facts.jsonl").unlink()  # the generator's answer key, not a message
        (root / "demo" / "five-hundred.hl7").write_bytes(five_hundred_episodes())
        run("import", "--data", str(cls.data), str(root / "demo"))
        cls.logo = root / "logo.png"
        cls.logo.write_bytes(png(40, 20))
        run("clinic", "report-header", "--data", str(cls.data), "--clinic", "1", "--address",
            "Herzzentrum Nord\\nMusterstraße 1\\n10115 Berlin", "--time-zone", "Europe/Berlin",
            "--page-size", "letter", "--logo", str(cls.logo))
        db = sqlite3.connect(f"file:{cls.data / 'heartbase.db'}?mode=ro", uri=True)
        # Per manufacturer (sender) and device type, the latest interrogation, with an attached PDF
        # when one has it.
        cls.by_sender = {}
        for iid, sender, kind, attached in db.execute(
                "SELECT i.id, i.sender, d.type, EXISTS (SELECT 1 FROM attachment a WHERE "
                "a.interrogation_id = i.id AND a.instance = 0) FROM interrogation i "
                "JOIN device d ON d.id = i.device_id ORDER BY i.id"):
            if attached or (sender, kind) not in cls.by_sender:
                cls.by_sender[(sender, kind)] = iid
        cls.kinds = {kind for _, kind in cls.by_sender}
        # The hand-made message is the last LATITUDE one imported (its file sorts last).
        cls.broken = db.execute("SELECT max(id) FROM interrogation WHERE control_id = 'RPT-500'"
                                ).fetchone()[0]
        cls.by_sender = {k: v for k, v in cls.by_sender.items() if v != cls.broken}
        db.close()
        cls.out = root / "out"
        cls.out.mkdir()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def render(self, iid, *extra):
        path = self.out / f"r{iid}{'-'.join(extra)}.pdf"
        run("report", "render", "--data", str(self.data), "--interrogation", str(iid), "--out",
            str(path), *extra)
        return path

    def verify(self, path, *key):
        key = key or ("--data", str(self.data))
        return subprocess.run([hbtest.BINARY, "report", "verify", str(path), *key],
                              capture_output=True, timeout=60)

    def test_every_manufacturer_renders_measurements_and_draft_on_every_page(self):
        self.assertGreaterEqual(len({s for s, _ in self.by_sender}), 5, self.by_sender)
        self.assertGreaterEqual(len(self.kinds), 4, self.kinds)  # pacemaker, ICD, CRT, monitor
        for sender, iid in self.by_sender.items():
            with self.subTest(sender=sender):
                path = self.render(iid)
                info = pdf_info(path)
                self.assertIn("612 x 792 pts (letter)", info["Page size"])
                text = pdf_text(path)
                for word in ("Device follow-up report", "Herzzentrum Nord", "Musterstraße 1",
                             "Implanted hardware", "Battery", "Previous", "Change"):
                    self.assertIn(word, text)
                # Values with their units (a loop recorder has no battery voltage or leads).
                self.assertRegex(text, r"\d+(\.\d+)? (V|mo|bpm|Ω|%)")
                self.assertRegex(text, r"CES?T")  # times in the clinic's zone, named
                n = pages(path)
                for page in range(1, n + 1):
                    self.assertIn("DRAFT", pdf_text(path, page), f"page {page}")
                # Every page renders to an image.
                prefix = self.out / f"png{iid}"
                subprocess.run(["pdftoppm", "-r", "20", "-png", str(path), str(prefix)],
                               check=True, timeout=120)
                self.assertEqual(len(list(self.out.glob(f"png{iid}*.png"))), n)
                # The metadata holds no patient data; the provenance names no patient.
                self.assertEqual(info["Title"].strip(), "Device follow-up report")
                v = self.verify(path)
                self.assertEqual(v.returncode, 0, v.stderr)
                record = json.loads(v.stdout)
                self.assertEqual(record["interrogation_id"], iid)
                self.assertTrue(record["draft"])
                self.assertEqual(record["page_size"], "letter")
                self.assertEqual(len(record["sources"][0]["keyed_hash"]), 64)

    def test_a4_on_request_and_the_export_is_audited(self):
        iid = next(iter(self.by_sender.values()))
        path = self.render(iid, "--page-size", "a4")
        self.assertIn("595.28 x 841.89 pts (A4)", pdf_info(path)["Page size"])
        db = sqlite3.connect(f"file:{self.data / 'heartbase.db'}?mode=ro", uri=True)
        exports = db.execute("SELECT count(*) FROM audit_event WHERE action = 'report.export' AND "
                             "object_id = ?", (str(iid),)).fetchone()[0]
        db.close()
        self.assertGreaterEqual(exports, 1)
        run("audit", "verify", "--data", str(self.data))

    def test_verify_names_each_change(self):
        iid = next(iter(self.by_sender.values()))
        path = self.render(iid)
        good = path.read_bytes()
        marker = good.index(b"%heartbase-provenance-v1\n")

        def altered(name, at, new_byte=None):
            b = bytearray(good)
            b[at] = new_byte if new_byte is not None else b[at] ^ 0x01
            p = self.out / name
            p.write_bytes(bytes(b))
            return self.verify(p)

        content = good.index(b"stream\n") + 20
        r = altered("content.pdf", content)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"page content does not match", r.stderr)
        signer = good.index(b'"page_size":"letter"', marker) + len('"page_size":"')
        r = altered("record.pdf", signer, ord("L"))
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"signature does not match the provenance record", r.stderr)
        sig = good.index(b"\nsignature ", marker) + 15
        r = altered("sig.pdf", sig, ord("0") if good[sig] != ord("0") else ord("1"))
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"signature does not match", r.stderr)
        appended = self.out / "appended.pdf"
        appended.write_bytes(good + b"9 0 obj\n<< >>\nendobj\n")
        r = self.verify(appended)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"changed after it was signed", r.stderr)
        # Another installation's key.
        other = pathlib.Path(self.tmp.name) / "other"
        run("init", "--data", str(other))
        r = self.verify(path, "--data", str(other))
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"signed by another key", r.stderr)
        # The public key alone (hex), as a recipient holds it.
        hex_key = run("report", "public-key", "--data", str(self.data)).stdout.decode().strip()
        self.assertEqual(self.verify(path, "--public-key", hex_key).returncode, 0)

    def test_attached_device_pdfs_are_appended_as_pages(self):
        db = sqlite3.connect(f"file:{self.data / 'heartbase.db'}?mode=ro", uri=True)
        row = db.execute("SELECT interrogation_id FROM attachment WHERE instance = 0 AND "
                         "interrogation_id <> ? ORDER BY id DESC LIMIT 1",
                         (self.broken,)).fetchone()
        db.close()
        self.assertIsNotNone(row, "the demo clinic carries device PDFs")
        plain = self.render(row[0])
        appended = self.render(row[0], "--append-attachments")
        self.assertGreater(pages(appended), pages(plain))
        self.assertRegex(pdf_text(appended), r"appended as pages? \d+")
        self.assertEqual(self.verify(appended).returncode, 0)

    def test_500_episodes_a_broken_pdf_and_names_in_two_scripts(self):
        path = self.render(self.broken, "--append-attachments")
        text = pdf_text(path)
        self.assertIn("Müller-Łukasiewicz", text)
        self.assertIn("Zoë", text)
        self.assertIn("unreadable", text)
        found = set(re.findall(r"EP(\d{4})", text))
        self.assertEqual(len(found), 500)
        self.assertGreater(pages(path), 8)
        self.assertEqual(self.verify(path).returncode, 0)


if __name__ == "__main__":
    hbtest.BINARY = sys.argv.pop(1)
    unittest.main(verbosity=2)
