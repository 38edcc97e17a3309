#include "auth/login.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <thread>
#include <vector>

#include "auth/base32.h"
#include "auth/internal/credentials.h"
#include "auth/subject.h"
#include "auth/testing/auth_fixture.h"
#include "auth/users.h"

namespace heartbase::auth {
namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000'000;
constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::string_view kPassword = "purple tractor sings loudly";
constexpr std::string_view kLocal = "127.0.0.1";
constexpr std::string_view kRemote = "198.51.100.23";

class Login : public testing::AuthFixture {
 protected:
  void SetUp() override {
    AuthFixture::SetUp();
    options_ = testing::CheapAuthOptions();
  }
  const Authenticator& Auth() {
    if (!auth_) {
      auto a = Authenticator::Create(*db_, *keys_, options_, /*allow_weak_hashing=*/true);
      if (!a) throw std::runtime_error(a.error().Describe());
      auth_.emplace(std::move(*a));
    }
    return *auth_;
  }
  std::int64_t AddUser(std::string_view name, Role role = Role::kPhysician,
                       bool with_password = true) {
    std::optional<PreparedPassword> pw;
    if (with_password) {
      auto p =
          PreparePassword(kPassword, {.user_name = name}, Blocklist::BuiltIn(), options_.password);
      if (!p) throw std::runtime_error(p.error().message);
      pw = std::move(*p);
    }
    return Must<std::int64_t>([&](store::Transaction& tx) {
      return CreateUser(tx, {.name = std::string(name), .display_name = "Someone", .role = role},
                        pw ? &*pw : nullptr, kT0);
    });
  }
  // Enrols MFA (confirmed with a code of kT0's step) and returns the secret.
  std::string EnrollMfaFor(std::int64_t user) {
    const MfaEnrollment e = Must<MfaEnrollment>(
        [&](store::Transaction& tx) { return EnrollMfa(tx, *keys_, user, options_.totp, kT0); });
    std::string secret = *Base32Decode(e.secret_base32);
    const std::string code = HotpCode(secret, static_cast<std::uint64_t>(TotpStep(kT0)), 6);
    EXPECT_TRUE(Write([&](store::Transaction& tx) {
      return ConfirmMfa(tx, *keys_, user, code, options_.totp, kT0);
    }));
    return secret;
  }
  static std::string CodeAt(std::string_view secret, std::int64_t now) {
    return HotpCode(secret, static_cast<std::uint64_t>(TotpStep(now)), 6);
  }
  LoginResult Try(std::string_view name, std::string_view password, std::int64_t now,
                  std::string_view address = kLocal,
                  std::optional<std::string_view> totp = std::nullopt) {
    auto r = Auth().Login(
        {.name = name, .password = password, .totp = totp, .address = address, .now_us = now},
        recorder_);
    if (!r) throw std::runtime_error(r.error().Describe());
    return *r;
  }
  SessionCheck CheckSession(const std::string& id, std::int64_t now) {
    return Must<SessionCheck>([&](store::Transaction& tx) {
      return ValidateSession(tx, *keys_, id, options_.session, now);
    });
  }

