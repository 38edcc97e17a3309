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

// Stores `bytes` once: the address is a keyed hash of the content (so equal content is stored
// once, and the address reveals nothing without the key). The ciphertext is bound to its address.
// Returns the blob id (existing or new).
base::Result<std::int64_t> PutBlob(Transaction& tx, const crypto::KeyRing& keys,
                                   std::string_view kind, std::string_view bytes,
                                   std::int64_t now_us);

// Reads and decrypts a blob. kNotFound if absent; kDataLoss if it fails authentication.
base::Result<std::string> GetBlob(Transaction& tx, const crypto::KeyRing& keys, std::int64_t id);

}  // namespace heartbase::store
