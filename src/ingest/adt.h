// ADT in: the hospital's patient administration messages (register, update, merge) read from a
// parsed HL7 v2 message and applied to the store inside the pipeline's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "domain/interrogation.h"
#include "hl7/message.h"
#include "store/database.h"
#include "store/patients.h"

namespace heartbase::ingest {

// Whether MSH-9.1 of the message is ADT.
bool IsAdt(const hl7::Message& message);

struct AdtMessage {
  std::string event;       // MSH-9.2 (A01, A04, A08, A28, A31, A18, A39 or A40)
  std::string sender;      // "MSH-3|MSH-4", as for interrogations (store::SenderOf)
  std::string control_id;  // MSH-10
  // PID: name, birth date, sex and every PID-3 identifier (the MRN among them).
  domain::PatientIdentity patient;
  domain::PatientIdentity::Identifier mrn;
  // MRG-1 of a merge (A18, A39, A40): the prior patient's MRN.
  std::optional<domain::PatientIdentity::Identifier> prior_mrn;
};

// Reads an ADT message. The MRN is the PID-3 (or MRG-1) repetition of type MR (CX-5) with an
// assigning authority (CX-4), else the first with the sender's authority (CX-4 = MSH-4.1).
// Errors: kUnsupported for another trigger event (AR); kMalformed without PID (AR); kNotFound
// when PID-3, or for a merge MRG-1, has no usable MRN (AE with ERR: the hospital can correct it).
// Error texts name fields, never values.
base::Result<AdtMessage> ReadAdt(const hl7::Message& message);

struct AdtApplied {
  std::int64_t patient_id = 0;  // the patient created, updated or merged into
  bool created = false;
  std::optional<std::int64_t> merged_from;
};

// Applies `adt` inside `tx`: finds the patient by MRN among the patients of `feed`'s clinics;
// A01/A04/A08/A28/A31 update its name, birth date and sex (sealed), or create it in the feed's
// home clinic (A08/A31, updates of a patient we never saw, create it flagged unmatched);
// A18/A39/A40 merge the prior patient (MRG-1) into the one of PID-3 (store::MergePatients).
// Writes one audit record ("patient.create", "patient.update" or "patient.merge", user
// "system:ingest", `source` as address). Errors, all before the transaction commits:
// kNotFound "unknown prior patient" (AE); kAlreadyExists for a merge into itself or an MRN that
// several patients of the feed carry (AE); kPermissionDenied for a merge across clinics (AR);
// the store's and the audit trail's errors.
base::Result<AdtApplied> ApplyAdt(store::Transaction& tx, const crypto::KeyRing& keys,
                                  const AdtMessage& adt, const store::ClinicScope& feed,
                                  std::string_view source, std::int64_t now_us);

}  // namespace heartbase::ingest
