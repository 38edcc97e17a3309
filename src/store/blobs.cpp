// Blob storage in the database itself: one transaction covers a message and its raw bytes.
#include "store/blobs.h"

#include "store/internal/sealing.h"

namespace heartbase::store {
namespace {

std::string Hex(const std::array<std::uint8_t, 32>& h) {
  return internal::Hex(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

}  // namespace

SealedBlob SealBlob(const crypto::KeyRing& keys, std::string_view kind, std::string_view bytes) {
  const auto address = keys.BlindIndex("blob", bytes);
  SealedBlob blob;
  blob.kind = kind;
  blob.lookup.assign(reinterpret_cast<const char*>(address.data()), address.size());
  blob.size = static_cast<std::int64_t>(bytes.size());
  blob.sealed = keys.Seal(bytes, {"blob", "sealed:" + Hex(address), 0});
  return blob;
}

base::Result<std::int64_t> PutSealedBlob(Transaction& tx, const SealedBlob& blob,
                                         std::int64_t now_us) {
  const Param find[] = {{"lookup", BytesView{blob.lookup}}};
  auto existing = tx.Query("SELECT id FROM blob WHERE lookup = :lookup", find);
  if (!existing) return existing.error();
  if (!existing->empty()) return existing->front().Int(0);
  const Param insert[] = {
      {"lookup", BytesView{blob.lookup}}, {"kind", blob.kind}, {"size", blob.size},
      {"sealed", BytesView{blob.sealed}}, {"now", now_us},
  };
  auto rows = tx.Query(
      "INSERT INTO blob (lookup, kind, size, sealed, created_us) "
      "VALUES (:lookup, :kind, :size, :sealed, :now) RETURNING id",
      insert);
  if (!rows) return rows.error();
  return rows->front().Int(0);
}

base::Result<std::int64_t> PutBlob(Transaction& tx, const crypto::KeyRing& keys,
                                   std::string_view kind, std::string_view bytes,
                                   std::int64_t now_us) {
  return PutSealedBlob(tx, SealBlob(keys, kind, bytes), now_us);
}

base::Result<std::string> GetBlob(Transaction& tx, const crypto::KeyRing& keys, std::int64_t id) {
  const Param p[] = {{"id", id}};
  auto rows = tx.Query("SELECT lookup, sealed FROM blob WHERE id = :id", p);
  if (!rows) return rows.error();
  if (rows->empty()) return base::MakeError(base::ErrorCode::kNotFound, "no such blob");
  const std::string_view lookup = rows->front().Blob(0);
  std::array<std::uint8_t, 32> address{};
  if (lookup.size() != address.size()) {
    return base::MakeError(base::ErrorCode::kDataLoss, "blob address has the wrong size");
  }
  std::copy(lookup.begin(), lookup.end(), reinterpret_cast<char*>(address.data()));
  return keys.Open(rows->front().Blob(1), {"blob", "sealed:" + Hex(address), 0});
}

}  // namespace heartbase::store
