#include "auth/tokens.h"

#include <gtest/gtest.h>

#include "auth/subject.h"
#include "auth/testing/auth_fixture.h"
#include "auth/users.h"

namespace heartbase::auth {
namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000'000;
constexpr std::int64_t kDay = 86'400'000'000;

class Tokens : public testing::AuthFixture {
 protected:
  void SetUp() override {
    AuthFixture::SetUp();
    gateway_ = Must<std::int64_t>([](store::Transaction& tx) {
      return CreateUser(tx,
                        {.name = "gateway", .display_name = "Gateway", .role = Role::kIntegration},
                        nullptr, kT0);
    });
  }
  base::Result<NewToken> Create(TokenRequest request) {
    std::optional<base::Result<NewToken>> out;
    auto s = Write([&](store::Transaction& tx) -> base::Status {
      out = CreateToken(tx, *keys_, request, options_, kT0);
      return {};
    });
    EXPECT_TRUE(s);
    return *out;
  }
  TokenCheck Authenticate(std::string_view token, std::int64_t now) {
    return Must<TokenCheck>(
        [&](store::Transaction& tx) { return AuthenticateToken(tx, *keys_, token, now); });
  }
  TokenRequest Upload() {
    return {.user_id = gateway_, .label = "carelink", .scopes = {Permission::kHl7Upload}};
  }
  std::int64_t gateway_ = 0;
  TokenOptions options_;
};

TEST_F(Tokens, AreShownOnceAndStoredHashed) {
  auto t = Create(Upload());
  ASSERT_TRUE(t) << t.error().Describe();
  EXPECT_TRUE(t->token.starts_with("hb_"));
  EXPECT_EQ(t->token.size(), 3u + 52u);  // 256 bits in base32
  auto tx = db_->Begin(store::Access::kRead);
  ASSERT_TRUE(tx);
  auto rows = (*tx)->Query("SELECT lookup, label, scopes FROM api_token");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().Blob(0).find(t->token.substr(3)), std::string_view::npos);
  EXPECT_EQ(rows->front().Text(2), "hl7.upload");
  auto again = Create(Upload());
  ASSERT_TRUE(again);
  EXPECT_NE(again->token, t->token);
}

TEST_F(Tokens, AuthenticateWithTheirScopes) {
  auto t = Create(Upload());
  ASSERT_TRUE(t);
  const TokenCheck c = Authenticate(t->token, kT0 + 1);
  ASSERT_EQ(c.status, TokenStatus::kValid);
  EXPECT_EQ(c.token.user_id, gateway_);
  EXPECT_EQ(c.token.scopes, PermissionSet{Permission::kHl7Upload});
  EXPECT_EQ(c.token.last_used_us, kT0 + 1);
  const Subject s =
      Must<Subject>([&](store::Transaction& tx) { return SubjectForToken(tx, c.token, kT0 + 1); });
  EXPECT_TRUE(Authorize(s, Permission::kHl7Upload, std::nullopt).allowed);
  // The integration role may read patients, but this token was not given that scope.
  EXPECT_EQ(Authorize(s, Permission::kPatientRead, std::nullopt).reason,
            DecisionReason::kScopeLacksPermission);
}

TEST_F(Tokens, AlteredOrForeignTokensAreRefused) {
  auto t = Create(Upload());
  ASSERT_TRUE(t);
  std::string altered = t->token;
  altered[10] = altered[10] == 'a' ? 'b' : 'a';
  EXPECT_EQ(Authenticate(altered, kT0).status, TokenStatus::kUnknown);
  EXPECT_EQ(Authenticate(t->token.substr(3), kT0).status, TokenStatus::kMalformed);
  EXPECT_EQ(Authenticate("hb_short", kT0).status, TokenStatus::kMalformed);
  EXPECT_EQ(Authenticate("", kT0).status, TokenStatus::kMalformed);
  std::string padded = t->token;  // the last character carries 4 unused bits, which must be 0
  padded.back() = 'b';            // 'a' or 'q' before: one data bit, then the unused ones
  EXPECT_EQ(Authenticate(padded, kT0).status, TokenStatus::kMalformed);
}

TEST_F(Tokens, ExpireAtTheirLifetime) {
  TokenRequest r = Upload();
  r.lifetime_s = 7 * 86'400;
  auto t = Create(r);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->expires_us, kT0 + 7 * kDay);
  EXPECT_EQ(Authenticate(t->token, kT0 + 7 * kDay - 1).status, TokenStatus::kValid);
  EXPECT_EQ(Authenticate(t->token, kT0 + 7 * kDay).status, TokenStatus::kExpired);
  auto standard = Create(Upload());
  ASSERT_TRUE(standard);
  EXPECT_EQ(standard->expires_us, kT0 + 90 * kDay);
  r.lifetime_s = options_.max_lifetime_s + 1;
  auto too_long = Create(r);
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, base::ErrorCode::kInvalidArgument);
}

TEST_F(Tokens, RevocationTakesEffectAtOnce) {
  auto t = Create(Upload());
  ASSERT_TRUE(t);
  ASSERT_TRUE(Write([&](store::Transaction& tx) { return RevokeToken(tx, t->id, kT0 + 5); }));
  const TokenCheck c = Authenticate(t->token, kT0 + 6);
  EXPECT_EQ(c.status, TokenStatus::kRevoked);
  EXPECT_EQ(c.token.revoked_us, kT0 + 5);
  auto missing = Write([&](store::Transaction& tx) { return RevokeToken(tx, 999, kT0); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, base::ErrorCode::kNotFound);
}

TEST_F(Tokens, DisablingTheUserStopsItsTokens) {
  auto t = Create(Upload());
  ASSERT_TRUE(t);
  ASSERT_TRUE(Write([&](store::Transaction& tx) { return DisableUser(tx, gateway_, kT0); }));
  EXPECT_EQ(Authenticate(t->token, kT0 + 1).status, TokenStatus::kUserDisabled);
  auto refused = Create(Upload());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, base::ErrorCode::kPermissionDenied);
}

TEST_F(Tokens, ScopesMustBeGrantedToTheRole) {
  TokenRequest r = Upload();
  r.scopes = {Permission::kHl7Upload, Permission::kUserAdmin};
  auto refused = Create(r);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("user.admin"), std::string::npos);
  r.scopes = {};
  EXPECT_FALSE(Create(r));
  r = Upload();
  r.label.clear();
  EXPECT_FALSE(Create(r));
}

TEST_F(Tokens, ListingShowsMetadataNeverSecrets) {
  TokenRequest r = Upload();
  r.created_by = gateway_;
  auto a = Create(r);
  auto b = Create(Upload());
  ASSERT_TRUE(a && b);
  auto list = Must<std::vector<TokenInfo>>(
      [&](store::Transaction& tx) { return ListTokens(tx, gateway_); });
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, b->id);
  EXPECT_EQ(list[1].created_by, gateway_);
  EXPECT_FALSE(list[0].created_by);
  EXPECT_EQ(list[1].label, "carelink");
}

TEST(TokenScopes, FormatAndParse) {
  const PermissionSet s{Permission::kPatientRead, Permission::kHl7Upload};
  EXPECT_EQ(FormatScopes(s), "patient.read hl7.upload");
  EXPECT_EQ(*ParseScopes("hl7.upload,patient.read"), s);
  EXPECT_EQ(*ParseScopes(" patient.read  hl7.upload "), s);
  auto bad = ParseScopes("patient.read root");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("root"), std::string::npos);
}

}  // namespace
}  // namespace heartbase::auth
