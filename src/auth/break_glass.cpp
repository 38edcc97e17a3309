// Break-glass grants in break_glass; expiry is read against the caller's clock.
#include "auth/break_glass.h"

#include <fmt/format.h>

#include "auth/policy.h"
#include "auth/users.h"

namespace heartbase::auth {
namespace {

using base::ErrorCode;
using base::MakeError;
using store::Param;

constexpr std::int64_t kMicros = 1'000'000;

std::size_t NonSpaceCharacters(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80 && c != ' ') ++n;
  }
  return n;
}

}  // namespace

base::Status Validate(const BreakGlassOptions& o) {
  if (o.duration_s < 60 || o.duration_s > 60 * 60) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "auth.break_glass.duration_s must be between 60 and 3600");
  }
  if (o.min_reason_chars < 1 || o.max_reason_bytes < o.min_reason_chars) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "auth.break_glass.min_reason_chars must be between 1 and max_reason_bytes");
  }
  return {};
}

base::Result<BreakGlassGrant> StartBreakGlass(store::Transaction& tx, const crypto::KeyRing& keys,
                                              std::int64_t user_id, std::string_view reason,
                                              const BreakGlassOptions& options,
                                              std::int64_t now_us) {
  if (reason.size() > options.max_reason_bytes) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("the reason must have at most {} bytes", options.max_reason_bytes));
  }
  if (NonSpaceCharacters(reason) < options.min_reason_chars) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("say why, in at least {} characters", options.min_reason_chars));
  }
  auto user = GetUser(tx, user_id);
  if (!user) return user.error();
  if (user->disabled || !RolePermissions(user->role).Has(Permission::kBreakGlassUse)) {
    return MakeError(ErrorCode::kPermissionDenied, "this account may not use break-glass access");
  }
  BreakGlassGrant grant{0, user_id, now_us, now_us + options.duration_s * kMicros};
  const Param insert[] = {{"user", user_id},
                          {"placeholder", store::Bytes{}},
                          {"now", now_us},
                          {"expires", grant.expires_us}};
  auto rows = tx.Query(
      "INSERT INTO break_glass (user_id, reason, started_us, expires_us) VALUES (:user, "
      ":placeholder, :now, :expires) RETURNING id",
      insert);
  if (!rows) return rows.error();
  grant.id = rows->front().Int(0);
  // The seal binds the reason to its row, so the id must exist first.
  const Param fill[] = {
      {"id", grant.id},
      {"reason", store::Bytes{keys.Seal(reason, {"break_glass", "reason", grant.id})}}};
  if (auto r = tx.Execute("UPDATE break_glass SET reason = :reason WHERE id = :id", fill); !r) {
    return r.error();
  }
  return grant;
}

base::Result<std::int64_t> BreakGlassUntil(store::Transaction& tx, std::int64_t user_id) {
  const Param p[] = {{"user", user_id}};
  auto rows =
      tx.Query("SELECT COALESCE(MAX(expires_us), 0) FROM break_glass WHERE user_id = :user", p);
  if (!rows) return rows.error();
  return rows->front().Int(0);
}

base::Status EndBreakGlass(store::Transaction& tx, std::int64_t user_id, std::int64_t now_us) {
  const Param p[] = {{"user", user_id}, {"now", now_us}};
  auto r = tx.Execute(
      "UPDATE break_glass SET expires_us = :now WHERE user_id = :user AND expires_us > :now", p);
  if (!r) return r.error();
  return {};
}

base::Result<std::string> BreakGlassReason(store::Transaction& tx, const crypto::KeyRing& keys,
                                           std::int64_t grant_id) {
  const Param p[] = {{"id", grant_id}};
  auto rows = tx.Query("SELECT reason FROM break_glass WHERE id = :id", p);
  if (!rows) return rows.error();
  if (rows->empty()) return MakeError(ErrorCode::kNotFound, "no such break-glass grant");
  return keys.Open(rows->front().Blob(0), {"break_glass", "reason", grant_id});
}

}  // namespace heartbase::auth
