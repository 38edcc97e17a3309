// Resolution of a RuleSet for one patient: layers applied from least to most specific.
#include "rules/rule_set.h"

namespace heartbase::rules {
namespace {

constexpr std::int64_t kHourUs = 3'600'000'000;
constexpr double kDefaultTriageHours[4] = {24, 7 * 24, 30 * 24, 30 * 24};

void Apply(const Layer& layer, ResolvedRules* out) {
  for (std::size_t i = 0; i < kRuleCount; ++i) {
    const RuleOverride& o = layer.rules[i];
    RuleConfig& c = out->rules[i];
    if (o.enabled) c.enabled = *o.enabled;
    if (o.severity) c.severity = *o.severity;
    for (std::size_t p = 0; p < kMaxParams; ++p) {
      if (o.params[p]) c.params[p] = *o.params[p];
    }
  }
  std::int64_t* targets[4] = {&out->triage.red_us, &out->triage.yellow_us, &out->triage.info_us,
                              &out->triage.routine_us};
  for (std::size_t i = 0; i < 4; ++i) {
    if (layer.triage_hours[i]) {
      *targets[i] =
          static_cast<std::int64_t>(*layer.triage_hours[i] * static_cast<double>(kHourUs));
    }
  }
}

template <typename Map, typename Key>
void ApplyIfPresent(const Map& map, const Key& key, ResolvedRules* out) {
  if (auto it = map.find(key); it != map.end()) Apply(it->second, out);
}

}  // namespace

RuleSet::RuleSet() = default;

ResolvedRules RuleSet::Resolve(const Scope& scope) const {
  ResolvedRules out;
  for (const RuleSpec& spec : RuleSpecs()) {
    RuleConfig& c = out.rules[static_cast<std::size_t>(spec.id)];
    c.enabled = true;
    c.severity = spec.severity;
    for (std::size_t p = 0; p < spec.param_count; ++p) c.params[p] = spec.params[p].default_value;
  }
  Layer defaults;
  for (std::size_t i = 0; i < 4; ++i) defaults.triage_hours[i] = kDefaultTriageHours[i];
  Apply(defaults, &out);
  Apply(top_, &out);
  ApplyIfPresent(device_types_, scope.device_type, &out);
  ApplyIfPresent(clinics_, scope.clinic_id, &out);
  ApplyIfPresent(clinic_device_types_, std::make_pair(scope.clinic_id, scope.device_type), &out);
  ApplyIfPresent(patients_, scope.patient_id, &out);
  return out;
}

std::size_t RuleSet::override_count() const {
  return device_types_.size() + clinics_.size() + clinic_device_types_.size() + patients_.size();
}

std::vector<std::int64_t> RuleSet::clinic_ids() const {
  std::vector<std::int64_t> out;
  for (const auto& [id, layer] : clinics_) out.push_back(id);
  for (const auto& [key, layer] : clinic_device_types_) out.push_back(key.first);
  return out;
}

std::vector<std::int64_t> RuleSet::patient_ids() const {
  std::vector<std::int64_t> out;
  out.reserve(patients_.size());
  for (const auto& [id, layer] : patients_) out.push_back(id);
  return out;
}

std::optional<domain::DeviceType> DeviceTypeFromName(std::string_view name) {
  using domain::DeviceType;
  if (name == "pacemaker") return DeviceType::kPacemaker;
  if (name == "icd") return DeviceType::kIcd;
  if (name == "crt_p") return DeviceType::kCrtP;
  if (name == "crt_d") return DeviceType::kCrtD;
  if (name == "icm") return DeviceType::kMonitor;
  return std::nullopt;
}

std::string_view DeviceTypeName(domain::DeviceType t) {
  using domain::DeviceType;
  switch (t) {
    case DeviceType::kPacemaker:
      return "pacemaker";
    case DeviceType::kIcd:
      return "icd";
    case DeviceType::kCrtP:
      return "crt_p";
    case DeviceType::kCrtD:
      return "crt_d";
    case DeviceType::kMonitor:
      return "icm";
    case DeviceType::kUnknown:
    case DeviceType::kOther:
      break;
  }
  return "other";
}

}  // namespace heartbase::rules
