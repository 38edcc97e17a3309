// Read-side queries for the API and the web application: a patient's identifiers, devices and
// leads (decrypted), and interrogation lists. Values come back decrypted; callers decide (through
// auth) who may see them and audit the access.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::store {

struct IdentifierRecord {
  std::string kind;  // PID-3.5 (MR, U …)
  std::string id;
  std::string authority;
};

struct DeviceRecord {
  std::int64_t id = 0;
  std::string manufacturer, type, model, serial;
  std::string implant_date;  // ISO date or ""
  std::int64_t first_seen_us = 0, last_seen_us = 0;
};

struct LeadRecord {
  std::int64_t id = 0;
  std::int64_t device_id = 0;
  std::int64_t instance = 0;
  std::string manufacturer, location, model, serial;
  std::string implant_date;
  std::int64_t first_seen_us = 0, last_seen_us = 0;
};

base::Result<std::vector<IdentifierRecord>> ListIdentifiers(Transaction& tx,
                                                            const crypto::KeyRing& keys,
                                                            std::int64_t patient_id);
// Oldest first (implant history).
base::Result<std::vector<DeviceRecord>> ListDevices(Transaction& tx, const crypto::KeyRing& keys,
                                                    std::int64_t patient_id);
base::Result<std::vector<LeadRecord>> ListLeads(Transaction& tx, const crypto::KeyRing& keys,
                                                std::int64_t patient_id);

struct InterrogationRow {
  std::int64_t id = 0;
  std::int64_t patient_id = 0;
  std::int64_t clinic_id = 0;
  std::int64_t device_id = 0;
  std::string sender;
  std::string session_type;
  std::optional<std::int64_t> session_us;
  std::string result_status;
  std::optional<std::int64_t> superseded_by;
  std::int64_t raw_blob_id = 0;
  std::int64_t received_us = 0;
  std::int64_t observation_count = 0;
  std::int64_t warning_count = 0;
  bool unmatched = false;  // the patient is still flagged unmatched
};

struct InterrogationFilter {
  std::optional<std::int64_t> patient_id;
  std::optional<std::string> result_status;  // "final", "corrected", "preliminary" …
  std::optional<bool> unmatched;
  bool current_only = true;           // leave out versions superseded by a later one
  std::vector<std::int64_t> clinics;  // only these clinics; empty = every clinic
};

// Newest first (by id, which grows with arrival). `before_id` is the cursor: the id of the last
// row of the previous page, 0 for the first page. `limit` is clamped to 1..kMaxPage + 1: a caller
// asks for one row more than its page to learn whether another page follows.
inline constexpr int kMaxPage = 1000;
base::Result<std::vector<InterrogationRow>> ListInterrogations(Transaction& tx,
                                                               const InterrogationFilter& filter,
                                                               int limit, std::int64_t before_id);
// kNotFound if absent.
base::Result<InterrogationRow> GetInterrogation(Transaction& tx, std::int64_t id);

// The ids of the patients of `clinics` (empty = every clinic), newest first (by id, which grows
// with arrival): the clinic filter is applied before the limit, so a page holds only those
// clinics' patients and is full unless the list ends. `before_id` is the cursor (the id of the
// last row of the previous page, 0 for the first page); `limit` is clamped to 1..kMaxPage + 1
// (see ListInterrogations). kLimitExceeded for more than 16 clinics; otherwise the store's errors.
base::Result<std::vector<std::int64_t>> ListPatientIds(Transaction& tx,
                                                       const std::vector<std::int64_t>& clinics,
                                                       int limit, std::int64_t before_id);

// As ListPatientIds, for the patients awaiting confirmation: unmatched records that no device
// has sent for, which the hospital's ADT created by updating an MRN nobody had registered
// (ingest/adt.h). They are on the unmatched work list beside the unmatched interrogations.
base::Result<std::vector<std::int64_t>> ListUnconfirmedPatientIds(
    Transaction& tx, const std::vector<std::int64_t>& clinics, int limit, std::int64_t before_id);

}  // namespace heartbase::store
