#include "net/mllp.h"

#include <gtest/gtest.h>

#include <vector>

namespace heartbase::net {
namespace {

std::vector<std::string> Decode(MllpDecoder& d, std::string_view bytes, base::Status* status) {
  std::vector<std::string> frames;
  *status = d.Feed(bytes, [&](std::string_view f) {
    frames.emplace_back(f);
    return base::Status();
  });
  return frames;
}

TEST(Mllp, DecodesFramesSplitAtEveryByte) {
  const std::string stream = MllpFrame("MSH|a\rPID|1") + "\r\n" + MllpFrame("MSH|b");
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    MllpDecoder d(1024);
    base::Status s1, s2;
    auto a = Decode(d, std::string_view(stream).substr(0, cut), &s1);
    auto b = Decode(d, std::string_view(stream).substr(cut), &s2);
    ASSERT_TRUE(s1 && s2) << cut;
    a.insert(a.end(), b.begin(), b.end());
    ASSERT_EQ(a.size(), 2u) << cut;
    EXPECT_EQ(a[0], "MSH|a\rPID|1");
    EXPECT_EQ(a[1], "MSH|b");
    EXPECT_TRUE(d.idle());
  }
}

TEST(Mllp, RefusesOversizedFrameBeforeBufferingIt) {
  MllpDecoder d(10);
  base::Status s;
  Decode(d,
         "\x0b"
         "0123456789",
         &s);
  ASSERT_TRUE(s);
  EXPECT_EQ(d.buffered(), 10u);
  Decode(d, "X", &s);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, base::ErrorCode::kLimitExceeded);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(Mllp, RejectsDataOutsideFramesAndBadTrailer) {
  MllpDecoder a(100);
  base::Status s;
  Decode(a, "MSH|x", &s);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, base::ErrorCode::kMalformed);
  EXPECT_EQ(s.error().position.offset, 0u);
  MllpDecoder b(100);
  Decode(b, "\x0bMSH\x1cX", &s);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().position.offset, 5u);
}

TEST(Mllp, ReportsAnUnfinishedFrame) {
  MllpDecoder d(100);
  base::Status s;
  auto frames = Decode(d, "\x0bMSH|no end", &s);
  EXPECT_TRUE(s);
  EXPECT_TRUE(frames.empty());
  EXPECT_FALSE(d.idle());
}

}  // namespace
}  // namespace heartbase::net
