// DateTime formatting and epoch conversion.
#include "base/time.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

namespace heartbase::base {

std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

CivilDate CivilFromDays(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

std::string FormatIsoDay(std::int64_t days) {
  const CivilDate c = CivilFromDays(days);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(c.year), c.month,
                c.day);
  return buf;
}

std::optional<std::int64_t> ParseIsoDay(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int parts[3] = {0, 0, 0};
  int index = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == 4 || i == 7) {
      ++index;
      continue;
    }
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    parts[index] = parts[index] * 10 + (text[i] - '0');
  }
  const auto month = static_cast<unsigned>(parts[1]), day = static_cast<unsigned>(parts[2]);
  if (!IsValidDate(parts[0], month, day)) return std::nullopt;
  return DaysFromCivil(parts[0], month, day);
}

namespace {
struct Split {
  CivilDate date;
  std::int64_t secs_of_day;
  std::int64_t micros;
};
Split SplitMicros(std::int64_t us) {
  std::int64_t secs = us / 1'000'000;
  std::int64_t micros = us % 1'000'000;
  if (micros < 0) {
    micros += 1'000'000;
    --secs;
  }
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  return {CivilFromDays(days), rem, micros};
}
}  // namespace

std::string Hl7Utc(std::int64_t unix_us) {
  const Split s = SplitMicros(unix_us);
  return fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}+0000", s.date.year, s.date.month, s.date.day,
                     s.secs_of_day / 3600, s.secs_of_day / 60 % 60, s.secs_of_day % 60);
}

std::string IsoUtcMillis(std::int64_t unix_us) {
  const Split s = SplitMicros(unix_us);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", s.date.year, s.date.month,
                     s.date.day, s.secs_of_day / 3600, s.secs_of_day / 60 % 60, s.secs_of_day % 60,
                     s.micros / 1000);
}

bool IsValidDate(std::int32_t y, unsigned m, unsigned d) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1u : 0u);
}

std::string DateTime::ToIso8601() const {
  std::string s = fmt::format("{:04}", year);
  if (precision >= Precision::kMonth) s += fmt::format("-{:02}", month);
  if (precision >= Precision::kDay) s += fmt::format("-{:02}", day);
  if (precision >= Precision::kHour) s += fmt::format("T{:02}", hour);
  if (precision >= Precision::kMinute) s += fmt::format(":{:02}", minute);
  if (precision >= Precision::kSecond) s += fmt::format(":{:02}", second);
  if (precision >= Precision::kFraction && fraction_digits > 0) {
    s += fmt::format(".{:0{}}", fraction, fraction_digits);
  }
  if (offset_minutes && precision >= Precision::kHour) {
    const int off = *offset_minutes;
    s += fmt::format("{}{:02}:{:02}", off < 0 ? '-' : '+', std::abs(off) / 60, std::abs(off) % 60);
  }
  return s;
}

std::int64_t DateTime::ToUnixMicros() const {
  const std::int64_t days = DaysFromCivil(year, month, day);
  std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second;
  if (offset_minutes) secs -= static_cast<std::int64_t>(*offset_minutes) * 60;
  std::int64_t micros = 0;
  if (fraction_digits > 0) {
    micros = fraction;
    for (int i = fraction_digits; i < 6; ++i) micros *= 10;
    for (int i = 6; i < fraction_digits; ++i) micros /= 10;
  }
  return secs * 1'000'000 + micros;
}

}  // namespace heartbase::base
