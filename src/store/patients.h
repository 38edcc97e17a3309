// Patients, their identifiers, devices and leads: matching an interrogation to the patient who
// carries the device, and exact lookups through blind indexes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "domain/interrogation.h"
#include "store/database.h"

namespace heartbase::store {

struct PatientMatch {
  std::int64_t patient_id = 0;
  std::int64_t device_id = 0;
  bool new_patient = false;  // created now, flagged unmatched for the work list
};

// The device identity an interrogation carries: normalised manufacturer and serial (DEV_SERIAL,
// else PID-3 model:/serial:, else the opaque PID-3 identifier). Empty serial = none.
struct DeviceKey {
  std::string manufacturer;
  std::string serial;
};
DeviceKey DeviceKeyOf(const domain::Interrogation& interrogation);

// Finds the patient who carries the device; otherwise creates a patient flagged unmatched (with
// the message's sealed name, birth date, sex and identifiers) and the device. Records the leads.
// kInvalidArgument if the interrogation has no device identity.
base::Result<PatientMatch> MatchPatient(Transaction& tx, const crypto::KeyRing& keys,
                                        const domain::Interrogation& interrogation,
                                        std::int64_t now_us);

struct PatientRecord {
  std::int64_t id = 0;
  std::int64_t clinic_id = 0;
  bool unmatched = false;
  std::string family_name, given_name, birth_date, sex;
};

// The clinic of a patient without decrypting anything (authorization). kNotFound if absent.
base::Result<std::int64_t> GetPatientClinic(Transaction& tx, std::int64_t id);

// Reads and decrypts one patient. kNotFound if absent.
base::Result<PatientRecord> GetPatient(Transaction& tx, const crypto::KeyRing& keys,
                                       std::int64_t id);

// Exact-match searches (through blind indexes; no plaintext ever reaches the database).
// Identifier: PID-3 id with its assigning authority ("MRN123" at "HOSP"); an empty authority
// matches the identifier under any authority.
base::Result<std::vector<std::int64_t>> FindPatientsByIdentifier(Transaction& tx,
                                                                 const crypto::KeyRing& keys,
                                                                 std::string_view id,
                                                                 std::string_view authority);
// Device or lead serial, any manufacturer.
base::Result<std::vector<std::int64_t>> FindPatientsBySerial(Transaction& tx,
                                                             const crypto::KeyRing& keys,
                                                             std::string_view serial);
// Every token of `name` (case and accents of ASCII letters folded) must match a name token.
base::Result<std::vector<std::int64_t>> FindPatientsByName(Transaction& tx,
                                                           const crypto::KeyRing& keys,
                                                           std::string_view name);

// Resolving an unmatched patient (one created from a message whose device matched nobody).
// Link: its devices, leads, interrogations, trend points, episodes and identifiers move to
// `into`, and the unmatched record is deleted; future messages from those devices match `into`.
// kNotFound if either is absent; kAlreadyExists if `from` is not unmatched or is `into`.
base::Status LinkUnmatchedPatient(Transaction& tx, const crypto::KeyRing& keys, std::int64_t from,
                                  std::int64_t into);
// Accept: the record becomes an ordinary patient of `clinic`. kNotFound / kAlreadyExists as
// above.
base::Status AcceptUnmatchedPatient(Transaction& tx, std::int64_t id, std::int64_t clinic);

// Migration: every unmatched patient created at or after `since_us` is accepted (the import
// brought a known patient list). Returns how many.
base::Result<std::int64_t> AcceptPatientsCreatedSince(Transaction& tx, std::int64_t since_us);

// Lower-case tokens of a name for indexing and search: split on anything that is not a letter or
// digit; UTF-8 letters are kept as they are.
std::vector<std::string> NameTokens(std::string_view name);

}  // namespace heartbase::store
