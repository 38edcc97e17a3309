// Base32 (RFC 4648, no padding): TOTP secrets as authenticator apps expect them, and the
// printable form of random session ids and API tokens.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace heartbase::auth {

enum class Base32Case : bool { kUpper, kLower };

// Encodes `bytes` without '=' padding in the requested letter case.
std::string Base32Encode(std::string_view bytes, Base32Case letters = Base32Case::kUpper);

// Decodes base32 in either letter case, ignoring spaces and trailing '=' padding (people copy
// secrets in groups of four). nullopt if any other character appears or the trailing bits are not
// zero, so every value has exactly one accepted spelling up to case and spaces.
std::optional<std::string> Base32Decode(std::string_view text);

}  // namespace heartbase::auth
