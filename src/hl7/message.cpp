// The ER7 scanner: one pass over the bytes finds every field separator and segment terminator
// (16 bytes at a time with SSE2 where available), recording offsets only; nothing is copied.
#include "hl7/message.h"

#include <fmt/format.h>

#include <cstring>
#include <limits>

#include "hl7/internal/find.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace heartbase::hl7 {
namespace {

using base::ErrorCode;
using base::MakeError;
using base::Position;

bool IsUpperOrDigit(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool IsTerminator(char c) { return c == '\r' || c == '\n'; }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }

Position At(std::size_t offset, std::uint32_t segment_seq = 0, std::string_view id = {},
            std::uint32_t field = 0) {
  Position p;
  p.offset = offset;
  p.segment_seq = segment_seq;
  p.field = field;
  for (std::size_t i = 0; i < id.size() && i < 3; ++i) p.segment[i] = id[i];
  return p;
}

}  // namespace

std::string_view NthPiece(std::string_view text, char delimiter, std::uint32_t n) {
  if (n == 0 || delimiter == '\0' || text.empty()) return n == 1 ? text : std::string_view{};
  const char* p = text.data();
  const char* end = p + text.size();
  for (std::uint32_t i = 1; i < n; ++i) {
    const char* hit = internal::FindByte(p, end, delimiter);
    if (hit == nullptr) return {};
    p = hit + 1;
  }
  const char* stop = internal::FindByte(p, end, delimiter);
  return std::string_view(p, static_cast<std::size_t>((stop ? stop : end) - p));
}

std::uint32_t PieceCount(std::string_view text, char delimiter) {
  if (delimiter == '\0') return 1;
  std::uint32_t count = 1;
  for (char c : text) count += (c == delimiter);
  return count;
}

// ---------------------------------------------------------------------------------------------
// Scanner: the state machine driven by the positions of field separators and line terminators.

class Message::Scanner {
 public:
  Scanner(Message* m, std::string_view in)
      : m_(m), in_(in), fs_(m->delimiters_.field), limits_(m->options_) {}

  // The hot path returns bool and keeps the error aside: a base::Status per event would cost a
  // std::string construction for every field separator.
  base::Status Run(std::size_t start) {
    if (!StartLine(start) || !Scan(start) || !EndLine(in_.size())) return std::move(error_);
    return {};
  }

 private:
  enum class Line { kBlank, kSegment, kContinuation };

  bool Scan(std::size_t start) {
    const char* p = in_.data();
    const std::size_t n = in_.size();
    std::size_t base = start;
#if defined(__SSE2__)
    const __m128i vfs = _mm_set1_epi8(fs_);
    const __m128i vcr = _mm_set1_epi8('\r');
    const __m128i vlf = _mm_set1_epi8('\n');
    for (; base + 16 <= n; base += 16) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + base));
      const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, vfs), _mm_cmpeq_epi8(x, vcr)),
                                       _mm_cmpeq_epi8(x, vlf));
      auto mask = static_cast<std::uint32_t>(_mm_movemask_epi8(hit));
      while (mask != 0) {
        const std::size_t i = base + static_cast<std::size_t>(__builtin_ctz(mask));
        mask &= mask - 1;
        if (!Event(i)) return false;
      }
    }
