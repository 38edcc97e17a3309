// The built-in rule table. Defaults and their sources are documented in docs/rules.md; change both
// together.
#include "rules/catalog.h"

#include <algorithm>

namespace heartbase::rules {
namespace {

constexpr ParamSpec kNone{};

constexpr RuleSpec kSpecs[] = {
    {RuleId::kBatteryEos,
     "battery_eos",
     "battery status end of service (EOS/EOL)",
     Severity::kRed,
     0,
     {kNone, kNone, kNone, kNone}},
    {RuleId::kBatteryRrt,
     "battery_rrt",
     "battery status recommended replacement time (RRT/ERI)",
     Severity::kYellow,
     0,
     {kNone, kNone, kNone, kNone}},
    {RuleId::kBatteryLongevity,
     "battery_longevity",
     "remaining battery longevity under a minimum",
     Severity::kInfo,
     1,
     {ParamSpec{"min_months", "months", 6, 0, 240, false}, kNone, kNone, kNone}},
    {RuleId::kLeadImpedanceRange,
     "lead_impedance_range",
     "pacing lead impedance out of range",
     Severity::kYellow,
     2,
     {ParamSpec{"min_ohm", "Ω", 200, 0, 10000, false},
      ParamSpec{"max_ohm", "Ω", 2000, 0, 10000, false}, kNone, kNone}},
    {RuleId::kLeadImpedanceChange,
     "lead_impedance_change",
     "pacing lead impedance changed from the patient's baseline",
     Severity::kYellow,
     2,
     {ParamSpec{"max_change_percent", "%", 30, 1, 1000, false},
      ParamSpec{"baseline_points", "", 5, 1, 50, true}, kNone, kNone}},
    {RuleId::kCaptureThresholdRise,
     "capture_threshold_rise",
     "pacing capture threshold above a ceiling or risen from the patient's baseline",
     Severity::kYellow,
     3,
     {ParamSpec{"max_rise_v", "V", 1.0, 0.1, 10, false},
      ParamSpec{"max_v", "V", 3.0, 0.1, 10, false},
      ParamSpec{"baseline_points", "", 5, 1, 50, true}, kNone}},
    {RuleId::kSensingAmplitudeDrop,
     "sensing_amplitude_drop",
     "sensed amplitude under a minimum or dropped from the patient's baseline",
     Severity::kYellow,
     4,
     {ParamSpec{"min_atrial_mv", "mV", 1.0, 0, 50, false},
      ParamSpec{"min_ventricular_mv", "mV", 3.0, 0, 50, false},
      ParamSpec{"max_drop_percent", "%", 50, 1, 100, false},
      ParamSpec{"baseline_points", "", 5, 1, 50, true}}},
    {RuleId::kHvImpedanceRange,
     "hv_impedance_range",
     "high-voltage (shock) impedance out of range",
     Severity::kRed,
     2,
     {ParamSpec{"min_ohm", "Ω", 20, 0, 1000, false}, ParamSpec{"max_ohm", "Ω", 200, 0, 1000, false},
      kNone, kNone}},
    {RuleId::kShocksDelivered,
     "shocks_delivered",
     "shocks delivered since the last session",
     Severity::kRed,
     1,
     {ParamSpec{"min_shocks", "", 1, 1, 1000, true}, kNone, kNone, kNone}},
    {RuleId::kAtpDelivered,
     "atp_delivered",
     "anti-tachycardia pacing delivered",
     Severity::kYellow,
     1,
     {ParamSpec{"min_sequences", "", 1, 1, 1000, true}, kNone, kNone, kNone}},
    {RuleId::kVtVfEpisodes,
     "vt_vf_episodes",
     "ventricular tachycardia / fibrillation episodes",
     Severity::kRed,
     1,
     {ParamSpec{"min_episodes", "", 1, 1, 1000, true}, kNone, kNone, kNone}},
    {RuleId::kAfBurden,
     "af_burden",
     "AT/AF burden over a threshold",
     Severity::kYellow,
     1,
     {ParamSpec{"max_percent", "%", 10, 0, 100, false}, kNone, kNone, kNone}},
    {RuleId::kNewOnsetAf,
     "new_onset_af",
     "AT/AF in a patient with none in earlier transmissions",
     Severity::kYellow,
     2,
     {ParamSpec{"onset_percent", "%", 1, 0.01, 100, false},
      ParamSpec{"lookback_points", "", 12, 1, 100, true}, kNone, kNone}},
    {RuleId::kLowBivPacing,
     "low_biv_pacing",
     "biventricular pacing under a minimum (CRT only)",
     Severity::kYellow,
     1,
     {ParamSpec{"min_percent", "%", 95, 0, 100, false}, kNone, kNone, kNone}},
    {RuleId::kDeviceInitiated,
     "device_initiated",
     "device-initiated (alert) transmission",
     Severity::kYellow,
     0,
     {kNone, kNone, kNone, kNone}},
    {RuleId::kMissedTransmission,
     "missed_transmission",
     "no transmission within the monitoring interval plus a grace period",
     Severity::kYellow,
     2,
     {ParamSpec{"interval_days", "days", 91, 1, 400, true},
      ParamSpec{"grace_days", "days", 14, 0, 180, true}, kNone, kNone}},
};
static_assert(std::size(kSpecs) == kRuleCount);

constexpr std::uint32_t kTerms[] = {
    term::kBatteryStatus,
    term::kBatteryLongevity,
    term::kSensingAmplitude,
    term::kSensingAmplitudeMean,
    term::kSensingAmplitude + 4,
    term::kSensingAmplitudeMean + 4,
    term::kSensingAmplitude + 8,
    term::kSensingAmplitudeMean + 8,
    term::kSensingAmplitude + 12,
    term::kSensingAmplitudeMean + 12,
    term::kThresholdAmplitude,
    term::kThresholdAmplitude + 1,
    term::kThresholdAmplitude + 2,
    term::kThresholdAmplitude + 3,
    term::kImpedance,
    term::kImpedance + 1,
    term::kImpedance + 2,
    term::kImpedance + 3,
    term::kHvImpedance,
    term::kAtBurdenPercent,
    term::kCrtLvPercentPaced,
    term::kCrtPercentPaced,
    term::kShocksDeliveredRecent,
    term::kAtpDeliveredRecent,
    term::kEpisodeType,
    term::kEpisodeRecentCount,
};

}  // namespace

std::span<const RuleSpec> RuleSpecs() { return kSpecs; }

const RuleSpec& SpecOf(RuleId id) { return kSpecs[static_cast<std::size_t>(id)]; }

std::optional<RuleId> RuleFromName(std::string_view name) {
  for (const RuleSpec& s : kSpecs) {
    if (s.name == name) return s.id;
  }
  return std::nullopt;
}

std::span<const std::uint32_t> RuleTerms() {
  static_assert(std::is_sorted(std::begin(kTerms), std::end(kTerms)));
  return kTerms;
}

bool IsRuleTerm(std::uint32_t code) {
  return std::binary_search(std::begin(kTerms), std::end(kTerms), code);
}

}  // namespace heartbase::rules
