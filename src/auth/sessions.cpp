// Sessions. Expiry is decided on read, from the stored times and the caller's clock, so tests can
// move time and a server with a stopped scheduler still logs people out.
#include "auth/sessions.h"

#include <fmt/format.h>

#include "auth/base32.h"
#include "auth/internal/secrets.h"

namespace heartbase::auth {
namespace {

using base::ErrorCode;
using base::MakeError;
using store::Param;

constexpr std::size_t kIdBytes = 16;
constexpr std::size_t kIdChars = 26;  // base32 of 16 bytes
constexpr std::string_view kLookupKind = "session";
constexpr std::int64_t kMicros = 1'000'000;

constexpr std::string_view kColumns =
    "id, user_id, csrf_token, restricted, created_us, last_seen_us, reauth_us";

Session FromRow(const store::Row& r) {
  Session s;
  s.row_id = r.Int(0);
  s.user_id = r.Int(1);
  s.csrf_token = std::string(r.Text(2));
  s.restricted = r.Int(3) != 0;
  s.created_us = r.Int(4);
  s.last_seen_us = r.Int(5);
  s.reauth_us = r.Int(6);
  return s;
}

bool WellFormed(std::string_view id) {
  if (id.size() != kIdChars) return false;
  const auto raw = Base32Decode(id);
  return raw && raw->size() == kIdBytes;
}

base::Status CheckRange(std::string_view key, std::int64_t value, std::int64_t min,
                        std::int64_t max) {
  if (value < min || value > max) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("auth.session.{} must be between {} and {} (is {})", key, min, max, value));
  }
  return {};
}

}  // namespace

base::Status Validate(const SessionOptions& o) {
  if (auto s = CheckRange("idle_timeout_s", o.idle_timeout_s, 5 * 60, 30 * 60); !s) return s;
  if (auto s =
          CheckRange("absolute_timeout_s", o.absolute_timeout_s, o.idle_timeout_s, 12 * 60 * 60);
      !s) {
    return s;
  }
  return CheckRange("step_up_max_age_s", o.step_up_max_age_s, 30, 5 * 60);
}

base::Result<NewSession> CreateSession(store::Transaction& tx, const crypto::KeyRing& keys,
                                       std::int64_t user_id, bool restricted, std::int64_t now_us) {
  NewSession created;
  created.id = Base32Encode(internal::RandomBytes(kIdBytes), Base32Case::kLower);
  Session& s = created.session;
  s.user_id = user_id;
  s.csrf_token = Base32Encode(internal::RandomBytes(kIdBytes), Base32Case::kLower);
  s.restricted = restricted;
  s.created_us = s.last_seen_us = s.reauth_us = now_us;
  const Param p[] = {{"lookup", internal::SecretLookup(keys, kLookupKind, created.id)},
                     {"user", user_id},
                     {"csrf", s.csrf_token},
                     {"restricted", std::int64_t{restricted ? 1 : 0}},
                     {"now", now_us}};
  auto rows = tx.Query(
      "INSERT INTO session (lookup, user_id, csrf_token, restricted, created_us, last_seen_us, "
      "reauth_us) VALUES (:lookup, :user, :csrf, :restricted, :now, :now, :now) RETURNING id",
      p);
  if (!rows) return rows.error();
  s.row_id = rows->front().Int(0);
  return created;
}

base::Result<SessionCheck> CheckSession(store::Transaction& tx, const crypto::KeyRing& keys,
                                        std::string_view presented_id,
                                        const SessionOptions& options, std::int64_t now_us) {
  SessionCheck check;
  if (!WellFormed(presented_id)) {
    check.status = SessionStatus::kMalformed;
    return check;
  }
  const Param find[] = {{"lookup", internal::SecretLookup(keys, kLookupKind, presented_id)}};
  auto rows =
      tx.Query(fmt::format("SELECT {} FROM session WHERE lookup = :lookup", kColumns), find);
  if (!rows) return rows.error();
  if (rows->empty()) {
    check.status = SessionStatus::kUnknown;
    return check;
  }
  Session s = FromRow(rows->front());
  if (now_us - s.created_us >= options.absolute_timeout_s * kMicros) {
    check.status = SessionStatus::kAbsoluteExpired;
  } else if (now_us - s.last_seen_us >= options.idle_timeout_s * kMicros) {
    check.status = SessionStatus::kIdleExpired;
  } else {
    check.status = SessionStatus::kValid;
  }
  check.session = std::move(s);
  return check;
}

