// KeyRing: the keys that protect patient data at rest — data keys for AEAD sealing (rotatable)
// and a separate key for blind indexes — kept in a key file outside the database.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace heartbase::crypto {

// Initializes libsodium. Idempotent and thread-safe; fails (kInternal) only when the library
// cannot start (no usable random source).
base::Status Initialize();

// Binds a ciphertext to where it is stored: moving a sealed value to another table, column or
// row makes Open fail.
struct AssociatedData {
  std::string_view table;
  std::string_view column;
  std::int64_t row = 0;
};

// Check values of a ring's keys (crypto/key_check.h compares and stores them). Each shows
// whether two rings hold the same key without revealing anything about it: for a data key, the
// XChaCha20-Poly1305 tag of an empty value sealed under a fixed nonce with associated data
// ("hb-key-check-1", "data-key", key id), which no stored value can have; for the index key, a
// keyed BLAKE2b of a label outside the blind-index domains.
struct KeyCheck {
  using Value = std::array<std::uint8_t, 16>;
  Value index{};
  std::vector<std::pair<std::uint32_t, Value>> data;  // (key id, check value), ascending ids
};

// Thread-safety: all const methods may be called concurrently; AddDataKey needs exclusive access.
// Key material is wiped from memory when the ring is destroyed and never appears in any error
// message or log.
class KeyRing {
 public:
  static constexpr std::size_t kKeyBytes = 32;
  static constexpr std::size_t kOverhead = 1 + 4 + 24 + 16;  // format, key id, nonce, tag

  // A fresh ring with data key 1 (active) and an index key, from the system's CSPRNG.
  static base::Result<KeyRing> Generate();
  // Reads a key file. Fails with kPermissionDenied if the file is readable or writable by group
  // or others, kMalformed if it is not a key ring, kIo if it cannot be read.
  static base::Result<KeyRing> Load(const std::string& path);
  // Writes the ring to `path` with mode 0400, atomically (temporary file, fsync, rename, fsync of
  // the directory), so a crash leaves either the old or the new ring.
  base::Status Save(const std::string& path) const;

  // XChaCha20-Poly1305 with the active data key and a random nonce. The associated data is the
  // place plus the key id; the result is kOverhead bytes longer than `plaintext`.
  std::string Seal(std::string_view plaintext, const AssociatedData& place) const;
  // Fails with kDataLoss if the value was altered, moved, or sealed under a key this ring lacks.
  base::Result<std::string> Open(std::string_view sealed, const AssociatedData& place) const;

  // Keyed BLAKE2b (32 bytes) of `normalized` in the domain `kind` ("mrn", "serial", "name" …),
  // for exact-match lookups of encrypted values. Independent of the data keys (rotation keeps it).
  std::array<std::uint8_t, 32> BlindIndex(std::string_view kind, std::string_view normalized) const;

  // Rotation: adds a new data key and makes it active. Old keys stay to open old values.
  void AddDataKey();
  std::uint32_t active_key_id() const { return active_; }
  std::size_t data_key_count() const { return data_keys_.size(); }
  // The check values of every key of the ring (see KeyCheck).
  KeyCheck Check() const;
  // The id of the key that sealed `sealed`, if it looks like a sealed value.
  static std::optional<std::uint32_t> KeyIdOf(std::string_view sealed);

  KeyRing(KeyRing&&) noexcept = default;
  KeyRing& operator=(KeyRing&&) noexcept = default;
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;
  ~KeyRing();

 private:
  KeyRing() = default;
  struct DataKey {
    std::uint32_t id;
    std::array<std::uint8_t, kKeyBytes> key;
  };
  const DataKey* Find(std::uint32_t id) const;

  std::vector<DataKey> data_keys_;
  std::uint32_t active_ = 0;
  std::array<std::uint8_t, kKeyBytes> index_key_{};
};

}  // namespace heartbase::crypto
