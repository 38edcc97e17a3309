// Unit normalisation: OBX-6 as real senders write it → the UCUM code IDCO prescribes.
#pragma once

#include <string>
#include <string_view>

namespace heartbase::idco {

// Accepts bare UCUM ("Ohm"), `code^text^UCUM`, MDC dimension codes
// (`266418^MDC_DIM_MILLI_VOLT^MDC`) and common variants (ohm, Ohms, bpm, /min, mv, msec, months,
// percent …). `field` is OBX-6, unescaped, with `component` its component separator. Returns the
// UCUM code, or the first component as sent when the unit is not recognised (never an empty string
// for a non-empty unit).
std::string NormalizeUnit(std::string_view field, char component);

}  // namespace heartbase::idco
