// The user repository. Names and roles are stored in the clear (staff identity is what the audit
// trail shows); MFA secrets are sealed with the key ring, bound to their row.
#include "auth/users.h"

#include <fmt/format.h>

#include <cctype>

#include "auth/base32.h"
#include "auth/internal/credentials.h"
#include "auth/internal/secrets.h"
#include "auth/sessions.h"

namespace heartbase::auth {
namespace {

using base::ErrorCode;
using base::MakeError;
using store::Param;

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@' ||
         c == '-';
}

base::Status CheckDisplayName(std::string_view name) {
  if (name.empty() || name.size() > kMaxDisplayNameBytes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("display name must have 1 to {} bytes", kMaxDisplayNameBytes));
  }
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return MakeError(ErrorCode::kInvalidArgument, "display name contains a control character");
    }
  }
  return {};
}

// A password prepared for one account must not be stored for another, nor with the shorter MFA
// minimum on an account that can sign in with the password alone.
base::Status CheckPrepared(const PreparedPassword& password, std::string_view name,
                           bool mfa_required, Role role) {
  if (role == Role::kIntegration) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "integration accounts authenticate with API tokens, not passwords");
  }
  if (password.user_name() != name) {
    return MakeError(ErrorCode::kInvalidArgument, "password was checked for another user name");
  }
  if (password.mfa_enforced() && !mfa_required) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "password was checked with the MFA minimum but the account does not require "
                     "MFA");
  }
  return {};
}

base::Status ExpectChanged(const base::Result<std::int64_t>& changed) {
  if (!changed) return changed.error();
  if (*changed == 0) return MakeError(ErrorCode::kNotFound, "no such user");
  return {};
}

base::Status Revoke(store::Transaction& tx, std::int64_t user_id) {
  auto r = RevokeUserSessions(tx, user_id);
  if (!r) return r.error();
  return {};
}

}  // namespace

base::Result<std::string> NormalizeUserName(std::string_view name) {
  const std::string lower = internal::AsciiLower(name);
  if (lower.empty() || lower.size() > kMaxUserNameBytes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("user name must have 1 to {} characters", kMaxUserNameBytes));
  }
  if (!std::isalnum(static_cast<unsigned char>(lower.front()))) {
    return MakeError(ErrorCode::kInvalidArgument, "user name must start with a letter or digit");
  }
  for (char c : lower) {
    if (!NameChar(c)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "user name may only contain letters, digits and . _ @ -");
    }
  }
  return lower;
}

base::Result<std::int64_t> CreateUser(store::Transaction& tx, const NewUser& user,
                                      const PreparedPassword* password, std::int64_t now_us) {
  auto name = NormalizeUserName(user.name);
  if (!name) return name.error();
  if (auto s = CheckDisplayName(user.display_name); !s) return s.error();
  const bool mfa_required = user.mfa_required || user.role == Role::kAdministrator;
  if (password != nullptr) {
    if (auto s = CheckPrepared(*password, *name, mfa_required, user.role); !s) return s.error();
  }
  // Checked first: callers answer "exists" and commit, which PostgreSQL refuses after a refused
  // INSERT (the unique index still decides between concurrent writers).
  const Param by_name[] = {{"name", *name}};
  auto existing = tx.Query("SELECT 1 FROM app_user WHERE name = :name", by_name);
  if (!existing) return existing.error();
  if (!existing->empty()) {
    return MakeError(ErrorCode::kAlreadyExists, fmt::format("user {} exists", *name));
  }
  const Param p[] = {
      {"name", *name},
      {"display", user.display_name},
      {"hash", password ? store::Value(password->hash()) : store::Value()},
      {"role", std::string(RoleName(user.role))},
      {"mfa", std::int64_t{mfa_required ? 1 : 0}},
      {"now", now_us},
  };
  auto rows = tx.Query(
      "INSERT INTO app_user (name, display_name, password_hash, role, mfa_required, created_us, "
      "updated_us) VALUES (:name, :display, :hash, :role, :mfa, :now, :now) RETURNING id",
      p);
  if (!rows) {
    if (rows.error().code == ErrorCode::kAlreadyExists) {
      return MakeError(ErrorCode::kAlreadyExists, fmt::format("user {} exists", *name));
    }
    return rows.error();
  }
  const std::int64_t id = rows->front().Int(0);
  for (ClinicId clinic : user.clinics) {
    if (auto s = AddToClinic(tx, id, clinic); !s) return s.error();
  }
  return id;
}

