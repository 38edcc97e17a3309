// FindByte: memchr that does not pay a library call for the short spans most HL7 values are.
#pragma once

#include <cstring>

namespace heartbase::hl7::internal {

inline const char* FindByte(const char* p, const char* end, char c) {
  if (end - p < 32) {
    for (; p < end; ++p) {
      if (*p == c) return p;
    }
    return nullptr;
  }
  return static_cast<const char*>(std::memchr(p, c, static_cast<std::size_t>(end - p)));
}

}  // namespace heartbase::hl7::internal