#endif
    for (std::size_t i = base; i < n; ++i) {
      const char c = p[i];
      if ((c == fs_ || IsTerminator(c)) && !Event(i)) return false;
    }
    return true;
  }

  [[gnu::always_inline]] bool Event(std::size_t i) {
    if (in_[i] == fs_) [[likely]] {
      return line_ == Line::kBlank || FieldSeparator(i);
    }
    return EndLine(i) && StartLine(i + 1);
  }

  // The one hot operation. The segment's field count is derived from the vector size (kept in
  // SegmentRecord only when the line ends), so a field costs two compares and one store.
  [[gnu::always_inline]] bool FieldSeparator(std::size_t i) {
    std::vector<std::uint32_t>& fields = m_->field_begin_;
    if (i - field_start_ > max_field_bytes_) [[unlikely]]
      return FieldTooLong();
    if (fields.size() - seg_first_ >= max_fields_) [[unlikely]]
      return TooManyFields(i);
    fields.push_back(static_cast<std::uint32_t>(i + 1));
    field_start_ = i + 1;
    return true;
  }

  [[gnu::noinline]] bool TooManyFields(std::size_t i) {
    return Fail(ErrorCode::kLimitExceeded,
                fmt::format("segment has more than {} fields", limits_.max_fields_per_segment), i,
                static_cast<std::uint32_t>(m_->field_begin_.size() - seg_first_));
  }

  [[gnu::noinline]] bool FieldTooLong() {
    return Fail(ErrorCode::kLimitExceeded,
                fmt::format("field is longer than {} bytes", limits_.max_field_bytes), field_start_,
                static_cast<std::uint32_t>(m_->field_begin_.size() - seg_first_ - 1));
  }

  bool EndLine(std::size_t i) {
    if (line_ == Line::kBlank) return true;
    if (i - field_start_ > max_field_bytes_) return FieldTooLong();
    seg_->end = static_cast<std::uint32_t>(i);
    seg_->field_count = static_cast<std::uint32_t>(m_->field_begin_.size() - seg_first_);
    return true;
  }

  // Classifies the line starting at `i`: blank, a new segment, or a continuation.
  bool StartLine(std::size_t i) {
    const std::size_t n = in_.size();
    std::size_t j = i;
    while (j < n && IsBlank(in_[j])) ++j;
    if (j >= n || IsTerminator(in_[j])) {
      line_ = Line::kBlank;
      return true;
    }
    const bool looks_like_segment = i + 3 <= n && in_[i] >= 'A' && in_[i] <= 'Z' &&
                                    IsUpperOrDigit(in_[i + 1]) && IsUpperOrDigit(in_[i + 2]) &&
                                    (i + 3 == n || in_[i + 3] == fs_ || IsTerminator(in_[i + 3]));
    if (looks_like_segment) {
      if (m_->segments_.size() >= limits_.max_segments) {
        return Fail(ErrorCode::kLimitExceeded,
                    fmt::format("message has more than {} segments", limits_.max_segments), i, 0,
                    /*new_segment=*/true);
      }
      m_->segments_.push_back(
          SegmentRecord{static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(i + 3),
                        static_cast<std::uint32_t>(m_->field_begin_.size()), 1});
      seg_ = &m_->segments_.back();
      seg_first_ = m_->field_begin_.size();
      m_->field_begin_.push_back(static_cast<std::uint32_t>(i));
      field_start_ = i;
      line_ = Line::kSegment;
      return true;
    }
    if (limits_.join_continuation_lines && !m_->segments_.empty()) {
      ++m_->continuation_lines_;
      line_ = Line::kContinuation;
      return true;
    }
    return Fail(ErrorCode::kMalformed,
                "line does not start with a segment id (three upper-case letters or digits)", i, 0,
                /*new_segment=*/true);
  }

  bool Fail(ErrorCode code, std::string text, std::size_t offset, std::uint32_t stored,
            bool new_segment = false) {
    std::uint32_t seq = static_cast<std::uint32_t>(m_->segments_.size());
    std::string_view id;
    std::uint32_t field = 0;
    if (new_segment) {
      ++seq;
    } else if (!m_->segments_.empty()) {
      const SegmentRecord& seg = m_->segments_.back();
      id = in_.substr(seg.begin, 3);
      field = stored == 0 ? 0 : (id == "MSH" ? stored + 1 : stored);
    }
    error_ = MakeError(code, std::move(text), At(offset, seq, id, field));
    return false;
  }

  Message* m_;
  std::string_view in_;
  const char fs_;
  const ParseOptions& limits_;
  Line line_ = Line::kBlank;
  SegmentRecord* seg_ = nullptr;  // the open segment (continuation lines extend it)
  std::size_t seg_first_ = 0;     // index in field_begin_ of the open segment's id
  std::size_t field_start_ = 0;   // offset where the current field began
  const std::size_t max_field_bytes_ = limits_.max_field_bytes;
  const std::size_t max_fields_ = limits_.max_fields_per_segment;
  base::Error error_;
};

// ---------------------------------------------------------------------------------------------

base::Result<Message> Message::Parse(std::string_view bytes, const ParseOptions& options) {
  Message m;
  if (auto s = m.Reset(bytes, options); !s) return s.error();
  return m;
}

