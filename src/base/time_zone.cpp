// The TZif reader (RFC 8536). The version 1 block (32-bit times) is skipped; the version 2+ block
// (64-bit times) is read with every count checked against the bytes that remain before anything
// is allocated. The footer's POSIX rule is not interpreted (see time_zone.h).
#include "base/time_zone.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "base/time.h"

namespace heartbase::base {
namespace {

constexpr std::size_t kMaxZoneFileBytes = 1u << 20;
constexpr std::size_t kHeaderBytes = 44;

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/' ||
      name.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '+' || c == '/';
  });
}

std::uint32_t Be32(std::string_view b, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) << 24 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 3]));
}

std::int64_t Be64(std::string_view b, std::size_t at) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(Be32(b, at)) << 32 | Be32(b, at + 4));
}

struct Counts {
  std::uint64_t isut, isstd, leap, time, type, chars;
};

Counts ReadCounts(std::string_view b, std::size_t at) {
  return Counts{Be32(b, at + 20), Be32(b, at + 24), Be32(b, at + 28),
                Be32(b, at + 32), Be32(b, at + 36), Be32(b, at + 40)};
}

// Bytes of a data block with 32- (v1) or 64-bit (v2+) times.
std::uint64_t BlockBytes(const Counts& c, std::uint64_t time_size) {
  return c.time * time_size + c.time + c.type * 6 + c.chars + c.leap * (time_size + 4) + c.isstd +
         c.isut;
}

}  // namespace

TimeZone TimeZone::Utc() {
  TimeZone z;
  z.name_ = "UTC";
  z.types_.push_back({0, "UTC"});
  return z;
}

Result<TimeZone> TimeZone::Load(std::string_view name, std::string_view dir) {
  if (name == "UTC" || name == "Etc/UTC") return Utc();
  if (!ValidName(name)) {
    return MakeError(ErrorCode::kInvalidArgument, "not an IANA time zone name");
  }
  const std::string path = fmt::format("{}/{}", dir, name);
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kNotFound, fmt::format("no time zone {}", name));
  std::string b;
  b.resize(kMaxZoneFileBytes + 1);
  in.read(b.data(), static_cast<std::streamsize>(b.size()));
  b.resize(static_cast<std::size_t>(in.gcount()));
  auto malformed = [&name] {
    return MakeError(ErrorCode::kMalformed, fmt::format("time zone {}: not a TZif file", name));
  };
  if (b.size() > kMaxZoneFileBytes || b.size() < kHeaderBytes || !b.starts_with("TZif") ||
      b[4] < '2') {
    return malformed();
  }
  const Counts v1 = ReadCounts(b, 0);
  const std::uint64_t second = kHeaderBytes + BlockBytes(v1, 4);
  if (second + kHeaderBytes > b.size() || b.compare(second, 4, "TZif") != 0) return malformed();
  const Counts c = ReadCounts(b, second);
  std::size_t at = second + kHeaderBytes;
  if (c.type == 0 || c.type > 256 || at + BlockBytes(c, 8) > b.size()) return malformed();
  TimeZone z;
  z.name_ = std::string(name);
  z.transitions_.reserve(c.time);
  for (std::uint64_t i = 0; i < c.time; ++i, at += 8) z.transitions_.push_back(Be64(b, at));
  if (!std::is_sorted(z.transitions_.begin(), z.transitions_.end())) return malformed();
  for (std::uint64_t i = 0; i < c.time; ++i, ++at) {
    const auto type = static_cast<std::uint8_t>(b[at]);
    if (type >= c.type) return malformed();
    z.transition_type_.push_back(type);
  }
  const std::size_t chars_at = at + c.type * 6;
  for (std::uint64_t i = 0; i < c.type; ++i, at += 6) {
    const auto offset = static_cast<std::int32_t>(Be32(b, at));
    const auto index = static_cast<unsigned char>(b[at + 5]);
    if (index >= c.chars) return malformed();
    const std::string_view chars(b.data() + chars_at, c.chars);
    const std::size_t end = chars.find('\0', index);
    z.types_.push_back(
        {offset, std::string(chars.substr(
                     index, end == std::string_view::npos ? chars.size() - index : end - index))});
  }
  return z;
}

std::size_t TimeZone::TypeAt(std::int64_t utc_seconds) const {
  const auto after = std::upper_bound(transitions_.begin(), transitions_.end(), utc_seconds);
  if (after == transitions_.begin()) return 0;  // before the first transition: the first type
  return transition_type_[static_cast<std::size_t>(after - transitions_.begin() - 1)];
}

std::int32_t TimeZone::OffsetAt(std::int64_t utc_seconds) const {
  return types_[TypeAt(utc_seconds)].offset;
}

std::string TimeZone::AbbreviationAt(std::int64_t utc_seconds) const {
  return types_[TypeAt(utc_seconds)].abbreviation;
}

namespace {

struct Local {
  CivilDate date;
  std::int64_t minute_of_day = 0;
};

Local ToLocal(const TimeZone& zone, std::int64_t utc_us) {
  const std::int64_t seconds =
      utc_us >= 0 ? utc_us / 1'000'000 : -((-utc_us + 999'999) / 1'000'000);
  const std::int64_t local = seconds + zone.OffsetAt(seconds);
  const std::int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
  return Local{CivilFromDays(days), (local - days * 86400) / 60};
}

}  // namespace

std::string TimeZone::FormatMinutes(std::int64_t utc_us) const {
  const Local l = ToLocal(*this, utc_us);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}", l.date.year, l.date.month, l.date.day,
                     l.minute_of_day / 60, l.minute_of_day % 60);
}

std::string TimeZone::FormatDate(std::int64_t utc_us) const {
  const Local l = ToLocal(*this, utc_us);
  return fmt::format("{:04}-{:02}-{:02}", l.date.year, l.date.month, l.date.day);
}

}  // namespace heartbase::base
