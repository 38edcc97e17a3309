// Triage priority: an interrogation's priority is the highest severity of its alerts, and it is
// due for review within that priority's response-time target (TOML [triage], docs/rules.md).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "rules/rule_set.h"
#include "store/alerts.h"

namespace heartbase::rules {

struct Triage {
  std::optional<Severity> priority;  // the highest severity of the alerts; none = routine
  std::int64_t due_us = 0;           // when the interrogation should have been reviewed

  // The queue's severity scale (store/review.h SetPriority): 0 none, 1 info, 2 yellow, 3 red.
  int QueueSeverity() const { return priority ? static_cast<int>(*priority) : 0; }
  friend bool operator==(const Triage&, const Triage&) = default;
};

// Sets each alert's due_us (received_us + its severity's target) and returns the interrogation's
// priority (none without alerts) and due time (the earliest of its alerts, or received_us + the
// routine target).
Triage Prioritize(std::span<store::Alert> alerts, std::int64_t received_us,
                  const TriageTargets& targets);

// The target of one severity.
std::int64_t TargetOf(Severity severity, const TriageTargets& targets);

// Overdue: not reviewed and past its due time (strictly) at `now_us`.
bool IsOverdue(const Triage& triage, std::int64_t now_us, bool reviewed);

}  // namespace heartbase::rules
