// Sign-in and step-up re-authentication: throttling, the password, the second factor, the
// session, and one outcome for the audit record — all behind one call.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <semaphore>
#include <string>
#include <string_view>

#include "auth/options.h"
#include "auth/sessions.h"
#include "base/result.h"
#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::auth {

// What the client is told. Unknown user, wrong password and a disabled account are one answer
// (and take the same time): saying "disabled" only when the password was right would confirm the
// password to whoever tried it.
enum class LoginOutcome : std::uint8_t {
  kOk,
  kBadCredentials,
  kMfaRequired,  // the password was right; send it again with a TOTP code
  kMfaBad,       // wrong, expired or already used code
  kThrottled,    // try again after retry_after_s; nothing was evaluated (or only a wrong code)
};

// Why, for the audit record only (never for the client).
enum class LoginDetail : std::uint8_t {
  kNone,
  kUnknownUser,
  kWrongPassword,
  kNoPassword,  // the account has none (integration accounts use tokens)
  kAddressThrottled,
  kAccountThrottled,
  kTotpMissing,
  kMfaNotEnrolled,  // outside the clinic networks, an account without MFA cannot sign in
  kTotpWrong,
  kTotpReplayed,           // a code whose step was already used
  kMfaEnrollmentRequired,  // signed in to a restricted session that may only enrol MFA
  kAccountDisabled,        // the account is disabled (whether the password was right is not kept)
};

struct LoginRequest {
  std::string_view name;
  std::string_view password;
  std::optional<std::string_view> totp;
  std::string_view address;  // the client's IP address as the listener saw it
  std::int64_t now_us = 0;
};

struct LoginResult {
  LoginOutcome outcome = LoginOutcome::kBadCredentials;
  LoginDetail detail = LoginDetail::kNone;
  std::int64_t user_id = 0;           // the account named, if it exists (for the audit record)
  std::int64_t retry_after_s = 0;     // kThrottled
  std::optional<NewSession> session;  // kOk from Login (not from Reauthenticate)
};

// Called once per attempt inside the transaction that records its outcome, so the audit record
// commits with it or not at all: an error from the recorder fails the attempt and rolls the
// transaction back (the audit trail fails closed). It may run more than once if the database
// asks for a retry, so it must have no effect outside `tx`. It must not log the session id.
using LoginRecorder = std::function<base::Status(store::Transaction&, const LoginResult&)>;

std::string_view LoginOutcomeName(LoginOutcome outcome);
std::string_view LoginDetailName(LoginDetail detail);

// Thread-safe: Login and Reauthenticate may run concurrently (each uses its own transactions).
// Holds references to `db` and `keys`, which must outlive it.
class Authenticator {
 public:
  // Validates `options` (see Validate in options.h) and prepares the decoy hash that unknown
  // users are checked against (one Argon2id).
  static base::Result<Authenticator> Create(store::Database& db, const crypto::KeyRing& keys,
                                            AuthOptions options, bool allow_weak_hashing = false);

  // Sign-in. Counts the attempt against the account name and the address before the password is
  // evaluated (so concurrent attempts cannot exceed the limits), evaluates it outside any
  // transaction (Argon2id must not hold the write lock), then records the outcome. While the
  // account or the address is throttled, a user with an enrolled second factor who sends a TOTP
  // code with the password still gets in: the code is checked first, and only a right one lets
  // the password be evaluated; such attempts count against the account's own, tighter MFA bucket
  // (and against the account bucket when that is not yet blocked), so one client blocking a
  // shared address (a clinic's NAT, a reverse proxy on loopback) cannot lock everyone out, and
  // the address bucket is no way round the account's limits. Accounts without a second factor
  // wait until the block ends (soft lockout). Errors are database or recorder failures; every
  // refusal is a LoginResult.
  base::Result<LoginResult> Login(const LoginRequest& request,
                                  const LoginRecorder& record = {}) const;

  // Step-up for admin and sign-off actions: the session's user gives the password (and a TOTP
  // code if enrolled) again; on kOk the session's re-authentication time is now. Throttled like
  // Login. `request.name` is ignored.
  base::Result<LoginResult> Reauthenticate(const Session& session, const LoginRequest& request,
                                           const LoginRecorder& record = {}) const;

  const AuthOptions& options() const { return options_; }

 private:
  Authenticator(store::Database& db, const crypto::KeyRing& keys, AuthOptions options)
      : db_(&db), keys_(&keys), options_(std::move(options)) {}
  base::Result<LoginResult> Attempt(const LoginRequest& request, const Session* reauth,
                                    const LoginRecorder& record) const;

  store::Database* db_;
  const crypto::KeyRing* keys_;
  AuthOptions options_;
  std::string decoy_hash_;
  // Slots for concurrent password checks (AuthOptions::login.max_concurrent_hashes); shared so the
  // Authenticator stays movable.
  std::shared_ptr<std::counting_semaphore<>> hash_slots_;
};

}  // namespace heartbase::auth
