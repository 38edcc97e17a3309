// Billing facts and charges: the history the billing rules read (every current interrogation of
// matched patients with its review), the charges they produce (written once, unique by what they
// charge), and the exports that hand them to the hospital's billing system.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::store {

// One current interrogation as billing sees it: no measurement, only what a charge rests on.
struct BillingSession {
  std::int64_t interrogation_id = 0, patient_id = 0, clinic_id = 0, device_id = 0;
  std::string device_type, session_type;
  std::int64_t effective_us = 0;  // EffectiveSessionUs (store/followup.h)
  bool signed_off = false;
  bool history = false;    // signed in the previous system (SignHistory): billed there
  bool unmatched = false;  // the patient is not linked or accepted yet: nothing is billed
  std::string signer;      // the signing physician's display name ("" unless signed here)
  std::int64_t signed_us = 0;
};
// Every current interrogation of the patients of the given clinics (empty = all), ordered by
// patient, then effective time, then id; with `last_patient` > 0, only those of the patients with
// ids in (after_patient, last_patient] (pages that never split a patient).
base::Result<std::vector<BillingSession>> ListBillingSessions(
    Transaction& tx, const std::vector<std::int64_t>& clinics, std::int64_t after_patient = 0,
    std::int64_t last_patient = 0);
// The largest patient id (0 when there is none): the end of the pages above.
base::Result<std::int64_t> LastPatientId(Transaction& tx);

enum class ChargeComponent : std::uint8_t { kProfessional, kTechnical, kGlobal };
std::string_view ToString(ChargeComponent component);

struct ChargeRow {
  std::int64_t id = 0, patient_id = 0, clinic_id = 0, device_id = 0;
  std::string period_key, code, modifier;
  ChargeComponent component = ChargeComponent::kGlobal;
  std::string period_start, period_end, service_date;  // YYYY-MM-DD
  std::string payer, ordering_physician, reading_physician;
  std::vector<std::int64_t> interrogations;
  std::string table_version;
  std::int64_t created_us = 0;
  std::optional<std::int64_t> export_id;
};

// Inserts a charge unless one with the same (period_key, code, modifier) exists. Returns the new
// id, or nullopt when it existed (the close job may run any number of times).
base::Result<std::optional<std::int64_t>> InsertCharge(Transaction& tx, const ChargeRow& charge,
                                                       std::int64_t now_us);

struct ChargeFilter {
  std::vector<std::int64_t> clinics;  // empty = every clinic
  std::optional<std::int64_t> clinic, patient, export_id;
  std::optional<bool> exported;
  std::optional<std::string> from, to;  // service date range, inclusive
};
// Newest service date first; at most `limit`.
base::Result<std::vector<ChargeRow>> ListCharges(Transaction& tx, const ChargeFilter& filter,
                                                 int limit);
// What the close job needs of a stored charge: what it charges, for whom, and its period.
struct ChargeKey {
  std::int64_t id = 0, patient_id = 0;
  std::string period_key, code, modifier, period_start, period_end;
};
// Stored charges by id, at most `limit` after `after_id` (pages: the close job reads them all
// without holding every row at once).
base::Result<std::vector<ChargeKey>> ListChargeKeys(Transaction& tx, std::int64_t after_id,
                                                    int limit);

struct ChargeExportRow {
  std::int64_t id = 0;
  std::string format;  // "csv", "dft"
  std::int64_t charges = 0;
  std::int64_t blob_id = 0;
  std::string sha256;
  std::optional<std::int64_t> created_by;
  std::int64_t created_us = 0;
};
// Records export `export_id` (taken with tx.NextId("charge_export") in this transaction, before
// the file naming its batch was rendered: on PostgreSQL every NextId takes a new value) of
// `charge_ids` (each must not be exported yet: kAlreadyExists otherwise, and nothing is written)
// with the exported file sealed as a blob.
base::Status RecordChargeExport(Transaction& tx, const crypto::KeyRing& keys,
                                std::int64_t export_id, std::string_view format,
                                const std::vector<std::int64_t>& charge_ids, std::string_view file,
                                std::string_view sha256, std::int64_t user_id, std::int64_t now_us);
base::Result<ChargeExportRow> GetChargeExport(Transaction& tx, std::int64_t export_id);
// The batches whose every charge is of one of `clinics` (empty = all), newest first.
base::Result<std::vector<ChargeExportRow>> ListChargeExports(
    Transaction& tx, const std::vector<std::int64_t>& clinics, int limit);

}  // namespace heartbase::store
