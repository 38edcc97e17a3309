// Administration through the API: step-up, users and clinics, feeds and the store, break-glass,
// the bootstrap token and MFA enrolment.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/testing/api_fixture.h"

namespace heartbase::api {
namespace {

using testing::ApiTest;
using testing::Contains;
using testing::Role;

// Administration needs a fresh re-authentication (with the second factor): without it the
// answer is step_up_required.
TEST_F(ApiTest, AdministrationNeedsStepUp) {
  const std::string pw = "harbour glacier tulip engine";
  AddPerson("root", Role::kAdministrator, pw, true);
  auto first = SignIn("root", pw);
  auto enrol =
      Call("POST", "/api/v1/auth/mfa/enroll", first, fmt::format(R"({{"password":"{}"}})", pw));
  const auto s0 = enrol.body.find("\"secret\":\"") + 10;
  const std::string secret =
      *auth::Base32Decode(enrol.body.substr(s0, enrol.body.find('"', s0) - s0));
  auto code_at = [&](std::int64_t t) {
    return auth::HotpCode(secret, static_cast<std::uint64_t>(auth::TotpStep(t)), 6);
  };
  ASSERT_EQ(Call("POST", "/api/v1/auth/mfa/confirm", first,
                 fmt::format(R"({{"code":"{}"}})", code_at(now_)))
                .status,
            200);
  now_ += 31'000'000;
  auto login =
      Call("POST", "/api/v1/auth/login", {},
           fmt::format(R"({{"name":"root","password":"{}","totp":"{}"}})", pw, code_at(now_)));
  ASSERT_EQ(login.status, 200) << login.body;
  std::string session;
  for (const auto& [k, v] : login.headers) {
    if (k == "Set-Cookie") session = v.substr(0, v.find(';'));
  }
  const auto at = login.body.find("\"csrf_token\":\"") + 14;
  const std::vector<std::pair<std::string, std::string>> h = {
      {"cookie", session}, {"x-csrf-token", login.body.substr(at, login.body.find('"', at) - at)}};
  // Sign-in itself counts as a re-authentication for a few minutes; after that, step up.
  now_ += 6LL * 60 * 1'000'000;
  ASSERT_EQ(Call("GET", "/api/v1/auth/me", h).status, 200);
  auto refused = Call("GET", "/api/v1/admin/users", h);
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("step_up_required"), std::string::npos) << refused.body;
  EXPECT_EQ(
      Call("POST", "/api/v1/auth/step-up", h, fmt::format(R"({{"password":"{}"}})", pw)).status,
      401);  // the code is required too
  now_ += 31'000'000;
  auto up = Call("POST", "/api/v1/auth/step-up", h,
                 fmt::format(R"({{"password":"{}","totp":"{}"}})", pw, code_at(now_)));
  ASSERT_EQ(up.status, 200) << up.body;
  auto users = Call("GET", "/api/v1/admin/users", h);
  ASSERT_EQ(users.status, 200) << users.body;
  EXPECT_NE(users.body.find("\"name\":\"physician-1\""), std::string::npos);
  auto weak = Call("POST", "/api/v1/admin/users", h,
                   R"({"name":"newdoc","role":"physician","clinics":[1],"password":"password"})");
  EXPECT_EQ(weak.status, 400);
  auto created = Call(
      "POST", "/api/v1/admin/users", h,
      R"({"name":"newdoc","role":"physician","clinics":[1],"password":"lantern orbit meadow fox"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto id_at = created.body.find("\"id\":") + 5;
  const std::string id = created.body.substr(id_at, created.body.find('}') - id_at);
  EXPECT_EQ(Call("POST", "/api/v1/admin/users/" + id + "/disable", h).status, 200);
  // Disabled: the right password is answered as a wrong one (the answer must not confirm it).
  auto without_correlation = [](const std::string& body) {
    const auto cut = body.find("\"correlation_id\"");
    return cut == std::string::npos ? body : body.substr(0, cut);
  };
  auto right = Call("POST", "/api/v1/auth/login", {},
                    R"({"name":"newdoc","password":"lantern orbit meadow fox"})");
  auto wrong = Call("POST", "/api/v1/auth/login", {},
                    R"({"name":"newdoc","password":"lantern orbit meadow cat"})");
  EXPECT_EQ(right.status, 401);
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(without_correlation(right.body), without_correlation(wrong.body)) << right.body;
  EXPECT_NE(right.body.find("bad_credentials"), std::string::npos) << right.body;
  // What administrators watch: the feeds and the store.
  auto feeds = Call("GET", "/api/v1/admin/feeds", h);
  ASSERT_EQ(feeds.status, 200) << feeds.body;
  EXPECT_NE(feeds.body.find("\"control_id_reuse\":[]"), std::string::npos) << feeds.body;
  auto store_status = Call("GET", "/api/v1/admin/store", h);
  ASSERT_EQ(store_status.status, 200) << store_status.body;
  EXPECT_NE(store_status.body.find("\"damaged\":false"), std::string::npos) << store_status.body;
  db_->MarkDamaged(base::MakeError(base::ErrorCode::kDataLoss, "test: page 7 is damaged"));
  store_status = Call("GET", "/api/v1/admin/store", h);
  ASSERT_EQ(store_status.status, 200) << store_status.body;
  EXPECT_NE(store_status.body.find("\"damaged\":true"), std::string::npos) << store_status.body;
  EXPECT_NE(store_status.body.find("page 7"), std::string::npos) << store_status.body;
  EXPECT_EQ(Call("POST", "/api/v1/admin/clinics", h, R"({"name":"North"})").status, 201);
  EXPECT_NE(Call("GET", "/api/v1/admin/clinics", h).body.find("North"), std::string::npos);
  // Alert rules: a new version must parse; shadow mode shows its effect; activation puts it in
  // force for ingest.
  auto bad =
      Call("POST", "/api/v1/rules", h, R"({"source":"[rules.af_burden]\nmax_percent = 101\n"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("af_burden.max_percent"), std::string::npos) << bad.body;
  auto stored = Call("POST", "/api/v1/rules", h,
                     R"({"source":"[rules.device_initiated]\nenabled = false\n"})");
  ASSERT_EQ(stored.status, 201) << stored.body;
  const auto sid_at = stored.body.find("\"id\":") + 5;
  const std::string sid = stored.body.substr(sid_at, stored.body.find(',', sid_at) - sid_at);
  auto shadow = Call("POST", "/api/v1/rules/" + sid + "/shadow", h, "{}");
  ASSERT_EQ(shadow.status, 200) << shadow.body;
  EXPECT_NE(shadow.body.find("\"rule\":\"device_initiated\""), std::string::npos);
  auto activate = Call("POST", "/api/v1/rules/" + sid + "/activate", h);
  ASSERT_EQ(activate.status, 200) << activate.body;
  EXPECT_EQ(options_.rules->version(), 1);
  EXPECT_NE(Call("GET", "/api/v1/rules", h).body.find("\"in_force_version\":1"), std::string::npos);
  const auto actions = AuditActions();
  for (const char* a : {"user.admin:denied", "reauthenticate:success", "user.create:success",
                        "user.disable:success", "clinic.create:success", "rules.store:success",
                        "rules.shadow:success", "rules.activate:success"}) {
    EXPECT_TRUE(Contains(actions, a)) << a;
  }
}

TEST_F(ApiTest, BreakGlassWidensTheViewForALimitedTimeAndIsAudited) {
  const std::string pw = "emerald ferry quartz willow";
  AddPerson("erdoc", Role::kPhysician, pw, false, 2);
  const auto h = SignIn("erdoc", pw);
  const std::string target = fmt::format("/api/v1/patients/{}", patient_);
  EXPECT_EQ(Call("GET", target, h).status, 404);
  EXPECT_EQ(Call("POST", "/api/v1/auth/break-glass", h, R"({"reason":"x"})").status, 400);
  // Machine accounts cannot break the glass.
  EXPECT_EQ(Call("POST", "/api/v1/auth/break-glass",
                 {{"authorization", "Bearer " + tokens_["physician-2"]}},
                 R"({"reason":"Patient in our emergency department, unconscious"})")
                .status,
            403);
  auto start = Call("POST", "/api/v1/auth/break-glass", h,
                    R"({"reason":"Patient in our emergency department, unconscious"})");
  ASSERT_EQ(start.status, 200) << start.body;
  EXPECT_EQ(Call("GET", target, h).status, 200);
  now_ += 14LL * 60 * 1'000'000;  // within the session's idle timeout
  EXPECT_EQ(Call("GET", target, h).status, 200);
  EXPECT_EQ(Call("DELETE", "/api/v1/auth/break-glass", h).status, 200);
  EXPECT_EQ(Call("GET", target, h).status, 404);
  const auto actions = AuditActions();
  EXPECT_TRUE(Contains(actions, "breakglass.start:success"));
  EXPECT_TRUE(Contains(actions, "breakglass.end:success"));
}

TEST_F(ApiTest, BootstrapIsRefusedOnceUsersExist) {
  auto status = Call("GET", "/api/v1/auth/bootstrap");
  ASSERT_EQ(status.status, 200);
  EXPECT_EQ(status.body, "{\"needed\":false}");
  auto r =
      Call("POST", "/api/v1/auth/bootstrap", {},
           R"({"token":"hbb_AAAAAAAAAAAAAAAA","name":"root2","password":"sea glass orchid ten"})");
  EXPECT_EQ(r.status, 401);
  EXPECT_TRUE(Contains(AuditActions(), "user.bootstrap:denied"));
}

// Enrolling a second factor asks for the password again, so a stolen session cannot bind the
// thief's authenticator to the account. Refused attempts reveal no secret and count toward the
// account's throttle like any password attempt.
TEST_F(ApiTest, MfaEnrolmentAsksForThePasswordAgain) {
  const std::string pw = "copper lantern drifting north";
  AddPerson("nurse", Role::kDeviceClinician, pw);  // loopback: signed in without a factor
  const auto h = SignIn("nurse", pw);
  for (const std::string& body :
       {std::string(), std::string("{}"), std::string(R"({"password":"not the password"})"),
        fmt::format(R"({{"password":"x","password":"{}"}})", pw)}) {
    SCOPED_TRACE(body);
    auto r = Call("POST", "/api/v1/auth/mfa/enroll", h, body);
    EXPECT_TRUE(r.status == 400 || r.status == 401) << r.status << " " << r.body;
    EXPECT_EQ(r.body.find("secret"), std::string::npos);
    EXPECT_EQ(r.body.find("otpauth"), std::string::npos);
  }
  auto wrong =
      Call("POST", "/api/v1/auth/mfa/enroll", h, R"({"password":"still not the password"})");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_NE(wrong.body.find("reauth_failed"), std::string::npos) << wrong.body;
  // Tokens cannot enrol; the CSRF token is still needed.
  EXPECT_EQ(Call("POST", "/api/v1/auth/mfa/enroll",
                 {{"authorization", "Bearer " + tokens_["physician-1"]}},
                 fmt::format(R"({{"password":"{}"}})", pw))
                .status,
            400);
  EXPECT_EQ(
      Call("POST", "/api/v1/auth/mfa/enroll", {h[0]}, fmt::format(R"({{"password":"{}"}})", pw))
          .status,
      403);
  auto enrol =
      Call("POST", "/api/v1/auth/mfa/enroll", h, fmt::format(R"({{"password":"{}"}})", pw));
  ASSERT_EQ(enrol.status, 200) << enrol.body;
  EXPECT_NE(enrol.body.find("\"otpauth_uri\":\"otpauth://totp/"), std::string::npos);
  const auto actions = AuditActions();
  EXPECT_NE(std::find(actions.begin(), actions.end(), "reauthenticate:denied"), actions.end());
  EXPECT_NE(std::find(actions.begin(), actions.end(), "mfa.enroll:success"), actions.end());
}

}  // namespace
}  // namespace heartbase::api
