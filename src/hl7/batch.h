// SplitBatch: splits HL7 batch and file envelopes (FHS/BHS … BTS/FTS), or plain concatenated
// messages, into the bytes of each message. No copying.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace heartbase::hl7 {

struct BatchOptions {
  std::uint32_t max_messages = 1'000'000;
};

struct Batch {
  struct Item {
    std::string_view bytes;  // from "MSH" to the end of its last segment
    std::size_t offset;      // byte offset of "MSH" in the input
  };
  std::vector<Item> messages;
  bool enveloped = false;  // an FHS or BHS segment was present
  // Message counts declared in BTS-1 (summed over batches) and FTS-1, when present.
  std::optional<std::uint64_t> declared_batch_messages;
  std::optional<std::uint64_t> declared_file_batches;
  std::uint64_t batches = 0;
  // Non-blank lines before the first MSH that are not envelope segments (kept for the report;
  // they are not part of any message).
  std::uint32_t stray_lines = 0;
};

// Each MSH starts a message; FHS/BHS/BTS/FTS lines end the current one and are not part of it.
// Every other line belongs to the current message. Fails (kMalformed) if the input holds no MSH,
// or (kLimitExceeded) with more than options.max_messages messages. A declared count that does not
// match is reported in the Batch, not treated as an error: the messages themselves are intact.
base::Result<Batch> SplitBatch(std::string_view bytes, const BatchOptions& options = {});

}  // namespace heartbase::hl7
