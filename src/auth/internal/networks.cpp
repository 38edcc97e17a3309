// CIDR matching over inet_pton.
#include "auth/internal/networks.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

namespace heartbase::auth::internal {
namespace {

struct Address {
  std::array<unsigned char, 16> bytes{};
  int bits = 0;  // 32 or 128
};

std::optional<Address> ParseAddress(std::string_view text) {
  if (text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string s(text);
  Address a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.bits = 32;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
  a.bits = 128;
  static constexpr std::array<unsigned char, 12> kMapped = {0, 0, 0, 0, 0,    0,
                                                            0, 0, 0, 0, 0xFF, 0xFF};
  if (std::equal(kMapped.begin(), kMapped.end(), a.bytes.begin())) {
    std::copy(a.bytes.begin() + 12, a.bytes.end(), a.bytes.begin());
    std::fill(a.bytes.begin() + 4, a.bytes.end(), 0);
    a.bits = 32;
  }
  return a;
}

struct Network {
  Address base;
  int prefix = 0;
};

std::optional<Network> ParseNetwork(std::string_view cidr) {
  const std::size_t slash = cidr.find('/');
  auto base = ParseAddress(cidr.substr(0, slash));
  if (!base) return std::nullopt;
  Network n{*base, base->bits};
  if (slash != std::string_view::npos) {
    const std::string_view digits = cidr.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n.prefix);
    if (ec != std::errc() || end != digits.data() + digits.size() || n.prefix < 0 ||
        n.prefix > base->bits) {
      return std::nullopt;
    }
  }
  return n;
}

bool Contains(const Network& n, const Address& a) {
  if (n.base.bits != a.bits) return false;
  int remaining = n.prefix;
  for (std::size_t i = 0; remaining > 0; ++i, remaining -= 8) {
    const unsigned mask = remaining >= 8 ? 0xFFu : (0xFFu << (8 - remaining)) & 0xFFu;
    if ((n.base.bytes[i] & mask) != (a.bytes[i] & mask)) return false;
  }
  return true;
}

}  // namespace

bool ValidNetwork(std::string_view cidr) { return ParseNetwork(cidr).has_value(); }

bool InNetworks(std::string_view address, std::span<const std::string> networks) {
  const auto a = ParseAddress(address);
  if (!a) return false;
  for (const std::string& text : networks) {
    const auto n = ParseNetwork(text);
    if (n && Contains(*n, *a)) return true;
  }
  return false;
}

}  // namespace heartbase::auth::internal
