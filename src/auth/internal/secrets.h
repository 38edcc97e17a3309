// Random secrets and how the auth tables store them: only a keyed hash of a bearer secret
// (session id, API token, bootstrap token) ever reaches the database.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::auth::internal {

// `n` bytes from the system CSPRNG (libsodium). Aborts if libsodium cannot start: without a
// random source no credential can be made safely.
std::string RandomBytes(std::size_t n);

// The keyed BLAKE2b (index key of the ring) of `secret` in domain `kind`, as a BLOB parameter.
// The database alone cannot confirm a guessed secret, and a leaked row cannot be replayed.
store::Bytes SecretLookup(const crypto::KeyRing& keys, std::string_view kind,
                          std::string_view secret);

// Equality that takes the same time wherever the first difference is (lengths are not secret).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// ASCII lower case; other bytes unchanged.
std::string AsciiLower(std::string_view s);

}  // namespace heartbase::auth::internal
