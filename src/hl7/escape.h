// HL7 v2 escape sequences: decoding on demand (zero-copy when there is nothing to decode) and
// an encoder such that decode(encode(s)) == s for every byte string.
#pragma once

#include <string>
#include <string_view>

#include "hl7/delimiters.h"

namespace heartbase::hl7 {

// Decodes `raw` (one field, component or sub-component, already split):
//   \F\ \S\ \T\ \R\ \E\ \P\  → the delimiter they stand for;
//   \Xhh…\                    → the bytes (an even number of hex digits);
//   \.br\ → "\n"; \.sp n\ → n line breaks (1 if n is absent);
//   \H\ \N\, other formatting (\.in \.ti \.sk \.ce \.fi \.nf), \Cxxyy\, \Mxxyyzz\, \Z…\ → removed.
// An unknown, malformed or unterminated sequence is kept literally, so no input byte is lost.
// Returns `raw` itself when it contains no escape character; otherwise decodes into *scratch
// (overwriting it) and returns a view of *scratch.
std::string_view Unescape(std::string_view raw, const Delimiters& d, std::string* scratch);
// Appends the decoded form of `raw` to *out.
void AppendUnescaped(std::string_view raw, const Delimiters& d, std::string* out);

// Appends `text` with every delimiter, the escape character, CR and LF escaped.
void AppendEscaped(std::string_view text, const Delimiters& d, std::string* out);
std::string Escape(std::string_view text, const Delimiters& d);

}  // namespace heartbase::hl7
