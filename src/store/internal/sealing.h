// Helpers shared by the repositories for blind indexes and blob addresses.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::store::internal {

// The blind index of `value` in domain `kind`, as a BLOB parameter.
inline Bytes Index(const crypto::KeyRing& keys, std::string_view kind, std::string_view value) {
  const auto h = keys.BlindIndex(kind, value);
  return Bytes{std::string(reinterpret_cast<const char*>(h.data()), h.size())};
}

// Lower-case hexadecimal of raw bytes (blob addresses in associated data).
inline std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

// The column named in a blob's associated data: its content address, and its encoding when the
// plaintext is not the bytes as they are (0), so that the encoding is authenticated too.
inline std::string BlobPlace(std::string_view address, std::int64_t encoding) {
  return (encoding == 0 ? "sealed:" : "sealed:" + std::to_string(encoding) + ":") + Hex(address);
}

}  // namespace heartbase::store::internal
