// DateTime formatting and epoch conversion.
#include "base/time.h"

#include <fmt/format.h>

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
