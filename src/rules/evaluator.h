// Evaluator: the entry point of ingest. Applies the active rule set to a stored interrogation,
// reading the patient's history from the trend table inside the caller's transaction, and gives
// the alerts with their triage priority and due times.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/result.h"
#include "domain/interrogation.h"
#include "rules/builtin.h"
#include "rules/rule_set.h"
#include "rules/triage.h"
#include "store/database.h"

namespace heartbase::rules {

// Who and what is evaluated. interrogation_id is the stored interrogation (0 if not stored): its
// own trend points are not history.
struct Subject {
  std::int64_t interrogation_id = 0;
  std::int64_t patient_id = 0;
  std::int64_t clinic_id = 0;
};

struct Evaluation {
  std::vector<Alert> alerts;  // due_us set; catalog order
  Triage triage;
};

// Immutable after construction; Evaluate may be called from several threads at once (each with
// its own transaction).
class Evaluator {
 public:
  explicit Evaluator(RuleSet rules) : rules_(std::move(rules)) {}

  // The alerts of `in`, received at `received_us` (its session time, when absent, and the start of
  // its response-time targets). History = the patient's values of the same term observed before
  // the session time, from other interrogations (store::ReadEarlierValues). Errors: those of the
  // transaction (the caller rolls back or retries the unit of work).
  base::Result<Evaluation> Evaluate(store::Transaction& tx, const domain::Interrogation& in,
                                    const Subject& subject, std::int64_t received_us) const;

  // The missed-transmission check for one patient, for a periodic scheduler: an alert when the
  // last transmission (received time) is older than the patient's monitoring interval + grace.
  // The interval is the patient's monitoring plan's remote interval (`plan_interval_us`, from
  // store/followup.h) when they have one, else the rule's interval_days. due_us is set from the
  // triage targets. nullopt when the rule is disabled for the patient.
  std::optional<Alert> CheckMissedTransmission(
      const Subject& subject, domain::DeviceType device_type, std::optional<std::int64_t> last_us,
      std::int64_t now_us, std::optional<std::int64_t> plan_interval_us = std::nullopt) const;

  const RuleSet& rule_set() const { return rules_; }

 private:
  RuleSet rules_;
};

}  // namespace heartbase::rules
