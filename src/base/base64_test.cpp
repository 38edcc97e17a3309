#include "base/base64.h"

#include <gtest/gtest.h>

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
