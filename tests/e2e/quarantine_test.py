#!/usr/bin/python3
"""The quarantine console on the command line (docs/quarantine.md): a hospital merge (ADT^A40)
that arrives before the patient it merges is quarantined ("unknown prior patient"), listed with
its sender and reason, shown with control characters escaped (and byte-exact with --raw), still
refused when re-processed too early, stored once and linked when re-processed after the patient
arrived, and every read is in the audit trail, which stays intact.
Usage: quarantine_test.py HEARTBASE_BINARY   (run by ctest as e2e_quarantine)."""
import pathlib
import sqlite3
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import hbtest  # noqa: E402
from hbtest import run  # noqa: E402


def adt(event, control, pid3, mrg=""):
    m = (f"MSH|^~\\&|HIS|HOSP|||20260101120000+0000||ADT^{event}|{control}|P|2.5\r"
         f"EVN|{event}|20260101120000\rPID|||{pid3}||Smith\x1b[31m^Anna||19500102|F\r")
    if mrg:
        m += f"MRG|{mrg}\r"
    return m.encode()


class QuarantineCli(unittest.TestCase):
    def test_list_show_reprocess(self):
        with tempfile.TemporaryDirectory() as tmp:
            d = pathlib.Path(tmp)
            data = d / "data"
            run("init", "--data", str(data))
            # The hospital's feed delivers for clinic 1; re-processing uses the feed as serve has
            # it (DATA/heartbase.toml).
            with open(data / "heartbase.toml", "a") as f:
                f.write('\n[[sender]]\napplication = "HIS"\nfacility = "HOSP"\nclinics = [1]\n')
            merge = adt("A40", "M1", "NEW1^^^HOSP^MR", "OLD1^^^HOSP^MR")
            (d / "merge.hl7").write_bytes(merge)
            run("import", "--data", str(data), str(d / "merge.hl7"), check=1)  # quarantined

            listed = run("quarantine", "list", "--data", str(data)).stdout.decode()
            rows = [l for l in listed.splitlines()[1:] if l.strip()]
            self.assertEqual(len(rows), 1, listed)
            self.assertIn("HIS|HOSP", rows[0])
            self.assertIn("not_found", rows[0])
            self.assertIn("unknown prior patient", rows[0])
            self.assertIn("open", rows[0])
            entry = rows[0].split()[0]

            shown = run("quarantine", "show", "--data", str(data), "--id", entry).stdout
            self.assertNotIn(b"\x1b", shown)  # the terminal is never driven by the input
            self.assertIn(b"Smith\\x1B[31m^Anna", shown)
            self.assertIn(b"\nMRG|OLD1^^^HOSP^MR\n", shown)
            raw = run("quarantine", "show", "--data", str(data), "--id", entry, "--raw").stdout
            self.assertEqual(raw, merge.rstrip(b"\r"))  # as the file import split it

            early = run("quarantine", "reprocess", "--data", str(data), "--id", entry)
            self.assertIn(b"still quarantined: unknown prior patient", early.stdout)

            # The prior patient arrives; the merge now applies, once.
            (d / "register.hl7").write_bytes(adt("A04", "R1", "OLD1^^^HOSP^MR"))
            run("import", "--data", str(data), str(d / "register.hl7"))
            done = run("quarantine", "reprocess", "--data", str(data), "--all").stdout.decode()
            self.assertRegex(done, rf"^{entry}: stored as ADT message \d+$")
            again = run("quarantine", "reprocess", "--data", str(data), "--id", entry)
            self.assertIn(b"already reprocessed", again.stdout)
            resolved = run("quarantine", "list", "--data", str(data), "--state", "resolved")
            self.assertIn(b"reprocessed (ADT message", resolved.stdout)
            self.assertEqual(len(run("quarantine", "list", "--data", str(data)).stdout
                                 .decode().splitlines()), 1)  # the header only
            self.assertEqual(run("quarantine", "show", "--data", str(data), "--id", "99",
                                 check=1).returncode, 1)

            db = sqlite3.connect(f"file:{data / 'heartbase.db'}?mode=ro", uri=True)
            actions = [r[0] for r in db.execute(
                "SELECT action FROM audit_event WHERE action LIKE 'quarantine.%'")]
            db.close()
            for a in ("quarantine.list", "quarantine.read", "quarantine.download",
                      "quarantine.reprocess"):
                self.assertIn(a, actions)
            run("audit", "verify", "--data", str(data))


if __name__ == "__main__":
    hbtest.BINARY = sys.argv.pop(1)
    unittest.main(verbosity=2)
