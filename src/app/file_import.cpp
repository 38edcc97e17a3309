// File import: detects the framing (MLLP or batch/plain) and counts each outcome.
#include "app/file_import.h"

#include "hl7/batch.h"
#include "net/mllp.h"

namespace heartbase::app {
namespace {

// `message` and `offset` say where the ingested bytes were in the file (QuarantinedPart).
void Count(FileTally* t, const base::Result<ingest::Outcome>& r, std::size_t message,
           std::size_t offset) {
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
      if (t->quarantined_parts.size() < FileTally::kMaxNamed) {
        t->quarantined_parts.push_back(
            {.message = message,
             .offset = offset,
             .reason = r->reason.value_or(
                 base::MakeError(base::ErrorCode::kInternal, "quarantined without a reason"))});
      }
      break;
  }
}

base::Result<ingest::Outcome> IngestOne(ingest::Pipeline& pipeline, std::string_view message,
                                        std::string_view source, const FeedOf& feed_of) {
  auto feed = feed_of(message);
  if (!feed) return pipeline.QuarantineBytes(message, source, feed.error());
  return pipeline.Ingest(message, source, *feed);
}

}  // namespace

FileTally ImportFileBytes(ingest::Pipeline& pipeline, std::string_view bytes,
                          std::string_view source, std::size_t max_frame_bytes,
                          const FeedOf& feed_of) {
  FileTally t;
  const std::size_t first = bytes.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && bytes[first] == net::kMllpStart) {
    net::MllpDecoder decoder(max_frame_bytes);
    std::size_t frames = 0;
    auto s = decoder.Feed(bytes, [&](std::string_view frame) {
      // The decoder hands over a copy of the frame, so its offset in the file is not known.
      Count(&t, IngestOne(pipeline, frame, source, feed_of), ++frames, SIZE_MAX);
      return base::Status();
    });
    if (!s || !decoder.idle()) {
      // The frames decoded so far are stored; the file as a whole is also kept in quarantine,
      // so the bytes that did not form a frame are never lost.
      base::Error why =
          s ? base::MakeError(base::ErrorCode::kMalformed, "unterminated MLLP frame") : s.error();
      Count(&t, pipeline.QuarantineBytes(bytes, source, why), 0, 0);
    }
    return t;
  }
  auto batch = hl7::SplitBatch(bytes);
  if (!batch) {
    Count(&t, IngestOne(pipeline, bytes, source, feed_of), 0, 0);  // quarantined: no message
    return t;
  }
  std::size_t index = 0;
  for (const auto& item : batch->messages) {
    Count(&t, IngestOne(pipeline, item.bytes, source, feed_of), ++index, item.offset);
  }
  if (!batch->orphans.empty()) {
    Count(&t, pipeline.QuarantineBytes(bytes, source, hl7::OrphanError(batch->orphans.front())), 0,
          0);
  }
  return t;
}

}  // namespace heartbase::app