base::Result<User> GetUser(store::Transaction& tx, std::int64_t id) {
  const Param p[] = {{"id", id}};
  auto rows =
      tx.Query(fmt::format("SELECT {} FROM app_user WHERE id = :id", internal::kUserColumns), p);
  if (!rows) return rows.error();
  if (rows->empty()) return MakeError(ErrorCode::kNotFound, "no such user");
  return internal::UserFromRow(rows->front());
}

base::Result<User> FindUserByName(store::Transaction& tx, std::string_view name) {
  auto normalized = NormalizeUserName(name);
  if (!normalized) return MakeError(ErrorCode::kNotFound, "no such user");
  const Param p[] = {{"name", *normalized}};
  auto rows = tx.Query(
      fmt::format("SELECT {} FROM app_user WHERE name = :name", internal::kUserColumns), p);
  if (!rows) return rows.error();
  if (rows->empty()) return MakeError(ErrorCode::kNotFound, "no such user");
  return internal::UserFromRow(rows->front());
}

base::Result<std::vector<User>> ListUsers(store::Transaction& tx) {
  auto rows =
      tx.Query(fmt::format("SELECT {} FROM app_user ORDER BY name", internal::kUserColumns));
  if (!rows) return rows.error();
  std::vector<User> users;
  users.reserve(rows->size());
  for (const store::Row& r : *rows) {
    auto u = internal::UserFromRow(r);
    if (!u) return u.error();
    users.push_back(std::move(*u));
  }
  return users;
}

base::Status SetPassword(store::Transaction& tx, std::int64_t user_id,
                         const PreparedPassword& password, std::int64_t now_us) {
  auto user = GetUser(tx, user_id);
  if (!user) return user.error();
  if (auto s = CheckPrepared(password, user->name, user->mfa_required, user->role); !s) return s;
  const Param p[] = {{"id", user_id}, {"hash", password.hash()}, {"now", now_us}};
  if (auto s = ExpectChanged(tx.Execute(
          "UPDATE app_user SET password_hash = :hash, updated_us = :now WHERE id = :id", p));
      !s) {
    return s;
  }
  return Revoke(tx, user_id);
}

base::Status DisableUser(store::Transaction& tx, std::int64_t user_id, std::int64_t now_us) {
  const Param p[] = {{"id", user_id}, {"now", now_us}};
  if (auto s = ExpectChanged(
          tx.Execute("UPDATE app_user SET disabled = 1, updated_us = :now WHERE id = :id", p));
      !s) {
    return s;
  }
  return Revoke(tx, user_id);
}

base::Status EnableUser(store::Transaction& tx, std::int64_t user_id, std::int64_t now_us) {
  const Param p[] = {{"id", user_id}, {"now", now_us}};
  return ExpectChanged(
      tx.Execute("UPDATE app_user SET disabled = 0, updated_us = :now WHERE id = :id", p));
}

base::Status SetRole(store::Transaction& tx, std::int64_t user_id, Role role, std::int64_t now_us) {
  const Param p[] = {{"id", user_id},
                     {"role", std::string(RoleName(role))},
                     {"admin", std::int64_t{role == Role::kAdministrator ? 1 : 0}},
                     {"now", now_us}};
  return ExpectChanged(
      tx.Execute("UPDATE app_user SET role = :role, "
                 "mfa_required = CASE WHEN :admin = 1 THEN 1 ELSE mfa_required END, "
                 "updated_us = :now WHERE id = :id",
                 p));
}

base::Result<MfaEnrollment> EnrollMfa(store::Transaction& tx, const crypto::KeyRing& keys,
                                      std::int64_t user_id, const TotpOptions& totp,
                                      std::int64_t now_us) {
  auto user = GetUser(tx, user_id);
  if (!user) return user.error();
  const std::string secret = GenerateTotpSecret(totp);
  const Param p[] = {{"id", user_id},
                     {"pending", store::Bytes{keys.Seal(secret, {"user", "mfa_pending", user_id})}},
                     {"now", now_us}};
  if (auto s = ExpectChanged(tx.Execute(
          "UPDATE app_user SET mfa_pending = :pending, updated_us = :now WHERE id = :id", p));
      !s) {
    return s.error();
  }
  return MfaEnrollment{Base32Encode(secret), OtpauthUri(user->name, secret, totp)};
}

