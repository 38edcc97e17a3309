// What sign-in needs about a user beyond auth::User: the password hash and the opened MFA secret.
// Internal: nothing outside auth sees a hash or a secret.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/users.h"
#include "base/result.h"
#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::auth::internal {

inline constexpr std::string_view kUserColumns =
    "id, name, display_name, password_hash IS NOT NULL, role, mfa_secret IS NOT NULL, "
    "mfa_required, last_totp_step, disabled, created_us, updated_us";
// Reads a row selected with kUserColumns. kDataLoss for an unknown role.
base::Result<User> UserFromRow(const store::Row& row);

struct Credentials {
  User user;
  std::string password_hash;  // empty: the account has no password
  std::string mfa_secret;     // raw bytes; empty: not enrolled
};

// nullopt if no such user. kDataLoss if the sealed secret fails to open.
base::Result<std::optional<Credentials>> LoadCredentials(store::Transaction& tx,
                                                         const crypto::KeyRing& keys,
                                                         std::string_view normalized_name);
base::Result<std::optional<Credentials>> LoadCredentialsById(store::Transaction& tx,
                                                             const crypto::KeyRing& keys,
                                                             std::int64_t user_id);

// Marks TOTP step `step` used if it is newer than the stored one (compare-and-set). False if a
// concurrent sign-in used it (or a later one) first.
base::Result<bool> UseTotpStep(store::Transaction& tx, std::int64_t user_id, std::int64_t step);

// Replaces the hash of the same password (parameters changed); sessions stay.
base::Status UpdatePasswordHash(store::Transaction& tx, std::int64_t user_id,
                                std::string_view old_hash, std::string_view new_hash,
                                std::int64_t now_us);

}  // namespace heartbase::auth::internal
