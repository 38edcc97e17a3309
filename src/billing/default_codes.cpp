// The built-in code table: CPT codes for remote and in-person evaluation of cardiac implantable
// electronic devices as of 2026 (docs/billing.md). `heartbase billing codes` prints it; a clinic
// edits a copy and passes it to `serve --billing-codes FILE`.
#include <cstdlib>

#include "billing/code_table.h"

namespace heartbase::billing {

std::string_view DefaultCodeTableText() {
  return R"TOML(# heartbase billing code table. Codes are revised every year: edit a copy of this file,
# raise `version`, and start serve with --billing-codes FILE. Every charge records the version
# it was made under.
#
# Sources: AMA CPT 2026 (93279-93299 family); CMS CY2024 physician fee schedule final rule
# (HCPCS G2066 deleted: 93297 and 93298 now carry a professional -26 and technical -TC
# component); HRS/ACC coding guidance and the manufacturers' reimbursement guides (a period's
# charge is billed after it ends: day 31 or day 91).
version = "2026.1"

# An in-person evaluation by the physician who would interpret the period's remote transmissions
# excludes that period's remote professional component (the same provider may not bill both).
in_person_excludes_remote_professional = true

# Remote interrogation device evaluation, once per period per patient.
[remote.pacemaker]
device_types = ["pacemaker", "crt-p"]
period_days = 90
professional = { code = "93294" }  # remote evaluation, pacemaker, up to 90 days
technical = { code = "93296" }     # remote interrogation, technical support, up to 90 days
min_transmissions = 1

[remote.icd]
device_types = ["icd", "crt-d"]
period_days = 90
professional = { code = "93295" }  # remote evaluation, ICD, up to 90 days
technical = { code = "93296" }
min_transmissions = 1

[remote.loop_recorder]
device_types = ["loop-recorder"]
period_days = 30
professional = { code = "93298", modifier = "26" }  # subcutaneous cardiac rhythm monitor, 30 days
technical = { code = "93298", modifier = "TC" }
min_transmissions = 1

# Implantable cardiovascular physiologic monitor (93297, 30 days): no device type reported by
# the IDCO feeds maps to it today; list its type here when one does.
[remote.physiologic_monitor]
device_types = ["physiologic-monitor"]
period_days = 30
professional = { code = "93297", modifier = "26" }
technical = { code = "93297", modifier = "TC" }
min_transmissions = 1

# In-person interrogation device evaluation, per session (programming evaluations 93279-93285
# need the programming changes, which the clinic codes by hand).
[in_person.pacemaker]
device_types = ["pacemaker", "crt-p"]
code = { code = "93288" }

[in_person.icd]
device_types = ["icd", "crt-d"]
code = { code = "93289" }

[in_person.loop_recorder]
device_types = ["loop-recorder"]
code = { code = "93291" }

# The date of service a payer wants on a period's charge: "period_end" (the last day of the
# period) or "interpretation" (the day the physician signed). A patient's plan names the payer;
# patients without one use [payer.default].
[payer.default]
date_of_service = "period_end"

[payer.medicare]
date_of_service = "period_end"

[payer.interpretation_date]
date_of_service = "interpretation"
)TOML";
}

const CodeTable& DefaultCodeTable() {
  static const CodeTable table = [] {
    auto parsed = ParseCodeTable(DefaultCodeTableText(), "built-in code table");
    if (!parsed) std::abort();  // a test parses it: cannot happen in a released build
    return std::move(*parsed);
  }();
  return table;
}

}  // namespace heartbase::billing
