// libFuzzer target for the escape decoder and encoder: decoding arbitrary text with arbitrary
// delimiters never fails, and decode(encode(x)) == x always holds.
#include <cstdint>
#include <string>
#include <string_view>

#include "hl7/escape.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using heartbase::hl7::Delimiters;
  if (size < 6) return 0;
  Delimiters d{static_cast<char>(data[0]), static_cast<char>(data[1]), static_cast<char>(data[2]),
               static_cast<char>(data[3]), static_cast<char>(data[4]), static_cast<char>(data[5])};
  const char all[6] = {d.field, d.component, d.repetition, d.escape, d.subcomponent, d.truncation};
  // The same rule the parser applies to MSH-1/MSH-2: no letters, digits, blanks or line breaks.
  for (int a = 0; a < 6; ++a) {
    const char c = all[a];
    if (c == '\0' && a != 5) return 0;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ' ' ||
        c == '\t' || c == '\r' || c == '\n') {
      return 0;
    }
    for (int b = 0; b < a; ++b) {
      if (all[a] != '\0' && all[a] == all[b]) return 0;
    }
  }
  const std::string_view text(reinterpret_cast<const char*>(data) + 6, size - 6);
  std::string decoded;
  heartbase::hl7::AppendUnescaped(text, d, &decoded);
  const std::string encoded = heartbase::hl7::Escape(text, d);
  std::string round;
  heartbase::hl7::AppendUnescaped(encoded, d, &round);
  if (round != text) __builtin_trap();
  return 0;
}
