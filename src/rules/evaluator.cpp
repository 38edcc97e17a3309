// Live evaluation: facts from the interrogation, history from the trend table.
#include "rules/evaluator.h"

#include "store/alerts.h"

namespace heartbase::rules {

base::Result<Evaluation> Evaluator::Evaluate(store::Transaction& tx,
                                             const domain::Interrogation& in,
                                             const Subject& subject,
                                             std::int64_t received_us) const {
  const Facts facts = FactsOf(in, received_us);
  const ResolvedRules resolved = rules_.Resolve({.clinic_id = subject.clinic_id,
                                                 .device_type = facts.device_type,
                                                 .patient_id = subject.patient_id});
  History history;
  for (const HistoryNeed& need : HistoryNeeds(facts, resolved)) {
    auto values = store::ReadEarlierValues(tx, subject.patient_id, need.code, facts.session_us,
                                           subject.interrogation_id, need.count);
    if (!values) return values.error();
    history.earlier.emplace_back(need.code, std::move(*values));
  }
  Evaluation out;
  out.alerts = ApplyRules(facts, history, resolved);
  out.triage = Prioritize(out.alerts, received_us, resolved.triage);
  return out;
}

std::optional<Alert> Evaluator::CheckMissedTransmission(
    const Subject& subject, domain::DeviceType device_type, std::optional<std::int64_t> last_us,
    std::int64_t now_us, std::optional<std::int64_t> plan_interval_us) const {
  const ResolvedRules resolved = rules_.Resolve({.clinic_id = subject.clinic_id,
                                                 .device_type = device_type,
                                                 .patient_id = subject.patient_id});
  const RuleConfig& c = resolved[RuleId::kMissedTransmission];
  if (!c.enabled) return std::nullopt;
  MonitoringSchedule schedule = ScheduleOf(resolved);
  if (plan_interval_us) schedule.interval_us = *plan_interval_us;
  auto alert = MissedTransmission(schedule, last_us, now_us, c.severity);
  if (alert) alert->due_us = now_us + TargetOf(alert->severity, resolved.triage);
  return alert;
}

}  // namespace heartbase::rules
