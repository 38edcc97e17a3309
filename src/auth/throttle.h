// Login throttling per account name, per client address and per account on the MFA path, with
// exponential backoff and a hard cap, persisted so that a restart does not reset it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::auth {

// One bucket's rules. A failure is counted; after `free_failures` of them each further one blocks
// the key for base_delay_s · 2^(n − free_failures − 1), at most max_delay_s. At
// max_failures_per_window the key is blocked for window_s. The count starts again only after
// window_s without a failure, so no window_s-long span ever holds more than
// max_failures_per_window evaluated attempts (security.md D5: ≤ 100 per account per hour).
// The lockout is soft: it ends by itself; no administrator has to unlock anything.
struct ThrottleLimits {
  std::int64_t free_failures = 5;
  std::int64_t base_delay_s = 1;
  std::int64_t max_delay_s = 15 * 60;
  std::int64_t max_failures_per_window = 100;
  std::int64_t window_s = 60 * 60;
};

struct ThrottleOptions {
  ThrottleLimits account;
  // A whole clinic may sit behind one address: more free failures, but one address cannot try
  // many accounts quickly either.
  ThrottleLimits address{.free_failures = 20, .max_failures_per_window = 300};
  // Attempts that carry a TOTP code while the account is blocked (the soft-lockout bypass of a
  // user who has both factors): the code is checked before the password, so this bucket bounds
  // how often the password can be tried this way.
  ThrottleLimits mfa{.free_failures = 3, .max_failures_per_window = 20};
};

// kInvalidArgument naming the key if a limit is out of range.
base::Status Validate(const ThrottleOptions& options);

enum class ThrottleKind : std::uint8_t { kAccount, kAddress, kMfa };

// The bucket key of a sign-in name (ASCII lower case, at most 256 bytes) or an address (an IPv6
// address counts by its /64, since one host usually owns a whole /64; anything unparseable counts
// as it is).
std::string AccountThrottleKey(std::string_view user_name);
std::string AddressThrottleKey(std::string_view address);

// Seconds until `key` may be tried again (rounded up); 0 if it may be tried now. The block was
// computed by RecordFailure with the limits in force then.
base::Result<std::int64_t> RetryAfter(store::Transaction& tx, const crypto::KeyRing& keys,
                                      ThrottleKind kind, std::string_view key, std::int64_t now_us);

// Counts one failure and computes the next block.
base::Status RecordFailure(store::Transaction& tx, const crypto::KeyRing& keys, ThrottleKind kind,
                           std::string_view key, const ThrottleLimits& limits, std::int64_t now_us);

// Takes back one counted failure (an attempt counted before it was evaluated turned out not to
// be a failure). The block already computed stays.
base::Status ForgiveFailure(store::Transaction& tx, const crypto::KeyRing& keys, ThrottleKind kind,
                            std::string_view key);

// Forgets the key (a successful sign-in of the account).
base::Status ResetThrottle(store::Transaction& tx, const crypto::KeyRing& keys, ThrottleKind kind,
                           std::string_view key);

// Deletes buckets whose last failure is older than the longest window (housekeeping).
base::Result<std::int64_t> PurgeThrottle(store::Transaction& tx, const ThrottleOptions& options,
                                         std::int64_t now_us);

}  // namespace heartbase::auth
