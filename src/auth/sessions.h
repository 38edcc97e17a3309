// Server-side sessions for the web UI: random 128-bit ids stored only as keyed hashes, idle and
// absolute timeouts on an injected clock, a CSRF token per session, step-up re-authentication,
// and revocation (logout, password change, disable).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::auth {

struct SessionOptions {
  std::int64_t idle_timeout_s = 15 * 60;           // HIPAA automatic logoff; 5–30 minutes allowed
  std::int64_t absolute_timeout_s = 12 * 60 * 60;  // at most 12 hours
  std::int64_t step_up_max_age_s = 5 * 60;  // a re-authentication counts this long (≤ 5 min)
};

// kInvalidArgument naming the key ("auth.session.idle_timeout_s …") if a value is out of range.
base::Status Validate(const SessionOptions& options);

// A session as stored (never its id).
struct Session {
  std::int64_t row_id = 0;
  std::int64_t user_id = 0;
  std::string csrf_token;
  bool restricted = false;  // MFA enrollment pending: the session may only enrol MFA
  std::int64_t created_us = 0;
  std::int64_t last_seen_us = 0;
  std::int64_t reauth_us = 0;  // the last time the user proved the password (sign-in counts)
};

// Returned once, at sign-in: `id` goes into the __Host- cookie and is not stored anywhere.
struct NewSession {
  std::string id;  // 26 base32 characters = 128 random bits
  Session session;
};

// Creates a session with a fresh random id and CSRF token. Sign-in always makes a new one, so an
// id planted before sign-in (fixation) is never promoted.
base::Result<NewSession> CreateSession(store::Transaction& tx, const crypto::KeyRing& keys,
                                       std::int64_t user_id, bool restricted, std::int64_t now_us);

enum class SessionStatus : std::uint8_t {
  kValid,
  kMalformed,        // not the shape of an id: nothing was looked up
  kUnknown,          // never issued, revoked, or purged
  kIdleExpired,      // unused for longer than idle_timeout_s (now deleted)
  kAbsoluteExpired,  // older than absolute_timeout_s (now deleted)
};

struct SessionCheck {
  SessionStatus status = SessionStatus::kUnknown;
  Session session;  // filled when kValid
};

// Looks the presented id up, applies both timeouts and, when valid, records the use (touch:
// last_seen_us = now_us). An expired session is deleted. Needs a write transaction.
base::Result<SessionCheck> ValidateSession(store::Transaction& tx, const crypto::KeyRing& keys,
                                           std::string_view presented_id,
                                           const SessionOptions& options, std::int64_t now_us);
// The same checks without writing (a read transaction will do): an expired session is reported
// but not deleted, a valid one not touched; `session` is filled in every case but kMalformed and
// kUnknown. The API records the touch (TouchSession) or the deletion (DeleteSession) later, in the
// transaction of the request's audit record.
base::Result<SessionCheck> CheckSession(store::Transaction& tx, const crypto::KeyRing& keys,
                                        std::string_view presented_id,
                                        const SessionOptions& options, std::int64_t now_us);
// last_seen_us = now_us (never backwards).
base::Status TouchSession(store::Transaction& tx, std::int64_t session_row_id, std::int64_t now_us);
base::Status DeleteSession(store::Transaction& tx, std::int64_t session_row_id);

// True if `presented` is the session's CSRF token (compared in constant time).
bool CheckCsrf(const Session& session, std::string_view presented);

// The user proved the password again (step-up): admin and sign-off actions are allowed until
// now_us + step_up_max_age_s. kNotFound if the session is gone.
base::Status RecordReauthentication(store::Transaction& tx, std::int64_t session_row_id,
                                    std::int64_t now_us);
// Lifts the MFA-enrollment restriction once the user has confirmed MFA in this session (the
// confirming code was the second factor). kNotFound if the session is gone.
base::Status LiftRestriction(store::Transaction& tx, std::int64_t session_row_id);
// Until when a step-up is valid (Subject::step_up_until_us).
std::int64_t StepUpUntil(const Session& session, const SessionOptions& options);

// Logout: deletes the session the id names. Returns whether one existed.
base::Result<bool> RevokeSession(store::Transaction& tx, const crypto::KeyRing& keys,
                                 std::string_view presented_id);
// Deletes every session of a user (password change, MFA reset, disable). Returns how many.
base::Result<std::int64_t> RevokeUserSessions(store::Transaction& tx, std::int64_t user_id);
// Deletes sessions past either timeout (housekeeping). Returns how many.
base::Result<std::int64_t> PurgeExpiredSessions(store::Transaction& tx,
                                                const SessionOptions& options, std::int64_t now_us);

}  // namespace heartbase::auth
