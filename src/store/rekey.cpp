// Key rotation, over the one table of every sealed column (internal/sealed_columns.h): a new
// sealed column cannot be forgotten silently, since rekey_test checks that no value in the
// database stays under an old key.
#include "store/rekey.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "store/internal/sealed_columns.h"

namespace heartbase::store {

using internal::kSealed;
using internal::PlaceOf;
using internal::SealedColumn;

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
