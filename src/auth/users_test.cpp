#include "auth/users.h"

#include <gtest/gtest.h>

#include "auth/base32.h"
#include "auth/bootstrap.h"
#include "auth/break_glass.h"
#include "auth/subject.h"
#include "auth/testing/auth_fixture.h"

namespace heartbase::auth {
namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000'000;
constexpr std::int64_t kMinute = 60'000'000;

class Users : public testing::AuthFixture {
 protected:
  PreparedPassword Prepared(std::string_view name, bool mfa = false,
                            std::string_view password = "purple tractor sings loudly") {
    auto p = PreparePassword(password, {.user_name = name, .mfa_enforced = mfa}, blocklist_,
                             testing::CheapPasswordOptions());
    if (!p) throw std::runtime_error(p.error().message);
    return std::move(*p);
  }
  base::Result<std::int64_t> Create(const NewUser& user, const PreparedPassword* password) {
    std::optional<base::Result<std::int64_t>> out;
    EXPECT_TRUE(Write([&](store::Transaction& tx) -> base::Status {
      out = CreateUser(tx, user, password, kT0);
      return {};
    }));
    return *out;
  }
  User Get(std::int64_t id) {
    return Must<User>([&](store::Transaction& tx) { return GetUser(tx, id); });
  }
  Blocklist blocklist_ = Blocklist::BuiltIn();
};

TEST_F(Users, CreateAndFindByNameInAnyCase) {
  const PreparedPassword pw = Prepared("JSmith");  // as typed: compared case-insensitively
  auto id =
      Create({.name = "JSmith", .display_name = "Dr J. Smith", .role = Role::kPhysician}, &pw);
  ASSERT_TRUE(id) << id.error().Describe();
  const User u = Must<User>([](store::Transaction& tx) { return FindUserByName(tx, "jsmith"); });
  EXPECT_EQ(u.id, *id);
  EXPECT_EQ(u.name, "jsmith");
  EXPECT_EQ(u.display_name, "Dr J. Smith");
  EXPECT_EQ(u.role, Role::kPhysician);
  EXPECT_TRUE(u.has_password);
  EXPECT_FALSE(u.mfa_required);
  EXPECT_FALSE(u.disabled);
  auto dup = Create({.name = "jsmith", .display_name = "Other"}, nullptr);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, base::ErrorCode::kAlreadyExists);
  auto none = Write([](store::Transaction& tx) -> base::Status {
    auto r = FindUserByName(tx, "nobody");
    if (r) return base::MakeError(base::ErrorCode::kInternal, "found");
    return r.error().code == base::ErrorCode::kNotFound ? base::Status{} : r.error();
  });
  EXPECT_TRUE(none);
}

TEST_F(Users, NamesAreValidated) {
  EXPECT_EQ(*NormalizeUserName("A.Nurse@Clinic-1"), "a.nurse@clinic-1");
  EXPECT_FALSE(NormalizeUserName(""));
  EXPECT_FALSE(NormalizeUserName(".hidden"));
  EXPECT_FALSE(NormalizeUserName("with space"));
  EXPECT_FALSE(NormalizeUserName(std::string(65, 'a')));
  EXPECT_FALSE(Create({.name = "ok", .display_name = "bad\nname"}, nullptr));
  EXPECT_FALSE(Create({.name = "ok", .display_name = ""}, nullptr));
}

TEST_F(Users, AdministratorsAlwaysRequireMfa) {
  auto id =
      Create({.name = "root1", .display_name = "Admin", .role = Role::kAdministrator}, nullptr);
  ASSERT_TRUE(id);
  EXPECT_TRUE(Get(*id).mfa_required);
  auto nurse = Create({.name = "nurse", .display_name = "Nurse"}, nullptr);
  ASSERT_TRUE(nurse);
  ASSERT_TRUE(Write(
      [&](store::Transaction& tx) { return SetRole(tx, *nurse, Role::kAdministrator, kT0); }));
  EXPECT_TRUE(Get(*nurse).mfa_required);
  EXPECT_EQ(Get(*nurse).role, Role::kAdministrator);
}

