// Billing and scheduling over the store: the follow-up work list, the charge computation, the
// close job that writes ready charges once, and the exports (CSV, HL7 DFT^P03) that hand them to
// the hospital's billing system. Reads and writes go through store/followup.h and
// store/charges.h; the rules are billing/rules.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/time.h"
#include "base/time_zone.h"
#include "billing/code_table.h"
#include "billing/rules.h"
#include "crypto/key_ring.h"
#include "store/charges.h"
#include "store/database.h"

namespace heartbase::billing {

// Each clinic's calendar: the local day of an instant.
class ClinicCalendar {
 public:
  // Zones that are not installed fall back to UTC (the clinic's settings name the zone; a report
  // refuses it the same way).
  static base::Result<ClinicCalendar> Load(store::Transaction& tx);
  std::int64_t DayOf(std::int64_t clinic_id, std::int64_t utc_us) const;

 private:
  std::map<std::int64_t, base::TimeZone> zones_;
};

// The clinic's calendar days as text ("YYYY-MM-DD"; base/time.h).
inline std::string FormatDay(std::int64_t day) { return base::FormatIsoDay(day); }
inline std::optional<std::int64_t> ParseDay(std::string_view text) {
  return base::ParseIsoDay(text);
}

struct WorkListFilter {
  std::vector<std::int64_t> clinics;  // the caller's clinics; empty = every clinic
  std::optional<std::int64_t> clinic;
  std::optional<std::string> device_type;
  std::optional<std::int64_t> min_days_overdue;
  std::vector<FollowUpStatus> statuses;  // empty = due, overdue, missed and booked
  int limit = 500;
};

struct WorkList {
  std::vector<WorkItem> items;  // most overdue first, then patient id
  std::int64_t total = 0;       // matching items before `limit`
  std::map<FollowUpStatus, std::int64_t> counts;
};

base::Result<WorkList> BuildWorkList(store::Transaction& tx, const WorkListFilter& filter,
                                     std::int64_t now_us);

// One patient's follow-up items (the chart), every status.
base::Result<std::vector<WorkItem>> PatientFollowUps(store::Transaction& tx,
                                                     std::int64_t patient_id, std::int64_t now_us);

// The charge rules over every patient of `clinics` (empty = all) as of now: the charges that are
// ready (stored or not) and the missed ones. An unmatched patient's would-be charges and missed
// ones are all missed, with kUnmatchedReason: nothing is billed for a patient nobody confirmed.
struct PatientCharge {
  std::int64_t patient_id = 0, clinic_id = 0;
  std::string payer, ordering_physician;
  Charge charge;
};
struct PatientMissed {
  std::int64_t patient_id = 0, clinic_id = 0;
  MissedCharge missed;
};
struct BillingRun {
  std::vector<PatientCharge> charges;
  std::vector<PatientMissed> missed;
  std::int64_t patients = 0, sessions = 0;
  // Of `missed`: the periods and sessions of unmatched patients (reason kUnmatchedReason), which
  // wait for the patient to be linked or accepted.
  std::int64_t unmatched = 0;
};
inline constexpr std::string_view kUnmatchedReason =
    "unmatched patient: link or accept the patient first";
base::Result<BillingRun> ComputeBilling(store::Transaction& tx, const CodeTable& table,
                                        const std::vector<std::int64_t>& clinics,
                                        std::int64_t now_us);

// The close job: writes every ready charge not stored yet. A remote charge whose period overlaps
// a stored charge of the same patient and code (a merge joined two series) is not written and
// is counted as `overlapping`. Safe to run any number of times, from any number of processes.
struct CloseResult {
  std::int64_t created = 0, existing = 0, overlapping = 0;
  std::int64_t missed = 0;     // of matched patients
  std::int64_t unmatched = 0;  // periods and sessions waiting for their patient to be matched
};
base::Result<CloseResult> CloseCharges(store::Database& db, const CodeTable& table,
                                       std::int64_t now_us);

enum class ExportFormat : std::uint8_t { kCsv, kDft };
std::string_view ToString(ExportFormat format);

struct DftOptions {
  std::string sending_application = "HEARTBASE", sending_facility;
  std::string receiving_application, receiving_facility;
  std::string processing_id = "P";
};

struct ExportResult {
  std::int64_t export_id = 0;
  std::int64_t charges = 0;
  std::string file;  // the CSV, or the DFT^P03 messages (CR-separated segments, one per charge)
  std::string sha256;
  std::vector<std::int64_t> charge_ids;
  std::vector<std::int64_t> patient_ids;  // the patients the file names, ascending
};
// Exports every charge of `clinics` (empty = all) not exported yet, in one batch: each charge is
// exported exactly once (a charge taken by a concurrent export is not exported again). kNotFound
// when there is nothing to export.
base::Result<ExportResult> ExportCharges(store::Database& db, const crypto::KeyRing& keys,
                                         const std::vector<std::int64_t>& clinics,
                                         ExportFormat format, const DftOptions& dft,
                                         std::int64_t user_id, std::int64_t now_us);

// The files themselves (read back by tests; the export writes one of them).
base::Result<std::string> RenderCsv(store::Transaction& tx, const crypto::KeyRing& keys,
                                    const std::vector<store::ChargeRow>& charges,
                                    std::int64_t batch_id);
base::Result<std::string> RenderDft(store::Transaction& tx, const crypto::KeyRing& keys,
                                    const std::vector<store::ChargeRow>& charges,
                                    const DftOptions& options, std::int64_t batch_id,
                                    std::int64_t now_us);

}  // namespace heartbase::billing