  AuthOptions options_;
  std::optional<Authenticator> auth_;
  LoginRecorder recorder_;
};

TEST_F(Login, RightPasswordGivesANewSessionEachTime) {
  const std::int64_t id = AddUser("jsmith");
  const LoginResult a = Try("JSmith", kPassword, kT0);
  ASSERT_EQ(a.outcome, LoginOutcome::kOk) << LoginDetailName(a.detail);
  EXPECT_EQ(a.user_id, id);
  ASSERT_TRUE(a.session);
  EXPECT_FALSE(a.session->session.restricted);
  EXPECT_EQ(CheckSession(a.session->id, kT0 + kMinute).status, SessionStatus::kValid);
  const LoginResult b = Try("jsmith", kPassword, kT0 + kMinute);
  ASSERT_TRUE(b.session);
  EXPECT_NE(a.session->id, b.session->id);
}

// Argon2id memory is bounded before it is taken: with one slot and no waiting, sign-ins that
// arrive together are refused as unavailable (503, retry) rather than all hashing at once.
TEST_F(Login, ConcurrentPasswordChecksAreCapped) {
  options_.password.opslimit = 3;
  options_.password.memlimit = 16u << 20;  // ~tens of ms per check here
  options_.login.max_concurrent_hashes = 1;
  options_.login.max_hash_wait_ms = 0;
  AddUser("jsmith");
  const Authenticator& auth = Auth();
  constexpr int kThreads = 6;
  std::atomic<int> ready{0}, ok{0}, unavailable{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (ready.load() < kThreads) std::this_thread::yield();
      const std::string address = "127.0.0." + std::to_string(i + 1);
      auto r = auth.Login(
          {.name = "jsmith", .password = kPassword, .address = address, .now_us = kT0 + i});
      if (r && r->outcome == LoginOutcome::kOk) ++ok;
      if (!r && r.error().code == base::ErrorCode::kUnavailable) ++unavailable;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GE(ok.load(), 1);
  EXPECT_GE(unavailable.load(), 1);
  EXPECT_EQ(ok.load() + unavailable.load(), kThreads);
  AuthOptions bad = options_;
  bad.login.max_concurrent_hashes = 0;
  EXPECT_FALSE(Validate(bad));
}

TEST_F(Login, UnknownUserAndWrongPasswordGetTheSameAnswer) {
  const std::int64_t id = AddUser("jsmith");
  const LoginResult wrong = Try("jsmith", "purple tractor sings quietly", kT0);
  const LoginResult unknown = Try("nobody", kPassword, kT0);
  EXPECT_EQ(wrong.outcome, LoginOutcome::kBadCredentials);
  EXPECT_EQ(unknown.outcome, LoginOutcome::kBadCredentials);
  EXPECT_FALSE(wrong.session || unknown.session);
  // Only the audit detail tells them apart.
  EXPECT_EQ(wrong.detail, LoginDetail::kWrongPassword);
  EXPECT_EQ(wrong.user_id, id);
  EXPECT_EQ(unknown.detail, LoginDetail::kUnknownUser);
  EXPECT_EQ(unknown.user_id, 0);
  EXPECT_EQ(Try("not a valid name!", kPassword, kT0).outcome, LoginOutcome::kBadCredentials);
}

// Not a benchmark: a ratio that is 1 with the decoy hash and about 0.01 without it.
TEST_F(Login, UnknownUsersCostAFullHashSoTimingRevealsNothing) {
  options_.password.memlimit = std::size_t{16} << 20;
  options_.password.opslimit = 2;
  AddUser("jsmith");
  const auto median_ms = [&](std::string_view name) {
    std::vector<double> ms;
    for (int i = 0; i < 5; ++i) {
      const auto start = std::chrono::steady_clock::now();
      Try(name, "wrong wrong wrong wrong", kT0 + i * kSecond, "192.0.2." + std::to_string(i));
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[2];
  };
  const double known = median_ms("jsmith");
  const double unknown = median_ms("nobody");
  EXPECT_GT(unknown, 0.3 * known) << "known " << known << " ms, unknown " << unknown << " ms";
}

TEST_F(Login, IntegrationAccountsCannotSignInInteractively) {
  AddUser("gateway", Role::kIntegration, /*with_password=*/false);
  const LoginResult r = Try("gateway", kPassword, kT0);
  EXPECT_EQ(r.outcome, LoginOutcome::kBadCredentials);
  EXPECT_EQ(r.detail, LoginDetail::kNoPassword);
}

// A disabled account answers the right password as it answers a wrong one, so the answer does not
// confirm a guessed password; only the audit detail tells them apart.
TEST_F(Login, DisabledAccountAnswersTheRightPasswordAsAWrongOne) {
  const std::int64_t id = AddUser("jsmith");
  ASSERT_TRUE(Write([&](store::Transaction& tx) { return DisableUser(tx, id, kT0); }));
  const LoginResult wrong = Try("jsmith", "purple tractor sings quietly", kT0);
  const LoginResult right = Try("jsmith", kPassword, kT0);
  EXPECT_EQ(wrong.outcome, LoginOutcome::kBadCredentials);
  EXPECT_EQ(right.outcome, LoginOutcome::kBadCredentials);
  EXPECT_EQ(right.retry_after_s, wrong.retry_after_s);
  EXPECT_FALSE(wrong.session || right.session);
  EXPECT_EQ(wrong.detail, LoginDetail::kWrongPassword);
  EXPECT_EQ(right.detail, LoginDetail::kAccountDisabled);
  // The right password is not forgiven either: it counts toward the account's throttle.
  for (int i = 0; i < 4; ++i) Try("jsmith", kPassword, kT0 + 1 + i);
  EXPECT_EQ(Try("jsmith", kPassword, kT0 + 10).outcome, LoginOutcome::kThrottled);
}

TEST_F(Login, EnrolledUsersNeedAFreshCodeAndEachCodeWorksOnce) {
  const std::int64_t id = AddUser("jsmith");
  const std::string secret = EnrollMfaFor(id);
  const std::int64_t t = kT0 + 5 * kMinute;
  LoginResult r = Try("jsmith", kPassword, t);
  EXPECT_EQ(r.outcome, LoginOutcome::kMfaRequired);
  EXPECT_EQ(r.detail, LoginDetail::kTotpMissing);
  EXPECT_FALSE(r.session);
  const std::string code = CodeAt(secret, t);
  const std::string wrong = code == "123456" ? "654321" : "123456";
  r = Try("jsmith", kPassword, t, kLocal, wrong);
  EXPECT_EQ(r.outcome, LoginOutcome::kMfaBad);
  EXPECT_EQ(r.detail, LoginDetail::kTotpWrong);
  r = Try("jsmith", kPassword, t, kLocal, code);
  ASSERT_EQ(r.outcome, LoginOutcome::kOk);
  EXPECT_TRUE(r.session);
  // Replaying the same code, even within its 30 seconds, is refused (and audited as a replay).
  r = Try("jsmith", kPassword, t + kSecond, kLocal, code);
  EXPECT_EQ(r.outcome, LoginOutcome::kMfaBad);
  EXPECT_EQ(r.detail, LoginDetail::kTotpReplayed);
  EXPECT_FALSE(r.session);
  // A wrong password with the right code is still wrong.
  EXPECT_EQ(Try("jsmith", "purple tractor sings quietly", t + 30 * kSecond, kLocal,
                CodeAt(secret, t + 30 * kSecond))
                .outcome,
            LoginOutcome::kBadCredentials);
}

TEST_F(Login, RemoteSignInWithoutMfaIsRefused) {
  AddUser("jsmith");
  const LoginResult r = Try("jsmith", kPassword, kT0, kRemote);
  EXPECT_EQ(r.outcome, LoginOutcome::kMfaRequired);
  EXPECT_EQ(r.detail, LoginDetail::kMfaNotEnrolled);
  EXPECT_FALSE(r.session);
  options_.login.mfa_exempt_networks.push_back("198.51.100.0/24");
  auth_.reset();
  EXPECT_EQ(Try("jsmith", kPassword, kT0, kRemote).outcome, LoginOutcome::kOk);
}

TEST_F(Login, AdministratorWithoutMfaGetsARestrictedSessionToEnrol) {
  AddUser("admin1", Role::kAdministrator);
  const LoginResult r = Try("admin1", kPassword, kT0);
  ASSERT_EQ(r.outcome, LoginOutcome::kOk);
  EXPECT_EQ(r.detail, LoginDetail::kMfaEnrollmentRequired);
  ASSERT_TRUE(r.session);
  EXPECT_TRUE(r.session->session.restricted);
  const Subject restricted = Must<Subject>([&](store::Transaction& tx) {
    return SubjectForSession(tx, r.session->session, options_.session, kT0);
  });
  EXPECT_EQ(Authorize(restricted, Permission::kUserAdmin, std::nullopt).reason,
            DecisionReason::kMfaEnrollmentPending);
  // Enrolling in this session lifts the restriction.
  ASSERT_TRUE(Write(
      [&](store::Transaction& tx) { return LiftRestriction(tx, r.session->session.row_id); }));
  const SessionCheck lifted = CheckSession(r.session->id, kT0 + kSecond);
  ASSERT_EQ(lifted.status, SessionStatus::kValid);
  EXPECT_FALSE(lifted.session.restricted);
  const Subject admin = Must<Subject>([&](store::Transaction& tx) {
    return SubjectForSession(tx, lifted.session, options_.session, kT0 + kSecond);
  });
  EXPECT_TRUE(Authorize(admin, Permission::kUserAdmin, std::nullopt).allowed);
}

TEST_F(Login, RecorderRunsInTheSameTransactionAndFailsClosed) {
  AddUser("jsmith");
  std::vector<LoginOutcome> seen;
  recorder_ = [&](store::Transaction& tx, const LoginResult& r) -> base::Status {
    seen.push_back(r.outcome);
    // Proves it runs inside the transaction: this write commits or rolls back with the login.
    auto w = tx.Execute("INSERT INTO clinic (name, created_us) VALUES ('audit-probe', 0)");
    if (!w) return w.error();
    return {};
  };
  EXPECT_EQ(Try("jsmith", kPassword, kT0).outcome, LoginOutcome::kOk);
  EXPECT_EQ(seen, std::vector<LoginOutcome>{LoginOutcome::kOk});
  // The probe name is unique: the second recorder write fails, so the login must fail too and
  // leave no session behind.
  auto failed = Auth().Login(
      {.name = "jsmith", .password = kPassword, .address = kLocal, .now_us = kT0}, recorder_);
  ASSERT_FALSE(failed);
  auto tx = db_->Begin(store::Access::kRead);
  ASSERT_TRUE(tx);
  EXPECT_EQ((*tx)->Query("SELECT COUNT(*) FROM session")->front().Int(0), 1);
}

TEST_F(Login, StepUpRecordsTheReauthenticationTime) {
  AddUser("jsmith");
  const LoginResult first = Try("jsmith", kPassword, kT0);
  ASSERT_TRUE(first.session);
  const Session& s = first.session->session;
  const LoginRequest wrong{
      .password = "purple tractor sings quietly", .address = kLocal, .now_us = kT0 + 10 * kMinute};
  auto refused = Auth().Reauthenticate(s, wrong);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->outcome, LoginOutcome::kBadCredentials);
  EXPECT_EQ(CheckSession(first.session->id, kT0 + 10 * kMinute).session.reauth_us, kT0);
  const LoginRequest right{.password = kPassword, .address = kLocal, .now_us = kT0 + 11 * kMinute};
  auto ok = Auth().Reauthenticate(s, right);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->outcome, LoginOutcome::kOk);
  EXPECT_FALSE(ok->session);  // no new session for a step-up
  EXPECT_EQ(CheckSession(first.session->id, kT0 + 12 * kMinute).session.reauth_us,
            kT0 + 11 * kMinute);
}

TEST_F(Login, HashesAreUpgradedWhenTheParametersChange) {
  const std::int64_t id = AddUser("jsmith");
  options_.password.opslimit += 1;
  ASSERT_EQ(Try("jsmith", kPassword, kT0).outcome, LoginOutcome::kOk);
  auto creds = Must<std::optional<internal::Credentials>>(
      [&](store::Transaction& tx) { return internal::LoadCredentialsById(tx, *keys_, id); });
  ASSERT_TRUE(creds);
  EXPECT_FALSE(NeedsRehash(creds->password_hash, options_.password));
  EXPECT_EQ(Try("jsmith", kPassword, kT0 + kMinute).outcome, LoginOutcome::kOk);
}

// security.md D5: a scripted attacker sends 1,000 wrong passwords for one account within an
// hour, each from a different address: at most 100 are evaluated.
TEST_F(Login, ThousandWrongPasswordsOnOneAccountGetAtMostHundredEvaluated) {
  AddUser("jsmith");
  std::map<LoginOutcome, int> count;
  for (int i = 0; i < 1000; ++i) {
    const std::string address = "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    count[Try("jsmith", "guess " + std::to_string(i) + " of many",
              kT0 + std::int64_t{i} * 3'600'000, address)
              .outcome]++;
  }
  const int evaluated = count[LoginOutcome::kBadCredentials];
  EXPECT_EQ(evaluated + count[LoginOutcome::kThrottled], 1000);
  EXPECT_LE(evaluated, 100);
  EXPECT_GE(evaluated, 5);  // the free failures were evaluated
}

