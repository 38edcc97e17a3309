// The API as a whole: the route inventory against the permission table, reading patients,
// sessions, MFA, audit on reads, readiness, limits, public routes and the web application.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "api/testing/api_fixture.h"

namespace heartbase::api {
namespace {

using testing::ApiTest;
using testing::ExpectSecurityHeaders;
using testing::kCanaryMrn;
using testing::kCanaryName;
using testing::Message;
using testing::Role;

// Every route of the table, with no credentials, an altered token, every role of the patient's
// clinic and every role of another clinic: the status is what the permission table says, no
// refused response carries patient data, and each answered patient-data request wrote exactly one
// audit record. A route added without an expectation here fails the test.
TEST_F(ApiTest, RouteInventoryMatchesThePermissionTable) {
  ASSERT_EQ(tokens_.size(), 2 * auth::AllRoles().size());
  const std::map<std::string, bool> patient_data = {
      {"POST /api/v1/auth/login", false},
      {"POST /api/v1/auth/logout", false},
      {"POST /api/v1/auth/mfa/enroll", false},
      {"POST /api/v1/auth/mfa/confirm", false},
      {"GET /api/v1/auth/me", false},
      {"GET /api/v1/health", false},
      {"GET /api/v1/ready", false},
      {"GET /api/v1/openapi.json", false},
      {"GET /api/v1/patients", true},
      {"GET /api/v1/patients/{id}", true},
      {"GET /api/v1/patients/{id}/trends", true},
      {"GET /api/v1/interrogations", true},
      {"GET /api/v1/interrogations/{id}", true},
      {"GET /api/v1/audit", false},
      {"POST /api/v1/auth/step-up", false},
      {"GET /api/v1/auth/bootstrap", false},
      {"POST /api/v1/auth/bootstrap", false},
      {"POST /api/v1/auth/break-glass", false},
      {"DELETE /api/v1/auth/break-glass", false},
      {"GET /api/v1/queue", true},
      {"POST /api/v1/interrogations/{id}/assign", true},
      {"POST /api/v1/interrogations/{id}/review", true},
      {"POST /api/v1/interrogations/{id}/signoff", true},
      {"GET /api/v1/interrogations/{id}/attachments/{index}", true},
      {"GET /api/v1/interrogations/{id}/report", true},
      {"GET /api/v1/results", true},
      {"POST /api/v1/results/{id}/resend", true},
      {"POST /api/v1/interrogations/{id}/link", true},
      {"POST /api/v1/patients/{id}/link", true},
      {"POST /api/v1/hl7", false},
      {"GET /api/v1/admin/users", false},
      {"POST /api/v1/admin/users", false},
      {"POST /api/v1/admin/users/{id}/disable", false},
      {"POST /api/v1/admin/users/{id}/enable", false},
      {"POST /api/v1/admin/users/{id}/reset-mfa", false},
      {"GET /api/v1/admin/clinics", false},
      {"GET /api/v1/admin/outbox", false},
      {"GET /api/v1/admin/feeds", false},
      {"GET /api/v1/admin/store", false},
      {"GET /api/v1/admin/quarantine", false},
      {"GET /api/v1/admin/quarantine/{id}", false},
      {"GET /api/v1/admin/quarantine/{id}/raw", false},
      {"POST /api/v1/admin/quarantine/reprocess", false},
      {"POST /api/v1/admin/quarantine/{id}/reprocess", false},
      {"POST /api/v1/admin/quarantine/{id}/discard", false},
      {"GET /api/v1/admin/unassigned", false},
      {"POST /api/v1/admin/patients/{id}/move", false},
      {"GET /api/v1/rules", false},
      {"GET /api/v1/rules/{id}", false},
      {"POST /api/v1/rules", false},
      {"POST /api/v1/rules/{id}/shadow", false},
      {"POST /api/v1/rules/{id}/activate", false},
      {"POST /api/v1/admin/clinics", false},
      {"GET /api/v1/report-recipients", false},
      {"POST /api/v1/interrogations/{id}/report/send", true},
      {"GET /api/v1/followups", true},
      {"GET /api/v1/patients/{id}/plan", true},
      {"PUT /api/v1/patients/{id}/plan", true},
      {"DELETE /api/v1/patients/{id}/plan", true},
      {"POST /api/v1/patients/{id}/visits", true},
      {"POST /api/v1/visits/{id}/cancel", true},
      {"GET /api/v1/plans", false},
      {"PUT /api/v1/clinics/{id}/plans/{device_type}", false},
      {"DELETE /api/v1/clinics/{id}/plans/{device_type}", false},
      {"GET /api/v1/charges", true},
      {"GET /api/v1/charges/missed", true},
      {"POST /api/v1/charges/close", false},
      {"POST /api/v1/charges/export", true},
      {"GET /api/v1/charges/exports", false},
      {"GET /api/v1/charges/exports/{id}", true},
  };
  // Routes whose object the fixture does not create: a permitted caller of the patient's clinic
  // is told it is absent (the patient has no plan of their own; there is no export yet).
  const std::set<std::string> absent = {"DELETE /api/v1/patients/{id}/plan",
                                        "GET /api/v1/charges/exports/{id}"};
  for (const internal::Route& route : internal::Routes()) {
    const std::string key = fmt::format("{} {}", route.method, route.path);
    SCOPED_TRACE(key);
    ASSERT_TRUE(patient_data.contains(key)) << "route missing from the inventory test";
    const std::string target = Fill(route.path);
    if (route.own_transaction) {
      // Sign-in, set-up and public documents answer anyone; the others (re-authentication,
      // sign-off, user creation, upload) are walked by their own tests after this refusal.
      if (route.access == internal::Access::kSignedIn) {
        auto r = Call(std::string(route.method), target);
        EXPECT_EQ(r.status, 401);
        ExpectSecurityHeaders(r);
      }
      continue;
    }
    // No identity, an altered token, an unknown cookie.
    std::string altered = tokens_["physician-1"];
    altered.back() = altered.back() == 'A' ? 'B' : 'A';
    for (const auto& r :
         {Call(std::string(route.method), target),
          Call(std::string(route.method), target, {{"authorization", "Bearer " + altered}}),
          Call(std::string(route.method), target,
               {{"cookie", std::string(kSessionCookie) + "=AAAAAAAAAAAAAAAAAAAAAAAAAA"}})}) {
      EXPECT_EQ(r.status, 401);
      EXPECT_EQ(r.body.find(kCanaryName), std::string::npos);
      ExpectSecurityHeaders(r);
    }
    for (const auto& [user, token] : tokens_) {
      SCOPED_TRACE(user);
      const bool home = user.ends_with("-1");
      const Role role = *auth::ParseRole(user.substr(0, user.size() - 2));
      const std::int64_t before = AuditCount();
      const auto r = As(user, std::string(route.method), target);
      ExpectSecurityHeaders(r);
      // Tokens never carry a re-authentication, so step-up permissions (administration) are
      // refused like missing ones.
      const bool permitted =
          !route.permission || (auth::RolePermissions(role).Has(*route.permission) &&
                                !auth::FindPermission(*route.permission)->step_up);
      const bool hidden = (!home && route.path.find("{id}") != std::string_view::npos) ||
                          route.path.find("{index}") != std::string_view::npos;
      int expected = 200;
      if (!permitted) {
        expected = 403;
      } else if (route.method == "POST" || route.method == "PUT") {
        expected = 400;  // no body here; sign-out and MFA enrolment are for sessions
      } else if (hidden || absent.contains(key)) {
        expected = 404;  // another clinic's patient does not exist; the message has no attachment
      }
      EXPECT_EQ(r.status, expected) << r.body;
      if (r.status != 200 || !home) {
        EXPECT_EQ(r.body.find(kCanaryName), std::string::npos) << r.body;
        EXPECT_EQ(r.body.find(kCanaryMrn), std::string::npos) << r.body;
      }
      if (patient_data.at(key) && (r.status == 200 || r.status == 403 || r.status == 404)) {
        EXPECT_EQ(AuditCount(), before + 1);
      }
    }
  }
}

TEST_F(ApiTest, PhysicianOfTheClinicReadsThePatientAndTheTrend) {
  auto r = As("physician-1", "GET", fmt::format("/api/v1/patients/{}", patient_));
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(kCanaryName), std::string::npos);
  EXPECT_NE(r.body.find("PZK600806S"), std::string::npos);
  auto t =
      As("physician-1", "GET",
         fmt::format("/api/v1/patients/{}/trends?code=MDC_IDC_MSMT_BATTERY_VOLTAGE", patient_));
  ASSERT_EQ(t.status, 200);
  EXPECT_NE(t.body.find("2.95"), std::string::npos) << t.body;
  auto s = As("physician-1", "GET", std::string("/api/v1/patients?q=") + std::string(kCanaryMrn));
  ASSERT_EQ(s.status, 200);
  EXPECT_NE(s.body.find(kCanaryName), std::string::npos) << s.body;
  auto i = As("physician-1", "GET", fmt::format("/api/v1/interrogations/{}", interrogation_));
  ASSERT_EQ(i.status, 200);
  EXPECT_NE(i.body.find("MDC_IDC_MSMT_BATTERY_VOLTAGE"), std::string::npos);
  // The other clinic's physician searches in vain.
  auto other =
      As("physician-2", "GET", std::string("/api/v1/patients?q=") + std::string(kCanaryMrn));
  ASSERT_EQ(other.status, 200);
  EXPECT_EQ(other.body.find(kCanaryName), std::string::npos);
  // The auditor sees who looked, and the search text is not in the trail.
  auto a = As("auditor-1", "GET", fmt::format("/api/v1/audit?patient={}", patient_));
  ASSERT_EQ(a.status, 200);
  EXPECT_NE(a.body.find("\"user\":\"physician-1\""), std::string::npos) << a.body;
  EXPECT_NE(a.body.find("\"action\":\"trend.read\""), std::string::npos);
  auto all = As("auditor-1", "GET", "/api/v1/audit?limit=1000");
  EXPECT_EQ(all.body.find(kCanaryMrn), std::string::npos);
}

// A document is stored once, inside its raw message, and served decoded from it: the bytes that
// come back are the bytes that were sent, an escaped line break in the base64 included.
TEST_F(ApiTest, AttachmentsAreServedFromTheRawMessage) {
  std::string pdf = "%PDF-1.4\n";
  for (int i = 0; i < 3000; ++i) pdf.push_back(static_cast<char>(i * 7 % 256));
  const std::string egm = "EGM\x01\x02 samples";
  std::string pdf64, egm64;
  base::AppendBase64Encoded(pdf, &pdf64);
  base::AppendBase64Encoded(egm, &egm64);
  pdf64.insert(40, "\\X0D\\\\X0A\\");  // a line break, escaped as senders do
  const std::string message =
      Message("C9", "PZK600806S", kCanaryName, kCanaryMrn) +
      "OBX|4|ED|18750-0^Cardiac Electrophysiology Report^LN||Application^PDF^^Base64^" + pdf64 +
      "\r" + "OBX|5|ED|18750-0^EGM^LN|3|Application^Octet-stream^^Base64^" + egm64 + "\r";
  ingest::Pipeline pipeline(*db_, *keys_);
  auto out = pipeline.Ingest(message, "test");
  ASSERT_TRUE(out);
  ASSERT_EQ(out->disposition, ingest::Disposition::kStored);
  auto list = As("physician-1", "GET", fmt::format("/api/v1/interrogations/{}", out->id));
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(list.body.find(fmt::format("\"bytes\":{},\"stored\":true", pdf.size())),
            std::string::npos)
      << list.body;
  auto first =
      As("physician-1", "GET", fmt::format("/api/v1/interrogations/{}/attachments/0", out->id));
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.body, pdf);
  EXPECT_EQ((std::map<std::string, std::string>(first.headers.begin(),
                                                first.headers.end())["Content-Type"]),
            "application/pdf");
  auto second =
      As("physician-1", "GET", fmt::format("/api/v1/interrogations/{}/attachments/1", out->id));
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(second.body, egm);
  EXPECT_EQ(
      As("physician-1", "GET", fmt::format("/api/v1/interrogations/{}/attachments/2", out->id))
          .status,
      404);
  // Nothing was stored twice: the only blob of this interrogation is its raw message.
  auto tx = db_->Begin(store::Access::kRead);
  ASSERT_TRUE(tx);
  EXPECT_EQ((*(*tx)->Query("SELECT count(*) FROM attachment WHERE blob_id IS NOT NULL"))[0].Int(0),
            0);
  EXPECT_EQ((*(*tx)->Query("SELECT count(*) FROM blob"))[0].Int(0), 2);  // two messages
}

