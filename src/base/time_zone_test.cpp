#include "base/time_zone.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace heartbase::base {
namespace {

constexpr std::int64_t kUs = 1'000'000;

TEST(TimeZoneTest, BerlinKeepsWinterAndSummerTime) {
  auto z = TimeZone::Load("Europe/Berlin");
  ASSERT_TRUE(z) << z.error().message;
  const std::int64_t winter = 1'796'640'000;  // 2026-12-07 10:40 UTC
  const std::int64_t summer = 1'782'000'000;  // 2026-06-21 00:00 UTC
  EXPECT_EQ(z->OffsetAt(winter), 3600);
  EXPECT_EQ(z->AbbreviationAt(winter), "CET");
  EXPECT_EQ(z->OffsetAt(summer), 7200);
  EXPECT_EQ(z->AbbreviationAt(summer), "CEST");
  EXPECT_EQ(z->FormatMinutes(winter * kUs), "2026-12-07 11:40");
  EXPECT_EQ(z->FormatMinutes(summer * kUs), "2026-06-21 02:00");
}

TEST(TimeZoneTest, NewYorkCrossesTheDateLineOfItsDay) {
  auto z = TimeZone::Load("America/New_York");
  ASSERT_TRUE(z) << z.error().message;
  // 2026-12-07 03:00 UTC is still 6 December in New York (EST, UTC-5).
  EXPECT_EQ(z->FormatDate(1'796'612'400 * kUs), "2026-12-06");
  EXPECT_EQ(z->FormatMinutes(1'796'612'400 * kUs), "2026-12-06 22:00");
  EXPECT_EQ(z->AbbreviationAt(1'796'612'400), "EST");
}

TEST(TimeZoneTest, UtcNeedsNoFile) {
  auto z = TimeZone::Load("UTC", "/nonexistent");
  ASSERT_TRUE(z);
  EXPECT_EQ(z->FormatMinutes(0), "1970-01-01 00:00");
  EXPECT_EQ(z->FormatMinutes(-60 * kUs), "1969-12-31 23:59");
}

TEST(TimeZoneTest, BadNamesAndMissingZonesAreRefused) {
  EXPECT_EQ(TimeZone::Load("../../etc/passwd").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(TimeZone::Load("/etc/localtime").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(TimeZone::Load("Europe/Berlin; rm").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(TimeZone::Load("Mars/Olympus_Mons").error().code, ErrorCode::kNotFound);
  // Files that are not TZif, or are cut short.
  const auto dir = std::filesystem::temp_directory_path() / "hb-tz-test";
  std::filesystem::create_directories(dir / "Bad");
  std::ofstream(dir / "Bad" / "Text") << "Europe/Berlin\n";
  std::ofstream(dir / "Bad" / "Short") << "TZif2";
  EXPECT_EQ(TimeZone::Load("Bad/Text", dir.string()).error().code, ErrorCode::kMalformed);
  EXPECT_EQ(TimeZone::Load("Bad/Short", dir.string()).error().code, ErrorCode::kMalformed);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace heartbase::base
