// The built-in rules. Limits are compared with a small tolerance so that a value equal to its
// limit (2.25 − 1.25 V against a 1 V rise) never triggers through floating-point rounding: the
// documented boundary is "strictly above / below the limit".
#include "rules/builtin.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <utility>

#include "rules/internal/format.h"

namespace heartbase::rules {
namespace {

using internal::Num;

constexpr std::int64_t kDayUs = 86'400'000'000;

bool Above(double v, double limit) { return v > limit + 1e-9 * std::max(1.0, std::fabs(limit)); }
bool Below(double v, double limit) { return v < limit - 1e-9 * std::max(1.0, std::fabs(limit)); }

std::string Upper(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == ' ' || c == '-' || c == '_') continue;
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

class Run {
 public:
  Run(const Facts& facts, const History& history, const ResolvedRules& rules)
      : facts_(facts), history_(history), rules_(rules) {}

  bool On(RuleId id) const { return rules_[id].enabled; }
  double P(RuleId id, std::size_t i) const { return rules_[id].params[i]; }

  void Emit(RuleId id, std::string reason) {
    alerts_.push_back({.rule = std::string(SpecOf(id).name),
                       .severity = rules_[id].severity,
                       .reason = std::move(reason)});
  }

  template <typename Fn>
  void ForEach(std::uint32_t code, Fn&& fn) const {
    for (const Point& p : facts_.points) {
      if (p.code == code && p.number) fn(*p.number);
    }
  }

  std::optional<double> Baseline(std::uint32_t code, RuleId id, std::size_t count_param) const {
    return Median(history_.Of(code), static_cast<std::size_t>(P(id, count_param)));
  }

  void Battery() {
    for (const Point& p : facts_.points) {
      if (p.code != term::kBatteryStatus) continue;
      const std::string s = Upper(p.coded);
      const bool eos = s == "EOS" || s == "EOL" || s.find("ENDOFSERVICE") != std::string::npos ||
                       s.find("ENDOFLIFE") != std::string::npos;
      const bool rrt = p.number == static_cast<double>(term::kBatteryRrtEnum) || s == "RRT" ||
                       s == "ERI" || s.find("REPLACEMENT") != std::string::npos;
      const std::string shown = p.coded.empty() ? "?" : p.coded;
      if (eos && On(RuleId::kBatteryEos)) {
        Emit(RuleId::kBatteryEos, fmt::format("Battery status {} (end of service)", shown));
      } else if (!eos && rrt && On(RuleId::kBatteryRrt)) {
        Emit(RuleId::kBatteryRrt,
             fmt::format("Battery status {} (recommended replacement time)", shown));
      }
    }
    if (On(RuleId::kBatteryLongevity)) {
      const double min = P(RuleId::kBatteryLongevity, param::kMinMonths);
      ForEach(term::kBatteryLongevity, [&](double v) {
        if (Below(v, min)) {
          Emit(RuleId::kBatteryLongevity,
               fmt::format("Remaining battery longevity {} months (minimum {} months)", Num(v),
                           Num(min)));
        }
      });
    }
  }

  void Range(RuleId id, std::uint32_t code, std::string_view what) {
    if (!On(id)) return;
    const double lo = P(id, param::kMinOhm), hi = P(id, param::kMaxOhm);
    ForEach(code, [&](double v) {
      if (Below(v, lo) || Above(v, hi)) {
        Emit(id, fmt::format("{} {} Ω (range {}–{} Ω)", what, Num(v), Num(lo), Num(hi)));
      }
    });
  }

