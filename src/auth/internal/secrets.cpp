// Secrets through libsodium: randombytes, keyed BLAKE2b via the key ring, sodium_memcmp.
#include "auth/internal/secrets.h"

#include <sodium.h>

#include <cstdlib>

namespace heartbase::auth::internal {

std::string RandomBytes(std::size_t n) {
  if (!crypto::Initialize()) std::abort();
  std::string out(n, '\0');
  randombytes_buf(out.data(), out.size());
  return out;
}

store::Bytes SecretLookup(const crypto::KeyRing& keys, std::string_view kind,
                          std::string_view secret) {
  const auto h = keys.BlindIndex(kind, secret);
  return store::Bytes{std::string(reinterpret_cast<const char*>(h.data()), h.size())};
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace heartbase::auth::internal
