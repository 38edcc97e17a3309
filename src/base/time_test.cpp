#include "base/time.h"

#include <gtest/gtest.h>

namespace heartbase::base {
namespace {

TEST(CivilFromDays, InvertsDaysFromCivilAcrossCenturiesAndLeapDays) {
  for (std::int64_t days = -800'000; days <= 800'000; days += 997) {
    const CivilDate c = CivilFromDays(days);
    EXPECT_EQ(DaysFromCivil(c.year, c.month, c.day), days);
  }
  const CivilDate leap = CivilFromDays(DaysFromCivil(2000, 2, 29));
  EXPECT_EQ(leap.year, 2000);
  EXPECT_EQ(leap.month, 2u);
  EXPECT_EQ(leap.day, 29u);
}

TEST(IsoDay, FormatsAndParsesCalendarDays) {
  EXPECT_EQ(FormatIsoDay(0), "1970-01-01");
  EXPECT_EQ(FormatIsoDay(DaysFromCivil(2028, 2, 29)), "2028-02-29");
  EXPECT_EQ(FormatIsoDay(-1), "1969-12-31");
  for (std::int64_t days : {-700'000LL, -1LL, 0LL, 20'429LL, 2'900'000LL}) {
    EXPECT_EQ(ParseIsoDay(FormatIsoDay(days)), days);
  }
  for (std::string_view bad : {"2026-02-29", "2026-13-01", "2026-1-01", "2026-01-01 ", "20260101",
                               "2026/01/01", "abcd-ef-gh", ""}) {
    EXPECT_FALSE(ParseIsoDay(bad)) << bad;
  }
}

TEST(UtcFormats, FormatMicrosecondsSinceTheEpoch) {
  const std::int64_t us =
      (DaysFromCivil(2026, 11, 23) * 86400 + 15 * 3600 + 4 * 60 + 5) * 1'000'000 + 678'900;
  EXPECT_EQ(Hl7Utc(us), "20261123150405+0000");
  EXPECT_EQ(IsoUtcMillis(us), "2026-11-23T15:04:05.678Z");
  EXPECT_EQ(IsoUtcMillis(-1), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace heartbase::base
