// The billing code table: which CPT codes (and modifiers) a remote monitoring period or an
// in-person session is charged with, for which device types, how long a period is, what excludes
// what, and each payer's date-of-service rule. Data, not code: codes are revised every year, so a
// clinic edits a TOML file (docs/billing.md) and restarts; the table built in is the 2026 one.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace heartbase::billing {

struct BilledCode {
  std::string code;      // "93294"
  std::string modifier;  // "", "26", "TC"
};

// Remote monitoring of a family of devices: once per period, a professional component (needs a
// signed interpretation in the period) and a technical component (needs the transmissions).
struct RemoteRule {
  std::string name;  // the table's key ("pacemaker", "icd", "loop_recorder")
  std::vector<std::string> device_types;
  int period_days = 90;
  std::optional<BilledCode> professional, technical;
  int min_transmissions = 1;
};

// An in-person evaluation: one charge per signed in-clinic session.
struct InPersonRule {
  std::string name;
  std::vector<std::string> device_types;
  BilledCode code;
};

enum class ServiceDateRule : std::uint8_t { kPeriodEnd, kInterpretation };

struct PayerRule {
  ServiceDateRule date_of_service = ServiceDateRule::kPeriodEnd;
};

struct CodeTable {
  std::string version;  // "2026.1": recorded on every charge
  std::vector<RemoteRule> remote;
  std::vector<InPersonRule> in_person;
  // An in-person evaluation in a remote period, signed by the physician who would sign the
  // period's remote interpretation, excludes the remote professional component of that period.
  bool in_person_excludes_remote_professional = true;
  std::map<std::string, PayerRule, std::less<>> payers;  // always has "default"

  // nullptr when no rule covers the device type.
  const RemoteRule* RemoteFor(std::string_view device_type) const;
  const InPersonRule* InPersonFor(std::string_view device_type) const;
  // The payer's rule, or the default's.
  const PayerRule& Payer(std::string_view payer) const;
};

// Reads a table. Strict: every key is known, every value has its type and range; errors
// (kInvalidArgument) name the file, the key and the line: "codes.toml:12: remote.icd.period_days:
// 0 is out of range 1–366".
base::Result<CodeTable> ParseCodeTable(std::string_view text, std::string_view origin);

// The built-in table (2026) as TOML text, with the sources of its facts in comments, and parsed.
std::string_view DefaultCodeTableText();
const CodeTable& DefaultCodeTable();

}  // namespace heartbase::billing
