// Reading stored interrogations back: the raw message is the record, so its full content (every
// observation grouped as in the message) is re-mapped from it on demand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/json_writer.h"
#include "base/result.h"
#include "domain/interrogation.h"

namespace heartbase::ingest {

// Writes the interrogation in `raw` as the JSON object of docs/idco-json.md (attachment bytes
// left out: they are served by StoredAttachment). Errors: the parser's or mapper's (a message that
// was stored was mappable, so an error here means the mapper changed incompatibly).
base::Status WriteStoredInterrogationJson(std::string_view raw, base::JsonWriter* out);

// The decoded bytes of the attachment in OBX segment `segment` (its 1-based position in the
// message, as stored with the attachment row): documents are not stored twice, they are read
// out of the raw message. kNotFound when that segment carries no attachment data.
base::Result<std::string> StoredAttachment(std::string_view raw, std::uint32_t segment);

// The interrogation in `raw`, mapped again (attachments decoded, none larger than the message).
// Errors: the parser's or mapper's.
base::Result<domain::Interrogation> MapStored(std::string_view raw);

// The version of the mapping MapStored applies, named in a report's provenance. Raise it when a
// mapping change would show a stored message differently.
inline constexpr std::string_view kMappingVersion = "idco-map/1";

// A term given as its code ("720897") or its reference id ("MDC_IDC_MSMT_BATTERY_VOLTAGE").
std::optional<std::uint32_t> TermCode(std::string_view code_or_name);

}  // namespace heartbase::ingest
