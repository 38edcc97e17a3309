// Facts from a domain::Interrogation, mirroring what store/interrogations.cpp puts in the trend
// table (the same categories and value kinds), so shadow mode sees what ingest saw.
#include "rules/facts.h"

#include <algorithm>
#include <set>

namespace heartbase::rules {
namespace {

using domain::Category;
using domain::Observation;

bool Trended(const Observation& o) {
  switch (o.category) {
    case Category::kMeasurement:
    case Category::kStatistic:
    case Category::kEpisodeCounter:
    case Category::kOther:
      break;
    default:
      return false;
  }
  switch (o.value.kind) {
    case domain::Value::Kind::kNumber:
    case domain::Value::Kind::kCoded:
      return true;
    case domain::Value::Kind::kStructured:
      return o.value.structured.num1.has_value();
    default:
      return false;
  }
}

void Add(const Observation& o, std::vector<Point>* out) {
  if (!IsRuleTerm(o.code) || !Trended(o)) return;
  Point p{.code = o.code, .instance = o.instance};
  switch (o.value.kind) {
    case domain::Value::Kind::kNumber:
      p.number = o.value.number;
      break;
    case domain::Value::Kind::kCoded:
      p.coded = o.value.coded.mnemonic.empty() ? o.value.coded.code : o.value.coded.mnemonic;
      if (o.value.coded.enum_code != 0) p.number = static_cast<double>(o.value.coded.enum_code);
      break;
    default:  // structured, with a first number (Trended)
      p.coded = o.value.structured.comparator;
      p.number = o.value.structured.num1;
      break;
  }
  out->push_back(std::move(p));
}

int NeedFor(std::uint32_t code, const ResolvedRules& rules) {
  auto enabled_count = [&](RuleId id, std::size_t param) {
    return rules[id].enabled ? static_cast<int>(rules[id].params[param]) : 0;
  };
  if (code >= term::kImpedance && code < term::kImpedance + 4) {
    return enabled_count(RuleId::kLeadImpedanceChange, param::kBaselinePoints);
  }
  if (code >= term::kThresholdAmplitude && code < term::kThresholdAmplitude + 4) {
    return enabled_count(RuleId::kCaptureThresholdRise, param::kThresholdBaseline);
  }
  if (code >= term::kSensingAmplitude && code < term::kSensingAmplitude + 16) {
    return enabled_count(RuleId::kSensingAmplitudeDrop, param::kSensingBaseline);
  }
  if (code == term::kAtBurdenPercent) {
    return enabled_count(RuleId::kNewOnsetAf, param::kLookbackPoints);
  }
  return 0;
}

}  // namespace

std::optional<double> Facts::Number(std::uint32_t code) const {
  for (const Point& p : points) {
    if (p.code == code && p.number) return p.number;
  }
  return std::nullopt;
}

Facts FactsOf(const domain::Interrogation& in, std::int64_t received_us) {
  Facts f;
  f.device_type = in.device.type;
  f.session_type = in.session_type;
  f.session_us = in.session_time ? in.session_time->ToUnixMicros() : received_us;
  for (const auto* list : {&in.device_observations, &in.session_observations, &in.measurements,
                           &in.settings, &in.statistics, &in.other_observations}) {
    for (const Observation& o : *list) Add(o, &f.points);
  }
  for (const auto* groups :
       {&in.lead_groups, &in.zones, &in.episode_counters, &in.episode_groups}) {
    for (const domain::Group& g : *groups) {
      for (const Observation& o : g.observations) Add(o, &f.points);
    }
  }
  std::stable_sort(f.points.begin(), f.points.end(), [](const Point& a, const Point& b) {
    return a.code != b.code ? a.code < b.code : a.instance < b.instance;
  });
  // The store keeps one episode per instance (the first) and none without a type.
  std::set<std::uint32_t> seen;
  for (const domain::Episode& e : in.episodes) {
    if (!seen.insert(e.instance).second || e.type.empty()) continue;
    f.episode_types.push_back(e.type);
  }
  return f;
}

std::span<const double> History::Of(std::uint32_t code) const {
  for (const auto& [c, values] : earlier) {
    if (c == code) return values;
  }
  return {};
}

std::vector<HistoryNeed> HistoryNeeds(const Facts& facts, const ResolvedRules& rules) {
  std::vector<HistoryNeed> out;
  for (const Point& p : facts.points) {
    const int n = NeedFor(p.code, rules);
    if (n <= 0) continue;
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const HistoryNeed& h) { return h.code == p.code; });
    if (it == out.end()) {
      out.push_back({p.code, n});
    } else {
      it->count = std::max(it->count, n);
    }
  }
  return out;
}

std::optional<double> Median(std::span<const double> values, std::size_t count) {
  const std::size_t n = std::min(count, values.size());
  if (n == 0) return std::nullopt;
  std::vector<double> v(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(n));
  std::sort(v.begin(), v.end());
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace heartbase::rules
