// Credential reads for sign-in.
#include "auth/internal/credentials.h"

#include <fmt/format.h>

namespace heartbase::auth::internal {
namespace {

using base::ErrorCode;
using base::MakeError;
using store::Param;

base::Result<std::optional<Credentials>> Load(store::Transaction& tx, const crypto::KeyRing& keys,
                                              std::string_view where, const Param& param) {
  const Param p[] = {param};
  auto rows = tx.Query(fmt::format("SELECT {}, password_hash, mfa_secret FROM app_user WHERE {}",
                                   kUserColumns, where),
                       p);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<Credentials>();
  const store::Row& r = rows->front();
  auto user = UserFromRow(r);
  if (!user) return user.error();
  Credentials c;
  c.user = std::move(*user);
  c.password_hash = std::string(r.Text(11));
  if (!r.IsNull(12)) {
    auto secret = keys.Open(r.Blob(12), {"user", "mfa_secret", c.user.id});
    if (!secret) return secret.error();
    c.mfa_secret = std::move(*secret);
  }
  return std::optional<Credentials>(std::move(c));
}

}  // namespace

base::Result<User> UserFromRow(const store::Row& r) {
  User u;
  u.id = r.Int(0);
  u.name = std::string(r.Text(1));
  u.display_name = std::string(r.Text(2));
  u.has_password = r.Int(3) != 0;
  const auto role = ParseRole(r.Text(4));
  if (!role)
    return MakeError(ErrorCode::kDataLoss, fmt::format("user {} has an unknown role", u.id));
  u.role = *role;
  u.mfa_enrolled = r.Int(5) != 0;
  u.mfa_required = r.Int(6) != 0;
  u.last_totp_step = r.Int(7);
  u.disabled = r.Int(8) != 0;
  u.created_us = r.Int(9);
  u.updated_us = r.Int(10);
  return u;
}

base::Result<std::optional<Credentials>> LoadCredentials(store::Transaction& tx,
                                                         const crypto::KeyRing& keys,
                                                         std::string_view normalized_name) {
  return Load(tx, keys, "name = :name", {"name", std::string(normalized_name)});
}

base::Result<std::optional<Credentials>> LoadCredentialsById(store::Transaction& tx,
                                                             const crypto::KeyRing& keys,
                                                             std::int64_t user_id) {
  return Load(tx, keys, "id = :id", {"id", user_id});
}

base::Result<bool> UseTotpStep(store::Transaction& tx, std::int64_t user_id, std::int64_t step) {
  const Param p[] = {{"id", user_id}, {"step", step}};
  auto changed = tx.Execute(
      "UPDATE app_user SET last_totp_step = :step WHERE id = :id AND last_totp_step < :step", p);
  if (!changed) return changed.error();
  return *changed == 1;
}

base::Status UpdatePasswordHash(store::Transaction& tx, std::int64_t user_id,
                                std::string_view old_hash, std::string_view new_hash,
                                std::int64_t now_us) {
  const Param p[] = {{"id", user_id},
                     {"old", std::string(old_hash)},
                     {"new", std::string(new_hash)},
                     {"now", now_us}};
  auto r = tx.Execute(
      "UPDATE app_user SET password_hash = :new, updated_us = :now WHERE id = :id AND "
      "password_hash = :old",
      p);
  if (!r) return r.error();
  return {};
}

}  // namespace heartbase::auth::internal
