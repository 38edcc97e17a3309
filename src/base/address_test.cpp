#include "base/address.h"

#include <gtest/gtest.h>

#include <string>

namespace heartbase::base {
namespace {

TEST(Address, AcceptsPlainEmailAddresses) {
  for (const char* s : {"a@b.example", "dr.referrer+reports@praxis-nord.example", "x@y"}) {
    EXPECT_TRUE(IsEmailAddress(s)) << s;
  }
}

TEST(Address, RefusesEmailAddressesThatNeedQuotingOrCouldInjectHeaders) {
  for (const char* s : {"", "@b.example", "a@", "a.@b.example", ".a@b.example", "a..b@c.example",
                        "a b@c.example", "a@b..example", "a@-b.example", "a@b.example.",
                        "a@b.example\r\nBcc: x@y", "\"a\"@b.example", "a@[127.0.0.1]"}) {
    EXPECT_FALSE(IsEmailAddress(s)) << s;
  }
  EXPECT_FALSE(IsEmailAddress(std::string(65, 'a') + "@b.example"));
  EXPECT_FALSE(IsEmailAddress("a@" + std::string(253, 'b')));
}

TEST(Address, FaxNumbersAreDigitsWithAnOptionalPlus) {
  EXPECT_TRUE(IsFaxNumber("+4930123456"));
  EXPECT_TRUE(IsFaxNumber("030123456"));
  for (const char* s : {"", "+", "+12", "+49 30 123456", "+49-30", "++4930123", "4930x",
                        "+123456789012345678901"}) {
    EXPECT_FALSE(IsFaxNumber(s)) << s;
  }
}

}  // namespace
}  // namespace heartbase::base
