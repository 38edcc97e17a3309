// Re-mapping stored raw messages for reading.
#include "ingest/readback.h"

#include <algorithm>
#include <charconv>

#include "hl7/message.h"
#include "idco/json.h"
#include "idco/mapper.h"
#include "idco/terms.h"

namespace heartbase::ingest {

base::Status WriteStoredInterrogationJson(std::string_view raw, base::JsonWriter* out) {
  hl7::Message message;
  if (auto s = message.Reset(raw, {}); !s) return s.error();
  auto mapped = idco::Map(message, {});
  if (!mapped) return mapped.error();
  idco::WriteInterrogationJson(*mapped, out);
  return {};
}

base::Result<std::string> StoredAttachment(std::string_view raw, std::uint32_t segment) {
  hl7::Message message;
  if (auto s = message.Reset(raw, {}); !s) return s.error();
  // No attachment can be larger than the message that carries it.
  auto mapped = idco::Map(message, {.max_attachment_bytes = std::max<std::size_t>(raw.size(), 1)});
  if (!mapped) return mapped.error();
  for (domain::Attachment& a : mapped->attachments) {
    if (a.segment == segment && !a.data.empty()) return std::move(a.data);
  }
  return base::MakeError(base::ErrorCode::kNotFound, "no attachment in that segment");
}

base::Result<domain::Interrogation> MapStored(std::string_view raw) {
  hl7::Message message;
  if (auto s = message.Reset(raw, {}); !s) return s.error();
  return idco::Map(message, {.max_attachment_bytes = std::max<std::size_t>(raw.size(), 1)});
}

std::optional<std::uint32_t> TermCode(std::string_view code_or_name) {
  std::uint32_t code = 0;
  const char* end = code_or_name.data() + code_or_name.size();
  if (auto [p, ec] = std::from_chars(code_or_name.data(), end, code);
      ec == std::errc() && p == end && code != 0) {
    return code;
  }
  if (const idco::Term* t = idco::FindTermByName(code_or_name)) return t->code;
  return std::nullopt;
}

}  // namespace heartbase::ingest