base::Status ConfirmMfa(store::Transaction& tx, const crypto::KeyRing& keys, std::int64_t user_id,
                        std::string_view code, const TotpOptions& totp, std::int64_t now_us) {
  const Param find[] = {{"id", user_id}};
  auto rows = tx.Query("SELECT mfa_pending FROM app_user WHERE id = :id", find);
  if (!rows) return rows.error();
  if (rows->empty() || rows->front().IsNull(0)) {
    return MakeError(ErrorCode::kNotFound, "no MFA enrollment is pending");
  }
  auto secret = keys.Open(rows->front().Blob(0), {"user", "mfa_pending", user_id});
  if (!secret) return secret.error();
  const auto step = VerifyTotp(*secret, code, now_us, 0, totp);
  if (!step) return MakeError(ErrorCode::kPermissionDenied, "the code does not match");
  const Param p[] = {{"id", user_id},
                     {"secret", store::Bytes{keys.Seal(*secret, {"user", "mfa_secret", user_id})}},
                     {"step", *step},
                     {"now", now_us}};
  return ExpectChanged(tx.Execute(
      "UPDATE app_user SET mfa_secret = :secret, mfa_pending = NULL, last_totp_step = :step, "
      "updated_us = :now WHERE id = :id",
      p));
}

base::Status ResetMfa(store::Transaction& tx, std::int64_t user_id, std::int64_t now_us) {
  const Param p[] = {{"id", user_id}, {"now", now_us}};
  if (auto s = ExpectChanged(tx.Execute(
          "UPDATE app_user SET mfa_secret = NULL, mfa_pending = NULL, last_totp_step = 0, "
          "updated_us = :now WHERE id = :id",
          p));
      !s) {
    return s;
  }
  return Revoke(tx, user_id);
}

base::Result<ClinicId> CreateClinic(store::Transaction& tx, std::string_view name,
                                    std::int64_t now_us) {
  if (name.empty() || name.size() > kMaxDisplayNameBytes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("clinic name must have 1 to {} bytes", kMaxDisplayNameBytes));
  }
  const Param p[] = {{"name", std::string(name)}, {"now", now_us}};
  auto rows =
      tx.Query("INSERT INTO clinic (name, created_us) VALUES (:name, :now) RETURNING id", p);
  if (!rows) return rows.error();
  return ClinicId{rows->front().Int(0)};
}

base::Status AddToClinic(store::Transaction& tx, std::int64_t user_id, ClinicId clinic) {
  const Param p[] = {{"user", user_id}, {"clinic", static_cast<std::int64_t>(clinic)}};
  auto exists = tx.Query(
      "SELECT (SELECT COUNT(*) FROM app_user WHERE id = :user), "
      "(SELECT COUNT(*) FROM clinic WHERE id = :clinic)",
      p);
  if (!exists) return exists.error();
  if (exists->front().Int(0) == 0 || exists->front().Int(1) == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "no such user or clinic");
  }
  auto r = tx.Execute(
      "INSERT INTO user_clinic (user_id, clinic_id) VALUES (:user, :clinic) ON CONFLICT DO "
      "NOTHING",
      p);
  if (!r) return r.error();
  return {};
}

base::Status RemoveFromClinic(store::Transaction& tx, std::int64_t user_id, ClinicId clinic) {
  const Param p[] = {{"user", user_id}, {"clinic", static_cast<std::int64_t>(clinic)}};
  auto r = tx.Execute("DELETE FROM user_clinic WHERE user_id = :user AND clinic_id = :clinic", p);
  if (!r) return r.error();
  return {};
}

base::Result<std::vector<ClinicId>> ClinicsOf(store::Transaction& tx, std::int64_t user_id) {
  const Param p[] = {{"user", user_id}};
  auto rows =
      tx.Query("SELECT clinic_id FROM user_clinic WHERE user_id = :user ORDER BY clinic_id", p);
  if (!rows) return rows.error();
  std::vector<ClinicId> clinics;
  clinics.reserve(rows->size());
  for (const store::Row& r : *rows) clinics.push_back(ClinicId{r.Int(0)});
  return clinics;
}

}  // namespace heartbase::auth
