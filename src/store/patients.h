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

// The patients a feed may write to. Every feed belongs to a clinic: what it delivers matches only
// patients of its clinics, and a new patient lands, unmatched, in its first clinic. Clinic 0 is
// the unassigned pool: patients from senders configured with no clinic, visible to no clinic's
// users until an administrator routes them. The system's own import (`heartbase import`, run by
// whoever holds the key file) is trusted: it matches patients in any clinic.
inline constexpr std::int64_t kUnassignedClinic = 0;
struct ClinicScope {
  std::vector<std::int64_t> clinics;  // the first receives new patients; empty = unassigned pool
  bool any = false;                   // trusted: matches patients of every clinic
  std::int64_t home() const { return clinics.empty() ? kUnassignedClinic : clinics.front(); }
  bool Allows(std::int64_t clinic) const;
};

// Finds the patient who carries the device (or, for a new generator, one of its known leads, or
// else the one ordinary patient of `scope` with an MRN of the message: PID-3 type MR with an
// assigning authority); otherwise creates a patient flagged unmatched in the scope's home clinic
// (with the message's sealed name, birth date, sex and identifiers) and the device. Records the
// leads. kInvalidArgument if the interrogation has no device identity; kPermissionDenied, before
// anything is written, if the device or lead belongs to a patient outside `scope`.
base::Result<PatientMatch> MatchPatient(Transaction& tx, const crypto::KeyRing& keys,
                                        const domain::Interrogation& interrogation,
                                        const ClinicScope& scope, std::int64_t now_us);

// Creates a patient in `clinic` with the sealed name, birth date, sex, identifiers and name tokens
// of `identity`; `unmatched` puts it on the unmatched work list. Returns its id.
base::Result<std::int64_t> CreatePatient(Transaction& tx, const crypto::KeyRing& keys,
                                         const domain::PatientIdentity& identity,
                                         std::int64_t clinic, bool unmatched, std::int64_t now_us);

// Replaces the name, birth date and sex of a patient with those `identity` carries (empty values
// leave the stored ones), sealed like every identifier; a new name replaces the name tokens. Adds
// the identifiers it does not have yet. kNotFound if the patient is absent.
base::Status UpdatePatientDemographics(Transaction& tx, const crypto::KeyRing& keys,
                                       std::int64_t id, const domain::PatientIdentity& identity);

// Moves a patient (with everything that hangs off it) to another clinic: an administrator's act,
// never a side effect of linking. kNotFound if the patient is absent.
base::Status MovePatient(Transaction& tx, std::int64_t patient_id, std::int64_t clinic_id);

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
// kNotFound if either is absent; kAlreadyExists if `from` is not unmatched or is `into`. The
// caller checks that both are of the same clinic (linking never moves data between clinics).
// Implemented beside MergePatients (patient_merge.cpp), which moves the same rows.
base::Status LinkUnmatchedPatient(Transaction& tx, const crypto::KeyRing& keys, std::int64_t from,
                                  std::int64_t into);
// Accept: the record becomes an ordinary patient of its clinic (the clinic of the feed that
// delivered it; moving it elsewhere is MovePatient). kNotFound / kAlreadyExists as above.
base::Status AcceptUnmatchedPatient(Transaction& tx, std::int64_t id);

// Migration: every unmatched patient created at or after `since_us` is accepted (the import
// brought a known patient list). Returns how many.
base::Result<std::int64_t> AcceptPatientsCreatedSince(Transaction& tx, std::int64_t since_us);

// Lower-case tokens of a name for indexing and search: split on anything that is not a letter or
// digit; UTF-8 letters are kept as they are.
std::vector<std::string> NameTokens(std::string_view name);

}  // namespace heartbase::store
