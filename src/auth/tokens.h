// Scoped API tokens for integrations: "hb_" + 256 random bits, shown once, stored as a keyed
// hash, with scopes (permission names), an expiry, a creator and revocation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/policy.h"
#include "base/result.h"
#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::auth {

struct TokenOptions {
  std::int64_t default_lifetime_s = 90LL * 24 * 60 * 60;
  std::int64_t max_lifetime_s = 366LL * 24 * 60 * 60;
};

// kInvalidArgument naming the key if a value is out of range.
base::Status Validate(const TokenOptions& options);

inline constexpr std::string_view kTokenPrefix = "hb_";
inline constexpr std::size_t kMaxTokenLabelBytes = 200;

struct TokenRequest {
  std::int64_t user_id = 0;                // the account the token acts as
  std::string label;                       // what it is for ("carelink gateway"), shown in listings
  PermissionSet scopes;                    // must be non-empty and granted to the user's role
  std::int64_t lifetime_s = 0;             // 0 = options.default_lifetime_s
  std::optional<std::int64_t> created_by;  // the administrator; nullopt = the command line
};

struct NewToken {
  std::string token;  // shown once; only its keyed hash is stored
  std::int64_t id = 0;
  std::int64_t expires_us = 0;
};

// kInvalidArgument for an empty label or scope set, a scope the user's role lacks, or a lifetime
// outside (0, max_lifetime_s]; kNotFound if the user does not exist; kPermissionDenied if the
// user is disabled.
base::Result<NewToken> CreateToken(store::Transaction& tx, const crypto::KeyRing& keys,
                                   const TokenRequest& request, const TokenOptions& options,
                                   std::int64_t now_us);

struct TokenInfo {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string label;
  PermissionSet scopes;
  std::optional<std::int64_t> created_by;
  std::int64_t created_us = 0;
  std::int64_t expires_us = 0;
  std::optional<std::int64_t> last_used_us;
  std::optional<std::int64_t> revoked_us;
};

enum class TokenStatus : std::uint8_t {
  kValid,
  kMalformed,  // not "hb_" + 52 base32 characters: nothing was looked up
  kUnknown,    // never issued (or altered)
  kExpired,
  kRevoked,
  kUserDisabled,  // the account the token acts as is disabled
};

struct TokenCheck {
  TokenStatus status = TokenStatus::kUnknown;
  TokenInfo token;  // filled unless kMalformed or kUnknown
};

// Looks a presented bearer token up by its keyed hash (an exact match on a hash: no comparison of
// secrets whose time could leak) and records the use when valid. Needs a write transaction.
base::Result<TokenCheck> AuthenticateToken(store::Transaction& tx, const crypto::KeyRing& keys,
                                           std::string_view presented, std::int64_t now_us);
// The same check without recording the use: works in a read transaction. The caller records the
// use later with RecordTokenUse (the API does, in the transaction of the request's audit record).
base::Result<TokenCheck> CheckToken(store::Transaction& tx, const crypto::KeyRing& keys,
                                    std::string_view presented, std::int64_t now_us);
base::Status RecordTokenUse(store::Transaction& tx, std::int64_t token_id, std::int64_t now_us);

// kNotFound if no such token. Revoking twice keeps the first time.
base::Status RevokeToken(store::Transaction& tx, std::int64_t token_id, std::int64_t now_us);
// The tokens of one user, newest first (secrets are not stored, so none is shown).
base::Result<std::vector<TokenInfo>> ListTokens(store::Transaction& tx, std::int64_t user_id);

// "patient.read hl7.upload" ↔ PermissionSet. Parsing fails with kInvalidArgument naming an
// unknown permission.
std::string FormatScopes(PermissionSet scopes);
base::Result<PermissionSet> ParseScopes(std::string_view text);

}  // namespace heartbase::auth