base::Status Message::Reset(std::string_view bytes, const ParseOptions& options) {
  bytes_ = {};
  segments_.clear();
  field_begin_.clear();
  continuation_lines_ = 0;
  options_ = options;
  constexpr std::size_t kOffsetLimit = std::numeric_limits<std::uint32_t>::max() - 1;
  if (bytes.size() > options.max_message_bytes || bytes.size() > kOffsetLimit) {
    return MakeError(ErrorCode::kLimitExceeded,
                     fmt::format("message is {} bytes, more than the limit of {}", bytes.size(),
                                 std::min(options.max_message_bytes, kOffsetLimit)));
  }
  // Leading blank lines, blanks and a UTF-8 byte-order mark are tolerated.
  std::size_t start = 0;
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") start = 3;
  while (start < bytes.size() && (IsBlank(bytes[start]) || IsTerminator(bytes[start]))) ++start;
  if (bytes.size() - start < 8 || bytes.substr(start, 3) != "MSH") {
    return MakeError(ErrorCode::kMalformed, "message does not start with an MSH segment",
                     At(start, 1));
  }
  // MSH-1 is the byte after "MSH"; MSH-2 runs to the next field separator (4 or 5 characters;
  // fewer are accepted and leave the missing delimiters undeclared).
  Delimiters d{};
  d.field = bytes[start + 3];
  std::size_t k = start + 4;
  char enc[5] = {};
  int count = 0;
  while (k < bytes.size() && bytes[k] != d.field && !IsTerminator(bytes[k])) {
    if (count == 5) {
      return MakeError(ErrorCode::kMalformed, "MSH-2 has more than 5 encoding characters",
                       At(k, 1, "MSH", 2));
    }
    enc[count++] = bytes[k++];
  }
  d.component = enc[0];
  d.repetition = enc[1];
  d.escape = enc[2];
  d.subcomponent = enc[3];
  d.truncation = enc[4];
  const char all[6] = {d.field, enc[0], enc[1], enc[2], enc[3], enc[4]};
  for (int a = 0; a < 1 + count; ++a) {
    const char c = all[a];
    const bool bad = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     IsBlank(c) || IsTerminator(c) || c == '\0';
    bool repeated = false;
    for (int b = 0; b < a; ++b) repeated |= (all[b] == c);
    if (bad || repeated) {
      return MakeError(ErrorCode::kMalformed,
                       fmt::format("invalid delimiter 0x{:02x} in MSH-{}",
                                   static_cast<unsigned char>(c), a == 0 ? 1 : 2),
                       At(start + 3 + static_cast<std::size_t>(a), 1, "MSH", a == 0 ? 1 : 2));
    }
  }
  if (count == 0) {
    return MakeError(ErrorCode::kMalformed, "MSH-2 declares no encoding characters",
                     At(start + 4, 1, "MSH", 2));
  }
  delimiters_ = d;
  bytes_ = bytes;
  if (field_begin_.capacity() == 0) ReserveFor(bytes.substr(start));
  Scanner scanner(this, bytes);
  if (auto s = scanner.Run(start); !s) {
    bytes_ = {};
    segments_.clear();
    field_begin_.clear();
    return s;
  }
  return {};
}

// A fresh Message counts separators and line breaks first (a fast vector pass), so that the
// scan makes exactly two allocations; a reused Message keeps its capacity instead.
void Message::ReserveFor(std::string_view bytes) {
  const char fs = delimiters_.field;
  std::size_t fields = 0, lines = 1, i = 0;
#if defined(__SSE2__)
  // Per-byte counters (each compare yields 0 or -1), folded into totals with SAD every 255 blocks.
  const __m128i vfs = _mm_set1_epi8(fs);
  const __m128i vcr = _mm_set1_epi8('\r');
  const __m128i vlf = _mm_set1_epi8('\n');
  const __m128i zero = _mm_setzero_si128();
  auto fold = [&](__m128i acc) {
    const __m128i sums = _mm_sad_epu8(_mm_sub_epi8(zero, acc), zero);
    return static_cast<std::size_t>(_mm_cvtsi128_si32(sums)) +
           static_cast<std::size_t>(_mm_cvtsi128_si32(_mm_unpackhi_epi64(sums, sums)));
  };
  while (i + 16 <= bytes.size()) {
    __m128i acc_fields = zero, acc_lines = zero;
    for (int k = 0; k < 255 && i + 16 <= bytes.size(); ++k, i += 16) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes.data() + i));
      acc_fields = _mm_add_epi8(acc_fields, _mm_cmpeq_epi8(x, vfs));
      acc_lines =
          _mm_add_epi8(acc_lines, _mm_or_si128(_mm_cmpeq_epi8(x, vcr), _mm_cmpeq_epi8(x, vlf)));
    }
    fields += fold(acc_fields);
    lines += fold(acc_lines);
  }
