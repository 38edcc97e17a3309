#include "hl7/escape.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace heartbase::hl7 {
namespace {

std::string Decode(std::string_view raw, const Delimiters& d = {}) {
  std::string out;
  AppendUnescaped(raw, d, &out);
  return out;
}

TEST(Hl7Escape, DecodesDelimiterEscapes) {
  EXPECT_EQ(Decode(R"(a\F\b\S\c\T\d\R\e\E\f)"), "a|b^c&d~e\\f");
}

TEST(Hl7Escape, DecodesHexAndFormattingEscapes) {
  EXPECT_EQ(Decode(R"(line\X0D0A\next)"), "line\r\nnext");
  EXPECT_EQ(Decode(R"(QUJD\X000d\)"), std::string("QUJD\0\r", 6));
  EXPECT_EQ(Decode(R"(one\.br\two\.sp 2\three)"), "one\ntwo\n\nthree");
  EXPECT_EQ(Decode(R"(\H\bold\N\ \.ce\x\.in 4\)"), "bold x");
  EXPECT_EQ(Decode(R"(\C2842\abc\Zlocal\)"), "abc");
}

TEST(Hl7Escape, KeepsUnknownAndUnterminatedSequencesLiterally) {
  EXPECT_EQ(Decode(R"(C:\dir\file)"), R"(C:\dir\file)");
  EXPECT_EQ(Decode(R"(50\% \X0\)"), R"(50\% \X0\)");
  EXPECT_EQ(Decode(R"(trailing\)"), R"(trailing\)");
  EXPECT_EQ(Decode(R"(\P\)"), R"(\P\)");  // no truncation character declared
  Delimiters v27;
  v27.truncation = '#';
  EXPECT_EQ(Decode(R"(\P\)", v27), "#");
}

TEST(Hl7Escape, UnescapeIsZeroCopyWithoutEscapes) {
  std::string scratch;
  const std::string_view raw = "plain text";
  EXPECT_EQ(Unescape(raw, {}, &scratch).data(), raw.data());
  EXPECT_EQ(Unescape(R"(a\S\b)", {}, &scratch), "a^b");
}

TEST(Hl7Escape, EncodesEveryDelimiterAndLineBreak) {
  EXPECT_EQ(Escape("a|b^c&d~e\\f\rg\nh", {}), R"(a\F\b\S\c\T\d\R\e\E\f\X0D\g\X0A\h)");
}

// Property: decode(encode(s)) == s for every byte string, with standard and unusual delimiters.
TEST(Hl7Escape, DecodeOfEncodeIsIdentityForRandomBytes) {
  std::mt19937_64 rng(20261123);
  Delimiters unusual{'$', '%', '*', '!', '@', '#'};
  for (const Delimiters& d : {Delimiters{}, unusual}) {
    for (int round = 0; round < 5000; ++round) {
      std::string s(rng() % 64, '\0');
      for (char& c : s) {
        // Bias towards the interesting bytes.
        const auto r = rng() % 4;
        c = r == 0 ? "|^~\\&\r\n$%*!@#XFSTRE."[rng() % 21] : static_cast<char>(rng() & 0xFF);
      }
      const std::string encoded = Escape(s, d);
      for (char c : encoded) {
        ASSERT_TRUE(c != d.field && c != d.component && c != d.repetition && c != d.subcomponent &&
                    c != '\r' && c != '\n' && (d.truncation == '\0' || c != d.truncation))
            << "encoded text contains a structural byte";
      }
      ASSERT_EQ(Decode(encoded, d), s);
    }
  }
}

}  // namespace
}  // namespace heartbase::hl7