TEST_F(ApiTest, SessionSignInCookieCsrfAndSignOut) {
  const std::string password = "tumbling quiet harbour lantern";
  ASSERT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& t) {
    auto blocklist = auth::Blocklist::BuiltIn();
    auto prepared =
        auth::PreparePassword(password, {.user_name = "nurse"}, blocklist, options_.auth.password);
    if (!prepared) return base::Status(prepared.error());
    auto id = auth::CreateUser(t,
                               {.name = "nurse",
                                .display_name = "Nurse",
                                .role = Role::kDeviceClinician,
                                .clinics = {auth::ClinicId{1}}},
                               &*prepared, now_);
    return id ? base::Status() : base::Status(id.error());
  }));
  auto bad = Call("POST", "/api/v1/auth/login", {}, R"({"name":"nurse","password":"wrong one"})");
  EXPECT_EQ(bad.status, 401);
  auto ok = Call("POST", "/api/v1/auth/login", {},
                 fmt::format(R"({{"name":"nurse","password":"{}"}})", password));
  ASSERT_EQ(ok.status, 200) << ok.body;
  std::string cookie;
  for (const auto& [k, v] : ok.headers) {
    if (k == "Set-Cookie") cookie = v;
  }
  EXPECT_EQ(cookie.rfind(std::string(kSessionCookie) + "=", 0), 0u);
  for (const char* attr : {"; Path=/", "; Secure", "; HttpOnly", "; SameSite=Strict"}) {
    EXPECT_NE(cookie.find(attr), std::string::npos) << attr;
  }
  const std::string session = cookie.substr(0, cookie.find(';'));
  auto me = Call("GET", "/api/v1/auth/me", {{"cookie", session}});
  ASSERT_EQ(me.status, 200);
  // The names of the user's own clinics only.
  EXPECT_NE(me.body.find(R"("clinics":[1],"clinic_names":{"1":"Main clinic"})"), std::string::npos)
      << me.body;
  EXPECT_EQ(me.body.find("Other clinic"), std::string::npos);
  const auto at = me.body.find("\"csrf_token\":\"") + 14;
  const std::string csrf = me.body.substr(at, me.body.find('"', at) - at);
  // Without the CSRF token, or from another site, sign-out is refused.
  EXPECT_EQ(Call("POST", "/api/v1/auth/logout", {{"cookie", session}}).status, 403);
  EXPECT_EQ(Call("POST", "/api/v1/auth/logout",
                 {{"cookie", session}, {"x-csrf-token", csrf}, {"origin", "https://evil.example"}})
                .status,
            403);
  EXPECT_EQ(
      Call("POST", "/api/v1/auth/logout", {{"cookie", session}, {"x-csrf-token", csrf}}).status,
      200);
  EXPECT_EQ(Call("GET", "/api/v1/auth/me", {{"cookie", session}}).status, 401);
  // Idle timeout with the injected clock.
  auto again = Call("POST", "/api/v1/auth/login", {},
                    fmt::format(R"({{"name":"nurse","password":"{}"}})", password));
  ASSERT_EQ(again.status, 200);
  std::string second;
  for (const auto& [k, v] : again.headers) {
    if (k == "Set-Cookie") second = v.substr(0, v.find(';'));
  }
  EXPECT_EQ(Call("GET", "/api/v1/auth/me", {{"cookie", second}}).status, 200);
  now_ += 16LL * 60 * 1'000'000;
  EXPECT_EQ(Call("GET", "/api/v1/auth/me", {{"cookie", second}}).status, 401);
}

