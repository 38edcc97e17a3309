// TOTP (RFC 6238) with HMAC-SHA1, as every authenticator app implements it: secrets, codes,
// verification with a one-step window where each code works only once, and the otpauth:// URI.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace heartbase::auth {

struct TotpOptions {
  int digits = 6;                 // 6 or 8
  std::int64_t step_s = 30;       // the time step
  int window = 1;                 // steps accepted either side of the current one (clock drift)
  std::size_t secret_bytes = 20;  // 160 bits, the HMAC-SHA1 block recommended by RFC 4226
};

// A fresh random secret (raw bytes; store it sealed, show it once as base32).
std::string GenerateTotpSecret(const TotpOptions& options = {});

// The time step of `now_us` (floor of Unix seconds / step).
std::int64_t TotpStep(std::int64_t now_us, const TotpOptions& options = {});

// The HOTP value (RFC 4226) of `secret` at `counter`, as `digits` decimal digits with leading
// zeros. Precondition: digits is 6 or 8.
std::string HotpCode(std::string_view secret, std::uint64_t counter, int digits);

// Checks `code` against the steps around `now_us`, newest first, and returns the step it matched.
// A step at or below `last_used_step` never matches: the caller stores the returned step (with a
// compare-and-set, so two concurrent uses of one code cannot both succeed) and passes it back
// next time, which makes every code single-use. nullopt if the code is malformed (not exactly
// options.digits ASCII digits), wrong, outside the window, or already used. The candidates are
// compared in constant time.
std::optional<std::int64_t> VerifyTotp(std::string_view secret, std::string_view code,
                                       std::int64_t now_us, std::int64_t last_used_step,
                                       const TotpOptions& options = {});

// otpauth://totp/heartbase:NAME?secret=BASE32&issuer=heartbase&algorithm=SHA1&digits=6&period=30
// for the QR code an authenticator app scans. The label is the user name only: never patient
// data, and nothing else about the account.
std::string OtpauthUri(std::string_view user_name, std::string_view secret,
                       const TotpOptions& options = {});

}  // namespace heartbase::auth
