// The bootstrap token in bootstrap_token (at most one row).
#include "auth/bootstrap.h"

#include "auth/base32.h"
#include "auth/internal/secrets.h"

namespace heartbase::auth {
namespace {

using base::ErrorCode;
using base::MakeError;
using store::Param;

constexpr std::size_t kSecretBytes = 32;
constexpr std::string_view kLookupKind = "bootstrap";
constexpr std::int64_t kMicros = 1'000'000;

base::Result<bool> AnyUser(store::Transaction& tx) {
  auto rows = tx.Query("SELECT EXISTS (SELECT 1 FROM app_user)");
  if (!rows) return rows.error();
  return rows->front().Int(0) != 0;
}

}  // namespace

base::Result<std::string> CreateBootstrapToken(store::Transaction& tx, const crypto::KeyRing& keys,
                                               const BootstrapOptions& options,
                                               std::int64_t now_us) {
  auto any = AnyUser(tx);
  if (!any) return any.error();
  if (*any) {
    return MakeError(ErrorCode::kAlreadyExists,
                     "users exist: an administrator adds users (heartbase user add)");
  }
  std::string token = std::string(kBootstrapPrefix) +
                      Base32Encode(internal::RandomBytes(kSecretBytes), Base32Case::kLower);
  const Param p[] = {{"lookup", internal::SecretLookup(keys, kLookupKind, token)},
                     {"now", now_us},
                     {"expires", now_us + options.lifetime_s * kMicros}};
  auto r = tx.Execute(
      "INSERT INTO bootstrap_token (id, lookup, created_us, expires_us, consumed_us) VALUES (1, "
      ":lookup, :now, :expires, NULL) ON CONFLICT (id) DO UPDATE SET lookup = excluded.lookup, "
      "created_us = excluded.created_us, expires_us = excluded.expires_us, consumed_us = NULL",
      p);
  if (!r) return r.error();
  return token;
}

base::Result<std::int64_t> CreateFirstAdministrator(store::Transaction& tx,
                                                    const crypto::KeyRing& keys,
                                                    std::string_view token, const NewUser& admin,
                                                    const PreparedPassword& password,
                                                    std::int64_t now_us) {
  // The token is checked by an exact match on its keyed hash inside an UPDATE that also consumes
  // it, so it can be used once even by concurrent requests.
  const Param p[] = {{"lookup", internal::SecretLookup(keys, kLookupKind, token)}, {"now", now_us}};
  auto consumed = tx.Execute(
      "UPDATE bootstrap_token SET consumed_us = :now WHERE id = 1 AND lookup = :lookup AND "
      "consumed_us IS NULL AND expires_us > :now",
      p);
  if (!consumed) return consumed.error();
  if (*consumed != 1) return MakeError(ErrorCode::kUnauthenticated, "bootstrap token not valid");
  auto any = AnyUser(tx);
  if (!any) return any.error();
  if (*any) return MakeError(ErrorCode::kAlreadyExists, "the first administrator exists");
  NewUser first = admin;
  first.role = Role::kAdministrator;
  first.mfa_required = true;
  return CreateUser(tx, first, &password, now_us);
}

base::Result<bool> HasActiveAdministrator(store::Transaction& tx) {
  auto rows = tx.Query(
      "SELECT EXISTS (SELECT 1 FROM app_user WHERE role = 'administrator' AND disabled = 0 AND "
      "password_hash IS NOT NULL)");
  if (!rows) return rows.error();
  return rows->front().Int(0) != 0;
}

}  // namespace heartbase::auth
