#!/usr/bin/env python3
"""Checks that every #include "module/..." in src/ follows the allowed dependency direction
(shared/design/architecture.md). The CMake targets enforce linking; this catches header-only
leaks. Exit status 1 lists every violation."""
import pathlib
import re
import sys

ALLOWED = {
    "base": set(),
    "domain": {"base"},
    "hl7": {"base"},
    "idco": {"hl7", "domain", "base"},
    "crypto": {"base"},
    "store": {"crypto", "domain", "base"},
    "audit": {"store", "crypto", "base"},
    "auth": {"audit", "store", "crypto", "domain", "base"},
    "rules": {"store", "domain", "base"},
    # report: also crypto (the report signature) and hl7 (outbound result documents).
    "report": {"store", "hl7", "crypto", "domain", "base"},
    # billing: follow-up scheduling and charges (DFT^P03 with the hl7 encoder).
    "billing": {"store", "hl7", "crypto", "domain", "base"},
    # backup: the backup file's format (app's backup and restore commands use it).
    "backup": {"base"},
    "net": {"base"},
    # ehr: results out to the hospital's EHR (sends report's HL7 results with net's MLLP client).
    "ehr": {"report", "hl7", "net", "store", "crypto", "domain", "base"},
    "notify": {"net", "base"},
    # outbox: serve's end of the notify lease channel (store's jobs ↔ notify's wire format).
    "outbox": {"notify", "store", "crypto", "base"},
    "ingest": {"idco", "hl7", "rules", "store", "audit", "notify", "crypto", "domain", "base"},
    "api": {"ingest", "report", "billing", "rules", "auth", "audit", "store", "crypto", "domain", "net",
            "base"},
    # demo: synthetic clinic data generator (writes HL7 with the hl7 encoder).
    "demo": {"hl7", "domain", "base"},
    "app": None,  # app may use everything
}

# Tests may also use the synthetic data generator as a fixture source; ehr's tests store real
# messages through the ingest pipeline (signed results need stored interrogations) and re-map
# them as serve does (its TEST_DEPS link heartbase_ingest).
TEST_EXTRA = {"demo"}
TEST_EXTRA_OF = {"ehr": {"ingest"}, "billing": {"ingest"}}

root = pathlib.Path(__file__).resolve().parent.parent / "src"
include = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')
bad = []
for path in sorted(root.rglob("*")):
    if path.suffix not in {".h", ".cpp"}:
        continue
    module = path.relative_to(root).parts[0]
    allowed = ALLOWED.get(module, set())
    if allowed is None:
        continue
    for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        m = include.match(line)
        extra = (TEST_EXTRA | TEST_EXTRA_OF.get(module, set())
                 if path.name.endswith(("_test.cpp", "_fuzz.cpp")) else set())
        if m and m.group(1) != module and m.group(1) not in allowed | extra:
            bad.append(f"{path.relative_to(root.parent)}:{n}: {module} may not include {m.group(1)}/")
if bad:
    print("layering violations:\n" + "\n".join(bad))
    sys.exit(1)
print(f"layering: ok ({len(ALLOWED)} modules)")