// The same with backoff off, so only the hard cap limits: exactly 100 evaluated per hour.
TEST_F(Login, HardCapAloneStopsAtOneHundredPerHour) {
  options_.throttle.account.base_delay_s = 0;
  options_.throttle.account.max_delay_s = 0;
  AddUser("jsmith");
  int evaluated = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string address = "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    const LoginResult r = Try("jsmith", "wrong guess " + std::to_string(i),
                              kT0 + std::int64_t{i} * 3'000'000, address);
    if (r.outcome != LoginOutcome::kThrottled) ++evaluated;
  }
  EXPECT_EQ(evaluated, 100);
}

TEST_F(Login, LockedOutUserGetsInWithTheSecondFactorOrAfterTheBlock) {
  options_.throttle.account.base_delay_s = 5 * 60;  // the sixth failure blocks for 5 minutes
  options_.login.mfa_exempt_networks.push_back("203.0.113.0/24");  // the clinic's network
  const std::int64_t id = AddUser("jsmith");
  const std::string secret = EnrollMfaFor(id);
  AddUser("nomfa");
  for (int i = 0; i < 6; ++i) {
    Try("jsmith", "wrong guess " + std::to_string(i), kT0 + kMinute + i, "203.0.113.1");
    Try("nomfa", "wrong guess " + std::to_string(i), kT0 + kMinute + i, "203.0.113.1");
  }
  const std::int64_t t = kT0 + 2 * kMinute;
  const LoginResult blocked = Try("jsmith", kPassword, t, "203.0.113.2");
  ASSERT_EQ(blocked.outcome, LoginOutcome::kThrottled);
  EXPECT_GT(blocked.retry_after_s, 0);
  // A wrong code on the second-factor path gets the same answer as no code: nothing is revealed.
  const std::string code = CodeAt(secret, t);
  const LoginResult guess =
      Try("jsmith", kPassword, t, "203.0.113.2", code == "000000" ? "111111" : "000000");
  EXPECT_EQ(guess.outcome, LoginOutcome::kThrottled);
  EXPECT_EQ(guess.detail, LoginDetail::kAccountThrottled);
  // With both factors the owner is not locked out by the attacker.
  const LoginResult in = Try("jsmith", kPassword, t, "203.0.113.2", code);
  ASSERT_EQ(in.outcome, LoginOutcome::kOk) << LoginDetailName(in.detail);
  // Without MFA the owner waits until the block ends by itself (soft lockout).
  const LoginResult wait = Try("nomfa", kPassword, t, "203.0.113.2");
  ASSERT_EQ(wait.outcome, LoginOutcome::kThrottled);
  EXPECT_EQ(Try("nomfa", kPassword, t + wait.retry_after_s * kSecond, "203.0.113.2").outcome,
            LoginOutcome::kOk);
}