TEST_F(Users, PasswordsMustHaveBeenPreparedForThisAccount) {
  const PreparedPassword other = Prepared("someone");
  auto wrong_name = Create({.name = "jsmith", .display_name = "J"}, &other);
  ASSERT_FALSE(wrong_name);
  EXPECT_EQ(wrong_name.error().code, base::ErrorCode::kInvalidArgument);
  // Checked with the 8-character MFA rule, but the account can sign in with the password alone.
  const PreparedPassword short_one = Prepared("jsmith", true, "kettle42");
  EXPECT_FALSE(Create({.name = "jsmith", .display_name = "J"}, &short_one));
  EXPECT_TRUE(Create({.name = "jsmith", .display_name = "J", .mfa_required = true}, &short_one));
  const PreparedPassword gw = Prepared("gateway");
  EXPECT_FALSE(Create({.name = "gateway", .display_name = "G", .role = Role::kIntegration}, &gw));
}

TEST_F(Users, MfaSecretsAreSealedAtRestAndCodesWorkOnce) {
  auto id = Create({.name = "jsmith", .display_name = "J"}, nullptr);
  ASSERT_TRUE(id);
  const MfaEnrollment e = Must<MfaEnrollment>(
      [&](store::Transaction& tx) { return EnrollMfa(tx, *keys_, *id, TotpOptions{}, kT0); });
  EXPECT_TRUE(e.uri.starts_with("otpauth://totp/heartbase:jsmith?secret=" + e.secret_base32));
  EXPECT_FALSE(Get(*id).mfa_enrolled);  // pending until confirmed
  const std::string secret = *Base32Decode(e.secret_base32);
  const std::string code = HotpCode(secret, static_cast<std::uint64_t>(TotpStep(kT0)), 6);
  const std::string wrong = code == "000000" ? "111111" : "000000";
  auto denied = Write([&](store::Transaction& tx) {
    return ConfirmMfa(tx, *keys_, *id, wrong, TotpOptions{}, kT0);
  });
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, base::ErrorCode::kPermissionDenied);
  ASSERT_TRUE(Write([&](store::Transaction& tx) {
    return ConfirmMfa(tx, *keys_, *id, code, TotpOptions{}, kT0);
  }));
  const User u = Get(*id);
  EXPECT_TRUE(u.mfa_enrolled);
  EXPECT_EQ(u.last_totp_step, TotpStep(kT0));  // the confirming code is spent
  // Neither the raw secret nor its base32 form is in the database.
  auto tx = db_->Begin(store::Access::kRead);
  ASSERT_TRUE(tx);
  auto rows = (*tx)->Query("SELECT mfa_secret, mfa_pending FROM app_user");
  ASSERT_TRUE(rows);
  EXPECT_TRUE(rows->front().IsNull(1));
  EXPECT_EQ(rows->front().Blob(0).size(), secret.size() + crypto::KeyRing::kOverhead);
  EXPECT_EQ(rows->front().Blob(0).find(secret), std::string_view::npos);
  tx->reset();
  ASSERT_TRUE(Write([&](store::Transaction& t) { return ResetMfa(t, *id, kT0); }));
  EXPECT_FALSE(Get(*id).mfa_enrolled);
  EXPECT_EQ(Get(*id).last_totp_step, 0);
}

