// MacKey: the 32-byte key shared by `heartbase serve` and `heartbase notify` that authenticates
// every job record and every message on the lease channel (HMAC-SHA-256, libsodium). It lives in
// a key file of its own (mode 0400), apart from the data keys: notify never holds those.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace heartbase::notify {

class MacKey {
 public:
  static constexpr std::size_t kBytes = 32;
  static constexpr std::size_t kMacBytes = 32;

  // A fresh key from the system's CSPRNG. Fails (kInternal) only when libsodium cannot start.
  static base::Result<MacKey> Generate();
  // From raw bytes (tests and fuzz targets). kInvalidArgument unless exactly kBytes.
  static base::Result<MacKey> FromBytes(std::string_view bytes);
  // Reads a key file written by Save. kPermissionDenied if it is readable or writable by group or
  // others or is not a regular file, kMalformed if it is not a notify key, kIo if unreadable.
  static base::Result<MacKey> Load(const std::string& path);
  // Writes the key to `path` with mode 0400 (never overwrites: kAlreadyExists), fsynced.
  base::Status Save(const std::string& path) const;

  // HMAC-SHA-256 over `domain` then `data`, with a length prefix on the domain so that no two
  // (domain, data) pairs share an input.
  std::array<std::uint8_t, kMacBytes> Mac(std::string_view domain, std::string_view data) const;
  // Constant-time check of a kMacBytes tag.
  bool Verify(std::string_view domain, std::string_view data, std::string_view tag) const;

  MacKey(MacKey&&) noexcept = default;
  MacKey& operator=(MacKey&&) noexcept = default;
  MacKey(const MacKey&) = delete;
  MacKey& operator=(const MacKey&) = delete;
  ~MacKey();

 private:
  MacKey() = default;
  std::array<std::uint8_t, kBytes> key_{};
};

}  // namespace heartbase::notify