// An administrator must use a second factor: the first sign-in can only enrol it; afterwards the
// password alone is refused, a code works once, and a replayed code is refused.
TEST_F(ApiTest, AdministratorEnrolsTotpAndEachCodeWorksOnce) {
  const std::string password = "granite meadow whistle copper";
  ASSERT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& t) {
    auto prepared = auth::PreparePassword(password, {.user_name = "root", .mfa_enforced = true},
                                          auth::Blocklist::BuiltIn(), options_.auth.password);
    if (!prepared) return base::Status(prepared.error());
    auto id = auth::CreateUser(t,
                               {.name = "root",
                                .display_name = "Admin",
                                .role = Role::kAdministrator,
                                .mfa_required = true,
                                .clinics = {auth::ClinicId{1}}},
                               &*prepared, now_);
    return id ? base::Status() : base::Status(id.error());
  }));
  const std::string login = fmt::format(R"({{"name":"root","password":"{}"}})", password);
  auto first = Call("POST", "/api/v1/auth/login", {}, login);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_NE(first.body.find("\"mfa_enrollment_required\":true"), std::string::npos);
  std::string session;
  for (const auto& [k, v] : first.headers) {
    if (k == "Set-Cookie") session = v.substr(0, v.find(';'));
  }
  const auto at = first.body.find("\"csrf_token\":\"") + 14;
  const std::string csrf = first.body.substr(at, first.body.find('"', at) - at);
  const std::vector<std::pair<std::string, std::string>> h = {{"cookie", session},
                                                              {"x-csrf-token", csrf}};
  // The restricted session reads nothing.
  EXPECT_EQ(Call("GET", "/api/v1/users", h).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/audit", h).status, 403);
  auto enrol =
      Call("POST", "/api/v1/auth/mfa/enroll", h, fmt::format(R"({{"password":"{}"}})", password));
  ASSERT_EQ(enrol.status, 200) << enrol.body;
  const auto s0 = enrol.body.find("\"secret\":\"") + 10;
  const std::string secret_b32 = enrol.body.substr(s0, enrol.body.find('"', s0) - s0);
  const std::string secret = *auth::Base32Decode(secret_b32);
  auto code_at = [&](std::int64_t t) {
    return auth::HotpCode(secret, static_cast<std::uint64_t>(auth::TotpStep(t)), 6);
  };
  EXPECT_EQ(
      Call("POST", "/api/v1/auth/mfa/confirm", h, fmt::format(R"({{"code":"{}"}})", code_at(now_)))
          .status,
      200);
  now_ += 31'000'000;
  EXPECT_EQ(Call("POST", "/api/v1/auth/login", {}, login).status, 401);  // code required
  const std::string with_code =
      fmt::format(R"({{"name":"root","password":"{}","totp":"{}"}})", password, code_at(now_));
  EXPECT_EQ(Call("POST", "/api/v1/auth/login", {}, with_code).status, 200);
  auto replay = Call("POST", "/api/v1/auth/login", {}, with_code);
  EXPECT_EQ(replay.status, 401);
  EXPECT_NE(replay.body.find("mfa_bad"), std::string::npos);
}