base::Status TouchSession(store::Transaction& tx, std::int64_t session_row_id,
                          std::int64_t now_us) {
  // A clock that stepped backwards must not extend the session: last_seen only moves forward.
  const Param id[] = {{"id", session_row_id}, {"now", now_us}};
  if (auto r = tx.Execute(
          "UPDATE session SET last_seen_us = :now WHERE id = :id AND last_seen_us < :now", id);
      !r) {
    return r.error();
  }
  return {};
}

base::Status DeleteSession(store::Transaction& tx, std::int64_t session_row_id) {
  const Param id[] = {{"id", session_row_id}};
  if (auto r = tx.Execute("DELETE FROM session WHERE id = :id", id); !r) return r.error();
  return {};
}

base::Result<SessionCheck> ValidateSession(store::Transaction& tx, const crypto::KeyRing& keys,
                                           std::string_view presented_id,
                                           const SessionOptions& options, std::int64_t now_us) {
  auto check = CheckSession(tx, keys, presented_id, options, now_us);
  if (!check) return check;
  if (check->status == SessionStatus::kIdleExpired ||
      check->status == SessionStatus::kAbsoluteExpired) {
    if (auto s = DeleteSession(tx, check->session.row_id); !s) return s.error();
    check->session = {};
    return check;
  }
  if (check->status != SessionStatus::kValid) return check;
  if (auto s = TouchSession(tx, check->session.row_id, now_us); !s) return s.error();
  if (now_us > check->session.last_seen_us) check->session.last_seen_us = now_us;
  return check;
}

bool CheckCsrf(const Session& session, std::string_view presented) {
  return !session.csrf_token.empty() && internal::ConstantTimeEquals(session.csrf_token, presented);
}

base::Status RecordReauthentication(store::Transaction& tx, std::int64_t session_row_id,
                                    std::int64_t now_us) {
  const Param p[] = {{"id", session_row_id}, {"now", now_us}};
  auto changed = tx.Execute("UPDATE session SET reauth_us = :now WHERE id = :id", p);
  if (!changed) return changed.error();
  if (*changed == 0) return MakeError(ErrorCode::kNotFound, "no such session");
  return {};
}

base::Status LiftRestriction(store::Transaction& tx, std::int64_t session_row_id) {
  const Param p[] = {{"id", session_row_id}};
  auto changed = tx.Execute("UPDATE session SET restricted = 0 WHERE id = :id", p);
  if (!changed) return changed.error();
  if (*changed == 0) return MakeError(ErrorCode::kNotFound, "no such session");
  return {};
}

std::int64_t StepUpUntil(const Session& session, const SessionOptions& options) {
  return session.reauth_us + options.step_up_max_age_s * kMicros;
}

base::Result<bool> RevokeSession(store::Transaction& tx, const crypto::KeyRing& keys,
                                 std::string_view presented_id) {
  if (!WellFormed(presented_id)) return false;
  const Param p[] = {{"lookup", internal::SecretLookup(keys, kLookupKind, presented_id)}};
  auto changed = tx.Execute("DELETE FROM session WHERE lookup = :lookup", p);
  if (!changed) return changed.error();
  return *changed > 0;
}

base::Result<std::int64_t> RevokeUserSessions(store::Transaction& tx, std::int64_t user_id) {
  const Param p[] = {{"user", user_id}};
  return tx.Execute("DELETE FROM session WHERE user_id = :user", p);
}

base::Result<std::int64_t> PurgeExpiredSessions(store::Transaction& tx,
                                                const SessionOptions& options,
                                                std::int64_t now_us) {
  const Param p[] = {{"created", now_us - options.absolute_timeout_s * kMicros},
                     {"seen", now_us - options.idle_timeout_s * kMicros}};
  return tx.Execute("DELETE FROM session WHERE created_us <= :created OR last_seen_us <= :seen", p);
}

}  // namespace heartbase::auth
