#include "auth/throttle.h"

#include <gtest/gtest.h>

#include "auth/testing/auth_fixture.h"

namespace heartbase::auth {
namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000'000;
constexpr std::int64_t kSecond = 1'000'000;

class Throttle : public testing::AuthFixture {
 protected:
  void Fail(std::string_view key, std::int64_t now, ThrottleKind kind = ThrottleKind::kAccount) {
    ASSERT_TRUE(Write([&](store::Transaction& tx) {
      return RecordFailure(tx, *keys_, kind, key, limits_, now);
    }));
  }
  std::int64_t Wait(std::string_view key, std::int64_t now,
                    ThrottleKind kind = ThrottleKind::kAccount) {
    return Must<std::int64_t>(
        [&](store::Transaction& tx) { return RetryAfter(tx, *keys_, kind, key, now); });
  }
  ThrottleLimits limits_;
};

TEST_F(Throttle, BacksOffExponentiallyAfterTheFreeFailures) {
  for (int i = 0; i < 5; ++i) {
    Fail("alice", kT0);
    EXPECT_EQ(Wait("alice", kT0), 0) << i;
  }
  std::int64_t expected = 1;
  for (int i = 0; i < 12; ++i) {
    Fail("alice", kT0);
    EXPECT_EQ(Wait("alice", kT0), std::min<std::int64_t>(expected, 15 * 60)) << i;
    expected *= 2;
  }
  EXPECT_EQ(Wait("alice", kT0 + 15 * 60 * kSecond), 0);  // soft: it ends by itself
  EXPECT_EQ(Wait("bob", kT0), 0);                        // per account
}

TEST_F(Throttle, HardCapBlocksForTheWindowAndResetsAfterAQuietWindow) {
  limits_.max_delay_s = 0;  // only the cap
  limits_.base_delay_s = 0;
  for (int i = 1; i < 100; ++i) Fail("alice", kT0 + i);
  EXPECT_EQ(Wait("alice", kT0 + 100), 0);
  Fail("alice", kT0 + 100);
  EXPECT_EQ(Wait("alice", kT0 + 100), 3600);
  EXPECT_EQ(Wait("alice", kT0 + 100 + 3599 * kSecond), 1);
  EXPECT_EQ(Wait("alice", kT0 + 100 + 3600 * kSecond), 0);
  // After a quiet hour the count starts again: one failure does not block.
  Fail("alice", kT0 + 100 + 3600 * kSecond);
  EXPECT_EQ(Wait("alice", kT0 + 100 + 3600 * kSecond), 0);
}

TEST_F(Throttle, SurvivesARestart) {
  for (int i = 0; i < 8; ++i) Fail("alice", kT0);
  const std::int64_t before = Wait("alice", kT0);
  ASSERT_GT(before, 0);
  db_.reset();
  auto reopened = reopen_();
  ASSERT_TRUE(reopened);
  db_ = std::move(*reopened);
  EXPECT_EQ(Wait("alice", kT0), before);
}

TEST_F(Throttle, ForgiveAndResetUndoFailures) {
  for (int i = 0; i < 6; ++i) Fail("alice", kT0);
  ASSERT_EQ(Wait("alice", kT0), 1);
  ASSERT_TRUE(Write([&](store::Transaction& tx) {
    return ForgiveFailure(tx, *keys_, ThrottleKind::kAccount, "alice");
  }));
  Fail("alice", kT0 + 2 * kSecond);  // the sixth again, not the seventh
  EXPECT_EQ(Wait("alice", kT0 + 2 * kSecond), 1);
  ASSERT_TRUE(Write([&](store::Transaction& tx) {
    return ResetThrottle(tx, *keys_, ThrottleKind::kAccount, "alice");
  }));
  EXPECT_EQ(Wait("alice", kT0 + 2 * kSecond), 0);
}

TEST_F(Throttle, KindsAreSeparateBuckets) {
  for (int i = 0; i < 7; ++i) Fail("x", kT0, ThrottleKind::kAccount);
  EXPECT_GT(Wait("x", kT0, ThrottleKind::kAccount), 0);
  EXPECT_EQ(Wait("x", kT0, ThrottleKind::kAddress), 0);
  EXPECT_EQ(Wait("x", kT0, ThrottleKind::kMfa), 0);
}

TEST_F(Throttle, KeysAreStoredHashed) {
  Fail("203.0.113.9", kT0, ThrottleKind::kAddress);
  auto tx = db_->Begin(store::Access::kRead);
  ASSERT_TRUE(tx);
  auto rows = (*tx)->Query("SELECT kind, lookup FROM login_throttle");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().Text(0), "address");
  EXPECT_EQ(rows->front().Blob(1).find("203.0.113"), std::string_view::npos);
}

TEST_F(Throttle, PurgeDropsOldQuietBuckets) {
  Fail("old", kT0);
  Fail("new", kT0 + 2 * 3600 * kSecond);
  ThrottleOptions options;
  EXPECT_EQ(Must<std::int64_t>([&](store::Transaction& tx) {
              return PurgeThrottle(tx, options, kT0 + 2 * 3600 * kSecond);
            }),
            1);
}

TEST(ThrottleKeys, NormaliseNamesAndAddresses) {
  EXPECT_EQ(AccountThrottleKey("Alice"), "alice");
  EXPECT_EQ(AccountThrottleKey(std::string(1000, 'a')).size(), 256u);
  EXPECT_EQ(AddressThrottleKey("203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(AddressThrottleKey("::ffff:203.0.113.9"), "203.0.113.9");
  // One host usually owns a whole /64.
  EXPECT_EQ(AddressThrottleKey("2001:db8:1:2:aaaa::1"), AddressThrottleKey("2001:db8:1:2::99"));
  EXPECT_NE(AddressThrottleKey("2001:db8:1:2::1"), AddressThrottleKey("2001:db8:1:3::1"));
}

TEST(ThrottleOptionsValidation, KeepsTheAccountCapAtOneHundredPerHour) {
  ThrottleOptions o;
  EXPECT_TRUE(Validate(o));
  EXPECT_EQ(o.account.max_failures_per_window, 100);
  EXPECT_EQ(o.account.window_s, 3600);
  o.account.max_failures_per_window = 101;
  auto bad = Validate(o);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("auth.throttle.account"), std::string::npos);
}

}  // namespace
}  // namespace heartbase::auth
