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
