// The generic structure of a parsed message as JSON (for `heartbase hl7 parse`).
#pragma once

#include "base/json_writer.h"
#include "base/result.h"
#include "hl7/message.h"

namespace heartbase::hl7 {

// Writes {"segments":[{"id":"PID","index":2,"offset":57,"fields":{"3":[[...],[...]],…}},…]}.
// Only non-empty fields appear, keyed by their HL7 field number. A field is an array of
// repetitions, a repetition an array of components, and a component a string, or an array of
// strings when it has sub-components. Every string is unescaped. MSH-1 and MSH-2 appear verbatim.
// Fails (kLimitExceeded) when a field has more repetitions or components than the message's
// ParseOptions allow; nothing is written for the message then (the caller discards `out`).
base::Status WriteMessageJson(const Message& message, base::JsonWriter* out);

}  // namespace heartbase::hl7
