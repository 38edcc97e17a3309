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
  std::uint32_t max_orphans = 100'000;  // runs of segments outside any message (Batch::orphans)
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
  // Lines that belong to no message: before the first MSH, or between an envelope segment and
  // the next MSH. A BHS nested inside a batch ends the message it interrupts, so the segments
  // after it land here. One entry per run of such lines (blank lines and envelope segments are
  // not orphans, and do not end a run unless they are envelope segments), in input order.
  struct Orphan {
    std::string_view bytes;  // from the start of the run's first line to the end of its last
    std::size_t offset;      // byte offset of `bytes` in the input
    std::uint32_t lines;     // non-blank lines in the run
  };
  std::vector<Orphan> orphans;
};

// Each MSH starts a message; FHS/BHS/BTS/FTS lines end the current one and are not part of it.
// Every other line belongs to the current message, or, when there is none, to Batch::orphans,
// which callers must report or keep: those bytes are in no message. Fails (kMalformed) if the
// input holds no MSH, or (kLimitExceeded) with more than options.max_messages messages or
// options.max_orphans runs of orphaned lines. A declared count that does not match is reported in
// the Batch, not treated as an error: the messages themselves are intact.
base::Result<Batch> SplitBatch(std::string_view bytes, const BatchOptions& options = {});

// The error that reports `orphan` (kMalformed): names the run's first segment id (or "a line"
// when it does not start with one) and how many lines follow it, never anything else of its
// content, so it may be logged; position.offset is orphan.offset.
base::Error OrphanError(const Batch::Orphan& orphan);

}  // namespace heartbase::hl7
