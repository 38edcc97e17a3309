// Unkeyed hashes of documents: what a recipient of a report can recompute with standard tools
// (sha256sum). Keyed hashes of patient data are the key ring's (KeyRing::BlindIndex, blob lookup).
#pragma once

#include <string>
#include <string_view>

namespace heartbase::crypto {

// SHA-256 of `bytes` as 64 lower-case hexadecimal digits.
std::string Sha256Hex(std::string_view bytes);

}  // namespace heartbase::crypto
