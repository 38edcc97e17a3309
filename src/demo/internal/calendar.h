// Calendar arithmetic for the generator: day numbers and second counts (days since 1970-01-01,
// no time zone) and their HL7, ISO 8601 and file-name spellings.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>

#include "base/time.h"

namespace heartbase::demo::internal {

inline constexpr std::int64_t kSecondsPerDay = 86400;

struct Civil {
  int year = 1970;
  int month = 1;
  int day = 1;
};

// Howard Hinnant's civil_from_days (proleptic Gregorian).
inline Civil CivilFromDays(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return Civil{static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0)), static_cast<int>(m),
               static_cast<int>(d)};
}

inline std::int64_t DaysFrom(const Civil& c) {
  return base::DaysFromCivil(c.year, static_cast<unsigned>(c.month), static_cast<unsigned>(c.day));
}

// The same calendar date `years` earlier (29 February becomes 28 February).
inline std::int64_t YearsBefore(std::int64_t day, int years) {
  Civil c = CivilFromDays(day);
  c.year -= years;
  if (c.month == 2 && c.day == 29) c.day = 28;
  return DaysFrom(c);
}

inline std::int64_t DayOf(std::int64_t t) {
  return t >= 0 ? t / kSecondsPerDay : -((-t + kSecondsPerDay - 1) / kSecondsPerDay);
}

struct Clock {
  Civil date;
  int hour = 0, minute = 0, second = 0;
};

inline Clock ClockOf(std::int64_t t) {
  const std::int64_t day = DayOf(t);
  const auto secs = static_cast<int>(t - day * kSecondsPerDay);
  return Clock{CivilFromDays(day), secs / 3600, secs / 60 % 60, secs % 60};
}

// HL7 DTM to the second: "20250312101500", with "+0000" when `utc` is set.
inline std::string Hl7Time(std::int64_t t, bool utc) {
  const Clock c = ClockOf(t);
  return fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}{}", c.date.year, c.date.month, c.date.day,
                     c.hour, c.minute, c.second, utc ? "+0000" : "");
}

inline std::string Hl7Date(std::int64_t day) {
  const Civil c = CivilFromDays(day);
  return fmt::format("{:04}{:02}{:02}", c.year, c.month, c.day);
}

// ISO 8601 as base::DateTime::ToIso8601 writes the same value: "2025-03-12T10:15:00[+00:00]".
inline std::string IsoTime(std::int64_t t, bool utc) {
  const Clock c = ClockOf(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}", c.date.year, c.date.month, c.date.day,
                     c.hour, c.minute, c.second, utc ? "+00:00" : "");
}

inline std::string IsoDate(std::int64_t day) {
  const Civil c = CivilFromDays(day);
  return fmt::format("{:04}-{:02}-{:02}", c.year, c.month, c.day);
}

// For file names: "20250312T101500".
inline std::string PathTime(std::int64_t t) {
  const Clock c = ClockOf(t);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}", c.date.year, c.date.month, c.date.day,
                     c.hour, c.minute, c.second);
}

// A fixed-point integer as decimal text: FixedText(298, 2) == "2.98", FixedText(-5, 1) == "-0.5".
inline std::string FixedText(std::int64_t value, int decimals) {
  if (decimals == 0) return fmt::format("{}", value);
  std::int64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  const std::int64_t magnitude = value < 0 ? -value : value;
  return fmt::format("{}{}.{:0{}}", value < 0 ? "-" : "", magnitude / scale, magnitude % scale,
                     decimals);
}

}  // namespace heartbase::demo::internal
