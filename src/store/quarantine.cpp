// Quarantine records point at a sealed blob of the bytes as received.
#include "store/quarantine.h"

#include "store/blobs.h"

namespace heartbase::store {

base::Result<std::int64_t> Quarantine(Transaction& tx, const crypto::KeyRing& keys,
                                      std::string_view bytes, std::string_view source,
                                      const base::Error& why, std::int64_t now_us) {
  auto blob = PutBlob(tx, keys, "quarantine", bytes, now_us);
  if (!blob) return blob.error();
  const Param p[] = {
      {"now", now_us},
      {"source", std::string(source)},
      {"code", std::string(base::ErrorCodeName(why.code))},
      {"reason", why.Describe()},
      {"blob", *blob},
  };
  auto rows = tx.Query(
      "INSERT INTO quarantine (received_us, source, code, reason, blob_id) "
      "VALUES (:now, :source, :code, :reason, :blob) RETURNING id",
      p);
  if (!rows) return rows.error();
  return rows->front().Int(0);
}

base::Result<std::vector<QuarantineEntry>> ListQuarantine(Transaction& tx, std::int64_t limit) {
  const Param p[] = {{"limit", limit}};
  auto rows = tx.Query(
      "SELECT id, received_us, source, code, reason, blob_id FROM quarantine "
      "WHERE resolved_us IS NULL ORDER BY id DESC LIMIT :limit",
      p);
  if (!rows) return rows.error();
  std::vector<QuarantineEntry> out;
  for (const Row& r : *rows) {
    out.push_back({r.Int(0), r.Int(1), std::string(r.Text(2)), std::string(r.Text(3)),
                   std::string(r.Text(4)), r.Int(5)});
  }
  return out;
}

}  // namespace heartbase::store
