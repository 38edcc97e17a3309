#include "auth/totp.h"

#include <gtest/gtest.h>

#include "auth/base32.h"

namespace heartbase::auth {
namespace {

constexpr std::string_view kRfcSeed = "12345678901234567890";  // RFC 6238 Appendix B, SHA-1
constexpr std::int64_t kSecond = 1'000'000;

TEST(Hotp, MatchesTheRfc4226Vectors) {
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (std::uint64_t counter = 0; counter < 10; ++counter) {
    EXPECT_EQ(HotpCode(kRfcSeed, counter, 6), expected[counter]) << counter;
  }
}

TEST(Totp, MatchesTheRfc6238Sha1Vectors) {
  const TotpOptions eight{.digits = 8};
  const struct {
    std::int64_t unix_s;
    std::int64_t step;
    const char* code;
  } vectors[] = {
      {59, 0x1, "94287082"},
      {1111111109, 0x23523EC, "07081804"},
      {1111111111, 0x23523ED, "14050471"},
      {1234567890, 0x273EF07, "89005924"},
      {2000000000, 0x3F940AA, "69279037"},
      {20000000000, 0x27BC86AA, "65353130"},
  };
  for (const auto& v : vectors) {
    EXPECT_EQ(TotpStep(v.unix_s * kSecond, eight), v.step) << v.unix_s;
    EXPECT_EQ(HotpCode(kRfcSeed, static_cast<std::uint64_t>(v.step), 8), v.code) << v.unix_s;
    EXPECT_EQ(VerifyTotp(kRfcSeed, v.code, v.unix_s * kSecond, 0, eight), v.step) << v.unix_s;
  }
}

TEST(Totp, AcceptsOneStepOfDriftEitherSideAndNoMore) {
  const std::int64_t now = 1'700'000'000 * kSecond;
  const std::int64_t step = TotpStep(now);
  const std::string secret = GenerateTotpSecret();
  for (std::int64_t d : {-1, 0, 1}) {
    const std::string code = HotpCode(secret, static_cast<std::uint64_t>(step + d), 6);
    EXPECT_EQ(VerifyTotp(secret, code, now, 0), step + d) << d;
  }
  for (std::int64_t d : {-2, 2}) {
    const std::string code = HotpCode(secret, static_cast<std::uint64_t>(step + d), 6);
    EXPECT_FALSE(VerifyTotp(secret, code, now, 0)) << d;
  }
}

TEST(Totp, EachCodeWorksOnlyOnce) {
  const std::int64_t now = 1'700'000'000 * kSecond;
  const std::string secret = GenerateTotpSecret();
  const std::string code = HotpCode(secret, static_cast<std::uint64_t>(TotpStep(now)), 6);
  const auto used = VerifyTotp(secret, code, now, 0);
  ASSERT_TRUE(used);
  // The caller stores the step; the same code, or one of an older step, is then refused.
  EXPECT_FALSE(VerifyTotp(secret, code, now, *used));
  EXPECT_FALSE(VerifyTotp(secret, code, now + 20 * kSecond, *used));
  const std::string previous = HotpCode(secret, static_cast<std::uint64_t>(*used - 1), 6);
  EXPECT_FALSE(VerifyTotp(secret, previous, now, *used));
  // The next step's code still works.
  const std::string next = HotpCode(secret, static_cast<std::uint64_t>(*used + 1), 6);
  EXPECT_EQ(VerifyTotp(secret, next, now + 30 * kSecond, *used), *used + 1);
}

TEST(Totp, RejectsMalformedCodes) {
  const std::int64_t now = 1'700'000'000 * kSecond;
  const std::string secret = GenerateTotpSecret();
  const std::string code = HotpCode(secret, static_cast<std::uint64_t>(TotpStep(now)), 6);
  EXPECT_FALSE(VerifyTotp(secret, code + "0", now, 0));
  EXPECT_FALSE(VerifyTotp(secret, code.substr(1), now, 0));
  EXPECT_FALSE(VerifyTotp(secret, " " + code.substr(1), now, 0));
  EXPECT_FALSE(VerifyTotp(secret, "", now, 0));
}

TEST(Totp, SecretsAreRandomAndOfTheConfiguredSize) {
  const std::string a = GenerateTotpSecret(), b = GenerateTotpSecret();
  EXPECT_EQ(a.size(), 20u);
  EXPECT_NE(a, b);
}

TEST(Totp, UriNamesIssuerAndUserOnly) {
  const std::string secret(kRfcSeed);
  const std::string uri = OtpauthUri("j.smith@clinic", secret);
  EXPECT_EQ(uri, "otpauth://totp/heartbase:j.smith%40clinic?secret=" + Base32Encode(secret) +
                     "&issuer=heartbase&algorithm=SHA1&digits=6&period=30");
  EXPECT_EQ(Base32Encode(secret), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

}  // namespace
}  // namespace heartbase::auth
