// The built-in rules: their ids, default severities and parameters (name, unit, default, valid
// range). One table drives the configuration parser, the resolver and docs/rules.md.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "store/alerts.h"

namespace heartbase::rules {

using store::Severity;

enum class RuleId : std::uint8_t {
  kBatteryEos,
  kBatteryRrt,
  kBatteryLongevity,
  kLeadImpedanceRange,
  kLeadImpedanceChange,
  kCaptureThresholdRise,
  kSensingAmplitudeDrop,
  kHvImpedanceRange,
  kShocksDelivered,
  kAtpDelivered,
  kVtVfEpisodes,
  kAfBurden,
  kNewOnsetAf,
  kLowBivPacing,
  kDeviceInitiated,
  kMissedTransmission,
};
inline constexpr std::size_t kRuleCount = 16;
inline constexpr std::size_t kMaxParams = 4;

struct ParamSpec {
  std::string_view name;  // TOML key, e.g. "max_ohm"
  std::string_view unit;  // for docs and reasons, e.g. "Ω"
  double default_value = 0;
  double min = 0;  // valid range, inclusive
  double max = 0;
  bool integer = false;  // must be a whole number
};

struct RuleSpec {
  RuleId id;
  std::string_view name;     // TOML key and alert rule id, e.g. "lead_impedance_range"
  std::string_view summary;  // one line for docs
  Severity severity;         // default severity
  std::size_t param_count;
  std::array<ParamSpec, kMaxParams> params;
};

// Parameter positions within each rule's RuleConfig::params (same order as the spec table).
namespace param {
inline constexpr std::size_t kMinMonths = 0;                              // battery_longevity
inline constexpr std::size_t kMinOhm = 0, kMaxOhm = 1;                    // *_impedance_range
inline constexpr std::size_t kMaxChangePercent = 0, kBaselinePoints = 1;  // lead_impedance_change
inline constexpr std::size_t kMaxRiseV = 0, kMaxV = 1, kThresholdBaseline = 2;  // capture
inline constexpr std::size_t kMinAtrialMv = 0, kMinVentricularMv = 1, kMaxDropPercent = 2,
                             kSensingBaseline = 3;                    // sensing
inline constexpr std::size_t kMinCount = 0;                           // shocks, atp, vt_vf episodes
inline constexpr std::size_t kMaxBurdenPercent = 0;                   // af_burden
inline constexpr std::size_t kOnsetPercent = 0, kLookbackPoints = 1;  // new_onset_af
inline constexpr std::size_t kMinBivPercent = 0;                      // low_biv_pacing
inline constexpr std::size_t kIntervalDays = 0, kGraceDays = 1;       // missed_transmission
}  // namespace param

// Every rule, in RuleId order.
std::span<const RuleSpec> RuleSpecs();
const RuleSpec& SpecOf(RuleId id);
std::optional<RuleId> RuleFromName(std::string_view name);

// IEEE 11073-10103 terms the rules read (shared/reference/idco-hl7.md §5). Kept here rather than
// taken from idco, which rules may not depend on.
namespace term {
inline constexpr std::uint32_t kBatteryStatus = 721280;
inline constexpr std::uint32_t kBatteryLongevity = 721472;  // months
// Lead channels: RA, RV, LA, LV at +0, +1, +2, +3.
inline constexpr std::uint32_t kSensingAmplitude = 722048;      // mV, stride 4 (…_INTR_AMPL)
inline constexpr std::uint32_t kSensingAmplitudeMean = 722051;  // mV, stride 4 (…_MEAN)
inline constexpr std::uint32_t kThresholdAmplitude = 722176;    // V
inline constexpr std::uint32_t kImpedance = 722432;             // Ohm
inline constexpr std::uint32_t kHvImpedance = 722624;           // Ohm
inline constexpr std::uint32_t kAtBurdenPercent = 737696;
inline constexpr std::uint32_t kCrtLvPercentPaced = 737792;
inline constexpr std::uint32_t kCrtPercentPaced = 737808;
inline constexpr std::uint32_t kShocksDeliveredRecent = 737824;
inline constexpr std::uint32_t kAtpDeliveredRecent = 737888;
inline constexpr std::uint32_t kEpisodeType = 737952;  // episode counter group: type
inline constexpr std::uint32_t kEpisodeRecentCount = 738000;
inline constexpr std::uint32_t kBatteryRrtEnum = 754115;  // MDC_IDC_ENUM_BATTERY_STATUS RRT
}  // namespace term

// Chamber names of the lead-channel term blocks, by offset 0..3.
inline constexpr std::array<std::string_view, 4> kChambers = {"RA", "RV", "LA", "LV"};

// Every term any rule reads from an interrogation (sorted).
std::span<const std::uint32_t> RuleTerms();
bool IsRuleTerm(std::uint32_t code);

}  // namespace heartbase::rules
