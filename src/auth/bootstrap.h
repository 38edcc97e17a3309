// The first administrator. A fresh installation has no account and no default credential:
// `heartbase init` prints a one-time bootstrap token on the local console, and whoever holds it
// creates the first administrator with it (security.md A5).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "auth/password.h"
#include "auth/users.h"
#include "base/result.h"
#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::auth {

struct BootstrapOptions {
  std::int64_t lifetime_s = 24 * 60 * 60;  // an unused token expires; `init` can make a new one
};

inline constexpr std::string_view kBootstrapPrefix = "hbb_";

// Makes the bootstrap token (replacing an unused earlier one) and returns it once; only its keyed
// hash is stored. kAlreadyExists once any user exists: then administrators add users.
base::Result<std::string> CreateBootstrapToken(store::Transaction& tx, const crypto::KeyRing& keys,
                                               const BootstrapOptions& options,
                                               std::int64_t now_us);

// Consumes the token and creates `admin` as an administrator (with MFA required; the role in
// `admin` is ignored) in the same transaction. kUnauthenticated for a wrong, expired or used
// token (one answer for all three); kAlreadyExists if a user exists; otherwise the errors of
// CreateUser.
base::Result<std::int64_t> CreateFirstAdministrator(store::Transaction& tx,
                                                    const crypto::KeyRing& keys,
                                                    std::string_view token, const NewUser& admin,
                                                    const PreparedPassword& password,
                                                    std::int64_t now_us);

// True if an enabled administrator with a password exists (a non-loopback listener needs one).
base::Result<bool> HasActiveAdministrator(store::Transaction& tx);

}  // namespace heartbase::auth