TEST_F(Users, DisableAndEnable) {
  auto id = Create({.name = "jsmith", .display_name = "J"}, nullptr);
  ASSERT_TRUE(id);
  ASSERT_TRUE(Write([&](store::Transaction& tx) { return DisableUser(tx, *id, kT0); }));
  EXPECT_TRUE(Get(*id).disabled);
  ASSERT_TRUE(Write([&](store::Transaction& tx) { return EnableUser(tx, *id, kT0); }));
  EXPECT_FALSE(Get(*id).disabled);
  auto missing = Write([](store::Transaction& tx) { return DisableUser(tx, 404, kT0); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, base::ErrorCode::kNotFound);
}

TEST_F(Users, ClinicMembershipsMakeTheSubject) {
  const ClinicId north =
      Must<ClinicId>([](store::Transaction& tx) { return CreateClinic(tx, "North", kT0); });
  const ClinicId south =
      Must<ClinicId>([](store::Transaction& tx) { return CreateClinic(tx, "South", kT0); });
  auto id =
      Create({.name = "jsmith", .display_name = "J", .role = Role::kPhysician, .clinics = {north}},
             nullptr);
  ASSERT_TRUE(id);
  Subject s = Must<Subject>([&](store::Transaction& tx) { return LoadSubject(tx, *id, kT0); });
  EXPECT_EQ(s.clinics, std::vector<ClinicId>{north});
  EXPECT_TRUE(Authorize(s, Permission::kPatientRead, north).allowed);
  EXPECT_FALSE(Authorize(s, Permission::kPatientRead, south).allowed);
  ASSERT_TRUE(Write([&](store::Transaction& tx) { return AddToClinic(tx, *id, south); }));
  ASSERT_TRUE(Write([&](store::Transaction& tx) { return AddToClinic(tx, *id, south); }));
  ASSERT_TRUE(Write([&](store::Transaction& tx) { return RemoveFromClinic(tx, *id, north); }));
  s = Must<Subject>([&](store::Transaction& tx) { return LoadSubject(tx, *id, kT0); });
  EXPECT_EQ(s.clinics, std::vector<ClinicId>{south});
  EXPECT_FALSE(Authorize(s, Permission::kPatientRead, north).allowed);
  EXPECT_FALSE(Write([&](store::Transaction& tx) { return AddToClinic(tx, *id, ClinicId{99}); }));
  EXPECT_FALSE(Write([](store::Transaction& tx) -> base::Status {
    auto r = CreateClinic(tx, "North", kT0);
    if (!r) return r.error();
    return {};
  }));
}

TEST_F(Users, BreakGlassNeedsAReasonAndEndsWithinAnHour) {
  const ClinicId north =
      Must<ClinicId>([](store::Transaction& tx) { return CreateClinic(tx, "North", kT0); });
  const ClinicId south =
      Must<ClinicId>([](store::Transaction& tx) { return CreateClinic(tx, "South", kT0); });
  auto doc =
      Create({.name = "jsmith", .display_name = "J", .role = Role::kPhysician, .clinics = {north}},
             nullptr);
  auto viewer = Create({.name = "view", .display_name = "V", .clinics = {north}}, nullptr);
  ASSERT_TRUE(doc && viewer);
  const BreakGlassOptions options;
  const auto start = [&](std::int64_t user, std::string_view reason) {
    std::optional<base::Result<BreakGlassGrant>> out;
    EXPECT_TRUE(Write([&](store::Transaction& tx) -> base::Status {
      out = StartBreakGlass(tx, *keys_, user, reason, options, kT0);
      return {};
    }));
    return *out;
  };
  EXPECT_FALSE(start(*doc, ""));
  EXPECT_FALSE(start(*doc, "    urgent "));
  auto not_allowed = start(*viewer, "patient in the emergency room, device shock");
  ASSERT_FALSE(not_allowed);
  EXPECT_EQ(not_allowed.error().code, base::ErrorCode::kPermissionDenied);
  auto grant = start(*doc, "patient in the emergency room, device shock");
  ASSERT_TRUE(grant) << grant.error().Describe();
  EXPECT_EQ(grant->expires_us, kT0 + 60 * kMinute);
  const auto subject_at = [&](std::int64_t now) {
    return Must<Subject>([&](store::Transaction& tx) { return LoadSubject(tx, *doc, now); });
  };
  EXPECT_EQ(Authorize(subject_at(kT0 + 59 * kMinute), Permission::kPatientRead, south).reason,
            DecisionReason::kGrantedBreakGlass);
  EXPECT_EQ(Authorize(subject_at(kT0 + 60 * kMinute), Permission::kPatientRead, south).reason,
            DecisionReason::kBreakGlassExpired);
  // The reason is sealed in the database and readable for the review report.
  EXPECT_EQ(Must<std::string>(
                [&](store::Transaction& tx) { return BreakGlassReason(tx, *keys_, grant->id); }),
            "patient in the emergency room, device shock");
  auto tx = db_->Begin(store::Access::kRead);
  ASSERT_TRUE(tx);
  auto rows = (*tx)->Query("SELECT reason FROM break_glass");
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->front().Blob(0).find("emergency"), std::string_view::npos);
  tx->reset();
  // Ending it early.
  ASSERT_TRUE(start(*doc, "second emergency, other patient"));
  ASSERT_TRUE(Write([&](store::Transaction& t) { return EndBreakGlass(t, *doc, kT0 + kMinute); }));
  EXPECT_EQ(Authorize(subject_at(kT0 + 2 * kMinute), Permission::kPatientRead, south).reason,
            DecisionReason::kBreakGlassExpired);
  BreakGlassOptions longer;
  longer.duration_s = 2 * 60 * 60;
  EXPECT_FALSE(Validate(longer));
}