// security.md D5: one address tries 1,000 different accounts (ten per second).
TEST_F(Login, ThousandAccountsFromOneAddressAreThrottled) {
  AddUser("jsmith");
  std::map<LoginDetail, int> count;
  int evaluated = 0;
  for (int i = 0; i < 1000; ++i) {
    const LoginResult r = Try("user" + std::to_string(i), "some guess or other",
                              kT0 + std::int64_t{i} * 100'000, kRemote);
    count[r.detail]++;
    if (r.outcome != LoginOutcome::kThrottled) ++evaluated;
  }
  EXPECT_LE(evaluated, 40);
  EXPECT_GE(count[LoginDetail::kAddressThrottled], 950);
  // Another address is not affected.
  EXPECT_EQ(Try("jsmith", kPassword, kT0 + 100 * kSecond, kLocal).outcome, LoginOutcome::kOk);
}

TEST_F(Login, ThrottleKeepsCountingAfterARestart) {
  AddUser("jsmith");
  for (int i = 0; i < 10; ++i) Try("jsmith", "wrong guess " + std::to_string(i), kT0, kRemote);
  auth_.reset();
  db_.reset();
  auto reopened = reopen_();
  ASSERT_TRUE(reopened);
  db_ = std::move(*reopened);
  EXPECT_EQ(Try("jsmith", kPassword, kT0 + kSecond / 2, kLocal).outcome, LoginOutcome::kThrottled);
}

// One client guessing behind a shared address (here loopback, where a reverse proxy puts every
// user) blocks the address; a user with both factors still gets in through it, the code checked
// before the password. Without a code, with a wrong one, or without an enrolled factor the answer
// stays 429, and the bypass is bounded by the account's own MFA bucket.
TEST_F(Login, BothFactorsGetThroughAThrottledAddress) {
  options_.throttle.address.base_delay_s = 5 * 60;  // the 21st failure blocks for 5 minutes
  const std::int64_t id = AddUser("jsmith");
  const std::string secret = EnrollMfaFor(id);
  AddUser("nomfa");
  for (int i = 0; i < 25; ++i) {
    Try("user" + std::to_string(i), "some guess or other", kT0 + kMinute + i * 1000, kLocal);
  }
  const std::int64_t t = kT0 + 2 * kMinute;
  const LoginResult blocked = Try("jsmith", kPassword, t, kLocal);
  ASSERT_EQ(blocked.outcome, LoginOutcome::kThrottled);
  EXPECT_EQ(blocked.detail, LoginDetail::kAddressThrottled);
  EXPECT_GT(blocked.retry_after_s, 0);
  const std::string code = CodeAt(secret, t);
  const std::string wrong = code == "000000" ? "111111" : "000000";
  EXPECT_EQ(Try("jsmith", kPassword, t, kLocal, wrong).outcome, LoginOutcome::kThrottled);
  EXPECT_EQ(Try("nomfa", kPassword, t, kLocal).outcome, LoginOutcome::kThrottled);
  const LoginResult in = Try("jsmith", kPassword, t, kLocal, code);
  ASSERT_EQ(in.outcome, LoginOutcome::kOk) << LoginDetailName(in.detail);
  EXPECT_TRUE(in.session);
  // The address stays blocked for everyone else.
  EXPECT_EQ(Try("nomfa", kPassword, t + 1, kLocal).outcome, LoginOutcome::kThrottled);
}

TEST_F(Login, TheAddressBypassCountsAgainstTheAccount) {
  options_.throttle.address.base_delay_s = 5 * 60;
  const std::int64_t id = AddUser("jsmith");
  const std::string secret = EnrollMfaFor(id);
  for (int i = 0; i < 25; ++i) {
    Try("user" + std::to_string(i), "some guess or other", kT0 + kMinute + i * 1000, kRemote);
  }
  // Someone holding a code guesses passwords through the blocked address: a handful are evaluated,
  // then the account's MFA bucket blocks them, and the right password with it.
  const std::int64_t t = kT0 + 2 * kMinute;
  const std::string code = CodeAt(secret, t);
  int evaluated = 0;
  for (int i = 0; i < 20; ++i) {
    const LoginResult r =
        Try("jsmith", "wrong guess " + std::to_string(i), t + i * 1000, kRemote, code);
    if (r.outcome != LoginOutcome::kThrottled) ++evaluated;
  }
  EXPECT_GE(evaluated, 1);
  EXPECT_LE(evaluated, options_.throttle.mfa.free_failures + 1);
  EXPECT_EQ(Try("jsmith", kPassword, t + 21 * 1000, kRemote, code).outcome,
            LoginOutcome::kThrottled);
}

}  // namespace
}  // namespace heartbase::auth
