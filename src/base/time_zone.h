// TimeZone: UTC → local time for an IANA zone, read from the system's compiled zone files
// (/usr/share/zoneinfo, TZif version 2+). A report shows times in its clinic's zone; the process's
// own TZ is never changed (setenv/tzset are not thread-safe). Debian installs the "fat" files,
// whose transitions run to 2037; later times keep the last rule's offset.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace heartbase::base {

class TimeZone {
 public:
  // "UTC" needs no file. Errors: kInvalidArgument for a name that is not an IANA zone name
  // (letters, digits, "_", "-", "+", "/"; no "..", at most 64 bytes), kNotFound when no such zone
  // is installed, kMalformed for a file that is not TZif.
  static Result<TimeZone> Load(std::string_view name, std::string_view dir = "/usr/share/zoneinfo");
  static TimeZone Utc();

  const std::string& name() const { return name_; }
  // The offset from UTC, in seconds, at `utc_seconds`, and the zone's abbreviation then ("CET").
  std::int32_t OffsetAt(std::int64_t utc_seconds) const;
  std::string AbbreviationAt(std::int64_t utc_seconds) const;
  // "2026-12-07 14:03" in this zone (minutes), for microseconds since the epoch (UTC).
  std::string FormatMinutes(std::int64_t utc_us) const;
  // "2026-12-07" in this zone.
  std::string FormatDate(std::int64_t utc_us) const;

 private:
  struct Type {
    std::int32_t offset = 0;
    std::string abbreviation;
  };
  std::size_t TypeAt(std::int64_t utc_seconds) const;

  std::string name_;
  std::vector<std::int64_t> transitions_;      // UTC seconds, ascending
  std::vector<std::uint8_t> transition_type_;  // index into types_, one per transition
  std::vector<Type> types_;                    // at least one
};

}  // namespace heartbase::base
