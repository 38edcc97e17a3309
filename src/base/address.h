// The syntax of the addresses a message may be sent to: one rule for every place that checks
// them (notify's job validation, store's configured report recipients), so a recipient the store
// accepts is never refused by the wire format later.
#pragma once

#include <string_view>

namespace heartbase::base {

// An addr-spec without quoting, comments or IP literals: local part of [A-Za-z0-9] and
// .!#$%&'*+/=?^_`{|}~- (1..64 bytes, no leading, trailing or doubled dot), '@', a domain of
// [A-Za-z0-9.-] (no leading dot or hyphen, no trailing or doubled dot). At most 254 bytes.
bool IsEmailAddress(std::string_view s);

// True when every byte of `s` is an ASCII letter or digit or one of `extra` (true for "").
bool OnlyAlnumOr(std::string_view s, std::string_view extra);

// A fax number: an optional '+' and 3..20 decimal digits, nothing else (no spaces or dashes).
bool IsFaxNumber(std::string_view s);

}  // namespace heartbase::base
