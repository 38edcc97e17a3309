#include "auth/password.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "auth/testing/auth_fixture.h"
#include "store/testing/temp_dir.h"

namespace heartbase::auth {
namespace {

using testing::CheapPasswordOptions;

class PasswordPolicy : public ::testing::Test {
 protected:
  PasswordVerdict Check(std::string_view password, bool mfa = false,
                        std::string_view user = "jsmith") {
    return CheckPassword(password, {.user_name = user, .mfa_enforced = mfa}, blocklist_, options_);
  }
  Blocklist blocklist_ = Blocklist::BuiltIn();
  PasswordOptions options_;
};

TEST_F(PasswordPolicy, AcceptsLongPassphrasesWithoutCompositionRules) {
  EXPECT_TRUE(Check("purple tractor sings loudly").ok());
  EXPECT_TRUE(Check("all lower case no digits").ok());  // no "must contain a digit" rule
  EXPECT_TRUE(Check(std::string(64, 'x') + "y").ok());  // 65 characters
  EXPECT_TRUE(Check("grüne Äpfel über Brücken").ok());
}

TEST_F(PasswordPolicy, NeedsFifteenCharactersAsTheOnlyFactorAndEightWithMfa) {
  EXPECT_EQ(Check("fourteen chars").problem, PasswordProblem::kTooShort);  // 14
  EXPECT_TRUE(Check("fifteen chars!!").ok());                              // 15
  EXPECT_TRUE(Check("kettle42", /*mfa=*/true).ok());                       // 8
  EXPECT_EQ(Check("kettle4", /*mfa=*/true).problem, PasswordProblem::kTooShort);
  // Characters, not bytes: 14 two-byte letters are still too short.
  EXPECT_EQ(Check("ääääääääääääää").problem, PasswordProblem::kTooShort);
  EXPECT_NE(Check("fourteen chars").message.find("15"), std::string::npos);
}

TEST_F(PasswordPolicy, CapsTheLengthBeforeHashing) {
  EXPECT_TRUE(Check(std::string(options_.max_bytes - 1, 'q') + "z").ok());
  const PasswordVerdict v = Check(std::string(options_.max_bytes, 'q') + "z");
  EXPECT_EQ(v.problem, PasswordProblem::kTooLong);
  EXPECT_FALSE(HashPassword(std::string(options_.max_bytes + 1, 'a'), CheapPasswordOptions()));
}

TEST_F(PasswordPolicy, RefusesBlocklistedPasswordsWhateverTheirCase) {
  EXPECT_EQ(Check("passwordpassword").problem, PasswordProblem::kBlocklisted);
  EXPECT_EQ(Check("PasswordPassword").problem, PasswordProblem::kBlocklisted);
  EXPECT_EQ(Check("password", /*mfa=*/true).problem, PasswordProblem::kBlocklisted);
  EXPECT_EQ(Check("Correct Horse Battery Staple").problem, PasswordProblem::kBlocklisted);
  // Digits and symbols around a listed word do not make it a new password.
  EXPECT_EQ(Check("Pacemaker2025!!!").problem, PasswordProblem::kBlocklisted);
  EXPECT_EQ(Check("1234iloveyou5678").problem, PasswordProblem::kBlocklisted);
}

TEST_F(PasswordPolicy, RefusesTheUserNameAndTheProductName) {
  EXPECT_EQ(Check("DrJSmith", true, "drjsmith").problem, PasswordProblem::kContainsUserName);
  EXPECT_EQ(Check("my name is JSmith ok", false, "jsmith").problem,
            PasswordProblem::kContainsUserName);
  EXPECT_EQ(Check("heartbase is my login", false).problem, PasswordProblem::kContainsUserName);
  // A two-letter name occurs in many good passphrases; only equality counts.
  EXPECT_TRUE(Check("always bring an umbrella", false, "al").ok());
}

TEST_F(PasswordPolicy, RefusesTrivialPatterns) {
  EXPECT_EQ(Check("aaaaaaaaaaaaaaaa").problem, PasswordProblem::kTrivialPattern);
  EXPECT_EQ(Check("abcabcabcabcabcabc").problem, PasswordProblem::kTrivialPattern);
  EXPECT_EQ(Check("abcdefghijklmnopq").problem, PasswordProblem::kTrivialPattern);
  EXPECT_EQ(Check("zyxwvutsrqponmlk").problem, PasswordProblem::kTrivialPattern);
  EXPECT_EQ(Check("8901234567890123").problem, PasswordProblem::kTrivialPattern);
  EXPECT_EQ(Check("76543210", true).problem, PasswordProblem::kTrivialPattern);
  EXPECT_EQ(Check("asdfghjkl;'", true).problem, PasswordProblem::kTrivialPattern);
  EXPECT_EQ(Check("1qaz2wsx3edc4rfv").problem, PasswordProblem::kTrivialPattern);
}

TEST(PasswordHash, IsArgon2idWithTheConfiguredCostAndVerifies) {
  const PasswordOptions cheap = CheapPasswordOptions();
  auto hash = HashPassword("purple tractor sings loudly", cheap);
  ASSERT_TRUE(hash);
  EXPECT_TRUE(hash->starts_with("$argon2id$v=19$m=8,t=1,p=1$")) << *hash;
  EXPECT_TRUE(VerifyPassword(*hash, "purple tractor sings loudly", cheap));
  EXPECT_FALSE(VerifyPassword(*hash, "purple tractor sings loudlY", cheap));
  EXPECT_FALSE(VerifyPassword("not a hash", "purple tractor sings loudly", cheap));
  auto again = HashPassword("purple tractor sings loudly", cheap);
  ASSERT_TRUE(again);
  EXPECT_NE(*hash, *again);  // random salt
}

TEST(PasswordHash, ProductionDefaultsAreSixtyFourMebibytesAndThreePasses) {
  const PasswordOptions production;
  EXPECT_EQ(production.memlimit, std::size_t{64} << 20);
  EXPECT_EQ(production.opslimit, 3u);
  AuthOptions weak;
  weak.password = CheapPasswordOptions();
  EXPECT_FALSE(Validate(weak));
  EXPECT_TRUE(Validate(weak, /*allow_weak_hashing=*/true));
  EXPECT_TRUE(Validate(AuthOptions{}));
}

TEST(PasswordHash, NeedsRehashWhenTheParametersChange) {
  const PasswordOptions cheap = CheapPasswordOptions();
  auto hash = HashPassword("purple tractor sings loudly", cheap);
  ASSERT_TRUE(hash);
  EXPECT_FALSE(NeedsRehash(*hash, cheap));
  PasswordOptions stronger = cheap;
  stronger.opslimit = cheap.opslimit + 1;
  EXPECT_TRUE(NeedsRehash(*hash, stronger));
  EXPECT_TRUE(NeedsRehash("$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", cheap));
}

TEST(PasswordHash, TooLongPasswordsNeverVerify) {
  PasswordOptions cheap = CheapPasswordOptions();
  const std::string first(cheap.max_bytes, 'p');
  auto hash = HashPassword(first, cheap);
  ASSERT_TRUE(hash);
  EXPECT_TRUE(VerifyPassword(*hash, first, cheap));
  EXPECT_FALSE(VerifyPassword(*hash, first + "extra", cheap));  // same first max_bytes
}

TEST(PreparedPasswords, CarryTheAccountTheyWereCheckedFor) {
  const Blocklist blocklist = Blocklist::BuiltIn();
  auto refused =
      PreparePassword("short", {.user_name = "jsmith"}, blocklist, CheapPasswordOptions());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, base::ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused.error().message.find("short"), std::string::npos);  // never echoes it
  auto ok = PreparePassword("purple tractor sings loudly", {.user_name = "jsmith"}, blocklist,
                            CheapPasswordOptions());
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->user_name(), "jsmith");
  EXPECT_FALSE(ok->mfa_enforced());
  EXPECT_TRUE(ok->hash().starts_with("$argon2id$"));
}

