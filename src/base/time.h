// DateTime: a calendar date-time with the precision it was given and an optional UTC offset,
// as clinical sources send it (a birth year only, a session time to the second, …).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace heartbase::base {

enum class Precision : std::uint8_t { kYear, kMonth, kDay, kHour, kMinute, kSecond, kFraction };

struct DateTime {
  std::int32_t year = 0;
  std::uint8_t month = 1, day = 1, hour = 0, minute = 0, second = 0;
  std::uint32_t fraction = 0;        // the fractional-second digits as an integer
  std::uint8_t fraction_digits = 0;  // how many digits `fraction` has (1–9)
  Precision precision = Precision::kYear;
  std::optional<std::int16_t> offset_minutes;  // UTC offset; absent = local time of the sender

  // ISO 8601 at the value's precision: "1910", "2016-06", "2016-06-28T14:26:21.5+02:00".
  std::string ToIso8601() const;
  // Microseconds since 1970-01-01T00:00:00Z, reading a missing offset as UTC and missing parts
  // as their minimum (January, the 1st, midnight).
  std::int64_t ToUnixMicros() const;

  friend bool operator==(const DateTime&, const DateTime&) = default;
};

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d);
bool IsValidDate(std::int32_t y, unsigned m, unsigned d);

struct CivilDate {
  std::int64_t year;
  unsigned month;  // 1-12
  unsigned day;    // 1-31
};
// The inverse of DaysFromCivil.
CivilDate CivilFromDays(std::int64_t days);

// Calendar days (days since 1970-01-01) as "YYYY-MM-DD" (years 0–9999), and back: nullopt for
// text that is not exactly a valid date in that form.
std::string FormatIsoDay(std::int64_t days);
std::optional<std::int64_t> ParseIsoDay(std::string_view text);

// "YYYYMMDDHHMMSS+0000" (HL7 DTM, UTC) and "YYYY-MM-DDTHH:MM:SS.mmmZ" for a time in microseconds
// since the epoch.
std::string Hl7Utc(std::int64_t unix_us);
std::string IsoUtcMillis(std::int64_t unix_us);

}  // namespace heartbase::base