// The read happens, but its audit record cannot be written: the response is withheld.
TEST_F(ApiTest, AReadWhoseAuditRecordFailsReturnsNothing) {
  ASSERT_TRUE(InjectAuditFailure());
  for (const std::string& target : {fmt::format("/api/v1/patients/{}", patient_),
                                    std::string("/api/v1/patients?q=") + std::string(kCanaryMrn),
                                    fmt::format("/api/v1/interrogations/{}", interrogation_)}) {
    auto r = As("physician-1", "GET", target);
    EXPECT_EQ(r.status, 500) << target;
    EXPECT_EQ(r.body.find(kCanaryName), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("PZK600806S"), std::string::npos);
  }
}

// The path the HTTP server takes: a read answered from the committing thread carries what
// Handle's does and leaves exactly one audit record; a failed audit write withholds it; routes
// that are not reads are answered as by Handle.
TEST_F(ApiTest, AsyncReadsAnswerAfterTheirAuditRecordAndFailClosed) {
  const std::string target = fmt::format("/api/v1/patients/{}", patient_);
  const auto before = AuditCount();
  auto r = AsAsync("physician-1", "GET", target);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(kCanaryName), std::string::npos);
  ExpectSecurityHeaders(r);
  EXPECT_EQ(AuditCount(), before + 1);
  EXPECT_EQ(AsAsync("physician-2", "GET", target).status, 404);  // another clinic's
  EXPECT_EQ(AsAsync("physician-1", "POST", "/api/v1/no-such-route").status, 404);
  EXPECT_EQ(AsAsync("physician-1", "HEAD", target).body, "");
  ASSERT_TRUE(InjectAuditFailure());
  auto refused = AsAsync("physician-1", "GET", target);
  EXPECT_EQ(refused.status, 500);
  EXPECT_EQ(refused.body.find(kCanaryName), std::string::npos) << refused.body;
}

