// API tokens in api_token.
#include "auth/tokens.h"

#include <fmt/format.h>

#include "auth/base32.h"
#include "auth/internal/secrets.h"
#include "auth/users.h"

namespace heartbase::auth {
namespace {

using base::ErrorCode;
using base::MakeError;
using store::Param;

constexpr std::size_t kSecretBytes = 32;
constexpr std::size_t kSecretChars = 52;  // base32 of 32 bytes
constexpr std::string_view kLookupKind = "api_token";
constexpr std::int64_t kMicros = 1'000'000;

std::optional<std::int64_t> OptionalInt(const store::Row& r, std::size_t i) {
  if (r.IsNull(i)) return std::nullopt;
  return r.Int(i);
}

base::Result<TokenInfo> FromRow(const store::Row& r) {
  TokenInfo t;
  t.id = r.Int(0);
  t.user_id = r.Int(1);
  t.label = std::string(r.Text(2));
  auto scopes = ParseScopes(r.Text(3));
  if (!scopes) return MakeError(ErrorCode::kDataLoss, fmt::format("token {} has bad scopes", t.id));
  t.scopes = *scopes;
  t.created_by = OptionalInt(r, 4);
  t.created_us = r.Int(5);
  t.expires_us = r.Int(6);
  t.last_used_us = OptionalInt(r, 7);
  t.revoked_us = OptionalInt(r, 8);
  return t;
}

constexpr std::string_view kColumns =
    "id, user_id, label, scopes, created_by, created_us, expires_us, last_used_us, revoked_us";

bool WellFormed(std::string_view token) {
  if (!token.starts_with(kTokenPrefix)) return false;
  const std::string_view secret = token.substr(kTokenPrefix.size());
  if (secret.size() != kSecretChars) return false;
  const auto raw = Base32Decode(secret);
  return raw && raw->size() == kSecretBytes;
}

}  // namespace

base::Status Validate(const TokenOptions& o) {
  if (o.max_lifetime_s < 60 || o.max_lifetime_s > 5LL * 366 * 24 * 60 * 60) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "auth.tokens.max_lifetime_s must be between 60 and five years");
  }
  if (o.default_lifetime_s < 60 || o.default_lifetime_s > o.max_lifetime_s) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "auth.tokens.default_lifetime_s must be between 60 and max_lifetime_s");
  }
  return {};
}

std::string FormatScopes(PermissionSet scopes) {
  std::string out;
  for (const PermissionInfo& info : AllPermissions()) {
    if (!scopes.Has(info.permission)) continue;
    if (!out.empty()) out.push_back(' ');
    out += info.name;
  }
  return out;
}

base::Result<PermissionSet> ParseScopes(std::string_view text) {
  PermissionSet scopes;
  while (!text.empty()) {
    const std::size_t start = text.find_first_not_of(" ,");
    if (start == std::string_view::npos) break;
    text.remove_prefix(start);
    const std::size_t end = std::min(text.find_first_of(" ,"), text.size());
    const std::string_view name = text.substr(0, end);
    const auto permission = ParsePermission(name);
    if (!permission) {
      return MakeError(ErrorCode::kInvalidArgument, fmt::format("unknown scope {}", name));
    }
    scopes.Add(*permission);
    text.remove_prefix(end);
  }
  return scopes;
}

