// The billing and scheduling rules (docs/billing.md).
#include "billing/rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "base/time.h"

namespace heartbase::billing {
namespace {

using store::ChargeComponent;

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

bool Covers(const std::vector<std::string>& types, std::string_view type) {
  return std::find(types.begin(), types.end(), type) != types.end();
}

// The remote periods of one device family.
void RemoteSeries(const CodeTable& table, const RemoteRule& rule, const PatientHistory& patient,
                  std::int64_t today, BillingOutcome& out) {
  std::vector<const Session*> remote;
  for (const Session& s : patient.sessions) {
    if (s.kind == SessionKind::kRemote && Covers(rule.device_types, s.device_type)) {
      remote.push_back(&s);
    }
  }
  if (remote.empty()) return;
  const std::int64_t anchor = remote.front()->day;
  const std::int64_t series_device = remote.front()->device_id;
  const PayerRule& payer = table.Payer(patient.payer);
  std::map<std::int64_t, std::vector<const Session*>> periods;  // period index → its sessions
  for (const Session* s : remote) periods[FloorDiv(s->day - anchor, rule.period_days)].push_back(s);

  for (const auto& [index, all] : periods) {
    const std::int64_t start = anchor + index * rule.period_days;
    const std::int64_t end = start + rule.period_days - 1;
    if (today <= end) continue;  // still open: charged from the day after it ends
    std::vector<const Session*> sessions;
    for (const Session* s : all) {
      if (!s->history) sessions.push_back(s);
    }
    if (sessions.empty()) continue;  // billed by the previous system
    std::vector<std::int64_t> ids;
    ids.reserve(sessions.size());
    for (const Session* s : sessions) ids.push_back(s->interrogation_id);
    std::sort(ids.begin(), ids.end());
    const std::string key = fmt::format("remote:{}:{}", series_device, base::FormatIsoDay(start));
    const std::int64_t device = sessions.back()->device_id;

    // The professional component: the earliest signed interpretation whose signer did not also
    // evaluate the patient in person in this period (the exclusion).
    const Session* reading = nullptr;
    const Session* excluded_by = nullptr;
    std::vector<const Session*> signed_sessions;
    for (const Session* s : sessions) {
      if (s->signed_off && !s->signer.empty()) signed_sessions.push_back(s);
    }
    std::stable_sort(
        signed_sessions.begin(), signed_sessions.end(),
        [](const Session* a, const Session* b) { return a->signed_day < b->signed_day; });
    for (const Session* s : signed_sessions) {
      const Session* in_person = nullptr;
      if (table.in_person_excludes_remote_professional) {
        for (const Session& p : patient.sessions) {
          if (p.kind == SessionKind::kInPerson && !p.history && p.signed_off &&
              p.signer == s->signer && p.day >= start && p.day <= end &&
              table.InPersonFor(p.device_type) != nullptr) {
            in_person = &p;
            break;
          }
        }
      }
      if (in_person == nullptr) {
        reading = s;
        break;
      }
      if (excluded_by == nullptr) excluded_by = in_person;
    }
    const auto service_day = [&](const Session* interpretation) {
      if (payer.date_of_service == ServiceDateRule::kInterpretation && interpretation != nullptr) {
        return interpretation->signed_day;
      }
      return end;
    };
    if (rule.professional) {
      if (reading != nullptr) {
        out.charges.push_back({.period_key = key,
                               .code = *rule.professional,
                               .component = ChargeComponent::kProfessional,
                               .device_id = device,
                               .period_start = start,
                               .period_end = end,
                               .service_day = service_day(reading),
                               .reading_physician = reading->signer,
                               .interrogations = ids});
      } else {
        std::string reason = "no signed review";
        if (excluded_by != nullptr) {
          reason = fmt::format(
              "excluded: in-person evaluation on {} by the same physician "
              "(interrogation {})",
              base::FormatIsoDay(excluded_by->day), excluded_by->interrogation_id);
        }
        out.missed.push_back({.period_key = key,
                              .code = *rule.professional,
                              .component = ChargeComponent::kProfessional,
                              .device_id = device,
                              .period_start = start,
                              .period_end = end,
                              .reason = std::move(reason),
                              .interrogations = ids});
      }
    }
    if (rule.technical) {
      if (static_cast<int>(sessions.size()) >= rule.min_transmissions) {
        const Session* interpretation = reading != nullptr        ? reading
                                        : signed_sessions.empty() ? nullptr
                                                                  : signed_sessions.front();
        out.charges.push_back({.period_key = key,
                               .code = *rule.technical,
                               .component = ChargeComponent::kTechnical,
                               .device_id = device,
                               .period_start = start,
                               .period_end = end,
                               .service_day = service_day(interpretation),
                               .reading_physician = {},
                               .interrogations = ids});
      } else {
        out.missed.push_back(
            {.period_key = key,
             .code = *rule.technical,
             .component = ChargeComponent::kTechnical,
             .device_id = device,
             .period_start = start,
             .period_end = end,
             .reason = fmt::format("fewer than {} transmissions", rule.min_transmissions),
             .interrogations = ids});
      }
    }
  }
}

}  // namespace

SessionKind KindOf(std::string_view session_type) {
  if (session_type.starts_with("Remote")) return SessionKind::kRemote;
  if (session_type == "InClinic") return SessionKind::kInPerson;
  if (session_type == "Implant") return SessionKind::kImplant;
  return SessionKind::kNone;
}

void ComputeCharges(const CodeTable& table, const PatientHistory& patient, std::int64_t today,
                    BillingOutcome& out) {
  for (const RemoteRule& rule : table.remote) RemoteSeries(table, rule, patient, today, out);
  for (const Session& s : patient.sessions) {
    if (s.kind != SessionKind::kInPerson || s.history) continue;
    const InPersonRule* rule = table.InPersonFor(s.device_type);
    if (rule == nullptr) continue;
    const std::string key = fmt::format("session:{}", s.interrogation_id);
    if (s.signed_off && !s.signer.empty()) {
      out.charges.push_back({.period_key = key,
                             .code = rule->code,
                             .component = ChargeComponent::kGlobal,
                             .device_id = s.device_id,
                             .period_start = s.day,
                             .period_end = s.day,
                             .service_day = s.day,
                             .reading_physician = s.signer,
                             .interrogations = {s.interrogation_id}});
    } else if (today > s.day) {
      out.missed.push_back({.period_key = key,
                            .code = rule->code,
                            .component = ChargeComponent::kGlobal,
                            .device_id = s.device_id,
                            .period_start = s.day,
                            .period_end = s.day,
                            .reason = "no signed review",
                            .interrogations = {s.interrogation_id}});
    }
  }
}

std::string_view ToString(FollowUpKind kind) {
  switch (kind) {
    case FollowUpKind::kInClinic:
      return "in_clinic";
    case FollowUpKind::kVisit:
      return "visit";
    case FollowUpKind::kRemote:
      break;
  }
  return "remote";
}

std::string_view ToString(FollowUpStatus status) {
  switch (status) {
    case FollowUpStatus::kDue:
      return "due";
    case FollowUpStatus::kOverdue:
      return "overdue";
    case FollowUpStatus::kMissed:
      return "missed";
    case FollowUpStatus::kBooked:
      return "booked";
    case FollowUpStatus::kUpcoming:
      break;
  }
  return "upcoming";
}

void FollowUps(const FollowUpInput& p, std::int64_t today, std::vector<WorkItem>& out) {
  const auto status_of = [&](std::int64_t overdue, int interval) {
    if (overdue < -kDueWindowDays) return FollowUpStatus::kUpcoming;
    if (overdue <= 0) return FollowUpStatus::kDue;
    if (overdue <= std::min(interval, kMaxOverdueGraceDays)) return FollowUpStatus::kOverdue;
    return FollowUpStatus::kMissed;
  };
  const auto item = [&](FollowUpKind kind, std::optional<std::int64_t> last, int interval) {
    WorkItem w{.patient_id = p.patient_id,
               .clinic_id = p.clinic_id,
               .device_type = p.device_type,
               .kind = kind};
    w.last_day = last;
    w.interval_days = interval;
    w.due_day = last.value_or(p.first_day) + interval;
    w.days_overdue = today - w.due_day;
    w.status = status_of(w.days_overdue, interval);
    return w;
  };
  if (p.plan.remote_days) {
    out.push_back(item(FollowUpKind::kRemote, p.last_remote_day, *p.plan.remote_days));
  }
  std::optional<std::pair<std::int64_t, std::int64_t>> next_visit;
  for (const auto& visit : p.booked) {
    if (visit.second >= today - 1) {
      if (!next_visit) next_visit = visit;
      continue;
    }
    WorkItem w{.patient_id = p.patient_id,
               .clinic_id = p.clinic_id,
               .device_type = p.device_type,
               .kind = FollowUpKind::kVisit,
               .status = FollowUpStatus::kOverdue,
               .due_day = visit.second,
               .days_overdue = today - visit.second};
    w.visit_id = visit.first;
    w.last_day = p.last_in_clinic_day;
    out.push_back(std::move(w));
  }
  if (p.plan.in_clinic_days) {
    WorkItem w = item(FollowUpKind::kInClinic, p.last_in_clinic_day, *p.plan.in_clinic_days);
    if (next_visit) {
      w.status = FollowUpStatus::kBooked;
      w.visit_id = next_visit->first;
      w.due_day = next_visit->second;
      w.days_overdue = today - next_visit->second;
    }
    out.push_back(std::move(w));
  } else if (next_visit) {
    WorkItem w{.patient_id = p.patient_id,
               .clinic_id = p.clinic_id,
               .device_type = p.device_type,
               .kind = FollowUpKind::kVisit,
               .status = FollowUpStatus::kBooked,
               .due_day = next_visit->second,
               .days_overdue = today - next_visit->second};
    w.visit_id = next_visit->first;
    out.push_back(std::move(w));
  }
}

}  // namespace heartbase::billing
