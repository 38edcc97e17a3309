#include "base/base64.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace heartbase::base {
namespace {

TEST(Base64, RoundTripsAndSkipsLineBreaks) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "%PDF-1.4\n\x01\xff"}) {
    std::string enc, dec;
    AppendBase64Encoded(s, &enc);
    ASSERT_TRUE(AppendBase64Decoded(enc, &dec));
    EXPECT_EQ(dec, s);
  }
  std::string out;
  ASSERT_TRUE(AppendBase64Decoded("Zm9v\r\nYmFy\n", &out));
  EXPECT_EQ(out, "foobar");
  out.clear();
  ASSERT_TRUE(AppendBase64Decoded("Zm8", &out));  // padding optional
  EXPECT_EQ(out, "fo");
}

// Line breaks and NULs anywhere — inside a group of four too — switch between the fast path
// (whole groups) and the character-by-character path; both must agree with the encoder.
TEST(Base64, DecodesWhateverTheWhitespaceBetweenCharacters) {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::string bytes(rng() % 200, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    std::string enc;
    AppendBase64Encoded(bytes, &enc);
    std::string noisy;
    for (char c : enc) {
      if (rng() % 7 == 0) noisy += "\r\n \t"[rng() % 4];
      if (rng() % 50 == 0) noisy += '\0';
      noisy += c;
    }
    std::string dec = "prefix";
    ASSERT_TRUE(AppendBase64Decoded(noisy, &dec)) << round;
    EXPECT_EQ(dec, "prefix" + bytes) << round;
  }
}

TEST(Base64, RejectsForeignCharactersAndKeepsOutputUnchanged) {
  std::string out = "keep";
  auto s = AppendBase64Decoded("Zm9v*YmFy", &out);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().position.offset, 4u);
  EXPECT_EQ(out, "keep");
  EXPECT_FALSE(AppendBase64Decoded("Zm9v=Zm9v", &out));
  EXPECT_FALSE(AppendBase64Decoded("Z", &out));
}

}  // namespace
}  // namespace heartbase::base
