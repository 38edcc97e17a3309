// RuleSet: a parsed rule configuration (docs/rules.md) — the built-in defaults overridden per
// device type, per clinic, per device type within a clinic and per patient — and the resolution
// of the rules in effect for one patient. Parsing is strict: every unknown key, wrong type or
// out-of-range value is an error naming the key.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "domain/interrogation.h"
#include "rules/catalog.h"

namespace heartbase::rules {

// One rule as it applies to one patient.
struct RuleConfig {
  bool enabled = true;
  Severity severity = Severity::kInfo;
  std::array<double, kMaxParams> params{};
};

// Response-time targets per priority (microseconds after an interrogation is received).
struct TriageTargets {
  std::int64_t red_us = 0;
  std::int64_t yellow_us = 0;
  std::int64_t info_us = 0;
  std::int64_t routine_us = 0;  // interrogations without alerts
};

struct ResolvedRules {
  std::array<RuleConfig, kRuleCount> rules;
  TriageTargets triage;
  const RuleConfig& operator[](RuleId id) const { return rules[static_cast<std::size_t>(id)]; }
};

// Who the rules are resolved for. A device type of kUnknown or kOther matches no device-type
// override.
struct Scope {
  std::int64_t clinic_id = 0;
  domain::DeviceType device_type = domain::DeviceType::kUnknown;
  std::int64_t patient_id = 0;
};

// What one configuration table sets; absent values fall through to the less specific level.
struct RuleOverride {
  std::optional<bool> enabled;
  std::optional<Severity> severity;
  std::array<std::optional<double>, kMaxParams> params;
};
struct Layer {
  std::array<RuleOverride, kRuleCount> rules;
  std::array<std::optional<double>, 4> triage_hours;  // red, yellow, info, routine
};

struct ParseLimits {
  std::size_t max_bytes = 256 * 1024;  // checked before the text is parsed
  std::size_t max_overrides = 10000;   // device-type, clinic and patient tables together
};

class RuleSet {
 public:
  // The built-in defaults (catalog.h) with the default triage targets: red 24 h, yellow 7 days,
  // info and routine 30 days.
  RuleSet();

  // Most specific wins, value by value: patient > device type within the clinic > clinic >
  // device type > the file's top level > built-in default.
  ResolvedRules Resolve(const Scope& scope) const;

  std::size_t override_count() const;

  // Building (the parser, tests): the layer of each level, created empty on first use.
  Layer& top() { return top_; }
  Layer& device_type(domain::DeviceType t) { return device_types_[t]; }
  Layer& clinic(std::int64_t id) { return clinics_[id]; }
  Layer& clinic_device_type(std::int64_t id, domain::DeviceType t) {
    return clinic_device_types_[{id, t}];
  }
  Layer& patient(std::int64_t id) { return patients_[id]; }
  // Clinics named by any override table, and patients with an override table.
  std::vector<std::int64_t> clinic_ids() const;
  std::vector<std::int64_t> patient_ids() const;

 private:
  Layer top_;
  std::map<domain::DeviceType, Layer> device_types_;
  std::map<std::int64_t, Layer> clinics_;
  std::map<std::pair<std::int64_t, domain::DeviceType>, Layer> clinic_device_types_;
  std::map<std::int64_t, Layer> patients_;
};

// Parses the TOML configuration. Errors (kInvalidArgument unless said otherwise), each naming the
// key path, e.g. "rules config: clinic.2.rules.lead_impedance_range.max_ohm: 20000 is out of
// range 0–10000": TOML syntax (with line and column); unknown keys; wrong types; values out of
// range or not whole where they must be; a minimum not below its maximum in one table;
// kLimitExceeded for text over limits.max_bytes or more than limits.max_overrides override
// tables. The empty text gives the built-in defaults.
base::Result<RuleSet> ParseRuleSet(std::string_view text, const ParseLimits& limits = {});

// TOML names of device types: pacemaker, icd, crt_p, crt_d, icm. nullopt for other names.
std::optional<domain::DeviceType> DeviceTypeFromName(std::string_view name);
std::string_view DeviceTypeName(domain::DeviceType t);

}  // namespace heartbase::rules
