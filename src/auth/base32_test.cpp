#include "auth/base32.h"

#include <gtest/gtest.h>

namespace heartbase::auth {
namespace {

TEST(Base32, EncodesTheRfc4648VectorsWithoutPadding) {
  EXPECT_EQ(Base32Encode(""), "");
  EXPECT_EQ(Base32Encode("f"), "MY");
  EXPECT_EQ(Base32Encode("fo"), "MZXQ");
  EXPECT_EQ(Base32Encode("foo"), "MZXW6");
  EXPECT_EQ(Base32Encode("foob"), "MZXW6YQ");
  EXPECT_EQ(Base32Encode("fooba"), "MZXW6YTB");
  EXPECT_EQ(Base32Encode("foobar"), "MZXW6YTBOI");
  EXPECT_EQ(Base32Encode("foobar", Base32Case::kLower), "mzxw6ytboi");
}

TEST(Base32, DecodesEitherCaseWithSpacesAndPadding) {
  EXPECT_EQ(Base32Decode("MZXW6YTBOI"), "foobar");
  EXPECT_EQ(Base32Decode("mzxw 6ytb oi"), "foobar");
  EXPECT_EQ(Base32Decode("MZXW6YQ="), "foob");
  const std::string binary("\x00\xff\x10\x80\x7f", 5);
  EXPECT_EQ(Base32Decode(Base32Encode(binary)), binary);
}

TEST(Base32, RejectsForeignCharactersAndNonCanonicalEndings) {
  EXPECT_FALSE(Base32Decode("MZXW1"));  // '1' is not in the alphabet
  EXPECT_FALSE(Base32Decode("MZ+W6"));
  EXPECT_FALSE(Base32Decode("MZ" + std::string("Z")));  // "MZZ": leftover bits are not zero
  EXPECT_FALSE(Base32Decode("MZXW6Y"));                 // a whole unused character: truncated
}

}  // namespace
}  // namespace heartbase::auth
