// Base64 with whitespace skipping: ED attachments arrive with MIME-style line breaks.
#include "base/base64.h"

#include <array>

namespace heartbase::base {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t kSkip = 0xFE;
constexpr std::uint8_t kBad = 0xFF;
constexpr std::uint8_t kPad = 0xFD;

constexpr std::array<std::uint8_t, 256> MakeTable() {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = kBad;
  for (std::uint8_t i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = i;
  t[' '] = t['\t'] = t['\r'] = t['\n'] = t[0] = kSkip;  // NUL: from \X000d\ escapes
  t['='] = kPad;
  return t;
}
constexpr auto kTable = MakeTable();

}  // namespace

Status AppendBase64Decoded(std::string_view text, std::string* out) {
  const std::size_t old_size = out->size();
  // Written through a pointer into space sized for the worst case, trimmed at the end: a
  // push_back per byte made decoding the largest cost of ingesting a message with a PDF.
  out->resize(old_size + text.size() / 4 * 3 + 3);
  char* dst = out->data() + old_size;
  const auto* src = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::uint32_t acc = 0;
  int bits = 0;
  int quantum = 0;  // characters in the current 4-character group
  bool padded = false;
  std::size_t i = 0;
  while (i < n) {
    // Fast path: a whole group of four alphabet characters at a group boundary.
    if (quantum == 0 && !padded) {
      while (i + 4 <= n) {
        const std::uint8_t a = kTable[src[i]], b = kTable[src[i + 1]], c = kTable[src[i + 2]],
                           d = kTable[src[i + 3]];
        if ((a | b | c | d) >= 64) break;
        const std::uint32_t v = (std::uint32_t{a} << 18) | (std::uint32_t{b} << 12) |
                                (std::uint32_t{c} << 6) | std::uint32_t{d};
        dst[0] = static_cast<char>(v >> 16);
        dst[1] = static_cast<char>((v >> 8) & 0xFF);
        dst[2] = static_cast<char>(v & 0xFF);
        dst += 3;
        i += 4;
      }
      if (i >= n) break;
    }
    const std::uint8_t v = kTable[src[i]];
    if (v == kSkip) {
      ++i;
      continue;
    }
    if (v == kPad) {
      padded = true;
      ++i;
      continue;
    }
    if (v == kBad || padded) {
      out->resize(old_size);
      return MakeError(
          ErrorCode::kMalformed,
          padded ? "base64 data continues after padding" : "character outside the base64 alphabet",
          Position{.offset = i});
    }
    acc = (acc << 6) | v;
    bits += 6;
    quantum = (quantum + 1) % 4;
    if (bits >= 8) {
      bits -= 8;
      *dst++ = static_cast<char>((acc >> bits) & 0xFF);
    }
    ++i;
  }
  if (quantum == 1) {
    out->resize(old_size);
    return MakeError(ErrorCode::kMalformed, "base64 data ends with a dangling character",
                     Position{.offset = text.size()});
  }
  out->resize(static_cast<std::size_t>(dst - out->data()));
  return {};
}

void AppendBase64Encoded(std::string_view bytes, std::string* out) {
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                            (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                            static_cast<unsigned char>(bytes[i + 2]);
    out->push_back(kAlphabet[(v >> 18) & 63]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
    out->push_back(kAlphabet[(v >> 6) & 63]);
    out->push_back(kAlphabet[v & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 0) return;
  std::uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
  if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
  out->push_back(kAlphabet[(v >> 18) & 63]);
  out->push_back(kAlphabet[(v >> 12) & 63]);
  out->push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
  out->push_back('=');
}

}  // namespace heartbase::base
