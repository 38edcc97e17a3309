// The table of every sealed column of the schema and how its associated data is formed: shared by
// key rotation (rekey.cpp) and verification (verify.cpp), so neither can miss a column.
#pragma once

#include <string>
#include <string_view>

#include "crypto/key_ring.h"
#include "store/database.h"
#include "store/internal/sealing.h"

namespace heartbase::store::internal {

enum class Ad { kRowId, kPatientId, kInterrogationId, kBlobAddress };

struct SealedColumn {
  std::string_view table;
  std::string_view column;
  std::string_view key;  // primary key columns selected with the value
  Ad ad;
  std::string_view ad_table = {};  // the table named in the associated data, if not `table`
};

// Every sealed column of the schema and how its associated data is formed (see the writers in
// patients.cpp, interrogations.cpp, review.cpp, blobs.cpp, alerts.cpp, outbox.cpp,
// report_recipients.cpp and auth's users.cpp and break_glass.cpp).
inline constexpr SealedColumn kSealed[] = {
    {"patient", "family_name", "id", Ad::kRowId},
    {"patient", "given_name", "id", Ad::kRowId},
    {"patient", "birth_date", "id", Ad::kRowId},
    {"patient", "sex", "id", Ad::kRowId},
    {"patient_identifier", "value", "id, patient_id", Ad::kPatientId},
    {"device", "model", "id", Ad::kRowId},
    {"device", "serial", "id", Ad::kRowId},
    {"lead", "model", "id", Ad::kRowId},
    {"lead", "serial", "id", Ad::kRowId},
    {"attachment", "reference", "id, interrogation_id", Ad::kInterrogationId},
    {"blob", "sealed", "id, lookup, encoding", Ad::kBlobAddress},
    {"interrogation_note", "note", "id", Ad::kRowId},
    {"alert", "reason", "id", Ad::kRowId},
    {"break_glass", "reason", "id", Ad::kRowId},
    {"app_user", "mfa_secret", "id", Ad::kRowId, "user"},
    {"app_user", "mfa_pending", "id", Ad::kRowId, "user"},
    {"outbox_job", "recipient", "id", Ad::kRowId},
    {"outbox_job", "subject", "id", Ad::kRowId},
    {"outbox_job", "body", "id", Ad::kRowId},
    {"outbox_job", "attachment", "id", Ad::kRowId},
    {"report_recipient", "address", "id", Ad::kRowId},
};
// Audit notes are sealed too, but the audit trail is append-only: the keys that sealed them stay
// in the key ring (retired keys still open).

// The associated data of the value in `row` (key columns first, the sealed value last).
inline crypto::AssociatedData PlaceOf(const SealedColumn& c, const Row& row, std::string* column) {
  switch (c.ad) {
    case Ad::kRowId:
      return {c.ad_table.empty() ? c.table : c.ad_table, c.column, row.Int(0)};
    case Ad::kPatientId:  // the owning row's id is the second key column
    case Ad::kInterrogationId:
      return {c.table, c.column, row.Int(1)};
    case Ad::kBlobAddress:
      *column = internal::BlobPlace(row.Blob(1), row.Int(2));
      return {c.table, *column, 0};
  }
  return {};
}

}  // namespace heartbase::store::internal
