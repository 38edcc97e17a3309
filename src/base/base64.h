// Base64 decoding (RFC 4648 alphabet) tolerant of the line breaks and blanks real senders insert.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace heartbase::base {

// Appends the decoded bytes of `text` to *out. Whitespace (space, tab, CR, LF) anywhere is
// skipped; padding is optional. Fails with kMalformed (naming the byte offset in `text`) on any
// other character outside the alphabet, on data after padding, or on a dangling final character.
// On failure *out is left as it was.
Status AppendBase64Decoded(std::string_view text, std::string* out);

// Appends the standard padded encoding of `bytes` to *out.
void AppendBase64Encoded(std::string_view bytes, std::string* out);

}  // namespace heartbase::base
