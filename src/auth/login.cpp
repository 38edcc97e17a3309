// Sign-in in three steps: (1) a short write transaction checks the throttles and counts the
// attempt, (2) Argon2id runs outside any transaction, (3) a second write transaction re-reads the
// account, checks the second factor, issues the session and records the outcome.
#include "auth/login.h"

#include <algorithm>
#include <chrono>

#include "auth/internal/credentials.h"
#include "auth/internal/networks.h"
#include "auth/internal/secrets.h"
#include "auth/throttle.h"
#include "auth/totp.h"
#include "auth/users.h"

namespace heartbase::auth {
namespace {

using internal::Credentials;
using store::Access;
using store::RunUnitOfWork;
using store::Transaction;

constexpr std::size_t kDecoyBytes = 32;

LoginResult Outcome(LoginOutcome outcome, LoginDetail detail, std::int64_t user_id) {
  LoginResult r;
  r.outcome = outcome;
  r.detail = detail;
  r.user_id = user_id;
  return r;
}

base::Status Record(const LoginRecorder& record, Transaction& tx, const LoginResult& result) {
  return record ? record(tx, result) : base::Status{};
}

}  // namespace

std::string_view LoginOutcomeName(LoginOutcome outcome) {
  switch (outcome) {
    case LoginOutcome::kOk:
      return "ok";
    case LoginOutcome::kBadCredentials:
      return "bad_credentials";
    case LoginOutcome::kMfaRequired:
      return "mfa_required";
    case LoginOutcome::kMfaBad:
      return "mfa_bad";
    case LoginOutcome::kThrottled:
      return "throttled";
  }
  return "unknown";
}

std::string_view LoginDetailName(LoginDetail detail) {
  switch (detail) {
    case LoginDetail::kNone:
      return "none";
    case LoginDetail::kUnknownUser:
      return "unknown_user";
    case LoginDetail::kWrongPassword:
      return "wrong_password";
    case LoginDetail::kNoPassword:
      return "no_password";
    case LoginDetail::kAddressThrottled:
      return "address_throttled";
    case LoginDetail::kAccountThrottled:
      return "account_throttled";
    case LoginDetail::kTotpMissing:
      return "totp_missing";
    case LoginDetail::kMfaNotEnrolled:
      return "mfa_not_enrolled";
    case LoginDetail::kTotpWrong:
      return "totp_wrong";
    case LoginDetail::kTotpReplayed:
      return "totp_replayed";
    case LoginDetail::kMfaEnrollmentRequired:
      return "mfa_enrollment_required";
    case LoginDetail::kAccountDisabled:
      return "account_disabled";
  }
  return "unknown";
}

base::Result<Authenticator> Authenticator::Create(store::Database& db, const crypto::KeyRing& keys,
                                                  AuthOptions options, bool allow_weak_hashing) {
  if (auto s = Validate(options, allow_weak_hashing); !s) return s.error();
  Authenticator a(db, keys, std::move(options));
  auto decoy = HashPassword(internal::RandomBytes(kDecoyBytes), a.options_.password);
  if (!decoy) return decoy.error();
  a.decoy_hash_ = std::move(*decoy);
  a.hash_slots_ = std::make_shared<std::counting_semaphore<>>(
      std::max(1, a.options_.login.max_concurrent_hashes));
  return a;
}

base::Result<LoginResult> Authenticator::Login(const LoginRequest& request,
                                               const LoginRecorder& record) const {
  return Attempt(request, nullptr, record);
}

base::Result<LoginResult> Authenticator::Reauthenticate(const Session& session,
                                                        const LoginRequest& request,
                                                        const LoginRecorder& record) const {
  return Attempt(request, &session, record);
}

base::Result<LoginResult> Authenticator::Attempt(const LoginRequest& request, const Session* reauth,
                                                 const LoginRecorder& record) const {
  const ThrottleOptions& limits = options_.throttle;
  const std::string address_key = AddressThrottleKey(request.address);
  const std::int64_t now = request.now_us;
  const auto normalized = NormalizeUserName(request.name);

  // Step 1: throttles, and the attempt counted before anything is evaluated.
  std::optional<Credentials> creds;
  std::string account_key;
  std::optional<LoginResult> early;
  std::int64_t blocked_wait = 0;
  LoginDetail blocked_detail = LoginDetail::kNone;
  bool bypass = false;           // the account or address is blocked; a TOTP code may open it
  bool account_counted = false;  // the attempt counts against the account bucket
  auto counted = RunUnitOfWork(*db_, Access::kWrite, [&](Transaction& tx) -> base::Status {
    creds.reset();
    early.reset();
    bypass = false;
    account_counted = false;
    base::Result<std::optional<Credentials>> loaded = std::optional<Credentials>();
    if (reauth != nullptr) {
      loaded = internal::LoadCredentialsById(tx, *keys_, reauth->user_id);
    } else if (normalized) {
      loaded = internal::LoadCredentials(tx, *keys_, *normalized);
    }
    if (!loaded) return loaded.error();
    creds = std::move(*loaded);
    account_key = creds ? creds->user.name : AccountThrottleKey(request.name);
    const std::int64_t user_id = creds ? creds->user.id : 0;

    auto address_wait = RetryAfter(tx, *keys_, ThrottleKind::kAddress, address_key, now);
    if (!address_wait) return address_wait.error();
    auto account_wait = RetryAfter(tx, *keys_, ThrottleKind::kAccount, account_key, now);
    if (!account_wait) return account_wait.error();
    blocked_wait = std::max(*address_wait, *account_wait);
    blocked_detail =
        *address_wait > 0 ? LoginDetail::kAddressThrottled : LoginDetail::kAccountThrottled;
    if (blocked_wait > 0) {
      // A blocked address (many users may share it) or account: only both factors get through,
      // the code checked before the password and each such attempt counted per account.
      auto mfa_wait = RetryAfter(tx, *keys_, ThrottleKind::kMfa, account_key, now);
      if (!mfa_wait) return mfa_wait.error();
      bypass = creds && !creds->mfa_secret.empty() && request.totp && *mfa_wait == 0;
      if (!bypass) {
        early = Outcome(LoginOutcome::kThrottled, blocked_detail, user_id);
        early->retry_after_s = blocked_wait;
        return Record(record, tx, *early);
      }
      if (auto s = RecordFailure(tx, *keys_, ThrottleKind::kMfa, account_key, limits.mfa, now);
          !s) {
        return s;
      }
    }
    // The account bucket counts every attempt it does not already block, the address bypass's too.
    if (*account_wait == 0) {
      account_counted = true;
      if (auto s =
              RecordFailure(tx, *keys_, ThrottleKind::kAccount, account_key, limits.account, now);
          !s) {
        return s;
      }
    }
    return RecordFailure(tx, *keys_, ThrottleKind::kAddress, address_key, limits.address, now);
  });
  if (!counted) return counted.error();
  if (early) return *early;

  // Step 2: the expensive part, outside any transaction. An unknown user is checked against the
  // decoy so that the answer takes as long as for a known one.
  const bool totp_precheck = !bypass || VerifyTotp(creds->mfa_secret, *request.totp, now,
                                                   creds->user.last_totp_step, options_.totp);
  bool password_ok = false;
  std::string rehash;
  if (totp_precheck) {
    // Memory is bounded before it is taken: wait for a slot, or refuse.
    if (!hash_slots_->try_acquire_for(std::chrono::milliseconds(options_.login.max_hash_wait_ms))) {
      return base::MakeError(base::ErrorCode::kUnavailable, "too many sign-ins at once");
    }
    struct Release {
      std::counting_semaphore<>* slots;
      ~Release() { slots->release(); }
    } release{hash_slots_.get()};
    if (creds && !creds->password_hash.empty()) {
      password_ok = VerifyPassword(creds->password_hash, request.password, options_.password);
    } else {
      (void)VerifyPassword(decoy_hash_, request.password, options_.password);
    }
    // A disabled account is not rehashed: its right password must cost what a wrong one does.
    if (password_ok && !creds->user.disabled &&
        NeedsRehash(creds->password_hash, options_.password)) {
      auto h = HashPassword(request.password, options_.password);
      if (h) rehash = std::move(*h);  // best effort: the old hash still works
    }
  }

  // Step 3: decide and record.
  const std::int64_t user_id = creds ? creds->user.id : 0;
  LoginResult result;
  auto decided = RunUnitOfWork(*db_, Access::kWrite, [&](Transaction& tx) -> base::Status {
    if (!totp_precheck) {
      // A wrong code while blocked is answered as if nothing had been tried.
      result = Outcome(LoginOutcome::kThrottled, blocked_detail, user_id);
      result.retry_after_s = blocked_wait;
      return Record(record, tx, result);
    }
    if (!password_ok) {
      const LoginDetail detail = !creds                         ? LoginDetail::kUnknownUser
                                 : creds->password_hash.empty() ? LoginDetail::kNoPassword
                                                                : LoginDetail::kWrongPassword;
      result = Outcome(LoginOutcome::kBadCredentials, detail, user_id);
      return Record(record, tx, result);
    }
    // The account may have changed while the hash ran: decide on its current state.
    auto current = internal::LoadCredentialsById(tx, *keys_, user_id);
    if (!current) return current.error();
    if (!*current || (*current)->password_hash != creds->password_hash) {
      result = Outcome(LoginOutcome::kBadCredentials, LoginDetail::kWrongPassword, user_id);
      return Record(record, tx, result);
    }
    const Credentials& account = **current;
    if (account.user.disabled) {
      // Answered (and counted) as a wrong password: a different answer for the right one would
      // confirm it to whoever guessed it.
      result = Outcome(LoginOutcome::kBadCredentials, LoginDetail::kAccountDisabled, user_id);
      return Record(record, tx, result);
    }
    // The password was right: an attempt that stops at the second factor is not a failure of it.
    const auto forgive = [&]() -> base::Status {
      if (account_counted) {
        if (auto s = ForgiveFailure(tx, *keys_, ThrottleKind::kAccount, account_key); !s) return s;
      }
      return ForgiveFailure(tx, *keys_, ThrottleKind::kAddress, address_key);
    };
    bool restricted = false;
    if (!account.mfa_secret.empty()) {
      if (!request.totp) {
        result = Outcome(LoginOutcome::kMfaRequired, LoginDetail::kTotpMissing, user_id);
        if (auto s = forgive(); !s) return s;
        return Record(record, tx, result);
      }
      const auto step = VerifyTotp(account.mfa_secret, *request.totp, now,
                                   account.user.last_totp_step, options_.totp);
      bool used = false;
      if (step) {
        auto cas = internal::UseTotpStep(tx, user_id, *step);
        if (!cas) return cas.error();
        used = *cas;
      }
      if (!used) {
        // Distinguish a replay (the code was right for a step already used) for the audit trail.
        const bool replay =
            VerifyTotp(account.mfa_secret, *request.totp, now, -1, options_.totp).has_value();
        result = Outcome(LoginOutcome::kMfaBad,
                         replay ? LoginDetail::kTotpReplayed : LoginDetail::kTotpWrong, user_id);
        return Record(record, tx, result);
      }
    } else if (reauth == nullptr &&
               !internal::InNetworks(request.address, options_.login.mfa_exempt_networks)) {
      result = Outcome(LoginOutcome::kMfaRequired, LoginDetail::kMfaNotEnrolled, user_id);
      if (auto s = forgive(); !s) return s;
      return Record(record, tx, result);
    } else if (account.user.mfa_required && reauth == nullptr) {
      restricted = true;
    }

    if (auto s = ResetThrottle(tx, *keys_, ThrottleKind::kAccount, account_key); !s) return s;
    if (auto s = ResetThrottle(tx, *keys_, ThrottleKind::kMfa, account_key); !s) return s;
    if (auto s = ForgiveFailure(tx, *keys_, ThrottleKind::kAddress, address_key); !s) return s;
    if (!rehash.empty()) {
      if (auto s = internal::UpdatePasswordHash(tx, user_id, account.password_hash, rehash, now);
          !s) {
        return s;
      }
    }
    result =
        Outcome(LoginOutcome::kOk,
                restricted ? LoginDetail::kMfaEnrollmentRequired : LoginDetail::kNone, user_id);
    if (reauth != nullptr) {
      if (auto s = RecordReauthentication(tx, reauth->row_id, now); !s) return s;
    } else {
      auto session = CreateSession(tx, *keys_, user_id, restricted, now);
      if (!session) return session.error();
      result.session = std::move(*session);
    }
    return Record(record, tx, result);
  });
  if (!decided) return decided.error();
  return result;
}

}  // namespace heartbase::auth