#endif
  for (; i < bytes.size(); ++i) {
    fields += bytes[i] == fs;
    lines += IsTerminator(bytes[i]);
  }
  const std::size_t max_lines = std::min<std::size_t>(lines, options_.max_segments);
  segments_.reserve(max_lines);
  field_begin_.reserve(fields + max_lines);
}

std::optional<Segment> Message::Find(std::string_view id, std::size_t start) const {
  for (std::size_t i = start; i < segments_.size(); ++i) {
    if (bytes_.substr(segments_[i].begin, 3) == id) return Segment(this, i);
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------

std::string_view Segment::id() const { return m_->bytes_.substr(m_->segments_[index_].begin, 3); }

std::size_t Segment::offset() const { return m_->segments_[index_].begin; }

std::string_view Segment::raw() const {
  const auto& r = m_->segments_[index_];
  return m_->bytes_.substr(r.begin, r.end - r.begin);
}

std::uint32_t Segment::field_count() const {
  const auto& r = m_->segments_[index_];
  const std::uint32_t stored = r.field_count - 1;  // fields after the id
  return id() == "MSH" ? stored + 1 : stored;
}

bool Message::IsMsh(const SegmentRecord& r) const {
  const char* b = bytes_.data() + r.begin;
  return b[0] == 'M' && b[1] == 'S' && b[2] == 'H';
}

std::string_view Segment::Field(std::uint32_t n) const {
  const auto& r = m_->segments_[index_];
  const bool msh = m_->IsMsh(r);
  if (n == 0) return {};
  if (msh && n == 1) return m_->bytes_.substr(r.begin + 3, 1);
  const std::uint32_t stored = msh ? n - 1 : n;
  if (stored >= r.field_count) return {};
  const std::uint32_t begin = m_->field_begin_[r.first_field + stored];
  const std::uint32_t end =
      stored + 1 < r.field_count ? m_->field_begin_[r.first_field + stored + 1] - 1 : r.end;
  return std::string_view(m_->bytes_.data() + begin, end - begin);
}

std::string_view Segment::Component(std::uint32_t n, std::uint32_t component,
                                    std::uint32_t rep) const {
  if (n <= 2 && m_->IsMsh(m_->segments_[index_])) {
    return component == 1 && rep == 1 ? Field(n) : std::string_view{};
  }
  const Delimiters& d = m_->delimiters_;
  const std::string_view field = Field(n);
  // The common case, a component of the first repetition of a short field, in one pass that stops
  // at the component's end (two NthPiece calls would scan the whole field twice).
  constexpr std::size_t kShort = 64;
  if (rep == 1 && component > 0 && field.size() <= kShort && d.repetition != '\0' &&
      d.component != '\0') {
    const char* p = field.data();
    const char* const end = p + field.size();
    const char* start = p;
    std::uint32_t i = 1;
    for (; p < end && *p != d.repetition; ++p) {
      if (*p != d.component) continue;
      if (i == component) break;
      ++i;
      start = p + 1;
    }
    if (i != component) return {};
    return std::string_view(start, static_cast<std::size_t>(p - start));
  }
  return NthPiece(NthPiece(field, d.repetition, rep), d.component, component);
}

std::string_view Segment::Subcomponent(std::uint32_t n, std::uint32_t component, std::uint32_t sub,
                                       std::uint32_t rep) const {
  return NthPiece(Component(n, component, rep), m_->delimiters_.subcomponent, sub);
}

}  // namespace heartbase::hl7
