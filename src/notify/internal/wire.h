// Bounded big-endian writer and reader for the notify wire formats. The reader never allocates
// more than it has already checked is present in its input and within the caller's limit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace heartbase::notify::internal {

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}
  void U8(std::uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void U16(std::uint16_t v) { Be(v, 2); }
  void U32(std::uint32_t v) { Be(v, 4); }
  void U64(std::uint64_t v) { Be(v, 8); }
  void Raw(std::string_view bytes) { out_->append(bytes); }
  // Length-prefixed bytes; the caller has checked that the length fits the prefix.
  void Str8(std::string_view s) {
    U8(static_cast<std::uint8_t>(s.size()));
    Raw(s);
  }
  void Str16(std::string_view s) {
    U16(static_cast<std::uint16_t>(s.size()));
    Raw(s);
  }
  void Str32(std::string_view s) {
    U32(static_cast<std::uint32_t>(s.size()));
    Raw(s);
  }

 private:
  void Be(std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out_->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string* out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  std::optional<std::uint8_t> U8() { return Be<std::uint8_t>(1); }
  std::optional<std::uint16_t> U16() { return Be<std::uint16_t>(2); }
  std::optional<std::uint32_t> U32() { return Be<std::uint32_t>(4); }
  std::optional<std::uint64_t> U64() { return Be<std::uint64_t>(8); }
  std::optional<std::string_view> Raw(std::size_t n) {
    if (n > in_.size() - at_) return std::nullopt;
    const std::string_view out = in_.substr(at_, n);
    at_ += n;
    return out;
  }
  // A length-prefixed field of at most `max` bytes: the prefix is checked against `max` and
  // against what remains before any byte is taken.
  std::optional<std::string_view> Str8(std::size_t max) { return Prefixed(U8(), max); }
  std::optional<std::string_view> Str16(std::size_t max) { return Prefixed(U16(), max); }
  std::optional<std::string_view> Str32(std::size_t max) { return Prefixed(U32(), max); }
  bool done() const { return at_ == in_.size(); }
  std::size_t remaining() const { return in_.size() - at_; }

 private:
  template <typename T>
  std::optional<T> Be(std::size_t bytes) {
    if (bytes > in_.size() - at_) return std::nullopt;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < bytes; ++i) {
      v = (v << 8) | static_cast<unsigned char>(in_[at_ + i]);
    }
    at_ += bytes;
    return static_cast<T>(v);
  }
  template <typename N>
  std::optional<std::string_view> Prefixed(std::optional<N> n, std::size_t max) {
    if (!n || *n > max) return std::nullopt;
    return Raw(*n);
  }
  std::string_view in_;
  std::size_t at_ = 0;
};

}  // namespace heartbase::notify::internal
