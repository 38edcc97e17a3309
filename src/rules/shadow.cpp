// Shadow mode: replays stored interrogations patient by patient. Each patient's trend rows of the
// rule terms are read once (one range scan per term) and serve both as the facts of each of their
// interrogations and as the history of the later ones.
#include "rules/shadow.h"

#include <algorithm>
#include <array>
#include <map>
#include <utility>

#include "rules/builtin.h"
#include "rules/facts.h"
#include "store/alerts.h"

namespace heartbase::rules {
namespace {

constexpr int kPage = 1000;

template <typename Enum>
Enum FromStored(std::string_view stored, std::initializer_list<Enum> values, Enum fallback) {
  for (Enum e : values) {
    if (domain::ToString(e) == stored) return e;
  }
  return fallback;
}

domain::DeviceType DeviceTypeOf(std::string_view s) {
  using T = domain::DeviceType;
  return FromStored(s, {T::kPacemaker, T::kIcd, T::kCrtD, T::kCrtP, T::kMonitor, T::kOther},
                    T::kUnknown);
}

domain::SessionType SessionTypeOf(std::string_view s) {
  using T = domain::SessionType;
  return FromStored(s,
                    {T::kImplant, T::kInClinic, T::kRemote, T::kRemoteScheduled,
                     T::kRemoteDeviceInitiated, T::kRemotePatientInitiated, T::kOther},
                    T::kUnknown);
}

// One patient's trend rows of the rule terms.
class PatientTrend {
 public:
  void Load(std::vector<store::TrendRow> rows) {
    rows_ = std::move(rows);
    by_interrogation_.clear();
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      by_interrogation_[rows_[i].interrogation_id].push_back(i);
    }
  }

  std::vector<Point> PointsOf(std::int64_t interrogation_id) const {
    std::vector<Point> out;
    auto it = by_interrogation_.find(interrogation_id);
    if (it == by_interrogation_.end()) return out;
    for (std::size_t i : it->second) {
      const store::TrendRow& r = rows_[i];
      out.push_back({.code = r.code, .instance = r.instance, .number = r.number, .coded = r.coded});
    }
    std::stable_sort(out.begin(), out.end(), [](const Point& a, const Point& b) {
      return a.code != b.code ? a.code < b.code : a.instance < b.instance;
    });
    return out;
  }

  // As store::ReadEarlierValues: numbers of `code` observed before `before_us` in other
  // interrogations, newest first, at most `count`.
  std::vector<double> Earlier(std::uint32_t code, std::int64_t before_us, std::int64_t exclude,
                              int count) const {
    std::vector<double> out;
    // Rows are ordered by (code, time); find the code's block, then walk back from before_us.
    auto first =
        std::lower_bound(rows_.begin(), rows_.end(), code,
                         [](const store::TrendRow& r, std::uint32_t c) { return r.code < c; });
    auto last = std::lower_bound(
        first, rows_.end(), std::make_pair(code, before_us),
        [](const store::TrendRow& r, std::pair<std::uint32_t, std::int64_t> k) {
          return r.code < k.first || (r.code == k.first && r.observed_us < k.second);
        });
    while (last != first && static_cast<int>(out.size()) < count) {
      --last;
      if (last->interrogation_id != exclude && last->number) out.push_back(*last->number);
    }
    return out;
  }

 private:
  std::vector<store::TrendRow> rows_;
  std::map<std::int64_t, std::vector<std::size_t>> by_interrogation_;
};

using Flags = std::array<bool, kRuleCount>;

Flags Flagged(const Facts& facts, const PatientTrend& trend, const store::ReplayInterrogation& row,
              const RuleSet& set) {
  const ResolvedRules resolved = set.Resolve(
      {.clinic_id = row.clinic_id, .device_type = facts.device_type, .patient_id = row.patient_id});
  History history;
  for (const HistoryNeed& need : HistoryNeeds(facts, resolved)) {
    history.earlier.emplace_back(need.code,
                                 trend.Earlier(need.code, facts.session_us, row.id, need.count));
  }
  Flags flags{};
  for (const Alert& a : ApplyRules(facts, history, resolved)) {
    flags[static_cast<std::size_t>(*RuleFromName(a.rule))] = true;
  }
  return flags;
}

}  // namespace

base::Result<ShadowReport> RunShadow(store::Transaction& tx, const RuleSet& live,
                                     const RuleSet& proposed, const ShadowOptions& options) {
  ShadowReport report;
  for (const RuleSpec& spec : RuleSpecs()) {
    if (spec.id != RuleId::kMissedTransmission)
      report.rules.push_back({.rule = std::string(spec.name)});
  }
  auto diff_of = [&](std::size_t rule) -> RuleDiff& {
    // missed_transmission is last in the catalog, so indexes below it are unchanged.
    return report.rules[rule];
  };
  static_assert(static_cast<std::size_t>(RuleId::kMissedTransmission) == kRuleCount - 1);

  const store::ReplayFilter filter{
      .from_us = options.from_us, .to_us = options.to_us, .clinics = options.clinics};
  store::ReplayCursor cursor;
  std::int64_t loaded_patient = 0;
  PatientTrend trend;
  for (;;) {
    auto page = store::ListReplayInterrogations(tx, filter, cursor, kPage);
    if (!page) return page.error();
    for (const store::ReplayInterrogation& row : *page) {
      if (report.interrogations >= options.max_interrogations) {
        report.truncated = true;
        return report;
      }
      if (row.patient_id != loaded_patient) {
        auto rows = store::ReadPatientTrend(tx, row.patient_id, RuleTerms(),
                                            std::numeric_limits<std::int64_t>::max());
        if (!rows) return rows.error();
        trend.Load(std::move(*rows));
        loaded_patient = row.patient_id;
      }
      Facts facts;
      facts.device_type = DeviceTypeOf(row.device_type);
      facts.session_type = SessionTypeOf(row.session_type);
      facts.session_us = row.session_us;
      facts.points = trend.PointsOf(row.id);
      auto episodes = store::ReadEpisodeTypes(tx, row.id);
      if (!episodes) return episodes.error();
      facts.episode_types = std::move(*episodes);

      const Flags a = Flagged(facts, trend, row, live);
      const Flags b = Flagged(facts, trend, row, proposed);
      for (std::size_t i = 0; i + 1 < kRuleCount; ++i) {
        RuleDiff& d = diff_of(i);
        d.live += a[i] ? 1 : 0;
        d.proposed += b[i] ? 1 : 0;
        if (b[i] && !a[i]) {
          ++d.flagged_count;
          if (d.flagged.size() < options.max_ids) d.flagged.push_back(row.id);
        }
        if (a[i] && !b[i]) {
          ++d.hidden_count;
          if (d.hidden.size() < options.max_ids) d.hidden.push_back(row.id);
        }
      }
      ++report.interrogations;
      cursor = {.patient_id = row.patient_id, .id = row.id};
    }
    if (static_cast<int>(page->size()) < kPage) break;
  }
  return report;
}

}  // namespace heartbase::rules