TEST_F(Users, BootstrapTokenCreatesTheFirstAdministratorOnce) {
  EXPECT_FALSE(Must<bool>([](store::Transaction& tx) { return HasActiveAdministrator(tx); }));
  const BootstrapOptions options;
  const std::string token = Must<std::string>(
      [&](store::Transaction& tx) { return CreateBootstrapToken(tx, *keys_, options, kT0); });
  EXPECT_TRUE(token.starts_with("hbb_"));
  const PreparedPassword pw = Prepared("admin1", true, "kettle42 lamp");
  const NewUser admin{.name = "admin1", .display_name = "First Admin", .role = Role::kViewer};
  const auto consume = [&](std::string_view t, std::int64_t now) {
    std::optional<base::Result<std::int64_t>> out;
    auto committed = Write([&](store::Transaction& tx) -> base::Status {
      out = CreateFirstAdministrator(tx, *keys_, t, admin, pw, now);
      return out->ok() ? base::Status{} : out->error();  // a refusal rolls back
    });
    EXPECT_EQ(committed.ok(), out->ok());
    return *out;
  };
  std::string wrong = token;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  auto refused = consume(wrong, kT0);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, base::ErrorCode::kUnauthenticated);
  auto id = consume(token, kT0 + kMinute);
  ASSERT_TRUE(id) << id.error().Describe();
  const User u = Get(*id);
  EXPECT_EQ(u.role, Role::kAdministrator);  // whatever the request said
  EXPECT_TRUE(u.mfa_required);
  EXPECT_TRUE(Must<bool>([](store::Transaction& tx) { return HasActiveAdministrator(tx); }));
  auto again = consume(token, kT0 + 2 * kMinute);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, base::ErrorCode::kUnauthenticated);
  auto new_token = Write([&](store::Transaction& tx) -> base::Status {
    auto r = CreateBootstrapToken(tx, *keys_, options, kT0);
    if (!r) return r.error();
    return {};
  });
  ASSERT_FALSE(new_token);
  EXPECT_EQ(new_token.error().code, base::ErrorCode::kAlreadyExists);
}

TEST_F(Users, BootstrapTokenExpires) {
  const BootstrapOptions options;
  const std::string token = Must<std::string>(
      [&](store::Transaction& tx) { return CreateBootstrapToken(tx, *keys_, options, kT0); });
  const PreparedPassword pw = Prepared("admin1", true, "kettle42 lamp");
  auto late = Write([&](store::Transaction& tx) -> base::Status {
    auto r = CreateFirstAdministrator(tx, *keys_, token, {.name = "admin1", .display_name = "A"},
                                      pw, kT0 + options.lifetime_s * 1'000'000);
    if (!r) return r.error();
    return {};
  });
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, base::ErrorCode::kUnauthenticated);
}

}  // namespace
}  // namespace heartbase::auth
