// File import: detects the framing (MLLP or batch/plain) and counts each outcome.
#include "app/file_import.h"

#include "hl7/batch.h"
#include "net/mllp.h"

namespace heartbase::app {
namespace {

void Count(FileTally* t, const base::Result<ingest::Outcome>& r) {
  if (!r) {
    ++t->failed;
    t->last_failure = r.error();
    return;
  }
  switch (r->disposition) {
    case ingest::Disposition::kStored:
      ++t->stored;
      if (r->control_id_reused) ++t->control_id_reused;
      break;
    case ingest::Disposition::kDuplicate:
      ++t->duplicate;
      break;
    case ingest::Disposition::kQuarantined:
      ++t->quarantined;
      break;
  }
}

}  // namespace

FileTally ImportFileBytes(ingest::Pipeline& pipeline, std::string_view bytes,
                          std::string_view source, std::size_t max_frame_bytes) {
  FileTally t;
  const std::size_t first = bytes.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && bytes[first] == net::kMllpStart) {
    net::MllpDecoder decoder(max_frame_bytes);
    auto s = decoder.Feed(bytes, [&](std::string_view frame) {
      Count(&t, pipeline.Ingest(frame, source));
      return base::Status();
    });
    if (!s || !decoder.idle()) {
      // The frames decoded so far are stored; the file as a whole is also kept in quarantine,
      // so the bytes that did not form a frame are never lost.
      base::Error why =
          s ? base::MakeError(base::ErrorCode::kMalformed, "unterminated MLLP frame") : s.error();
      Count(&t, pipeline.QuarantineBytes(bytes, source, why));
    }
    return t;
  }
  auto batch = hl7::SplitBatch(bytes);
  if (!batch) {
    Count(&t, pipeline.Ingest(bytes, source));  // quarantined with the parser's reason
    return t;
  }
  for (const auto& item : batch->messages) Count(&t, pipeline.Ingest(item.bytes, source));
  if (!batch->orphans.empty()) {
    Count(&t, pipeline.QuarantineBytes(bytes, source, hl7::OrphanError(batch->orphans.front())));
  }
  return t;
}

}  // namespace heartbase::app
