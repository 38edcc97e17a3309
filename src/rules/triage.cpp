// Triage priority and due times.
#include "rules/triage.h"

#include <algorithm>

namespace heartbase::rules {

std::int64_t TargetOf(Severity severity, const TriageTargets& targets) {
  switch (severity) {
    case store::Severity::kRed:
      return targets.red_us;
    case store::Severity::kYellow:
      return targets.yellow_us;
    case store::Severity::kInfo:
      break;
  }
  return targets.info_us;
}

Triage Prioritize(std::span<store::Alert> alerts, std::int64_t received_us,
                  const TriageTargets& targets) {
  Triage t{.due_us = received_us + targets.routine_us};
  bool first = true;
  for (store::Alert& a : alerts) {
    a.due_us = received_us + TargetOf(a.severity, targets);
    if (!t.priority || a.severity > *t.priority) t.priority = a.severity;
    t.due_us = first ? a.due_us : std::min(t.due_us, a.due_us);
    first = false;
  }
  return t;
}

bool IsOverdue(const Triage& triage, std::int64_t now_us, bool reviewed) {
  return !reviewed && now_us > triage.due_us;
}

}  // namespace heartbase::rules
