#include "auth/sessions.h"

#include <gtest/gtest.h>

#include "auth/testing/auth_fixture.h"
#include "auth/users.h"

namespace heartbase::auth {
namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000'000;
constexpr std::int64_t kMinute = 60'000'000;

class Sessions : public testing::AuthFixture {
 protected:
  void SetUp() override {
    AuthFixture::SetUp();
    user_ = Must<std::int64_t>([](store::Transaction& tx) {
      return CreateUser(tx, {.name = "nurse", .display_name = "A Nurse"}, nullptr, kT0);
    });
  }
  NewSession Create(std::int64_t now = kT0) {
    return Must<NewSession>(
        [&](store::Transaction& tx) { return CreateSession(tx, *keys_, user_, false, now); });
  }
  SessionCheck Check(std::string_view id, std::int64_t now) {
    return Must<SessionCheck>(
        [&](store::Transaction& tx) { return ValidateSession(tx, *keys_, id, options_, now); });
  }
  std::int64_t user_ = 0;
  SessionOptions options_;
};

TEST_F(Sessions, IdsAreRandom128BitValuesStoredOnlyAsKeyedHashes) {
  const NewSession a = Create(), b = Create();
  EXPECT_EQ(a.id.size(), 26u);
  EXPECT_NE(a.id, b.id);
  EXPECT_NE(a.session.csrf_token, b.session.csrf_token);
  auto tx = db_->Begin(store::Access::kRead);
  ASSERT_TRUE(tx);
  auto rows = (*tx)->Query("SELECT lookup FROM session");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  for (const store::Row& r : *rows) {
    EXPECT_EQ(r.Blob(0).size(), 32u);
    EXPECT_EQ(r.Blob(0).find(a.id), std::string_view::npos);
    EXPECT_EQ(r.Blob(0).find(b.id), std::string_view::npos);
  }
}

TEST_F(Sessions, ValidSessionIsTouchedOnUse) {
  const NewSession s = Create();
  const SessionCheck c = Check(s.id, kT0 + 10 * kMinute);
  ASSERT_EQ(c.status, SessionStatus::kValid);
  EXPECT_EQ(c.session.user_id, user_);
  EXPECT_EQ(c.session.last_seen_us, kT0 + 10 * kMinute);
  // Used 10 minutes later, it stays alive for another 15 from there.
  EXPECT_EQ(Check(s.id, kT0 + 24 * kMinute).status, SessionStatus::kValid);
}

TEST_F(Sessions, ExpiresAfterFifteenIdleMinutes) {
  const NewSession s = Create();
  EXPECT_EQ(Check(s.id, kT0 + 15 * kMinute).status, SessionStatus::kIdleExpired);
  EXPECT_EQ(Check(s.id, kT0 + 15 * kMinute).status, SessionStatus::kUnknown);  // deleted
}

TEST_F(Sessions, IdleTimeoutIsConfigurableWithinFiveToThirtyMinutes) {
  options_.idle_timeout_s = 5 * 60;
  ASSERT_TRUE(Validate(options_));
  const NewSession s = Create();
  EXPECT_EQ(Check(s.id, kT0 + 5 * kMinute).status, SessionStatus::kIdleExpired);
  options_.idle_timeout_s = 4 * 60;
  EXPECT_FALSE(Validate(options_));
  options_.idle_timeout_s = 31 * 60;
  auto bad = Validate(options_);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("auth.session.idle_timeout_s"), std::string::npos);
  options_ = {};
  options_.absolute_timeout_s = 13 * 60 * 60;
  EXPECT_FALSE(Validate(options_));
}

TEST_F(Sessions, ExpiresAfterTwelveHoursHoweverActive) {
  const NewSession s = Create();
  std::int64_t t = kT0;
  for (; t < kT0 + 12 * 60 * kMinute; t += 10 * kMinute) {  // last use 10 minutes before
    ASSERT_EQ(Check(s.id, t).status, SessionStatus::kValid);
  }
  EXPECT_EQ(Check(s.id, kT0 + 12 * 60 * kMinute).status, SessionStatus::kAbsoluteExpired);
  EXPECT_EQ(Check(s.id, kT0 + 12 * 60 * kMinute).status, SessionStatus::kUnknown);
}

