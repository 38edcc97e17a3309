// Batch splitting works on lines and segment ids only; each message's own MSH declares its
// delimiters, so envelopes never need to be tokenised beyond their counts.
#include "hl7/batch.h"

#include <fmt/format.h>

#include <charconv>
#include <cstring>
#include <string>

namespace heartbase::hl7 {
namespace {

bool IsTerminator(char c) { return c == '\r' || c == '\n'; }

// The first field of an envelope trailer (BTS-1 / FTS-1) as a count, if it is one.
std::optional<std::uint64_t> TrailerCount(std::string_view line) {
  if (line.size() < 5) return std::nullopt;
  const char fs = line[3];
  std::string_view rest = line.substr(4);
  const std::size_t end = rest.find(fs);
  rest = rest.substr(0, end);
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (ec != std::errc() || ptr != rest.data() + rest.size() || rest.empty()) return std::nullopt;
  return value;
}

bool IsSegmentId(std::string_view line) {
  if (line.size() < 3) return false;
  for (char c : line.substr(0, 3)) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

}  // namespace

base::Error OrphanError(const Batch::Orphan& orphan) {
  const std::string_view first = orphan.bytes.substr(0, orphan.bytes.find_first_of("\r\n"));
  const bool named = IsSegmentId(first);
  std::string what = named ? fmt::format("segment {}", first.substr(0, 3)) : "a line";
  if (orphan.lines > 1) {
    what += fmt::format(" and the {} line{} after it belong", orphan.lines - 1,
                        orphan.lines > 2 ? "s" : "");
  } else {
    what += " belongs";
  }
  base::Position position{.offset = orphan.offset};
  if (named) std::memcpy(position.segment, first.data(), 3);
  return base::MakeError(
      base::ErrorCode::kMalformed,
      fmt::format("{} to no message: no MSH since the start of the input or the last "
                  "FHS/BHS/BTS/FTS",
                  what),
      position);
}

base::Result<Batch> SplitBatch(std::string_view bytes, const BatchOptions& options) {
  Batch batch;
  std::size_t msg_start = std::string_view::npos;
  std::size_t msg_end = 0;  // end of the last line of the current message
  auto close = [&]() -> base::Status {
    if (msg_start == std::string_view::npos) return {};
    if (batch.messages.size() >= options.max_messages) {
      return base::MakeError(base::ErrorCode::kLimitExceeded,
                             fmt::format("input holds more than {} messages", options.max_messages),
                             base::Position{.offset = msg_start});
    }
    batch.messages.push_back({bytes.substr(msg_start, msg_end - msg_start), msg_start});
    msg_start = std::string_view::npos;
    return {};
  };
  std::size_t orphan_start = std::string_view::npos;  // the open run of orphaned lines
  std::size_t orphan_end = 0;
  std::uint32_t orphan_lines = 0;
  auto close_orphans = [&]() -> base::Status {
    if (orphan_start == std::string_view::npos) return {};
    if (batch.orphans.size() >= options.max_orphans) {
      return base::MakeError(
          base::ErrorCode::kLimitExceeded,
          fmt::format("input holds more than {} runs of lines outside any message",
                      options.max_orphans),
          base::Position{.offset = orphan_start});
    }
    batch.orphans.push_back(
        {bytes.substr(orphan_start, orphan_end - orphan_start), orphan_start, orphan_lines});
    orphan_start = std::string_view::npos;
    orphan_lines = 0;
    return {};
  };
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t end = pos;
    while (end < bytes.size() && !IsTerminator(bytes[end])) ++end;
    const std::string_view line = bytes.substr(pos, end - pos);
    const std::string_view id = line.substr(0, 3);
    const bool header = id == "FHS" || id == "BHS";
    const bool trailer = id == "BTS" || id == "FTS";
    if ((id == "MSH" && line.size() > 3) || header || trailer) {
      if (auto s = close_orphans(); !s) return s.error();
    }
    if (id == "MSH" && line.size() > 3) {
      if (auto s = close(); !s) return s.error();
      msg_start = pos;
      msg_end = end;
    } else if (header || trailer) {
      if (auto s = close(); !s) return s.error();
      batch.enveloped |= header;
      if (id == "BHS") ++batch.batches;
      if (id == "BTS") {
        if (auto n = TrailerCount(line)) {
          batch.declared_batch_messages = batch.declared_batch_messages.value_or(0) + *n;
        }
      }
      if (id == "FTS") batch.declared_file_batches = TrailerCount(line);
    } else if (line.find_first_not_of(" \t") != std::string_view::npos) {
      if (msg_start != std::string_view::npos) {
        msg_end = end;
      } else {
        if (orphan_start == std::string_view::npos) orphan_start = pos;
        orphan_end = end;
        ++orphan_lines;
      }
    }
    pos = end + 1;
  }
  if (auto s = close(); !s) return s.error();
  if (auto s = close_orphans(); !s) return s.error();
  if (batch.messages.empty()) {
    return base::MakeError(base::ErrorCode::kMalformed, "input holds no MSH segment",
                           base::Position{.offset = 0});
  }
  return batch;
}

}  // namespace heartbase::hl7
