#include "ingest/missed_transmissions.h"

#include <array>
#include <optional>
#include <utility>
#include <vector>

#include "store/alerts.h"
#include "store/followup.h"
#include "store/review.h"

namespace heartbase::ingest {
namespace {

constexpr int kBatch = 500;

domain::DeviceType ParseDeviceType(std::string_view stored) {
  static constexpr std::array kTypes = {domain::DeviceType::kPacemaker, domain::DeviceType::kIcd,
                                        domain::DeviceType::kCrtD,      domain::DeviceType::kCrtP,
                                        domain::DeviceType::kMonitor,   domain::DeviceType::kOther};
  for (domain::DeviceType t : kTypes) {
    if (domain::ToString(t) == stored) return t;
  }
  return domain::DeviceType::kUnknown;
}

}  // namespace

base::Result<std::int64_t> ScanMissedTransmissions(store::Database& db, const crypto::KeyRing& keys,
                                                   const rules::RuleBook& rules,
                                                   std::int64_t now_us) {
  const auto evaluator = rules.Current();
  // The monitoring plans (defaults, clinics', patients'): the interval each patient is held to.
  std::optional<store::PlanBook> plans;
  if (auto s = store::RunUnitOfWork(db, store::Access::kRead,
                                    [&](store::Transaction& tx) -> base::Status {
                                      auto rows = store::ListPlans(tx);
                                      if (!rows) return rows.error();
                                      plans.emplace(std::move(*rows));
                                      return {};
                                    });
      !s) {
    return s.error();
  }
  std::int64_t raised = 0;
  std::int64_t after = 0;
  for (;;) {
    std::vector<store::LastTransmission> batch;
    if (auto s = store::RunUnitOfWork(db, store::Access::kRead,
                                      [&](store::Transaction& tx) -> base::Status {
                                        auto rows = store::ListLastTransmissions(tx, after, kBatch);
                                        if (!rows) return rows.error();
                                        batch = std::move(*rows);
                                        return {};
                                      });
        !s) {
      return s.error();
    }
    if (batch.empty()) break;
    after = batch.back().patient_id;
    std::vector<std::pair<std::int64_t, store::Alert>> alerts;
    for (const store::LastTransmission& t : batch) {
      const store::ResolvedPlan plan = plans->Resolve(t.clinic_id, t.patient_id, t.device_type);
      std::optional<std::int64_t> interval;
      if (plan.remote_days) interval = std::int64_t{*plan.remote_days} * 86'400'000'000LL;
      auto alert = evaluator->CheckMissedTransmission({0, t.patient_id, t.clinic_id},
                                                      ParseDeviceType(t.device_type), t.last_us,
                                                      now_us, interval);
      if (alert) alerts.emplace_back(t.patient_id, std::move(*alert));
    }
    if (!alerts.empty()) {
      // The list above leaves out patients already alerted since their last transmission; a
      // transmission arriving meanwhile only makes this alert one scan early.
      auto s = store::RunUnitOfWork(db, store::Access::kWrite, [&](store::Transaction& tx) {
        for (const auto& [patient, alert] : alerts) {
          if (auto r = store::InsertAlerts(tx, keys, std::nullopt, patient, {&alert, 1}, now_us);
              !r) {
            return r;
          }
        }
        return base::Status();
      });
      if (!s) return s.error();
      raised += static_cast<std::int64_t>(alerts.size());
    }
    if (static_cast<int>(batch.size()) < kBatch) break;
  }
  return raised;
}

}  // namespace heartbase::ingest