TEST_F(Sessions, LogoutRevokesServerSide) {
  const NewSession s = Create();
  EXPECT_TRUE(Must<bool>([&](store::Transaction& tx) { return RevokeSession(tx, *keys_, s.id); }));
  EXPECT_EQ(Check(s.id, kT0 + kMinute).status, SessionStatus::kUnknown);
  EXPECT_FALSE(Must<bool>([&](store::Transaction& tx) { return RevokeSession(tx, *keys_, s.id); }));
}

TEST_F(Sessions, PasswordChangeRevokesEverySessionOfTheUser) {
  const NewSession a = Create(), b = Create();
  const Blocklist blocklist = Blocklist::BuiltIn();
  auto prepared = PreparePassword("a brand new passphrase", {.user_name = "nurse"}, blocklist,
                                  testing::CheapPasswordOptions());
  ASSERT_TRUE(prepared);
  ASSERT_TRUE(Write(
      [&](store::Transaction& tx) { return SetPassword(tx, user_, *prepared, kT0 + kMinute); }));
  EXPECT_EQ(Check(a.id, kT0 + 2 * kMinute).status, SessionStatus::kUnknown);
  EXPECT_EQ(Check(b.id, kT0 + 2 * kMinute).status, SessionStatus::kUnknown);
}

TEST_F(Sessions, DisableAndMfaResetRevokeSessions) {
  const NewSession a = Create();
  ASSERT_TRUE(Write([&](store::Transaction& tx) { return ResetMfa(tx, user_, kT0); }));
  EXPECT_EQ(Check(a.id, kT0 + kMinute).status, SessionStatus::kUnknown);
  const NewSession b = Create();
  ASSERT_TRUE(Write([&](store::Transaction& tx) { return DisableUser(tx, user_, kT0); }));
  EXPECT_EQ(Check(b.id, kT0 + kMinute).status, SessionStatus::kUnknown);
}

TEST_F(Sessions, MalformedAndUnknownIdsAreRefused) {
  Create();
  EXPECT_EQ(Check("", kT0).status, SessionStatus::kMalformed);
  EXPECT_EQ(Check("not-an-id", kT0).status, SessionStatus::kMalformed);
  EXPECT_EQ(Check(std::string(26, '1'), kT0).status, SessionStatus::kMalformed);
  EXPECT_EQ(Check(std::string(26, 'a'), kT0).status, SessionStatus::kUnknown);
}

TEST_F(Sessions, CsrfTokenIsComparedExactly) {
  const NewSession s = Create();
  EXPECT_TRUE(CheckCsrf(s.session, s.session.csrf_token));
  std::string altered = s.session.csrf_token;
  altered.back() = altered.back() == 'a' ? 'b' : 'a';
  EXPECT_FALSE(CheckCsrf(s.session, altered));
  EXPECT_FALSE(CheckCsrf(s.session, ""));
  EXPECT_FALSE(CheckCsrf(s.session, s.session.csrf_token + "x"));
  EXPECT_EQ(Check(s.id, kT0).session.csrf_token, s.session.csrf_token);
}

TEST_F(Sessions, StepUpLastsFiveMinutesFromTheLastReauthentication) {
  const NewSession s = Create();
  EXPECT_EQ(StepUpUntil(s.session, options_), kT0 + 5 * kMinute);
  ASSERT_TRUE(Write([&](store::Transaction& tx) {
    return RecordReauthentication(tx, s.session.row_id, kT0 + 10 * kMinute);
  }));
  const SessionCheck c = Check(s.id, kT0 + 11 * kMinute);
  ASSERT_EQ(c.status, SessionStatus::kValid);
  EXPECT_EQ(StepUpUntil(c.session, options_), kT0 + 15 * kMinute);
}

TEST_F(Sessions, PurgeRemovesExpiredSessionsOnly) {
  const NewSession old_one = Create(kT0);
  const NewSession fresh = Create(kT0 + 20 * kMinute);
  EXPECT_EQ(Must<std::int64_t>([&](store::Transaction& tx) {
              return PurgeExpiredSessions(tx, options_, kT0 + 21 * kMinute);
            }),
            1);
  EXPECT_EQ(Check(fresh.id, kT0 + 22 * kMinute).status, SessionStatus::kValid);
  EXPECT_EQ(Check(old_one.id, kT0 + 22 * kMinute).status, SessionStatus::kUnknown);
}

}  // namespace
}  // namespace heartbase::auth
