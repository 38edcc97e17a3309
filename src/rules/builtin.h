// The built-in rules as pure functions of an interrogation's facts, the patient's history and the
// resolved configuration. Every rule and its exact trigger condition is listed in docs/rules.md.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "rules/facts.h"
#include "rules/rule_set.h"
#include "store/alerts.h"

namespace heartbase::rules {

using store::Alert;

// The alerts of every enabled rule (except missed_transmission, which is not about one
// interrogation), in catalog order; due_us is left 0 (see Prioritize). Reasons carry values and
// units, never patient identity. Deterministic; thread-safe.
std::vector<Alert> ApplyRules(const Facts& facts, const History& history,
                              const ResolvedRules& rules);

struct MonitoringSchedule {
  std::int64_t interval_us = 0;  // expected time between transmissions
  std::int64_t grace_us = 0;     // tolerated delay before the transmission counts as missed
};

// The monitoring schedule a resolved configuration gives (missed_transmission parameters).
MonitoringSchedule ScheduleOf(const ResolvedRules& rules);

// A missed transmission: the last one was received more than interval + grace before `now_us`
// (strictly). No alert without a last transmission (the schedule starts with the first one).
std::optional<Alert> MissedTransmission(const MonitoringSchedule& schedule,
                                        std::optional<std::int64_t> last_us, std::int64_t now_us,
                                        Severity severity);

// Whether an episode type mnemonic (Epis_VT, Epis_VF, MDT-Epis_Fast_VT …) is a ventricular
// tachyarrhythmia; non-sustained VT (NS_VT, NSVT) and SVT are not.
bool IsVentricularArrhythmia(std::string_view episode_type);

}  // namespace heartbase::rules