// Readiness follows the store: a damaged database makes the server not ready (ingest stops), and
// the public answer says no more than that.
TEST_F(ApiTest, ReadinessTurnsWhenTheDatabaseIsDamaged) {
  auto ready = Call("GET", "/api/v1/ready");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "{\"status\":\"ready\"}");
  db_->MarkDamaged(base::MakeError(base::ErrorCode::kDataLoss, "test: page 7 is damaged"));
  ready = Call("GET", "/api/v1/ready");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("degraded"), std::string::npos);
  EXPECT_EQ(ready.body.find("page 7"), std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v1/health").status, 200);  // liveness: it still answers
}

// Before identification only small bodies are accepted, so anonymous clients cannot hold
// connections with large partial bodies (issue 17); identified callers keep the larger limits.
TEST_F(ApiTest, BodyLimitIsSmallUntilTheCallerPresentsACredential) {
  auto head = [](std::string method, std::string target,
                 std::vector<std::pair<std::string, std::string>> headers = {}) {
    net::HttpRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.headers = std::move(headers);
    return r;
  };
  const std::pair<std::string, std::string> bearer{"authorization", "Bearer x"};
  const std::pair<std::string, std::string> cookie{"cookie", std::string(kSessionCookie) + "=x"};
  EXPECT_EQ(api_->BodyLimit(head("POST", "/api/v1/auth/login")), 16u << 10);
  EXPECT_EQ(api_->BodyLimit(head("POST", "/api/v1/auth/login", {bearer})), 16u << 10);
  EXPECT_EQ(api_->BodyLimit(head("POST", "/api/v1/auth/bootstrap")), 16u << 10);
  EXPECT_EQ(api_->BodyLimit(head("POST", "/api/v1/hl7")), 16u << 10);
  EXPECT_EQ(api_->BodyLimit(head("POST", "/api/v1/rules")), 16u << 10);
  EXPECT_EQ(api_->BodyLimit(head("POST", "/no/such/route", {bearer})), 16u << 10);
  EXPECT_EQ(api_->BodyLimit(head("POST", "/api/v1/hl7", {bearer})), 64u << 20);
  EXPECT_EQ(api_->BodyLimit(head("POST", "/api/v1/rules", {cookie})), 1u << 20);
}