  void Leads() {
    for (std::uint32_t c = 0; c < 4; ++c) {
      const std::string_view ch = kChambers[c];
      const std::uint32_t imp = term::kImpedance + c;
      Range(RuleId::kLeadImpedanceRange, imp, fmt::format("{} lead impedance", ch));
      if (On(RuleId::kLeadImpedanceChange)) {
        const double max = P(RuleId::kLeadImpedanceChange, param::kMaxChangePercent);
        const auto base = Baseline(imp, RuleId::kLeadImpedanceChange, param::kBaselinePoints);
        ForEach(imp, [&](double v) {
          if (!base || *base <= 0) return;
          const double pct = (v - *base) / *base * 100;
          if (Above(std::fabs(pct), max)) {
            Emit(RuleId::kLeadImpedanceChange,
                 fmt::format("{} lead impedance {} Ω, {} {}% from baseline {} Ω (limit {}%)", ch,
                             Num(v), pct > 0 ? "up" : "down", Num(std::fabs(pct)), Num(*base),
                             Num(max)));
          }
        });
      }
      if (On(RuleId::kCaptureThresholdRise)) {
        const std::uint32_t code = term::kThresholdAmplitude + c;
        const double max_v = P(RuleId::kCaptureThresholdRise, param::kMaxV);
        const double max_rise = P(RuleId::kCaptureThresholdRise, param::kMaxRiseV);
        const auto base = Baseline(code, RuleId::kCaptureThresholdRise, param::kThresholdBaseline);
        ForEach(code, [&](double v) {
          if (Above(v, max_v)) {
            Emit(RuleId::kCaptureThresholdRise,
                 fmt::format("{} capture threshold {} V (limit {} V)", ch, Num(v), Num(max_v)));
          } else if (base && Above(v - *base, max_rise)) {
            Emit(RuleId::kCaptureThresholdRise,
                 fmt::format("{} capture threshold {} V, up {} V from baseline {} V (limit +{} V)",
                             ch, Num(v), Num(v - *base), Num(*base), Num(max_rise)));
          }
        });
      }
      if (On(RuleId::kSensingAmplitudeDrop)) Sensing(c);
    }
    Range(RuleId::kHvImpedanceRange, term::kHvImpedance, "High-voltage (shock) impedance");
  }

  void Sensing(std::uint32_t c) {
    const RuleId id = RuleId::kSensingAmplitudeDrop;
    std::uint32_t code = term::kSensingAmplitude + 4 * c;
    if (!facts_.Number(code)) code = term::kSensingAmplitudeMean + 4 * c;
    const bool atrial = c == 0 || c == 2;
    const double min = P(id, atrial ? param::kMinAtrialMv : param::kMinVentricularMv);
    const double max_drop = P(id, param::kMaxDropPercent);
    const auto base = Baseline(code, id, param::kSensingBaseline);
    ForEach(code, [&](double v) {
      if (Below(v, min)) {
        Emit(id, fmt::format("{} sensed amplitude {} mV (minimum {} mV)", kChambers[c], Num(v),
                             Num(min)));
      } else if (base && *base > 0 && Above((*base - v) / *base * 100, max_drop)) {
        Emit(id, fmt::format("{} sensed amplitude {} mV, down {}% from baseline {} mV (limit {}%)",
                             kChambers[c], Num(v), Num((*base - v) / *base * 100), Num(*base),
                             Num(max_drop)));
      }
    });
  }

  void Count(RuleId id, std::uint32_t code, std::string_view one, std::string_view many) {
    if (!On(id)) return;
    ForEach(code, [&](double n) {
      if (n >= P(id, param::kMinCount)) {
        Emit(id, fmt::format("{} {} since the last session", Num(n), n == 1 ? one : many));
      }
    });
  }

  void Arrhythmias() {
    Count(RuleId::kShocksDelivered, term::kShocksDeliveredRecent, "shock delivered",
          "shocks delivered");
    Count(RuleId::kAtpDelivered, term::kAtpDeliveredRecent, "ATP sequence delivered",
          "ATP sequences delivered");
    if (On(RuleId::kVtVfEpisodes)) {
      // Episode counters (type + recent count, grouped by instance), else the listed episodes.
      std::map<std::uint32_t, std::pair<bool, double>> counters;
      for (const Point& p : facts_.points) {
        if (p.code == term::kEpisodeType)
          counters[p.instance].first = IsVentricularArrhythmia(p.coded);
        if (p.code == term::kEpisodeRecentCount && p.number)
          counters[p.instance].second += *p.number;
      }
      double counted = 0;
      for (const auto& [instance, c] : counters) {
        if (c.first) counted += c.second;
      }
      const auto listed = static_cast<double>(
          std::count_if(facts_.episode_types.begin(), facts_.episode_types.end(),
                        [](const std::string& t) { return IsVentricularArrhythmia(t); }));
      const double n = std::max(counted, listed);
      if (n > 0 && n >= P(RuleId::kVtVfEpisodes, param::kMinCount)) {
        Emit(RuleId::kVtVfEpisodes, fmt::format("{} VT/VF {} since the last session", Num(n),
                                                n == 1 ? "episode" : "episodes"));
      }
    }
    const auto burden = facts_.Number(term::kAtBurdenPercent);
    if (burden && On(RuleId::kAfBurden)) {
      const double max = P(RuleId::kAfBurden, param::kMaxBurdenPercent);
      if (Above(*burden, max)) {
        Emit(RuleId::kAfBurden,
             fmt::format("AT/AF burden {}% (threshold {}%)", Num(*burden), Num(max)));
      }
    }
    if (burden && On(RuleId::kNewOnsetAf)) {
      const double onset = P(RuleId::kNewOnsetAf, param::kOnsetPercent);
      const auto earlier =
          history_.Of(term::kAtBurdenPercent)
              .first(std::min(
                  history_.Of(term::kAtBurdenPercent).size(),
                  static_cast<std::size_t>(P(RuleId::kNewOnsetAf, param::kLookbackPoints))));
      const bool none_before =
          std::all_of(earlier.begin(), earlier.end(), [&](double v) { return Below(v, onset); });
      if (!earlier.empty() && none_before && !Below(*burden, onset)) {
        Emit(RuleId::kNewOnsetAf,
             fmt::format("New-onset AT/AF: burden {}% after {} earlier {} under {}%", Num(*burden),
                         earlier.size(), earlier.size() == 1 ? "transmission" : "transmissions",
                         Num(onset)));
      }
    }
  }

