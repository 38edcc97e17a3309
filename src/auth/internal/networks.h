// CIDR network lists ("10.0.0.0/8", "fd00::/8", "192.168.1.7"): which client addresses count as
// inside the clinic networks.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace heartbase::auth::internal {

// True if `cidr` is an IPv4 or IPv6 address with an optional prefix length in range.
bool ValidNetwork(std::string_view cidr);

// True if `address` (IPv4, IPv6, or IPv4-mapped IPv6) lies in one of `networks`. An address that
// does not parse is in none (callers treat it as outside).
bool InNetworks(std::string_view address, std::span<const std::string> networks);

}  // namespace heartbase::auth::internal
