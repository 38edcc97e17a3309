// Message: a zero-copy, bounded parse of one HL7 v2 ER7 message (no framing, no I/O).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "base/result.h"
#include "hl7/delimiters.h"

namespace heartbase::hl7 {

// Limits on untrusted input. Each is checked before the memory it guards is allocated.
struct ParseOptions {
  std::size_t max_message_bytes = 32u << 20;  // an IDCO message with EGM PDFs is 100 kB–1.3 MB
  std::uint32_t max_segments = 100'000;
  std::uint32_t max_fields_per_segment = 1'000;
  std::size_t max_field_bytes = 16u << 20;  // one ED field carries a whole base64 PDF
  std::uint32_t max_repetitions = 1'000;    // enforced by Field::Repetition / ForEach accessors
  std::uint32_t max_components = 1'000;     // likewise, per repetition
  // A line that does not start with a segment id continues the previous segment (senders that
  // wrap base64 attachments with raw line breaks). When false, such a line is an error.
  bool join_continuation_lines = true;
};

// Splits `text` on `delimiter` and returns the 1-based `n`th piece; empty if there is none.
std::string_view NthPiece(std::string_view text, char delimiter, std::uint32_t n);
// Number of pieces `text` splits into on `delimiter` (1 for text without it, including "").
std::uint32_t PieceCount(std::string_view text, char delimiter);

class Message;

// A segment of a parsed message: a light handle (message pointer + index), valid while the
// Message and its input bytes live.
class Segment {
 public:
  std::string_view id() const;
  std::size_t index() const { return index_; }  // 0-based position in the message
  std::size_t offset() const;                   // byte offset of the segment in the input
  std::string_view raw() const;                 // the segment's bytes, without terminator
  // Highest field number present (MSH counts MSH-1 and MSH-2).
  std::uint32_t field_count() const;
  // Raw (still escaped) field `n` (1-based, HL7 numbering), all repetitions; empty if absent.
  // MSH-1 is the field separator itself and MSH-2 the encoding characters, verbatim.
  std::string_view Field(std::uint32_t n) const;
  // Raw component `component` (1-based) of repetition `rep` (1-based) of field `n`.
  std::string_view Component(std::uint32_t n, std::uint32_t component, std::uint32_t rep = 1) const;
  // Raw sub-component. Every accessor returns an empty view for parts that are absent.
  std::string_view Subcomponent(std::uint32_t n, std::uint32_t component, std::uint32_t sub,
                                std::uint32_t rep = 1) const;

 private:
  friend class Message;
  Segment(const Message* m, std::size_t index) : m_(m), index_(index) {}
  const Message* m_;
  std::size_t index_;
};

// Parses one message. The Message keeps views into the input, which must outlive it.
// Parse never throws and never reads outside the input; errors name what was wrong and where
// (segment, field, byte offset). Thread-safety: a const Message may be read from many threads.
class Message {
 public:
  Message() = default;

  static base::Result<Message> Parse(std::string_view bytes, const ParseOptions& options = {});
  // A Message only views its input: parsing a temporary std::string would leave it dangling.
  template <typename S>
  requires std::is_same_v<S, std::string>
  static base::Result<Message> Parse(S&& bytes, const ParseOptions& options = {}) = delete;
  // Same as Parse, reusing this object's storage (no allocation once it has grown).
  // On failure the object is empty.
  base::Status Reset(std::string_view bytes, const ParseOptions& options = {});
  template <typename S>
  requires std::is_same_v<S, std::string> base::Status Reset(S&& bytes,
                                                             const ParseOptions& options = {})
  = delete;

  std::string_view bytes() const { return bytes_; }
  const Delimiters& delimiters() const { return delimiters_; }
  const ParseOptions& options() const { return options_; }
  std::size_t segment_count() const { return segments_.size(); }
  Segment segment(std::size_t i) const { return Segment(this, i); }
  // First segment with `id` at or after `start`.
  std::optional<Segment> Find(std::string_view id, std::size_t start = 0) const;
  // Lines that were joined to the previous segment (see ParseOptions::join_continuation_lines).
  std::uint32_t continuation_lines() const { return continuation_lines_; }

 private:
  friend class Segment;
  struct SegmentRecord {
    std::uint32_t begin;        // offset of the segment id
    std::uint32_t end;          // offset one past the last byte (terminator excluded)
    std::uint32_t first_field;  // index into field_begin_ of field 0 (the segment id)
    std::uint32_t field_count;  // stored fields, including field 0
  };
  class Scanner;
  bool IsMsh(const SegmentRecord& r) const;
  void ReserveFor(std::string_view bytes);

  std::string_view bytes_;
  Delimiters delimiters_;
  ParseOptions options_;
  std::vector<SegmentRecord> segments_;
  std::vector<std::uint32_t> field_begin_;  // start offset of every stored field
  std::uint32_t continuation_lines_ = 0;
};

}  // namespace heartbase::hl7
