// Typed readings of HL7 v2 primitive data types: DTM (date/time) and NM (numeric).
#pragma once

#include <string_view>

#include "base/result.h"
#include "base/time.h"

namespace heartbase::hl7 {

// Parses DTM: YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]. Also accepted, because real senders
// do it: a 'T' between date and time (vendor XML), surrounding blanks, up to 9 fraction digits,
// and "00" as a month or day placeholder (Paceart sends birth dates as 19100000000000+0000),
// which ends the precision there: 19100000 → year 1910. Fails with kMalformed otherwise
// (including impossible dates such as 20230230).
base::Result<base::DateTime> ParseDtm(std::string_view text);

// Parses NM: optional sign, digits, optional decimal point and digits; blanks around tolerated.
// No exponent (HL7 NM has none). Fails with kMalformed.
base::Result<double> ParseNumber(std::string_view text);

}  // namespace heartbase::hl7
