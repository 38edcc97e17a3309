// AuthOptions: every setting of the auth module with its documented default, validated at
// start-up so that a bad configuration stops the server with a message naming the key.
#pragma once

#include <string>
#include <vector>

#include "auth/blocklist.h"
#include "auth/bootstrap.h"
#include "auth/break_glass.h"
#include "auth/password.h"
#include "auth/sessions.h"
#include "auth/throttle.h"
#include "auth/tokens.h"
#include "auth/totp.h"
#include "base/result.h"

namespace heartbase::auth {

struct LoginOptions {
  // Sign-ins from these networks may use the password alone (unless the account requires MFA);
  // from anywhere else an account without MFA enrolled cannot sign in (security.md A3).
  std::vector<std::string> mfa_exempt_networks = {"127.0.0.0/8", "::1/128"};
  // Argon2id takes its memory (64 MiB by default) for every password checked at once: at most this
  // many run together; a sign-in that waits longer than max_hash_wait_ms is refused as
  // unavailable (the client may retry) instead of growing the server's memory.
  int max_concurrent_hashes = 4;
  int max_hash_wait_ms = 5000;
};

struct AuthOptions {
  PasswordOptions password;
  BlocklistOptions blocklist;
  SessionOptions session;
  ThrottleOptions throttle;
  TotpOptions totp;
  TokenOptions tokens;
  BreakGlassOptions break_glass;
  BootstrapOptions bootstrap;
  LoginOptions login;
};

// kInvalidArgument naming the first bad key ("auth.session.idle_timeout_s must be …"). The
// Argon2id cost may not go below the production minimum (t=3, m=64 MiB) unless
// `allow_weak_hashing` (tests only).
base::Status Validate(const AuthOptions& options, bool allow_weak_hashing = false);

}  // namespace heartbase::auth
