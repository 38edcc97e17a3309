// Blobs: write-once, content-addressed, encrypted byte strings (raw messages, PDFs, EGMs,
// quarantined input).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::store {

// A blob sealed ahead of its transaction. Hashing and encrypting a message or a PDF is most of
// the cost of storing it and needs no database, so a writer does it before taking the write lock.
struct SealedBlob {
  std::string kind;    // "hl7", "report", "egm", "quarantine"
  std::string lookup;  // keyed hash of the content: the blob's address
  std::int64_t size = 0;
  std::string sealed;  // ciphertext bound to the address
};

// The address is a keyed hash of the content (so equal content is stored once, and the address
// reveals nothing without the key); the ciphertext is bound to the address, not to a row.
SealedBlob SealBlob(const crypto::KeyRing& keys, std::string_view kind, std::string_view bytes);

// Stores a sealed blob once. Returns the blob id (existing or new).
base::Result<std::int64_t> PutSealedBlob(Transaction& tx, const SealedBlob& blob,
                                         std::int64_t now_us);

// SealBlob and PutSealedBlob in one step, inside the transaction.
base::Result<std::int64_t> PutBlob(Transaction& tx, const crypto::KeyRing& keys,
                                   std::string_view kind, std::string_view bytes,
                                   std::int64_t now_us);

// Reads and decrypts a blob. kNotFound if absent; kDataLoss if it fails authentication.
base::Result<std::string> GetBlob(Transaction& tx, const crypto::KeyRing& keys, std::int64_t id);

}  // namespace heartbase::store