TEST_F(ApiTest, PublicRoutesRevealNothingAndUnknownRoutesAre404) {
  auto h = Call("GET", "/api/v1/health");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "{\"status\":\"ok\"}");
  auto doc = Call("GET", "/api/v1/openapi.json");
  ASSERT_EQ(doc.status, 200);
  for (const internal::Route& r : internal::Routes()) {
    EXPECT_NE(doc.body.find(fmt::format("\"{}\"", r.path)), std::string::npos) << r.path;
  }
  EXPECT_EQ(Call("GET", "/api/v1/nope").status, 404);
  EXPECT_EQ(Call("DELETE", "/api/v1/health").status, 405);
  auto deep = Call("POST", "/api/v1/auth/login", {}, std::string(100, '[') + std::string(100, ']'));
  EXPECT_EQ(deep.status, 400);
  EXPECT_NE(deep.body.find("correlation_id"), std::string::npos);
}

TEST_F(ApiTest, WebApplicationFilesAreServedWithTheSecurityHeaders) {
  const std::string root = dir_.File("web");
  std::filesystem::create_directories(root + "/assets");
  std::ofstream(root + "/index.html") << "<!doctype html><title>heartbase</title>";
  std::ofstream(root + "/assets/app-1a2b.js") << "console.log(1)";
  auto site = StaticFiles::Load(root);
  ASSERT_TRUE(site) << site.error().Describe();
  options_.static_files = &*site;
  api_ = std::make_unique<Api>(*db_, *keys_, *authenticator_, options_);
  auto index = Call("GET", "/");
  ASSERT_EQ(index.status, 200);
  EXPECT_NE(index.body.find("heartbase"), std::string::npos);
  ExpectSecurityHeaders(index);
  auto js = Call("GET", "/assets/app-1a2b.js");
  ASSERT_EQ(js.status, 200);
  std::map<std::string, std::string> h(js.headers.begin(), js.headers.end());
  EXPECT_EQ(h["Content-Type"], "text/javascript; charset=utf-8");
  EXPECT_NE(h["Cache-Control"].find("immutable"), std::string::npos);
  EXPECT_TRUE(h["Content-Encoding"].empty());  // too small to be worth compressing
  EXPECT_EQ(Call("GET", "/assets/missing.js").status, 404);
  EXPECT_EQ(Call("GET", "/../../etc/passwd.txt").status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/nothing").status, 404);  // the API is never the application
  EXPECT_EQ(Call("POST", "/").status, 404);
}

// Public files are sent gzip-compressed to clients that accept it (compressed once at start-up);
// the API's own responses never are.
TEST_F(ApiTest, WebApplicationFilesAreCompressedForClientsThatAcceptGzip) {
  const std::string root = dir_.File("web-gzip");
  std::filesystem::create_directories(root + "/assets");
  std::ofstream(root + "/index.html") << "<!doctype html><title>heartbase</title>";
  std::string script;
  for (int i = 0; i < 200; ++i) script += fmt::format("export const value{} = {};\n", i, i % 7);
  std::ofstream(root + "/assets/app-9f8e.js") << script;
  std::ofstream(root + "/assets/logo.png") << std::string(4096, 'x');
  auto site = StaticFiles::Load(root);
  ASSERT_TRUE(site) << site.error().Describe();
  options_.static_files = &*site;
  api_ = std::make_unique<Api>(*db_, *keys_, *authenticator_, options_);

  auto headers = [](const net::HttpResponse& r) {
    return std::map<std::string, std::string>(r.headers.begin(), r.headers.end());
  };
  auto packed = Call("GET", "/assets/app-9f8e.js", {{"accept-encoding", "br, gzip;q=0.8"}});
  ASSERT_EQ(packed.status, 200);
  EXPECT_EQ(headers(packed)["Content-Encoding"], "gzip");
  EXPECT_EQ(headers(packed)["Vary"], "Accept-Encoding");
  EXPECT_LT(packed.body.size(), script.size() / 2);
  // It inflates to the file.
  z_stream z{};
  ASSERT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string inflated(script.size() + 16, '\0');
  z.next_in = reinterpret_cast<Bytef*>(packed.body.data());
  z.avail_in = static_cast<uInt>(packed.body.size());
  z.next_out = reinterpret_cast<Bytef*>(inflated.data());
  z.avail_out = static_cast<uInt>(inflated.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  inflated.resize(z.total_out);
  inflateEnd(&z);
  EXPECT_EQ(inflated, script);

  for (const char* refuses : {"", "identity", "gzip;q=0", "br, gzip; q=0.000", "deflate"}) {
    auto plain = Call("GET", "/assets/app-9f8e.js", {{"accept-encoding", refuses}});
    EXPECT_EQ(plain.body, script) << refuses;
    EXPECT_TRUE(headers(plain)["Content-Encoding"].empty()) << refuses;
  }
  EXPECT_EQ(
      headers(Call("GET", "/assets/app-9f8e.js", {{"accept-encoding", "*"}}))["Content-Encoding"],
      "gzip");
  // Images are not compressed; nor is any API response.
  EXPECT_TRUE(
      headers(Call("GET", "/assets/logo.png", {{"accept-encoding", "gzip"}}))["Content-Encoding"]
          .empty());
  auto health = Call("GET", "/api/v1/health", {{"accept-encoding", "gzip"}});
  EXPECT_TRUE(headers(health)["Content-Encoding"].empty());
}

}  // namespace
}  // namespace heartbase::api
