// Follow-up scheduling facts: monitoring plans (default, clinic and patient scope), booked
// in-clinic visits, and the per-patient facts the follow-up work list is computed from. The
// scheduling rules themselves live in src/billing (work list); this file only reads and writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "store/database.h"

namespace heartbase::store {

enum class PlanScope : std::uint8_t { kDefault, kClinic, kPatient };
std::string_view ToString(PlanScope scope);

struct PlanRow {
  std::int64_t id = 0;
  PlanScope scope = PlanScope::kDefault;
  std::int64_t clinic_id = 0;   // kClinic
  std::int64_t patient_id = 0;  // kPatient
  std::string device_type;      // "*" for a patient's plan
  std::optional<int> remote_days, in_clinic_days;
  std::optional<std::string> payer, ordering_physician;
  int version = 1;
  std::optional<std::int64_t> set_by;
  std::int64_t set_us = 0;
};

// Every plan row (defaults, every clinic's, every patient's): a few per clinic and one per patient
// with a plan of their own. Ordered by scope, then id.
base::Result<std::vector<PlanRow>> ListPlans(Transaction& tx);
// The rows that apply to one patient: the defaults, their clinic's and their own.
base::Result<std::vector<PlanRow>> ListPlansFor(Transaction& tx, std::int64_t clinic_id,
                                                std::int64_t patient_id);

// Creates or replaces the plan of (scope, clinic, patient, device type); the version counts the
// changes; `user_id` 0 = the system. kInvalidArgument for days out of range (remote 1–730, in
// clinic 1–1100) or a payer or physician name too long; a default row cannot be written here
// (defaults change by migration).
base::Result<PlanRow> PutPlan(Transaction& tx, const PlanRow& plan, std::int64_t user_id,
                              std::int64_t now_us);
// Removes a clinic's or patient's plan (back to the next less specific). kNotFound if absent.
base::Status DeletePlan(Transaction& tx, PlanScope scope, std::int64_t clinic_id,
                        std::int64_t patient_id, std::string_view device_type);

// The plan that applies to a patient, field by field: the patient's own value, else their
// clinic's for the device type, else the default for the device type, else the default for
// "unknown". Built once from ListPlans (thread-compatible, read-only after construction).
struct ResolvedPlan {
  std::optional<int> remote_days, in_clinic_days;
  std::string payer = "default";
  std::string ordering_physician;
  PlanScope remote_from = PlanScope::kDefault;     // where remote_days came from
  PlanScope in_clinic_from = PlanScope::kDefault;  // where in_clinic_days came from
};
class PlanBook {
 public:
  explicit PlanBook(std::vector<PlanRow> rows);
  ResolvedPlan Resolve(std::int64_t clinic_id, std::int64_t patient_id,
                       std::string_view device_type) const;

 private:
  const PlanRow* Find(PlanScope scope, std::int64_t clinic, std::int64_t patient,
                      std::string_view device_type) const;
  std::vector<PlanRow> rows_;  // sorted by (scope, clinic, patient, device type)
};

enum class VisitState : std::uint8_t { kBooked, kDone, kCancelled };
std::string_view ToString(VisitState state);

struct VisitRow {
  std::int64_t id = 0, patient_id = 0, clinic_id = 0;
  std::string day;  // YYYY-MM-DD, the clinic's calendar
  VisitState state = VisitState::kBooked;
  std::optional<std::int64_t> interrogation_id;
  std::int64_t booked_us = 0;
  std::optional<std::int64_t> closed_us;
};

// kInvalidArgument for a day that is not a valid YYYY-MM-DD date.
base::Result<std::int64_t> BookVisit(Transaction& tx, std::int64_t patient_id,
                                     std::int64_t clinic_id, std::string_view day,
                                     std::int64_t user_id, std::int64_t now_us);
base::Result<VisitRow> GetVisit(Transaction& tx, std::int64_t visit_id);
// kNotFound if absent; kAlreadyExists if it is no longer booked.
base::Status CancelVisit(Transaction& tx, std::int64_t visit_id, std::int64_t now_us);
// A patient's visits, newest day first (every state).
base::Result<std::vector<VisitRow>> ListVisits(Transaction& tx, std::int64_t patient_id);
// Every booked visit of the given clinics (empty = all), by day.
base::Result<std::vector<VisitRow>> ListBookedVisits(Transaction& tx,
                                                     const std::vector<std::int64_t>& clinics);
// Called by InsertInterrogation for an in-clinic session: the patient's earliest booked visit
// within a day of the session's UTC date becomes done, naming the interrogation. Returns the
// visit closed, if any.
base::Result<std::optional<std::int64_t>> CloseVisitFor(Transaction& tx, std::int64_t patient_id,
                                                        std::int64_t interrogation_id,
                                                        std::int64_t session_us,
                                                        std::int64_t now_us);

// A session's time as scheduling and billing count it: the session time the device reported, or
// the time it arrived when the report is missing or lies more than kMaxSessionSkewUs after the
// arrival (a programmer or monitor whose clock runs ahead).
inline constexpr std::int64_t kMaxSessionSkewUs = 24LL * 3600 * 1'000'000;
std::int64_t EffectiveSessionUs(std::optional<std::int64_t> session_us, std::int64_t received_us);

// What the work list needs of one patient: the current device (most recently seen), the
// last remote and in-clinic follow-ups (effective times, current versions), and when follow-up
// began (the first device's first sighting).
struct FollowUpFacts {
  std::int64_t patient_id = 0, clinic_id = 0;
  std::string device_type;  // "unknown" when the patient has no device
  std::int64_t first_seen_us = 0;
  std::optional<std::int64_t> last_remote_us, last_in_clinic_us;
};
// Every patient of the given clinics (empty = all), by patient id, unmatched ones included (their
// transmissions arrive and are due like anyone's; billing waits until they are linked or
// accepted); at most `limit` after
// `after_patient` (pages for the missed-transmission scan; the work list reads them all).
base::Result<std::vector<FollowUpFacts>> ListFollowUpFacts(Transaction& tx,
                                                           const std::vector<std::int64_t>& clinics,
                                                           std::int64_t after_patient = 0,
                                                           int limit = -1);

// Every clinic's IANA time zone (clinic.time_zone): scheduling and billing count the clinic's
// calendar days.
base::Result<std::vector<std::pair<std::int64_t, std::string>>> ListClinicTimeZones(
    Transaction& tx);

}  // namespace heartbase::store
