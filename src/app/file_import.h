// One file of HL7 through the ingest pipeline: a single message, a concatenation or batch envelope,
// or an MLLP-framed stream. Shared by `heartbase import` and the watched drop folder.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "ingest/pipeline.h"
#include "store/patients.h"

namespace heartbase::app {

// Where a quarantined message was in its file, and why, for the operator.
struct QuarantinedPart {
  std::size_t message = 0;        // 1-based index of the message in the file; 0 = the whole file
  std::size_t offset = SIZE_MAX;  // byte offset of the message in the file, SIZE_MAX = unknown
  base::Error reason;             // never carries patient data (base::Error's contract)
};

struct FileTally {
  static constexpr std::size_t kMaxNamed = 100;  // bounds `quarantined_parts` for huge files

  std::size_t stored = 0, duplicate = 0, quarantined = 0;
  std::size_t control_id_reused = 0;               // of `stored`: the sender had used the MSH-10
  std::vector<QuarantinedPart> quarantined_parts;  // the first kMaxNamed, in file order
  std::size_t failed = 0;                   // messages not stored at all (database unavailable)
  std::optional<base::Error> last_failure;  // why, for the operator
};

// Ingests every message in `bytes`. Bytes that form no message (stray lines, an unterminated MLLP
// frame) are quarantined with the whole file, so nothing is lost. Returns what happened to each
// message; when `failed` is non-zero the caller should keep the file and try again later.
// The clinic scope of one message of the file by the channel it came through (app/feeds.h); an
// error quarantines the message with that reason.
using FeedOf = std::function<base::Result<store::ClinicScope>(std::string_view message)>;

FileTally ImportFileBytes(ingest::Pipeline& pipeline, std::string_view bytes,
                          std::string_view source, std::size_t max_frame_bytes,
                          const FeedOf& feed_of);

}  // namespace heartbase::app
