// Validation of AuthOptions.
#include "auth/options.h"

#include <fmt/format.h>

#include "auth/internal/networks.h"

namespace heartbase::auth {
namespace {

using base::ErrorCode;
using base::MakeError;

base::Status Bad(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

base::Status ValidatePassword(const PasswordOptions& o, bool allow_weak_hashing) {
  const PasswordOptions production;
  if (!allow_weak_hashing &&
      (o.opslimit < production.opslimit || o.memlimit < production.memlimit)) {
    return Bad("auth.password.opslimit and memlimit must be at least 3 and 64 MiB");
  }
  if (o.min_length_single_factor < 15) {
    return Bad("auth.password.min_length_single_factor must be at least 15");
  }
  if (o.min_length_with_mfa < 8 || o.min_length_with_mfa > o.min_length_single_factor) {
    return Bad("auth.password.min_length_with_mfa must be between 8 and min_length_single_factor");
  }
  if (o.max_bytes < 64 || o.max_bytes > 4096) {
    return Bad("auth.password.max_bytes must be between 64 and 4096");
  }
  return {};
}

base::Status ValidateTotp(const TotpOptions& o) {
  if (o.digits != 6 && o.digits != 8) return Bad("auth.totp.digits must be 6 or 8");
  if (o.step_s < 15 || o.step_s > 120) return Bad("auth.totp.step_s must be between 15 and 120");
  if (o.window < 0 || o.window > 2) return Bad("auth.totp.window must be between 0 and 2");
  if (o.secret_bytes < 16 || o.secret_bytes > 64) {
    return Bad("auth.totp.secret_bytes must be between 16 and 64");
  }
  return {};
}

}  // namespace

base::Status Validate(const AuthOptions& o, bool allow_weak_hashing) {
  if (auto s = ValidatePassword(o.password, allow_weak_hashing); !s) return s;
  if (auto s = Validate(o.session); !s) return s;
  if (auto s = Validate(o.throttle); !s) return s;
  if (auto s = ValidateTotp(o.totp); !s) return s;
  if (auto s = Validate(o.tokens); !s) return s;
  if (auto s = Validate(o.break_glass); !s) return s;
  if (o.bootstrap.lifetime_s < 60 || o.bootstrap.lifetime_s > 7 * 24 * 60 * 60) {
    return Bad("auth.bootstrap.lifetime_s must be between 60 and 604800");
  }
  for (const std::string& network : o.login.mfa_exempt_networks) {
    if (!internal::ValidNetwork(network)) {
      return Bad(
          fmt::format("auth.login.mfa_exempt_networks: {} is not an address or network", network));
    }
  }
  if (o.login.max_concurrent_hashes < 1 || o.login.max_concurrent_hashes > 64) {
    return Bad("auth.login.max_concurrent_hashes must be between 1 and 64");
  }
  if (o.login.max_hash_wait_ms < 0 || o.login.max_hash_wait_ms > 60000) {
    return Bad("auth.login.max_hash_wait_ms must be between 0 and 60000");
  }
  return {};
}

}  // namespace heartbase::auth
