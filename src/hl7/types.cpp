// DTM and NM parsing, strict about structure and tolerant of the placeholders senders use.
#include "hl7/types.h"

#include <charconv>

namespace heartbase::hl7 {
namespace {

using base::DateTime;
using base::ErrorCode;
using base::MakeError;
using base::Precision;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool Digits(std::string_view s, std::size_t pos, std::size_t n, int* value) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *value = v;
  return true;
}

base::Error Bad(std::string_view what) {
  return MakeError(ErrorCode::kMalformed, std::string("not a valid HL7 DTM: ") + std::string(what));
}

}  // namespace

base::Result<DateTime> ParseDtm(std::string_view text) {
  std::string_view s = Trim(text);
  DateTime dt;
  // Split off the UTC offset first.
  const std::size_t sign = s.find_first_of("+-");
  if (sign != std::string_view::npos) {
    const std::string_view off = s.substr(sign + 1);
    int hh = 0, mm = 0;
    if (off.size() != 4 || !Digits(off, 0, 2, &hh) || !Digits(off, 2, 2, &mm) || hh > 14 ||
        mm > 59) {
      return Bad("offset must be +HHMM or -HHMM");
    }
    const int minutes = hh * 60 + mm;
    dt.offset_minutes = static_cast<std::int16_t>(s[sign] == '-' ? -minutes : minutes);
    s = s.substr(0, sign);
  }
  int year = 0;
  if (s.size() < 4 || !Digits(s, 0, 4, &year)) return Bad("year must be 4 digits");
  dt.year = year;
  dt.precision = Precision::kYear;
  std::size_t pos = 4;
  int v = 0;
  auto more = [&]() { return pos < s.size(); };
  if (more()) {
    if (!Digits(s, pos, 2, &v) || v > 12) return Bad("month");
    pos += 2;
    if (v == 0) goto placeholder;
    dt.month = static_cast<std::uint8_t>(v);
    dt.precision = Precision::kMonth;
  }
  if (more()) {
    if (!Digits(s, pos, 2, &v) || v > 31) return Bad("day");
    pos += 2;
    if (v == 0) goto placeholder;
    dt.day = static_cast<std::uint8_t>(v);
    if (!base::IsValidDate(dt.year, dt.month, dt.day)) return Bad("no such date");
    dt.precision = Precision::kDay;
  }
  if (more() && s[pos] == 'T') ++pos;
  if (more()) {
    if (!Digits(s, pos, 2, &v) || v > 23) return Bad("hour");
    pos += 2;
    dt.hour = static_cast<std::uint8_t>(v);
    dt.precision = Precision::kHour;
  }
  if (more()) {
    if (!Digits(s, pos, 2, &v) || v > 59) return Bad("minute");
    pos += 2;
    dt.minute = static_cast<std::uint8_t>(v);
    dt.precision = Precision::kMinute;
  }
  if (more()) {
    if (!Digits(s, pos, 2, &v) || v > 60) return Bad("second");  // 60: leap second
    pos += 2;
    dt.second = static_cast<std::uint8_t>(v);
    dt.precision = Precision::kSecond;
  }
  if (more()) {
    if (s[pos] != '.') return Bad("unexpected character");
    ++pos;
    const std::size_t digits = s.size() - pos;
    int f = 0;
    if (digits == 0 || digits > 9) return Bad("fraction must have 1 to 9 digits");
    std::uint32_t fraction = 0;
    for (std::size_t i = pos; i < s.size(); ++i) {
      if (!Digits(s, i, 1, &f)) return Bad("fraction");
      fraction = fraction * 10 + static_cast<std::uint32_t>(f);
    }
    dt.fraction = fraction;
    dt.fraction_digits = static_cast<std::uint8_t>(digits);
    dt.precision = Precision::kFraction;
    pos = s.size();
  }
  return dt;

placeholder:
  // "00" month or day: the value is known only to the previous part. Whatever follows must be
  // zeros or a time, which carries no meaning without a day; it is ignored.
  for (std::size_t i = pos; i < s.size(); ++i) {
    if (s[i] != '0' && s[i] != '.' && s[i] != 'T') return Bad("placeholder followed by data");
  }
  return dt;
}

base::Result<double> ParseNumber(std::string_view text) {
  std::string_view s = Trim(text);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  bool digit = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (!(c == '.' || (c == '-' && i == 0))) {
      return MakeError(ErrorCode::kMalformed, "not a valid HL7 NM number");
    }
  }
  double value = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (!digit || ec != std::errc() || ptr != s.data() + s.size()) {
    return MakeError(ErrorCode::kMalformed, "not a valid HL7 NM number");
  }
  return value;
}

}  // namespace heartbase::hl7