  void Crt() {
    using domain::DeviceType;
    if (!On(RuleId::kLowBivPacing)) return;
    if (facts_.device_type != DeviceType::kCrtD && facts_.device_type != DeviceType::kCrtP) return;
    auto pct = facts_.Number(term::kCrtPercentPaced);
    if (!pct) pct = facts_.Number(term::kCrtLvPercentPaced);
    const double min = P(RuleId::kLowBivPacing, param::kMinBivPercent);
    if (pct && Below(*pct, min)) {
      Emit(RuleId::kLowBivPacing,
           fmt::format("Biventricular pacing {}% (minimum {}%)", Num(*pct), Num(min)));
    }
  }

  void Session() {
    if (On(RuleId::kDeviceInitiated) &&
        facts_.session_type == domain::SessionType::kRemoteDeviceInitiated) {
      Emit(RuleId::kDeviceInitiated, "Device-initiated (alert) transmission");
    }
  }

  std::vector<Alert> Take() {
    // Catalog order, stable within a rule (chamber order).
    std::stable_sort(alerts_.begin(), alerts_.end(), [](const Alert& a, const Alert& b) {
      return *RuleFromName(a.rule) < *RuleFromName(b.rule);
    });
    return std::move(alerts_);
  }

 private:
  const Facts& facts_;
  const History& history_;
  const ResolvedRules& rules_;
  std::vector<Alert> alerts_;
};

}  // namespace

std::vector<Alert> ApplyRules(const Facts& facts, const History& history,
                              const ResolvedRules& rules) {
  Run run(facts, history, rules);
  run.Battery();
  run.Leads();
  run.Arrhythmias();
  run.Crt();
  run.Session();
  return run.Take();
}

MonitoringSchedule ScheduleOf(const ResolvedRules& rules) {
  const RuleConfig& c = rules[RuleId::kMissedTransmission];
  return {.interval_us = static_cast<std::int64_t>(c.params[param::kIntervalDays]) * kDayUs,
          .grace_us = static_cast<std::int64_t>(c.params[param::kGraceDays]) * kDayUs};
}

std::optional<Alert> MissedTransmission(const MonitoringSchedule& schedule,
                                        std::optional<std::int64_t> last_us, std::int64_t now_us,
                                        Severity severity) {
  if (!last_us || now_us - *last_us <= schedule.interval_us + schedule.grace_us) {
    return std::nullopt;
  }
  return Alert{
      .rule = std::string(SpecOf(RuleId::kMissedTransmission).name),
      .severity = severity,
      .reason = fmt::format("No transmission for {} days (expected every {} days, {} days grace)",
                            (now_us - *last_us) / kDayUs, schedule.interval_us / kDayUs,
                            schedule.grace_us / kDayUs)};
}

bool IsVentricularArrhythmia(std::string_view episode_type) {
  std::string s = Upper(episode_type);  // MDT-Epis_Fast_VT → MDTEPISFASTVT
  if (const auto at = s.find("EPIS"); at != std::string::npos) s = s.substr(at + 4);
  if (s.rfind("NS", 0) == 0 || s.find("SVT") != std::string::npos) return false;
  return s.find("VT") != std::string::npos || s.find("VF") != std::string::npos;
}

}  // namespace heartbase::rules
