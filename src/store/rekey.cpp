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

enum class Ad { kRowId, kPatientId, kInterrogationSeq, kInterrogationId, kBlobAddress };

struct SealedColumn {
  std::string_view table;
  std::string_view column;
  std::string_view key;  // primary key columns selected with the value
  Ad ad;
};

// Every sealed column of the schema and how its associated data is formed (see the writers in
// patients.cpp, interrogations.cpp and blobs.cpp).
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
    {"observation", "value_sealed", "interrogation_id, seq", Ad::kInterrogationSeq},
    {"attachment", "reference", "id, interrogation_id", Ad::kInterrogationId},
    {"blob", "sealed", "id, lookup", Ad::kBlobAddress},
};

using internal::Hex;

// The associated data of the value in `row` (key columns first, the sealed value last).
crypto::AssociatedData PlaceOf(const SealedColumn& c, const Row& row, std::string* column) {
  switch (c.ad) {
    case Ad::kRowId:
      return {c.table, c.column, row.Int(0)};
    case Ad::kPatientId:
      return {c.table, c.column, row.Int(1)};
    case Ad::kInterrogationSeq:
      *column = fmt::format("value#{}", row.Int(1));
      return {c.table, *column, row.Int(0)};
    case Ad::kInterrogationId:
      return {c.table, c.column, row.Int(1)};
    case Ad::kBlobAddress:
      *column = "sealed:" + Hex(row.Blob(1));
      return {c.table, *column, 0};
  }
  return {};
}

std::string WhereKey(const SealedColumn& c) {
  return c.ad == Ad::kInterrogationSeq ? "interrogation_id = :k0 AND seq = :k1" : "id = :k0";
}

}  // namespace

base::Result<RekeyProgress> Rekey(Database& db, const crypto::KeyRing& keys, int batch,
                                  const std::function<void(const RekeyProgress&)>& progress) {
  RekeyProgress total;
  for (const SealedColumn& c : kSealed) {
    // Walk the table in key order; each batch is its own transaction, so a crash loses at most
    // one batch of work and never a value (each row is rewritten whole, or not at all).
    std::int64_t after_a = -1, after_b = -1;
    const bool two = c.ad == Ad::kInterrogationSeq;
    for (;;) {
      int in_batch = 0;
      auto s = RunUnitOfWork(db, Access::kWrite, [&](Transaction& tx) -> base::Status {
        in_batch = 0;
        const std::string order = two ? "interrogation_id, seq" : "id";
        const std::string after =
            two ? "(interrogation_id > :a OR (interrogation_id = :a AND seq > :b))" : "id > :a";
        const std::string sql =
            fmt::format("SELECT {}, {} FROM {} WHERE {} IS NOT NULL AND {} ORDER BY {} LIMIT :n",
                        c.key, c.column, c.table, c.column, after, order);
        std::vector<Param> params = {{"a", after_a}, {"n", static_cast<std::int64_t>(batch)}};
        if (two) params.push_back({"b", after_b});
        auto rows = tx.Query(sql, params);
        if (!rows) return rows.error();
        for (const Row& row : *rows) {
          ++in_batch;
          ++total.examined;
          after_a = row.Int(0);
          if (two) after_b = row.Int(1);
          const std::string_view sealed = row.Blob(row.size() - 1);
          const auto id = crypto::KeyRing::KeyIdOf(sealed);
          if (id && *id == keys.active_key_id()) continue;
          std::string column;
          const crypto::AssociatedData place = PlaceOf(c, row, &column);
          auto plain = keys.Open(sealed, place);
          if (!plain) return plain.error();
          const std::vector<Param> update = {{"v", Bytes{keys.Seal(*plain, place)}},
                                             {"k0", row.Int(0)},
                                             {"k1", two ? Value(row.Int(1)) : Value()}};
          const std::string upd =
              fmt::format("UPDATE {} SET {} = :v WHERE {}", c.table, c.column, WhereKey(c));
          auto r = tx.Execute(
              upd, two ? std::span<const Param>(update) : std::span<const Param>(update.data(), 2));
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
