// Key rotation. One table of (table, column, how the associated data is formed) lists every
// sealed column, so a new sealed column cannot be forgotten silently: rekey_test checks that no
// value in the database stays under an old key.
#include "store/rekey.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "store/internal/sealing.h"

namespace heartbase::store {
namespace {

enum class Ad { kRowId, kPatientId, kInterrogationId, kBlobAddress };

struct SealedColumn {
  std::string_view table;
  std::string_view column;
  std::string_view key;  // primary key columns selected with the value
  Ad ad;
  std::string_view ad_table = {};  // the table named in the associated data, if not `table`
};

// Every sealed column of the schema and how its associated data is formed (see the writers in
// patients.cpp, interrogations.cpp, review.cpp, blobs.cpp and
// auth's users.cpp and break_glass.cpp).
constexpr SealedColumn kSealed[] = {
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
};
// Audit notes are sealed too, but the audit trail is append-only: the keys that sealed them stay
// in the key ring (retired keys still open).

// The associated data of the value in `row` (key columns first, the sealed value last).
crypto::AssociatedData PlaceOf(const SealedColumn& c, const Row& row, std::string* column) {
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

}  // namespace

base::Result<RekeyProgress> Rekey(Database& db, const crypto::KeyRing& keys, int batch,
                                  const std::function<void(const RekeyProgress&)>& progress) {
  RekeyProgress total;
  for (const SealedColumn& c : kSealed) {
    // Walk the table in key order; each batch is its own transaction, so a crash loses at most
    // one batch of work and never a value (each row is rewritten whole, or not at all).
    std::int64_t after = -1;
    for (;;) {
      int in_batch = 0;
      auto s = RunUnitOfWork(db, Access::kWrite, [&](Transaction& tx) -> base::Status {
        in_batch = 0;
        const std::string sql = fmt::format(
            "SELECT {}, {} FROM {} WHERE {} IS NOT NULL AND id > :a ORDER BY id LIMIT :n", c.key,
            c.column, c.table, c.column);
        const Param params[] = {{"a", after}, {"n", static_cast<std::int64_t>(batch)}};
        auto rows = tx.Query(sql, params);
        if (!rows) return rows.error();
        for (const Row& row : *rows) {
          ++in_batch;
          ++total.examined;
          after = row.Int(0);
          const std::string_view sealed = row.Blob(row.size() - 1);
          const auto id = crypto::KeyRing::KeyIdOf(sealed);
          if (id && *id == keys.active_key_id()) continue;
          std::string column;
          const crypto::AssociatedData place = PlaceOf(c, row, &column);
          auto plain = keys.Open(sealed, place);
          if (!plain) return plain.error();
          const Param update[] = {{"v", Bytes{keys.Seal(*plain, place)}}, {"id", row.Int(0)}};
          auto r = tx.Execute(
              fmt::format("UPDATE {} SET {} = :v WHERE id = :id", c.table, c.column), update);
          if (!r) return r.error();
          ++total.resealed;
        }
        return {};
      });
      if (!s) return s.error();
      if (progress) progress(total);
      if (in_batch < batch) break;
    }
  }
  return total;
}

base::Result<std::int64_t> OpenSample(Database& db, const crypto::KeyRing& keys) {
  auto tx = db.Begin(Access::kRead);
  if (!tx) return tx.error();
  std::int64_t opened = 0;
  for (const SealedColumn& c : kSealed) {
    for (std::string_view order : {"ASC", "DESC"}) {
      auto rows = (*tx)->Query(
          fmt::format("SELECT {}, {} FROM {} WHERE {} IS NOT NULL ORDER BY id {} LIMIT 1", c.key,
                      c.column, c.table, c.column, order));
      // A database at an older schema lacks some tables or columns (kInvalidArgument: no such
      // table/column); the sample is then taken from the columns it has.
      if (!rows && rows.error().code == base::ErrorCode::kInvalidArgument) break;
      if (!rows) return rows.error();
      for (const Row& row : *rows) {
        std::string column;
        auto plain = keys.Open(row.Blob(row.size() - 1), PlaceOf(c, row, &column));
        if (!plain) return plain.error();
        ++opened;
      }
    }
  }
  return opened;
}

base::Result<std::int64_t> CountStale(Database& db, const crypto::KeyRing& keys) {
  auto tx = db.Begin(Access::kRead);
  if (!tx) return tx.error();
  std::int64_t stale = 0;
  for (const SealedColumn& c : kSealed) {
    auto rows = (*tx)->Query(
        fmt::format("SELECT {} FROM {} WHERE {} IS NOT NULL", c.column, c.table, c.column));
    if (!rows) return rows.error();
    for (const Row& r : *rows) {
      const auto id = crypto::KeyRing::KeyIdOf(r.Blob(0));
      stale += !id || *id != keys.active_key_id();
    }
  }
  return stale;
}

}  // namespace heartbase::store