TEST(Blocklists, LoadListedFilesAndSkipMissingOnes) {
  store::testing::TempDir dir;
  {
    std::ofstream f(dir.File("list.txt"));
    f << "#!comment: not a password\nHospitalParking\r\n\nzebra crossing 77\n";
  }
  BlocklistOptions options;
  options.files = {dir.File("list.txt"), dir.File("missing.txt")};
  auto list = Blocklist::Load(options);
  ASSERT_TRUE(list) << list.error().Describe();
  EXPECT_TRUE(list->Contains("hospitalparking"));
  EXPECT_TRUE(list->Contains("ZEBRA CROSSING 77"));
  EXPECT_FALSE(list->Contains("#!comment: not a password"));
  EXPECT_TRUE(list->Contains("qwerty"));  // the built-in list is always there
  ASSERT_EQ(list->sources().size(), 1u);
  EXPECT_EQ(list->sources()[0], dir.File("list.txt"));
  options.max_file_bytes = 8;
  auto too_big = Blocklist::Load(options);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code, base::ErrorCode::kLimitExceeded);
}

TEST(Blocklists, BuiltInListHasTheMostCommonPasswords) {
  const Blocklist list = Blocklist::BuiltIn();
  EXPECT_GE(list.size(), 200u);
  for (const char* p : {"123456", "password", "qwerty", "iloveyou", "letmein", "admin"}) {
    EXPECT_TRUE(list.Contains(p)) << p;
  }
}

// The lists of the Debian packages john-data and cracklib-runtime (scripts/setup installs them).
TEST(Blocklists, DefaultFilesFromDebianPackagesWhenInstalled) {
  const BlocklistOptions options;
  for (const std::string& file : options.files) {
    if (!std::filesystem::exists(file)) GTEST_SKIP() << file << " is not installed";
  }
  auto list = Blocklist::Load(options);
  ASSERT_TRUE(list) << list.error().Describe();
  EXPECT_EQ(list->sources().size(), options.files.size());
  EXPECT_GT(list->size(), 50'000u);
  EXPECT_TRUE(list->Contains("trustno1"));    // john-data
  EXPECT_TRUE(list->Contains("Adornments"));  // cracklib-small
}

}  // namespace
}  // namespace heartbase::auth
