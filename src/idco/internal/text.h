// Small text helpers shared by the IDCO mapper's files.
#pragma once

#include <cctype>
#include <string>
#include <string_view>

#include "hl7/delimiters.h"
#include "hl7/escape.h"

namespace heartbase::idco::internal {

// The unescaped text of a raw HL7 value.
inline std::string Text(std::string_view raw, const hl7::Delimiters& d) {
  // Most values have no escapes. Checked here with memchr rather than through hl7::Unescape,
  // whose byte loop for short spans costs more on the 16-31-byte values most OBX-3 fields are
  // (callgrind: 7% of the mapping of an S message).
  if (d.escape == '\0' || raw.find(d.escape) == std::string_view::npos) return std::string(raw);
  std::string s;
  hl7::AppendUnescaped(raw, d, &s);
  return s;
}

inline std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace heartbase::idco::internal
