// Throttle buckets in login_throttle. Each is one row, read and written in the caller's write
// transaction, so concurrent attempts on one key are serialised by the database.
#include "auth/throttle.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "auth/internal/secrets.h"

namespace heartbase::auth {
namespace {

using base::ErrorCode;
using base::MakeError;
using store::Param;

constexpr std::int64_t kMicros = 1'000'000;
constexpr std::size_t kMaxNameBytes = 256;
constexpr std::int64_t kMaxShift = 30;

std::string_view KindName(ThrottleKind kind) {
  switch (kind) {
    case ThrottleKind::kAccount:
      return "account";
    case ThrottleKind::kAddress:
      return "address";
    case ThrottleKind::kMfa:
      return "mfa";
  }
  return "unknown";
}

store::Bytes Lookup(const crypto::KeyRing& keys, ThrottleKind kind, std::string_view key) {
  return internal::SecretLookup(keys, fmt::format("throttle-{}", KindName(kind)), key);
}

base::Status CheckLimits(std::string_view bucket, const ThrottleLimits& l) {
  const auto bad = [&](std::string_view key, std::string_view rule) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("auth.throttle.{}.{} {}", bucket, key, rule));
  };
  if (l.free_failures < 0) return bad("free_failures", "must not be negative");
  if (l.base_delay_s < 0) return bad("base_delay_s", "must not be negative");
  if (l.max_delay_s < l.base_delay_s) return bad("max_delay_s", "must be at least base_delay_s");
  if (l.max_failures_per_window < 1 || l.max_failures_per_window > 1000) {
    return bad("max_failures_per_window", "must be between 1 and 1000");
  }
  if (l.window_s < 60 || l.window_s > 24 * 60 * 60) {
    return bad("window_s", "must be between 60 and 86400");
  }
  return {};
}

// The block that follows the `failures`-th failure at `now_us`.
std::int64_t BlockedUntil(std::int64_t failures, const ThrottleLimits& l, std::int64_t now_us) {
  if (failures >= l.max_failures_per_window) return now_us + l.window_s * kMicros;
  if (failures <= l.free_failures) return 0;
  const std::int64_t shift = std::min(failures - l.free_failures - 1, kMaxShift);
  const std::int64_t delay_s = std::min(l.base_delay_s << shift, l.max_delay_s);
  return now_us + delay_s * kMicros;
}

}  // namespace

base::Status Validate(const ThrottleOptions& o) {
  if (auto s = CheckLimits("account", o.account); !s) return s;
  if (auto s = CheckLimits("address", o.address); !s) return s;
  if (o.account.max_failures_per_window > 100) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "auth.throttle.account.max_failures_per_window must be at most 100");
  }
  return CheckLimits("mfa", o.mfa);
}

std::string AccountThrottleKey(std::string_view user_name) {
  return internal::AsciiLower(user_name.substr(0, kMaxNameBytes));
}

std::string AddressThrottleKey(std::string_view address) {
  std::string text(address.substr(0, 64));
  std::array<unsigned char, 16> v6{};
  if (inet_pton(AF_INET6, text.c_str(), v6.data()) == 1) {
    const bool v4_mapped =
        std::all_of(v6.begin(), v6.begin() + 10, [](auto b) { return b == 0; }) && v6[10] == 0xFF &&
        v6[11] == 0xFF;
    if (v4_mapped) return fmt::format("{}.{}.{}.{}", v6[12], v6[13], v6[14], v6[15]);
    std::fill(v6.begin() + 8, v6.end(), 0);
    std::array<char, INET6_ADDRSTRLEN> out{};
    if (inet_ntop(AF_INET6, v6.data(), out.data(), out.size()) != nullptr) {
      return std::string(out.data()) + "/64";
    }
  }
  return text;
}

base::Result<std::int64_t> RetryAfter(store::Transaction& tx, const crypto::KeyRing& keys,
                                      ThrottleKind kind, std::string_view key,
                                      std::int64_t now_us) {
  const Param p[] = {{"kind", std::string(KindName(kind))}, {"lookup", Lookup(keys, kind, key)}};
  auto rows = tx.Query(
      "SELECT blocked_until_us FROM login_throttle WHERE kind = :kind AND lookup = :lookup", p);
  if (!rows) return rows.error();
  if (rows->empty()) return std::int64_t{0};
  const std::int64_t wait_us = rows->front().Int(0) - now_us;
  if (wait_us <= 0) return std::int64_t{0};
  return (wait_us + kMicros - 1) / kMicros;
}

base::Status RecordFailure(store::Transaction& tx, const crypto::KeyRing& keys, ThrottleKind kind,
                           std::string_view key, const ThrottleLimits& limits,
                           std::int64_t now_us) {
  const std::string kind_name(KindName(kind));
  const store::Bytes lookup = Lookup(keys, kind, key);
  const Param find[] = {{"kind", kind_name}, {"lookup", lookup}};
  auto rows = tx.Query(
      "SELECT failures, last_failure_us FROM login_throttle WHERE kind = :kind AND "
      "lookup = :lookup",
      find);
  if (!rows) return rows.error();
  std::int64_t failures = 1;
  if (!rows->empty() && now_us - rows->front().Int(1) < limits.window_s * kMicros) {
    failures = rows->front().Int(0) + 1;
  }
  const Param write[] = {{"kind", kind_name},
                         {"lookup", lookup},
                         {"failures", failures},
                         {"now", now_us},
                         {"blocked", BlockedUntil(failures, limits, now_us)}};
  auto r = tx.Execute(
      "INSERT INTO login_throttle (kind, lookup, failures, last_failure_us, blocked_until_us) "
      "VALUES (:kind, :lookup, :failures, :now, :blocked) ON CONFLICT (kind, lookup) DO UPDATE "
      "SET failures = excluded.failures, last_failure_us = excluded.last_failure_us, "
      "blocked_until_us = excluded.blocked_until_us",
      write);
  if (!r) return r.error();
  return {};
}

base::Status ForgiveFailure(store::Transaction& tx, const crypto::KeyRing& keys, ThrottleKind kind,
                            std::string_view key) {
  const Param p[] = {{"kind", std::string(KindName(kind))}, {"lookup", Lookup(keys, kind, key)}};
  auto r = tx.Execute(
      "UPDATE login_throttle SET failures = failures - 1 WHERE kind = :kind AND "
      "lookup = :lookup AND failures > 0",
      p);
  if (!r) return r.error();
  return {};
}

base::Status ResetThrottle(store::Transaction& tx, const crypto::KeyRing& keys, ThrottleKind kind,
                           std::string_view key) {
  const Param p[] = {{"kind", std::string(KindName(kind))}, {"lookup", Lookup(keys, kind, key)}};
  auto r = tx.Execute("DELETE FROM login_throttle WHERE kind = :kind AND lookup = :lookup", p);
  if (!r) return r.error();
  return {};
}

base::Result<std::int64_t> PurgeThrottle(store::Transaction& tx, const ThrottleOptions& options,
                                         std::int64_t now_us) {
  const std::int64_t window_s =
      std::max({options.account.window_s, options.address.window_s, options.mfa.window_s});
  const Param p[] = {{"before", now_us - window_s * kMicros}, {"now", now_us}};
  return tx.Execute(
      "DELETE FROM login_throttle WHERE last_failure_us < :before AND blocked_until_us <= :now", p);
}

}  // namespace heartbase::auth
