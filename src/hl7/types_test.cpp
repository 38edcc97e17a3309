#include "hl7/types.h"

#include <gtest/gtest.h>

namespace heartbase::hl7 {
namespace {

using base::Precision;

TEST(Hl7Dtm, ParsesEveryPrecisionWithAndWithoutOffset) {
  auto a = ParseDtm("20040328134623.1234+0300");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->precision, Precision::kFraction);
  EXPECT_EQ(a->ToIso8601(), "2004-03-28T13:46:23.1234+03:00");
  auto b = ParseDtm("20100322101007");
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->offset_minutes.has_value());
  EXPECT_EQ(b->ToIso8601(), "2010-03-22T10:10:07");
  EXPECT_EQ(ParseDtm("197304")->ToIso8601(), "1973-04");
  EXPECT_EQ(ParseDtm("19730422")->ToIso8601(), "1973-04-22");
  EXPECT_EQ(ParseDtm("20160627041809-0530")->ToIso8601(), "2016-06-27T04:18:09-05:30");
  EXPECT_EQ(ParseDtm("20160627T041809+0000")->ToIso8601(), "2016-06-27T04:18:09+00:00");
}

TEST(Hl7Dtm, ReadsZeroMonthAndDayAsPlaceholders) {
  auto dob = ParseDtm("19100000000000+0000");
  ASSERT_TRUE(dob);
  EXPECT_EQ(dob->precision, Precision::kYear);
  EXPECT_EQ(dob->ToIso8601(), "1910");
  auto month = ParseDtm("19730400");
  ASSERT_TRUE(month);
  EXPECT_EQ(month->ToIso8601(), "1973-04");
}

TEST(Hl7Dtm, ComputesUnixTime) {
  EXPECT_EQ(ParseDtm("19700101000000+0000")->ToUnixMicros(), 0);
  EXPECT_EQ(ParseDtm("20000301000000.5+0100")->ToUnixMicros(), 951865200'500000);
}

TEST(Hl7Dtm, RejectsMalformedAndImpossibleDates) {
  for (const char* bad :
       {"", "20", "2023023", "20230230", "20231301", "202301011260", "20230101+01", "2023abc",
        "19100000000001", "20230101120000.1234567890"}) {
    EXPECT_FALSE(ParseDtm(bad)) << bad;
  }
}

TEST(Hl7Number, ParsesHl7Numeric) {
  EXPECT_DOUBLE_EQ(*ParseNumber("2.75"), 2.75);
  EXPECT_DOUBLE_EQ(*ParseNumber(" -0.5 "), -0.5);
  EXPECT_DOUBLE_EQ(*ParseNumber("+12"), 12);
  EXPECT_DOUBLE_EQ(*ParseNumber(".5"), 0.5);
  for (const char* bad : {"", "abc", "1e5", "1.2.3", "--1", "-", "."}) {
    EXPECT_FALSE(ParseNumber(bad)) << bad;
  }
}

}  // namespace
}  // namespace heartbase::hl7
