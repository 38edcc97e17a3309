// TOTP over OpenSSL's HMAC-SHA1 (libsodium has no SHA-1, and authenticator apps default to it).
#include "auth/totp.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdlib>

#include "auth/base32.h"
#include "auth/internal/secrets.h"

namespace heartbase::auth {
namespace {

constexpr std::string_view kIssuer = "heartbase";

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// RFC 3986 unreserved characters pass; everything else is percent-encoded.
std::string PercentEncode(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '.' || u == '_' || u == '~') {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

}  // namespace

std::string GenerateTotpSecret(const TotpOptions& options) {
  return internal::RandomBytes(options.secret_bytes);
}

std::int64_t TotpStep(std::int64_t now_us, const TotpOptions& options) {
  return FloorDiv(FloorDiv(now_us, 1'000'000), options.step_s);
}

std::string HotpCode(std::string_view secret, std::uint64_t counter, int digits) {
  std::array<unsigned char, 8> message{};
  for (int i = 7; i >= 0; --i) {
    message[static_cast<std::size_t>(i)] = static_cast<unsigned char>(counter & 0xFF);
    counter >>= 8;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_size = 0;
  if (HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), message.data(),
           message.size(), mac.data(), &mac_size) == nullptr ||
      mac_size != 20) {
    std::abort();  // SHA-1 HMAC cannot fail with a valid key length; a failure is a broken build
  }
  // Dynamic truncation (RFC 4226 section 5.3).
  const unsigned offset = mac[19] & 0x0F;
  const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7F) << 24) |
                               (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                               (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                               static_cast<std::uint32_t>(mac[offset + 3]);
  const std::uint32_t modulus = digits == 8 ? 100'000'000u : 1'000'000u;
  return fmt::format("{:0{}}", binary % modulus, digits == 8 ? 8 : 6);
}

std::optional<std::int64_t> VerifyTotp(std::string_view secret, std::string_view code,
                                       std::int64_t now_us, std::int64_t last_used_step,
                                       const TotpOptions& options) {
  if (code.size() != static_cast<std::size_t>(options.digits)) return std::nullopt;
  for (char c : code) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  const std::int64_t current = TotpStep(now_us, options);
  std::optional<std::int64_t> matched;
  // Every candidate is computed and compared so that the time does not tell which one matched.
  for (std::int64_t step = current + options.window; step >= current - options.window; --step) {
    if (step < 0) continue;
    const bool equal = internal::ConstantTimeEquals(
        HotpCode(secret, static_cast<std::uint64_t>(step), options.digits), code);
    if (equal && step > last_used_step && !matched) matched = step;
  }
  return matched;
}

std::string OtpauthUri(std::string_view user_name, std::string_view secret,
                       const TotpOptions& options) {
  return fmt::format("otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={}&period={}",
                     PercentEncode(kIssuer), PercentEncode(user_name), Base32Encode(secret),
                     PercentEncode(kIssuer), options.digits, options.step_s);
}

}  // namespace heartbase::auth
