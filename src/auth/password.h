// Passwords: the policy (NIST SP 800-63B: length, blocklist, no composition rules) and Argon2id
// hashing through libsodium's crypto_pwhash_str.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/blocklist.h"
#include "base/result.h"

namespace heartbase::auth {

struct PasswordOptions {
  // Argon2id cost. Measured with the defaults (t=3, m=64 MiB, one lane) on the project's 2-core
  // machine: 118-150 ms per hash or verify while other builds ran, up to 240 ms with both cores
  // saturated (security.md A2 quotes 117 ms). Each evaluation in flight holds 64 MiB, so the
  // caller bounds concurrent sign-ins. Tests lower the cost; Validate() refuses less than these
  // defaults in production.
  std::uint64_t opslimit = 3;
  std::size_t memlimit = std::size_t{64} << 20;
  // Minimum length in Unicode code points: 15 when the password is the only factor, 8 when the
  // account must use MFA.
  std::size_t min_length_single_factor = 15;
  std::size_t min_length_with_mfa = 8;
  // Longer passwords are refused before hashing, which bounds the cost of one attempt (at least
  // 64 characters are always accepted).
  std::size_t max_bytes = 1024;
};

// Why a password was refused. Each has a sentence for the person choosing it (PasswordVerdict).
enum class PasswordProblem : std::uint8_t {
  kNone,
  kTooShort,
  kTooLong,
  kBlocklisted,       // a common or breached password, a dictionary word, or one with digits added
  kContainsUserName,  // equal to or containing the user name (or the product name)
  kTrivialPattern,    // one repeated character, a short repeated unit, a straight sequence
};

struct PasswordVerdict {
  PasswordProblem problem = PasswordProblem::kNone;
  std::string message;  // empty when accepted; never contains the password
  bool ok() const { return problem == PasswordProblem::kNone; }
};

// Who the password is for: the policy depends on the account.
struct PasswordAccount {
  std::string_view user_name;
  bool mfa_enforced = false;  // the account cannot sign in without a second factor
};

// Applies the policy. No composition rules: any characters, spaces included, are allowed.
PasswordVerdict CheckPassword(std::string_view password, const PasswordAccount& account,
                              const Blocklist& blocklist, const PasswordOptions& options);

// A password that passed the policy for one account, hashed. The only way to make one is
// PreparePassword, so the user repository cannot store a password the policy did not see.
class PreparedPassword {
 public:
  const std::string& hash() const { return hash_; }
  const std::string& user_name() const { return user_name_; }  // ASCII lower case
  bool mfa_enforced() const { return mfa_enforced_; }

 private:
  friend base::Result<PreparedPassword> PreparePassword(std::string_view, const PasswordAccount&,
                                                        const Blocklist&, const PasswordOptions&);
  PreparedPassword() = default;
  std::string hash_;
  std::string user_name_;
  bool mfa_enforced_ = false;
};

// CheckPassword, then HashPassword. kInvalidArgument with the verdict's message if the policy
// refuses it; kUnavailable if the hash cannot get its memory. Slow (one Argon2id): call it
// outside a write transaction.
base::Result<PreparedPassword> PreparePassword(std::string_view password,
                                               const PasswordAccount& account,
                                               const Blocklist& blocklist,
                                               const PasswordOptions& options);

// "$argon2id$v=19$m=…,t=…,p=1$salt$hash" with a random salt. kInvalidArgument for a password
// over options.max_bytes, kUnavailable if the memory cannot be allocated.
base::Result<std::string> HashPassword(std::string_view password, const PasswordOptions& options);

// True if `password` matches `hash` (a crypto_pwhash string). Takes the time the hash's own
// parameters set; a password over options.max_bytes is never accepted, but its first max_bytes
// are still hashed so that the answer takes as long as any other.
bool VerifyPassword(std::string_view hash, std::string_view password,
                    const PasswordOptions& options);

// True if `hash` was made with other parameters than `options` (or is not Argon2id): rehash it
// at the next successful sign-in.
bool NeedsRehash(std::string_view hash, const PasswordOptions& options);

}  // namespace heartbase::auth
