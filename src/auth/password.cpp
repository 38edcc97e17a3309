// The password policy and Argon2id. Rules follow NIST SP 800-63B: length over complexity, a
// blocklist, context words; no composition rules and no forced rotation.
#include "auth/password.h"

#include <fmt/format.h>
#include <sodium.h>

#include <array>
#include <cctype>

#include "auth/internal/secrets.h"
#include "crypto/key_ring.h"

namespace heartbase::auth {
namespace {

using base::ErrorCode;
using base::MakeError;

constexpr std::string_view kArgon2idPrefix = "$argon2id$";
// Words that name this system: a password built on them is the first an attacker tries here.
constexpr std::array<std::string_view, 1> kContextWords = {"heartbase"};
// Keyboard walks (US, German and French rows, and the column walk); a password that is a run of
// one of these, forwards or backwards, is trivial.
constexpr std::array<std::string_view, 4> kKeyboardWalks = {
    "`1234567890-=qwertyuiop[]\\asdfghjkl;'zxcvbnm,./",
    "1234567890qwertzuiopasdfghjklyxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/-['=]",
};
constexpr std::size_t kMaxRepeatedUnit = 4;
constexpr std::size_t kMinCoreLength = 4;

std::size_t CodePoints(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

// "abcabcabc", "1111111": the whole text repeats a unit of at most kMaxRepeatedUnit characters.
bool IsRepetition(std::string_view s) {
  for (std::size_t unit = 1; unit <= kMaxRepeatedUnit && unit * 2 <= s.size(); ++unit) {
    bool periodic = true;
    for (std::size_t i = unit; i < s.size() && periodic; ++i) periodic = s[i] == s[i - unit];
    if (periodic) return true;
  }
  return false;
}

// "abcdefgh", "987654321", "7890123": every step +1, or every step -1 (digits wrap around).
bool IsStraightSequence(std::string_view s) {
  if (s.size() < 3) return false;
  for (int direction : {1, -1}) {
    bool straight = true;
    for (std::size_t i = 1; i < s.size() && straight; ++i) {
      const char prev = s[i - 1], cur = s[i];
      if (std::isdigit(static_cast<unsigned char>(prev)) &&
          std::isdigit(static_cast<unsigned char>(cur))) {
        straight = (prev - '0' + direction + 10) % 10 == cur - '0';
      } else {
        straight = prev + direction == cur;
      }
    }
    if (straight) return true;
  }
  return false;
}

bool IsKeyboardWalk(std::string_view s) {
  for (std::string_view walk : kKeyboardWalks) {
    if (walk.find(s) != std::string_view::npos) return true;
    const std::string reversed(walk.rbegin(), walk.rend());
    if (reversed.find(s) != std::string::npos) return true;
  }
  return false;
}

bool IsLetter(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalpha(u) || u >= 0x80;
}

// The password without leading and trailing non-letters: "Dragon2024!!" → "dragon". Attackers
// try every list entry with digits and symbols around it.
std::string_view Core(std::string_view lower) {
  while (!lower.empty() && !IsLetter(lower.front())) lower.remove_prefix(1);
  while (!lower.empty() && !IsLetter(lower.back())) lower.remove_suffix(1);
  return lower;
}

PasswordVerdict Refuse(PasswordProblem problem, std::string message) {
  return {problem, std::move(message)};
}

}  // namespace

PasswordVerdict CheckPassword(std::string_view password, const PasswordAccount& account,
                              const Blocklist& blocklist, const PasswordOptions& options) {
  if (password.size() > options.max_bytes) {
    return Refuse(PasswordProblem::kTooLong,
                  fmt::format("Use at most {} bytes.", options.max_bytes));
  }
  const std::size_t min_length =
      account.mfa_enforced ? options.min_length_with_mfa : options.min_length_single_factor;
  if (CodePoints(password) < min_length) {
    return Refuse(
        PasswordProblem::kTooShort,
        fmt::format("Use at least {} characters; a few unrelated words work well.", min_length));
  }
  const std::string lower = internal::AsciiLower(password);
  const std::string name = internal::AsciiLower(account.user_name);
  // A short name ("al") occurs inside many good passphrases; only equality counts then.
  if (!name.empty() &&
      (lower == name || (name.size() >= 3 && lower.find(name) != std::string::npos))) {
    return Refuse(PasswordProblem::kContainsUserName, "Do not use your user name in it.");
  }
  for (std::string_view word : kContextWords) {
    if (lower.find(word) != std::string::npos) {
      return Refuse(PasswordProblem::kContainsUserName,
                    fmt::format("Do not use the name of this system (\"{}\") in it.", word));
    }
  }
  if (IsRepetition(lower) || IsStraightSequence(lower) || IsKeyboardWalk(lower)) {
    return Refuse(PasswordProblem::kTrivialPattern,
                  "Avoid repeated characters, sequences and keyboard runs.");
  }
  const std::string_view core = Core(lower);
  if (blocklist.Contains(lower) || (core.size() >= kMinCoreLength && blocklist.Contains(core))) {
    return Refuse(PasswordProblem::kBlocklisted,
                  "This password is too common: it appears in lists that attackers try first.");
  }
  return {};
}

base::Result<PreparedPassword> PreparePassword(std::string_view password,
                                               const PasswordAccount& account,
                                               const Blocklist& blocklist,
                                               const PasswordOptions& options) {
  PasswordVerdict verdict = CheckPassword(password, account, blocklist, options);
  if (!verdict.ok()) return MakeError(ErrorCode::kInvalidArgument, std::move(verdict.message));
  auto hash = HashPassword(password, options);
  if (!hash) return hash.error();
  PreparedPassword prepared;
  prepared.hash_ = std::move(*hash);
  prepared.user_name_ = internal::AsciiLower(account.user_name);
  prepared.mfa_enforced_ = account.mfa_enforced;
  return prepared;
}

base::Result<std::string> HashPassword(std::string_view password, const PasswordOptions& options) {
  if (password.size() > options.max_bytes) {
    return MakeError(ErrorCode::kInvalidArgument, "password is too long");
  }
  if (auto s = crypto::Initialize(); !s) return s.error();
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str(out.data(), password.data(), password.size(), options.opslimit,
                        options.memlimit) != 0) {
    return MakeError(ErrorCode::kUnavailable, "not enough memory to hash a password");
  }
  return std::string(out.data());
}

bool VerifyPassword(std::string_view hash, std::string_view password,
                    const PasswordOptions& options) {
  if (hash.size() >= crypto_pwhash_STRBYTES || !crypto::Initialize()) return false;
  const bool too_long = password.size() > options.max_bytes;
  if (too_long) password = password.substr(0, options.max_bytes);
  const std::string terminated(hash);  // libsodium reads a NUL-terminated string
  const bool match =
      crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
  return match && !too_long;
}

bool NeedsRehash(std::string_view hash, const PasswordOptions& options) {
  if (!hash.starts_with(kArgon2idPrefix) || hash.size() >= crypto_pwhash_STRBYTES) return true;
  const std::string terminated(hash);
  return crypto_pwhash_str_needs_rehash(terminated.c_str(), options.opslimit, options.memlimit) !=
         0;
}

}  // namespace heartbase::auth
