// The billing and scheduling rules as pure functions over one patient's history: which charges a
// patient's closed monitoring periods and in-person sessions produce, which periods closed without
// one (the missed-charge report), and which follow-ups are due. No I/O; days are the clinic's
// calendar days (days since 1970-01-01 in the clinic's time zone). docs/billing.md states each
// rule.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "billing/code_table.h"
#include "store/charges.h"
#include "store/followup.h"

namespace heartbase::billing {

enum class SessionKind : std::uint8_t { kRemote, kInPerson, kImplant, kNone };
// "Remote…" → remote; "InClinic" → in person; "Implant" → implant (not charged: the implant's
// global period); anything else (Unknown, Other) is never charged.
SessionKind KindOf(std::string_view session_type);

struct Session {
  std::int64_t interrogation_id = 0, device_id = 0;
  std::string device_type;
  SessionKind kind = SessionKind::kNone;
  std::int64_t day = 0;  // the effective session time's day
  bool history = false;  // signed in the previous system: billed there, never here
  bool signed_off = false;
  std::string signer;  // display name of the signing physician
  std::int64_t signed_day = 0;
};

struct PatientHistory {
  std::int64_t patient_id = 0, clinic_id = 0;
  std::string payer = "default", ordering_physician;
  std::vector<Session> sessions;  // by day, then interrogation id
};

struct Charge {
  std::string period_key;
  BilledCode code;
  store::ChargeComponent component = store::ChargeComponent::kGlobal;
  std::int64_t device_id = 0;
  std::int64_t period_start = 0, period_end = 0, service_day = 0;  // days, inclusive
  std::string reading_physician;
  std::vector<std::int64_t> interrogations;  // ascending
};

struct MissedCharge {
  std::string period_key;
  BilledCode code;
  store::ChargeComponent component = store::ChargeComponent::kGlobal;
  std::int64_t device_id = 0, period_start = 0, period_end = 0;
  std::string reason;  // "no signed review", "excluded: …", "fewer than N transmissions"
  std::vector<std::int64_t> interrogations;
};

struct BillingOutcome {
  std::vector<Charge> charges;
  std::vector<MissedCharge> missed;
};

// The charges and missed charges of one patient as of `today`. Remote periods are consecutive,
// `period_days` long, anchored at the first remote session of the device family (a replacement
// by a device of the same family continues the series); a period is charged from the day after
// it ends. Appends to `out`.
void ComputeCharges(const CodeTable& table, const PatientHistory& patient, std::int64_t today,
                    BillingOutcome& out);

// The follow-up work list.
enum class FollowUpKind : std::uint8_t { kRemote, kInClinic, kVisit };
enum class FollowUpStatus : std::uint8_t { kUpcoming, kDue, kOverdue, kMissed, kBooked };
std::string_view ToString(FollowUpKind kind);
std::string_view ToString(FollowUpStatus status);

inline constexpr int kDueWindowDays = 14;  // "due" from this many days before the due date
inline constexpr int kMaxOverdueGraceDays = 30;

struct FollowUpInput {
  std::int64_t patient_id = 0, clinic_id = 0;
  std::string device_type;
  std::int64_t first_day = 0;  // when follow-up began (first device seen)
  std::optional<std::int64_t> last_remote_day, last_in_clinic_day;
  store::ResolvedPlan plan;
  std::vector<std::pair<std::int64_t, std::int64_t>> booked;  // (visit id, day), by day
};

struct WorkItem {
  std::int64_t patient_id = 0, clinic_id = 0;
  std::string device_type;
  FollowUpKind kind = FollowUpKind::kRemote;
  FollowUpStatus status = FollowUpStatus::kUpcoming;
  std::int64_t due_day = 0;
  std::int64_t days_overdue = 0;  // negative: due in that many days
  std::optional<std::int64_t> last_day;
  std::optional<std::int64_t> visit_id;
  std::optional<int> interval_days;
};

// The patient's next remote and in-clinic follow-ups and their booked visits. A follow-up is due
// from kDueWindowDays before its date, overdue after it, and missed once more than
// min(interval, kMaxOverdueGraceDays) days overdue; an in-clinic follow-up with a visit booked
// from yesterday on is "booked"; a booked visit more than a day past is overdue (no in-clinic
// session arrived for it). Appends to `out`.
void FollowUps(const FollowUpInput& patient, std::int64_t today, std::vector<WorkItem>& out);

}  // namespace heartbase::billing