base::Result<NewToken> CreateToken(store::Transaction& tx, const crypto::KeyRing& keys,
                                   const TokenRequest& request, const TokenOptions& options,
                                   std::int64_t now_us) {
  if (request.label.empty() || request.label.size() > kMaxTokenLabelBytes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("token label must have 1 to {} bytes", kMaxTokenLabelBytes));
  }
  if (request.scopes.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "a token needs at least one scope");
  }
  const std::int64_t lifetime_s =
      request.lifetime_s == 0 ? options.default_lifetime_s : request.lifetime_s;
  if (lifetime_s <= 0 || lifetime_s > options.max_lifetime_s) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("token lifetime must be between 1 and {} seconds", options.max_lifetime_s));
  }
  auto user = GetUser(tx, request.user_id);
  if (!user) return user.error();
  if (user->disabled) return MakeError(ErrorCode::kPermissionDenied, "the user is disabled");
  const PermissionSet granted = RolePermissions(user->role);
  for (const PermissionInfo& info : AllPermissions()) {
    if (request.scopes.Has(info.permission) && !granted.Has(info.permission)) {
      return MakeError(
          ErrorCode::kInvalidArgument,
          fmt::format("scope {} is not granted to role {}", info.name, RoleName(user->role)));
    }
  }
  NewToken created;
  created.token = std::string(kTokenPrefix) +
                  Base32Encode(internal::RandomBytes(kSecretBytes), Base32Case::kLower);
  created.expires_us = now_us + lifetime_s * kMicros;
  const Param p[] = {
      {"lookup", internal::SecretLookup(keys, kLookupKind, created.token)},
      {"user", request.user_id},
      {"label", request.label},
      {"scopes", FormatScopes(request.scopes)},
      {"creator", request.created_by ? store::Value(*request.created_by) : store::Value()},
      {"now", now_us},
      {"expires", created.expires_us},
  };
  auto rows = tx.Query(
      "INSERT INTO api_token (lookup, user_id, label, scopes, created_by, created_us, "
      "expires_us) VALUES (:lookup, :user, :label, :scopes, :creator, :now, :expires) "
      "RETURNING id",
      p);
  if (!rows) return rows.error();
  created.id = rows->front().Int(0);
  return created;
}

base::Result<TokenCheck> AuthenticateToken(store::Transaction& tx, const crypto::KeyRing& keys,
                                           std::string_view presented, std::int64_t now_us) {
  auto check = CheckToken(tx, keys, presented, now_us);
  if (!check || check->status != TokenStatus::kValid) return check;
  if (auto s = RecordTokenUse(tx, check->token.id, now_us); !s) return s.error();
  check->token.last_used_us = now_us;
  return check;
}

base::Status RecordTokenUse(store::Transaction& tx, std::int64_t token_id, std::int64_t now_us) {
  const Param used[] = {{"id", token_id}, {"now", now_us}};
  if (auto r = tx.Execute("UPDATE api_token SET last_used_us = :now WHERE id = :id", used); !r) {
    return r.error();
  }
  return {};
}

base::Result<TokenCheck> CheckToken(store::Transaction& tx, const crypto::KeyRing& keys,
                                    std::string_view presented, std::int64_t now_us) {
  TokenCheck check;
  if (!WellFormed(presented)) {
    check.status = TokenStatus::kMalformed;
    return check;
  }
  const Param find[] = {{"lookup", internal::SecretLookup(keys, kLookupKind, presented)}};
  auto rows =
      tx.Query(fmt::format("SELECT {}, (SELECT disabled FROM app_user WHERE app_user.id = user_id) "
                           "FROM api_token WHERE lookup = :lookup",
                           kColumns),
               find);
  if (!rows) return rows.error();
  if (rows->empty()) {
    check.status = TokenStatus::kUnknown;
    return check;
  }
  auto token = FromRow(rows->front());
  if (!token) return token.error();
  check.token = std::move(*token);
  if (check.token.revoked_us) {
    check.status = TokenStatus::kRevoked;
  } else if (now_us >= check.token.expires_us) {
    check.status = TokenStatus::kExpired;
  } else if (rows->front().Int(9) != 0) {
    check.status = TokenStatus::kUserDisabled;
  } else {
    check.status = TokenStatus::kValid;
  }
  return check;
}

base::Status RevokeToken(store::Transaction& tx, std::int64_t token_id, std::int64_t now_us) {
  const Param p[] = {{"id", token_id}, {"now", now_us}};
  auto changed =
      tx.Execute("UPDATE api_token SET revoked_us = COALESCE(revoked_us, :now) WHERE id = :id", p);
  if (!changed) return changed.error();
  if (*changed == 0) return MakeError(ErrorCode::kNotFound, "no such token");
  return {};
}

base::Result<std::vector<TokenInfo>> ListTokens(store::Transaction& tx, std::int64_t user_id) {
  const Param p[] = {{"user", user_id}};
  auto rows = tx.Query(
      fmt::format("SELECT {} FROM api_token WHERE user_id = :user ORDER BY id DESC", kColumns), p);
  if (!rows) return rows.error();
  std::vector<TokenInfo> tokens;
  for (const store::Row& r : *rows) {
    auto t = FromRow(r);
    if (!t) return t.error();
    tokens.push_back(std::move(*t));
  }
  return tokens;
}

}  // namespace heartbase::auth
