// Blobs: write-once, content-addressed, encrypted byte strings (raw messages, PDFs, EGMs,
// quarantined input).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::store {

// How a blob's plaintext is encoded before it is sealed (the blob.encoding column).
enum class BlobEncoding : std::int64_t {
  kIdentity = 0,  // the bytes as they are
  kZstd = 1,      // one Zstandard frame that records the original size
};

// A blob sealed ahead of its transaction. Hashing, compressing and encrypting a message or a PDF
// is most of the cost of storing it and needs no database, so a writer does it before taking the
// write lock.
struct SealedBlob {
  std::string kind;       // "hl7", "report", "egm", "quarantine"
  std::string lookup;     // keyed hash of the content: the blob's address
  std::int64_t size = 0;  // of the original bytes
  BlobEncoding encoding = BlobEncoding::kIdentity;
  std::string sealed;  // ciphertext bound to the address and the encoding
};

// The address is a keyed hash of the content (so equal content is stored once, and the address
// reveals nothing without the key); the ciphertext is bound to the address and the encoding, not
// to a row. Bytes that compress (HL7 text does, about 7:1; base64 documents about 3:2) are sealed
// as a Zstandard frame, so the write transaction writes fewer pages; bytes that do not (an
// already compressed PDF) are sealed as they are.
SealedBlob SealBlob(const crypto::KeyRing& keys, std::string_view kind, std::string_view bytes);

// Stores a sealed blob once. Returns the blob id (existing or new).
base::Result<std::int64_t> PutSealedBlob(Transaction& tx, const SealedBlob& blob,
                                         std::int64_t now_us);

// The id of the blob with this address (SealedBlob::lookup), if one is stored.
base::Result<std::optional<std::int64_t>> FindBlob(Transaction& tx, std::string_view lookup);

// SealBlob and PutSealedBlob in one step, inside the transaction.
base::Result<std::int64_t> PutBlob(Transaction& tx, const crypto::KeyRing& keys,
                                   std::string_view kind, std::string_view bytes,
                                   std::int64_t now_us);

// Reads, decrypts and decodes a blob. kNotFound if absent; kDataLoss if it fails authentication
// or does not decode to its recorded size.
base::Result<std::string> GetBlob(Transaction& tx, const crypto::KeyRing& keys, std::int64_t id);

}  // namespace heartbase::store
