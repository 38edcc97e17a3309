#include "api/api.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sodium.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "api/internal/context.h"
#include "auth/base32.h"
#include "auth/login.h"
#include "auth/password.h"
#include "auth/tokens.h"
#include "auth/totp.h"
#include "auth/users.h"
#include "base/base64.h"
#include "ingest/pipeline.h"
#include "rules/rule_set.h"
#include "store/migrations.h"
#include "store/outbox.h"
#include "store/review.h"
#include "store/sqlite/sqlite_database.h"
#include "store/testing/temp_dir.h"

namespace heartbase::api {
namespace {

using auth::Role;

constexpr std::string_view kCanaryName = "Qwzxcanary";
constexpr std::string_view kCanaryMrn = "MRN7730551";

std::string Message(std::string_view control, std::string_view serial, std::string_view family,
                    std::string_view mrn) {
  return fmt::format(
      "MSH|^~\\&|CARELINK|MDT|||20260101120500+0000||ORU^R01^ORU_R01|{}|P|2.6|||AL|NE\r"
      "PID|||model:A3DR01/serial:{}^^^MDT^U~{}^^^HOSP^MR||{}^Jane||19480312|F\r"
      "OBR|1||S-{}|754053^MDC_IDC_ENUM_SESS_TYPE_RemoteScheduled^MDC|||20260101120000+0000\r"
      "OBX|1|CWE|720897^MDC_IDC_DEV_TYPE^MDC||753665^MDC_IDC_ENUM_DEV_TYPE_IPG^MDC\r"
      "OBX|2|ST|720899^MDC_IDC_DEV_SERIAL^MDC||{}\r"
      "OBX|3|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC||2.95|V\r",
      control, serial, mrn, family, control, serial);
}

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sodium_init() >= 0, true);
    auto db = store::OpenSqlite({.path = dir_.File("heartbase.db"), .create = true});
    ASSERT_TRUE(db);
    db_ = std::move(*db);
    ASSERT_TRUE(store::Migrate(*db_, store::SqliteMigrations(), false));
    auto keys = crypto::KeyRing::Generate();
    ASSERT_TRUE(keys);
    keys_ = std::make_unique<crypto::KeyRing>(std::move(*keys));
    options_.auth.password.opslimit = crypto_pwhash_OPSLIMIT_MIN;
    options_.auth.password.memlimit = crypto_pwhash_MEMLIMIT_MIN;
    options_.now_us = [this] { return now_; };
    options_.rules = std::make_shared<rules::RuleBook>(*rules::ParseRuleSet(""));
    auto a = auth::Authenticator::Create(*db_, *keys_, options_.auth, true);
    ASSERT_TRUE(a) << a.error().Describe();
    authenticator_ = std::make_unique<auth::Authenticator>(std::move(*a));
    api_ = std::make_unique<Api>(*db_, *keys_, *authenticator_, options_);

    // Clinic 1 ("Main clinic") holds the patient; clinic 2 does not.
    ingest::Pipeline pipeline(*db_, *keys_);
    auto out = pipeline.Ingest(Message("C1", "PZK600806S", kCanaryName, kCanaryMrn), "test");
    ASSERT_TRUE(out);
    ASSERT_EQ(out->disposition, ingest::Disposition::kStored);
    interrogation_ = out->id;
    auto tx = db_->Begin(store::Access::kRead);
    patient_ = (*(*tx)->Query("SELECT patient_id FROM interrogation"))[0].Int(0);
    tx->reset();

    ASSERT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& t) {
      auto other = auth::CreateClinic(t, "Other clinic", now_);
      if (!other) return base::Status(other.error());
      for (Role role : auth::AllRoles()) {
        for (auth::ClinicId clinic : {auth::ClinicId{1}, *other}) {
          const bool home = clinic == auth::ClinicId{1};
          auth::NewUser u{.name = fmt::format("{}-{}", auth::RoleName(role), home ? 1 : 2),
                          .display_name = "Test user",
                          .role = role,
                          .clinics = {clinic}};
          auto id = auth::CreateUser(t, u, nullptr, now_);
          if (!id) return base::Status(id.error());
          auth::TokenRequest req{
              .user_id = *id, .label = "test", .scopes = auth::RolePermissions(role)};
          if (req.scopes.empty()) req.scopes = auth::PermissionSet{auth::Permission::kPatientRead};
          auto token = auth::CreateToken(t, *keys_, req, options_.auth.tokens, now_);
          if (!token) {
            // A role without any permission gets no token; it is walked through sessions.
            continue;
          }
          tokens_[u.name] = token->token;
        }
      }
      return base::Status();
    }));
  }

  net::HttpResponse Call(std::string method, std::string target,
                         std::vector<std::pair<std::string, std::string>> headers = {},
                         std::string body = {}) {
    net::HttpRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.headers = std::move(headers);
    r.body = std::move(body);
    r.peer_address = "127.0.0.1";
    r.tls = true;
    r.headers.emplace_back("host", "localhost");
    return api_->Handle(r);
  }

  net::HttpResponse As(const std::string& user, std::string method, std::string target) {
    return Call(std::move(method), std::move(target),
                {{"authorization", "Bearer " + tokens_[user]}});
  }

  // The request as the HTTP server makes it: HandleAsync, waiting for its response.
  net::HttpResponse AsAsync(const std::string& user, std::string method, std::string target) {
    net::HttpRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.headers = {{"authorization", "Bearer " + tokens_[user]}, {"host", "localhost"}};
    r.peer_address = "127.0.0.1";
    r.tls = true;
    std::promise<net::HttpResponse> given;
    int calls = 0;
    api_->HandleAsync(r, [&](net::HttpResponse response) {
      ++calls;
      given.set_value(std::move(response));
    });
    auto future = given.get_future();
    EXPECT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    net::HttpResponse response = future.get();
    EXPECT_EQ(calls, 1);
    return response;
  }

  std::int64_t AuditCount() {
    auto tx = db_->Begin(store::Access::kRead);
    return (*(*tx)->Query("SELECT COUNT(*) FROM audit_event"))[0].Int(0);
  }

  std::string Fill(std::string_view path) {
    std::string p(path);
    const std::string id = path.find("/interrogations/") != std::string_view::npos
                               ? std::to_string(interrogation_)
                               : std::to_string(patient_);
    if (auto at = p.find("{id}"); at != std::string::npos) p.replace(at, 4, id);
    if (auto at = p.find("{index}"); at != std::string::npos) p.replace(at, 7, "1");
    if (p.ends_with("/trends")) p += "?code=721344";
    return p;
  }

  // A person with a password, in clinic 1.
  void AddPerson(const std::string& name, Role role, const std::string& password, bool mfa = false,
                 std::int64_t clinic = 1) {
    ASSERT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& t) {
      auto prepared = auth::PreparePassword(password, {.user_name = name, .mfa_enforced = mfa},
                                            auth::Blocklist::BuiltIn(), options_.auth.password);
      if (!prepared) return base::Status(prepared.error());
      auto id = auth::CreateUser(t,
                                 {.name = name,
                                  .display_name = name,
                                  .role = role,
                                  .mfa_required = mfa,
                                  .clinics = {auth::ClinicId{clinic}}},
                                 &*prepared, now_);
      return id ? base::Status() : base::Status(id.error());
    }));
  }

  // Signs in; returns the cookie and CSRF headers of the session.
  std::vector<std::pair<std::string, std::string>> SignIn(const std::string& name,
                                                          const std::string& password) {
    auto r = Call("POST", "/api/v1/auth/login", {},
                  fmt::format(R"({{"name":"{}","password":"{}"}})", name, password));
    EXPECT_EQ(r.status, 200) << r.body;
    std::string session;
    for (const auto& [k, v] : r.headers) {
      if (k == "Set-Cookie") session = v.substr(0, v.find(';'));
    }
    const auto at = r.body.find("\"csrf_token\":\"") + 14;
    return {{"cookie", session}, {"x-csrf-token", r.body.substr(at, r.body.find('"', at) - at)}};
  }

  // An administrator with TOTP, just signed in (which counts as a fresh re-authentication for a
  // few minutes): the cookie and CSRF headers of the session.
  std::vector<std::pair<std::string, std::string>> SteppedUpAdministrator() {
    const std::string pw = "quartz meadow lantern ninety";
    AddPerson("root-admin", Role::kAdministrator, pw, true);
    auto first = SignIn("root-admin", pw);
    auto enrol =
        Call("POST", "/api/v1/auth/mfa/enroll", first, fmt::format(R"({{"password":"{}"}})", pw));
    const auto s0 = enrol.body.find("\"secret\":\"") + 10;
    const std::string secret =
        *auth::Base32Decode(enrol.body.substr(s0, enrol.body.find('"', s0) - s0));
    const auto code_at = [&](std::int64_t t) {
      return auth::HotpCode(secret, static_cast<std::uint64_t>(auth::TotpStep(t)), 6);
    };
    EXPECT_EQ(Call("POST", "/api/v1/auth/mfa/confirm", first,
                   fmt::format(R"({{"code":"{}"}})", code_at(now_)))
                  .status,
              200);
    now_ += 31'000'000;
    auto login = Call(
        "POST", "/api/v1/auth/login", {},
        fmt::format(R"({{"name":"root-admin","password":"{}","totp":"{}"}})", pw, code_at(now_)));
    EXPECT_EQ(login.status, 200) << login.body;
    std::string session;
    for (const auto& [k, v] : login.headers) {
      if (k == "Set-Cookie") session = v.substr(0, v.find(';'));
    }
    const auto at = login.body.find("\"csrf_token\":\"") + 14;
    return {{"cookie", session},
            {"x-csrf-token", login.body.substr(at, login.body.find('"', at) - at)}};
  }

  std::vector<std::string> AuditActions() {
    auto tx = db_->Begin(store::Access::kRead);
    std::vector<std::string> out;
    for (const auto& r :
         *(*tx)->Query("SELECT action || ':' || outcome FROM audit_event ORDER BY seq")) {
      out.emplace_back(r.Text(0));
    }
    return out;
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<crypto::KeyRing> keys_;
  ApiOptions options_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<Api> api_;
  std::int64_t now_ = 1'800'000'000'000'000;
  std::int64_t patient_ = 0, interrogation_ = 0;
  std::map<std::string, std::string> tokens_;
};

void ExpectSecurityHeaders(const net::HttpResponse& r) {
  std::map<std::string, std::string> h(r.headers.begin(), r.headers.end());
  EXPECT_NE(h["Content-Security-Policy"].find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(h["Content-Security-Policy"].find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(h["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(h["Referrer-Policy"], "no-referrer");
  EXPECT_EQ(h["Cache-Control"], "no-store");
  EXPECT_EQ(h["X-Correlation-Id"].size(), 16u);
}

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
      {"POST /api/v1/interrogations/{id}/link", true},
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
      {"GET /api/v1/admin/unassigned", false},
      {"POST /api/v1/admin/patients/{id}/move", false},
      {"GET /api/v1/rules", false},
      {"GET /api/v1/rules/{id}", false},
      {"POST /api/v1/rules", false},
      {"POST /api/v1/rules/{id}/shadow", false},
      {"POST /api/v1/rules/{id}/activate", false},
      {"POST /api/v1/admin/clinics", false},
  };
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
      } else if (route.method == "POST") {
        expected = 400;  // no body here; sign-out and MFA enrolment are for sessions
      } else if (hidden) {
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
  ASSERT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [](store::Transaction& t) {
    auto r = t.Execute(
        "CREATE TRIGGER audit_fails BEFORE INSERT ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'injected audit failure'); END");
    return r ? base::Status() : base::Status(r.error());
  }));
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
  ASSERT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [](store::Transaction& t) {
    auto c = t.Execute(
        "CREATE TRIGGER audit_fails BEFORE INSERT ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'injected audit failure'); END");
    return c ? base::Status() : base::Status(c.error());
  }));
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

bool Contains(const std::vector<std::string>& v, std::string_view x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The triage workflow: the queue lists the new interrogation; a clinician assigns and reviews it;
// the physician's sign-off needs the password again and locks it; it leaves the queue; each step
// is in the audit trail.
TEST_F(ApiTest, QueueReviewAndSignOffWithReauthentication) {
  const std::string nurse_pw = "copper kettle morning drizzle";
  const std::string doc_pw = "violet anchor sixteen orchards";
  AddPerson("nurse", Role::kDeviceClinician, nurse_pw);
  AddPerson("doc", Role::kPhysician, doc_pw);
  const auto nurse = SignIn("nurse", nurse_pw);
  const auto doc = SignIn("doc", doc_pw);
  const std::string base = fmt::format("/api/v1/interrogations/{}", interrogation_);

  auto queue = Call("GET", "/api/v1/queue", nurse);
  ASSERT_EQ(queue.status, 200) << queue.body;
  EXPECT_NE(queue.body.find(fmt::format("\"interrogation_id\":{}", interrogation_)),
            std::string::npos);
  EXPECT_NE(queue.body.find(kCanaryName), std::string::npos);  // the clinic sees its patient
  EXPECT_NE(queue.body.find("\"state\":\"new\""), std::string::npos);
  // Another clinic's clinician sees an empty queue.
  auto other = As("device_clinician-2", "GET", "/api/v1/queue");
  ASSERT_EQ(other.status, 200);
  EXPECT_EQ(other.body.find(kCanaryName), std::string::npos);

  auto assign = Call("POST", base + "/assign", nurse, R"({"assignee":"me"})");
  ASSERT_EQ(assign.status, 200) << assign.body;
  EXPECT_NE(assign.body.find("\"assigned_to\":\"nurse\""), std::string::npos);
  auto mine = Call("GET", "/api/v1/queue?assigned=me", nurse);
  EXPECT_NE(mine.body.find(fmt::format("\"interrogation_id\":{}", interrogation_)),
            std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v1/queue?assigned=me", doc).body.find("interrogation_id"),
            std::string::npos);

  auto review = Call("POST", base + "/review", nurse, R"({"note":"RV impedance stable"})");
  ASSERT_EQ(review.status, 200) << review.body;
  EXPECT_NE(review.body.find("\"state\":\"reviewed\""), std::string::npos);
  EXPECT_NE(review.body.find("RV impedance stable"), std::string::npos);
  // The note is sealed in the database.
  {
    auto tx = db_->Begin(store::Access::kRead);
    auto rows = (*tx)->Query("SELECT note FROM interrogation_note");
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ(std::string((*rows)[0].Blob(0)).find("impedance"), std::string::npos);
  }
  // A clinician may not sign off; a physician must give the password again.
  EXPECT_EQ(Call("POST", base + "/signoff", nurse, fmt::format(R"({{"password":"{}"}})", nurse_pw))
                .status,
            403);
  auto wrong = Call("POST", base + "/signoff", doc, R"({"password":"not my password at all"})");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_NE(wrong.body.find("reauth_failed"), std::string::npos);
  auto sign = Call("POST", base + "/signoff", doc,
                   fmt::format(R"({{"password":"{}","note":"No action needed"}})", doc_pw));
  ASSERT_EQ(sign.status, 200) << sign.body;
  EXPECT_NE(sign.body.find("\"state\":\"signed\""), std::string::npos);
  EXPECT_NE(sign.body.find("\"signed_by\":\"doc\""), std::string::npos);

  // Locked: out of the queue; no more review, assignment or sign-off.
  EXPECT_EQ(Call("GET", "/api/v1/queue", nurse).body.find("interrogation_id"), std::string::npos);
  EXPECT_EQ(Call("POST", base + "/review", nurse, R"({"note":"late"})").status, 409);
  EXPECT_EQ(Call("POST", base + "/assign", nurse, R"({"assignee":null})").status, 409);
  EXPECT_EQ(
      Call("POST", base + "/signoff", doc, fmt::format(R"({{"password":"{}"}})", doc_pw)).status,
      409);
  auto detail = Call("GET", base, doc);
  ASSERT_EQ(detail.status, 200);
  EXPECT_NE(detail.body.find("\"review\":{\"state\":\"signed\""), std::string::npos) << detail.body;
  EXPECT_NE(detail.body.find("\"previous_id\":null"), std::string::npos);

  const auto actions = AuditActions();
  for (const char* a :
       {"queue.read:success", "interrogation.assign:success", "interrogation.review:success",
        "reauthenticate:denied", "reauthenticate:success", "interrogation.signoff:success",
        "interrogation.signoff:denied"}) {
    EXPECT_TRUE(Contains(actions, a)) << a;
  }
}

// A sign-off tells the configured recipients in its own transaction: one job each, keyed so that
// it exists once, naming a ticket and never the patient; a refused sign-off tells nobody.
TEST_F(ApiTest, SignOffQueuesNoticeForEachRecipient) {
  options_.signoff_recipients = {{store::OutboxChannel::kEmail, "billing@clinic.example"},
                                 {store::OutboxChannel::kPager, "4711"}};
  api_ = std::make_unique<Api>(*db_, *keys_, *authenticator_, options_);
  const std::string doc_pw = "violet anchor sixteen orchards";
  AddPerson("doc", Role::kPhysician, doc_pw);
  const auto doc = SignIn("doc", doc_pw);
  const std::string base = fmt::format("/api/v1/interrogations/{}", interrogation_);
  auto pending = [&] {
    auto tx = db_->Begin(store::Access::kRead);
    return *store::ListOutboxJobs(**tx, store::OutboxState::kPending, 10);
  };

  EXPECT_EQ(Call("POST", base + "/signoff", doc, R"({"password":"not my password at all"})").status,
            401);
  EXPECT_TRUE(pending().empty());
  ASSERT_EQ(
      Call("POST", base + "/signoff", doc, fmt::format(R"({{"password":"{}"}})", doc_pw)).status,
      200);
  EXPECT_EQ(
      Call("POST", base + "/signoff", doc, fmt::format(R"({{"password":"{}"}})", doc_pw)).status,
      409);
  const auto jobs = pending();
  ASSERT_EQ(jobs.size(), 2u);
  std::vector<std::string> keys;
  for (const auto& j : jobs) {
    EXPECT_EQ(j.kind, store::OutboxKind::kSignoff);
    keys.push_back(j.idempotency_key);
  }
  EXPECT_TRUE(
      Contains(keys, fmt::format("signoff:{}:email:billing@clinic.example", interrogation_)));
  EXPECT_TRUE(Contains(keys, fmt::format("signoff:{}:pager:4711", interrogation_)));

  auto tx = db_->Begin(store::Access::kWrite);
  auto leased = store::LeaseJobs(**tx, db_->dialect(), *keys_, "test", 10, 60'000'000, now_);
  ASSERT_TRUE(leased) << leased.error().Describe();
  ASSERT_EQ(leased->size(), 2u);
  for (const store::LeasedJob& j : *leased) {
    const std::string text = j.message.subject + j.message.body + j.message.link;
    EXPECT_NE(text.find(fmt::format("HB-{:06}", interrogation_)), std::string::npos) << text;
    EXPECT_EQ(text.find(kCanaryName), std::string::npos) << text;
    EXPECT_EQ(text.find(kCanaryMrn), std::string::npos) << text;
  }
}

// Most severe first, then oldest; pages follow each other with the cursor; overdue is against the
// request's time.
TEST_F(ApiTest, QueueOrdersBySeverityThenAgeAcrossPages) {
  ingest::Pipeline pipeline(*db_, *keys_);
  std::vector<std::int64_t> ids = {interrogation_};
  for (int i = 0; i < 3; ++i) {
    now_ += 1'000'000;
    auto out = pipeline.Ingest(
        Message(fmt::format("Q{}", i), "PZK600806S", kCanaryName, kCanaryMrn), "test");
    ASSERT_TRUE(out);
    ids.push_back(out->id);
  }
  // ids[2] red (overdue), ids[3] yellow, the others none.
  ASSERT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& t) {
    if (auto s = store::SetPriority(t, ids[2], 3, now_ - 1); !s) return s;
    return store::SetPriority(t, ids[3], 2, now_ + 1'000'000'000);
  }));
  std::vector<std::int64_t> seen;
  std::string cursor;
  for (int page = 0; page < 4; ++page) {
    auto r = As("physician-1", "GET",
                "/api/v1/queue?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    for (std::size_t at = r.body.find("\"interrogation_id\":"); at != std::string::npos;
         at = r.body.find("\"interrogation_id\":", at + 1)) {
      seen.push_back(std::stoll(r.body.substr(at + 19)));
    }
    if (page == 0) {
      EXPECT_NE(r.body.find("\"severity\":\"red\""), std::string::npos);
      EXPECT_NE(r.body.find("\"overdue\":true"), std::string::npos);
    }
    const auto c = r.body.find("\"next_cursor\":\"");
    if (c == std::string::npos) break;
    cursor = r.body.substr(c + 15, r.body.find('"', c + 15) - c - 15);
  }
  // Sessions of the same device are distinct messages here (different OBR-3), so all four are
  // current.
  const std::vector<std::int64_t> expected = {ids[2], ids[3], ids[0], ids[1]};
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(As("physician-1", "GET", "/api/v1/queue?cursor=garbage").status, 400);
}

TEST_F(ApiTest, UnmatchedInterrogationIsLinkedToAnExistingPatient) {
  const std::string pw = "saffron tide ninety lamps";
  AddPerson("nurse", Role::kDeviceClinician, pw);
  const auto nurse = SignIn("nurse", pw);
  // The first patient is accepted; a second message from another device is unmatched.
  auto accept = Call("POST", fmt::format("/api/v1/interrogations/{}/link", interrogation_), nurse,
                     R"({"create":true})");
  ASSERT_EQ(accept.status, 200) << accept.body;
  ingest::Pipeline pipeline(*db_, *keys_);
  auto second = pipeline.Ingest(Message("C2", "RNB204511S", "Other", "MRN1"), "test");
  ASSERT_TRUE(second);
  auto list = Call("GET", "/api/v1/interrogations?unmatched=1", nurse);
  EXPECT_NE(list.body.find(fmt::format("\"id\":{}", second->id)), std::string::npos) << list.body;
  EXPECT_EQ(list.body.find(fmt::format("\"id\":{},", interrogation_)), std::string::npos);
  const std::string link = fmt::format("/api/v1/interrogations/{}/link", second->id);
  EXPECT_EQ(Call("POST", link, nurse, R"({"patient_id":999999})").status, 404);
  auto linked = Call("POST", link, nurse, fmt::format(R"({{"patient_id":{}}})", patient_));
  ASSERT_EQ(linked.status, 200) << linked.body;
  auto detail = Call("GET", fmt::format("/api/v1/patients/{}", patient_), nurse);
  EXPECT_NE(detail.body.find("RNB204511S"), std::string::npos);            // the device moved
  EXPECT_EQ(Call("POST", link, nurse, R"({"create":true})").status, 409);  // already matched
  // The next message from that device now matches the patient.
  auto third = pipeline.Ingest(Message("C3", "RNB204511S", "Other", "MRN1"), "test");
  ASSERT_TRUE(third);
  EXPECT_FALSE(third->new_patient);
  auto tx = db_->Begin(store::Access::kRead);
  const store::Param p[] = {{"id", third->id}};
  EXPECT_EQ((*(*tx)->Query("SELECT patient_id FROM interrogation WHERE id = :id", p))[0].Int(0),
            patient_);
}

// Another clinic cannot take a clinic's unmatched patients: whatever the interrogation's state
// (unmatched, matched, missing) another clinic's link answers the same 404 and changes nothing;
// enumerating ids claims nothing. Linking never moves a patient between clinics.
TEST_F(ApiTest, AnotherClinicCannotClaimUnmatchedInterrogations) {
  ingest::Pipeline pipeline(*db_, *keys_);
  const store::ClinicScope clinic1{.clinics = {1}};
  auto unmatched = pipeline.Ingest(Message("C7", "RNB204511S", "Other", "MRN7"), "test", clinic1);
  ASSERT_TRUE(unmatched);
  ASSERT_TRUE(unmatched->new_patient);
  const auto patient_of = [&](std::int64_t interrogation) {
    auto tx = db_->Begin(store::Access::kRead);
    const store::Param p[] = {{"id", interrogation}};
    return (
        *(*tx)->Query("SELECT p.id, p.clinic_id, p.unmatched FROM interrogation i JOIN "
                      "patient p ON p.id = i.patient_id WHERE i.id = :id",
                      p))[0];
  };
  const store::Row before = patient_of(unmatched->id);
  EXPECT_EQ(before.Int(1), 1);
  // Clinic 2's physician and device clinician, by token: every id from 1 to 50, both bodies.
  std::set<std::string> answers;
  for (const char* user : {"physician-2", "device_clinician-2"}) {
    for (int id = 1; id <= 50; ++id) {
      for (const std::string& body :
           {std::string(R"({"create":true})"), fmt::format(R"({{"patient_id":{}}})", patient_)}) {
        auto r = Call("POST", fmt::format("/api/v1/interrogations/{}/link", id),
                      {{"authorization", "Bearer " + tokens_[user]}}, body);
        EXPECT_EQ(r.status, 404) << user << " " << id << " " << r.body;
        answers.insert(r.body.substr(0, r.body.find("correlation_id")));
      }
    }
  }
  EXPECT_EQ(answers.size(), 1u);  // one answer for unmatched, matched and missing alike
  const store::Row after = patient_of(unmatched->id);
  EXPECT_EQ(after.Int(0), before.Int(0));
  EXPECT_EQ(after.Int(1), 1);
  EXPECT_EQ(after.Int(2), 1);  // still unmatched, still clinic 1's
  // Clinic 1 may not move it elsewhere by linking or accepting.
  auto moved = Call("POST", fmt::format("/api/v1/interrogations/{}/link", unmatched->id),
                    {{"authorization", "Bearer " + tokens_["physician-1"]}},
                    R"({"create":true,"clinic_id":2})");
  EXPECT_EQ(moved.status, 400) << moved.body;
  auto accepted =
      Call("POST", fmt::format("/api/v1/interrogations/{}/link", unmatched->id),
           {{"authorization", "Bearer " + tokens_["physician-1"]}}, R"({"create":true})");
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(patient_of(unmatched->id).Int(1), 1);
}

// A feed configured with no clinic delivers into the unassigned pool: no clinic's users see it;
// an administrator lists it and moves the patient, with a reason that is sealed in the trail.
TEST_F(ApiTest, TheUnassignedPoolIsRoutedOnlyByAnAdministrator) {
  ingest::Pipeline pipeline(*db_, *keys_);
  auto pooled =
      pipeline.Ingest(Message("C8", "RNB204599S", "Pooled", "MRN8"), "test", store::ClinicScope{});
  ASSERT_TRUE(pooled);
  for (const char* user : {"physician-1", "physician-2", "device_clinician-1"}) {
    auto list = As(user, "GET", "/api/v1/interrogations?unmatched=1");
    EXPECT_EQ(list.body.find(fmt::format("\"id\":{},", pooled->id)), std::string::npos) << user;
    EXPECT_EQ(As(user, "GET", fmt::format("/api/v1/interrogations/{}", pooled->id)).status, 404);
  }
  EXPECT_EQ(As("physician-1", "GET", "/api/v1/admin/unassigned").status, 403);
  auto tx = db_->Begin(store::Access::kRead);
  const store::Param p[] = {{"id", pooled->id}};
  const std::int64_t patient =
      (*(*tx)->Query("SELECT patient_id FROM interrogation WHERE id = :id", p))[0].Int(0);
  tx->reset();
  EXPECT_EQ(
      As("physician-1", "POST", fmt::format("/api/v1/admin/patients/{}/move", patient)).status,
      403);
  const auto h = SteppedUpAdministrator();
  auto pool = Call("GET", "/api/v1/admin/unassigned", h);
  ASSERT_EQ(pool.status, 200) << pool.body;
  EXPECT_NE(pool.body.find(fmt::format("\"id\":{},", pooled->id)), std::string::npos);
  EXPECT_EQ(pool.body.find("Pooled"), std::string::npos);  // ids and senders, no names
  const std::string move = fmt::format("/api/v1/admin/patients/{}/move", patient);
  EXPECT_EQ(Call("POST", move, h, R"({"clinic_id":1})").status, 400);  // no reason
  EXPECT_EQ(Call("POST", move, h, R"({"clinic_id":77,"reason":"x"})").status, 400);
  auto moved = Call("POST", move, h, R"({"clinic_id":1,"reason":"Pooled Smith is ours"})");
  ASSERT_EQ(moved.status, 200) << moved.body;
  auto list = As("physician-1", "GET", "/api/v1/interrogations?unmatched=1");
  EXPECT_NE(list.body.find(fmt::format("\"id\":{},", pooled->id)), std::string::npos);
  auto rtx = db_->Begin(store::Access::kRead);
  auto audit = (*rtx)->Query(
      "SELECT detail, note FROM audit_event WHERE action = 'patient.move' ORDER BY seq DESC");
  ASSERT_TRUE(audit);
  ASSERT_FALSE(audit->empty());
  EXPECT_NE((*audit)[0].Text(0).find("from_clinic=0 to_clinic=1"), std::string::npos);
  EXPECT_EQ((*audit)[0].Blob(1).find("Pooled"), std::string::npos);  // sealed
}

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
    const auto at = body.find("\"correlation_id\"");
    return at == std::string::npos ? body : body.substr(0, at);
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

TEST_F(ApiTest, HL7UploadGoesThroughThePipeline) {
  ingest::Pipeline pipeline(*db_, *keys_);
  options_.upload = [&](std::string_view bytes, std::span<const std::int64_t> clinics) {
    auto out = pipeline.Ingest(bytes, "upload",
                               store::ClinicScope{.clinics = {clinics.begin(), clinics.end()}});
    UploadTally t;
    if (!out) {
      ++t.failed;
    } else if (out->disposition == ingest::Disposition::kStored) {
      ++t.stored;
    } else if (out->disposition == ingest::Disposition::kDuplicate) {
      ++t.duplicate;
    } else {
      ++t.quarantined;
    }
    return t;
  };
  api_ = std::make_unique<Api>(*db_, *keys_, *authenticator_, options_);
  const std::vector<std::pair<std::string, std::string>> h = {
      {"authorization", "Bearer " + tokens_["integration-1"]}};
  auto r = Call("POST", "/api/v1/hl7", h, Message("U1", "UPL000001S", "Upload", "MRN9"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body,
            R"({"stored":1,"duplicate":0,"control_id_reused":0,"quarantined":0,"failed":0})");
  auto again = Call("POST", "/api/v1/hl7", h, Message("U1", "UPL000001S", "Upload", "MRN9"));
  EXPECT_NE(again.body.find("\"duplicate\":1"), std::string::npos);
  auto junk = Call("POST", "/api/v1/hl7", h, "this is not HL7");
  EXPECT_NE(junk.body.find("\"quarantined\":1"), std::string::npos);
  EXPECT_EQ(Call("POST", "/api/v1/hl7", {{"authorization", "Bearer " + tokens_["physician-1"]}},
                 Message("U2", "UPL000002S", "Upload", "MRN9"))
                .status,
            403);
  EXPECT_TRUE(Contains(AuditActions(), "hl7.upload:success"));
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

// One page of a list: the id that opens each item, each item's clinic, and the cursor ("" when
// the list is done).
struct ListPage {
  std::vector<std::int64_t> ids;
  std::vector<std::int64_t> clinics;
  std::string cursor;
};

ListPage ReadListPage(const std::string& body, std::string_view id_key) {
  ListPage page;
  const std::string opens = fmt::format("{{\"{}\":", id_key);
  for (auto at = body.find(opens); at != std::string::npos; at = body.find(opens, at + 1)) {
    page.ids.push_back(std::stoll(body.substr(at + opens.size())));
  }
  const std::string clinic = "\"clinic_id\":";
  for (auto at = body.find(clinic); at != std::string::npos; at = body.find(clinic, at + 1)) {
    page.clinics.push_back(std::stoll(body.substr(at + clinic.size())));
  }
  if (const auto c = body.find("\"next_cursor\":\""); c != std::string::npos) {
    page.cursor = body.substr(c + 15, body.find('"', c + 15) - c - 15);
  }
  return page;
}

// Every list of clinic objects, paged with limits 1, 3 and 20 by a physician of each of two
// clinics whose patients are interleaved: the pages visit exactly the caller's rows, each once and
// in the list's order; the other clinic's rows never appear, never take room on a page (every page
// but the last is full) and are never counted in the audit record.
TEST_F(ApiTest, ListsPageThroughTheCallersClinicOnly) {
  ingest::Pipeline pipeline(*db_, *keys_);
  std::vector<std::int64_t> interrogations = {interrogation_};
  for (int i = 0; i < 30; ++i) {
    now_ += 1'000'000;
    auto out = pipeline.Ingest(Message(fmt::format("L{}", i), fmt::format("PZK7{:05}S", i),
                                       fmt::format("Family{}", i), fmt::format("MRN9{:05}", i)),
                               "test");
    ASSERT_TRUE(out);
    ASSERT_EQ(out->disposition, ingest::Disposition::kStored);
    interrogations.push_back(out->id);
  }
  std::int64_t other = 0;
  ASSERT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& t) {
    auto c = t.Query("SELECT id FROM clinic WHERE name = 'Other clinic'");
    if (!c) return base::Status(c.error());
    other = (*c)[0].Int(0);
    // 12 of the 31 patients move to the other clinic, spread among the first clinic's.
    const store::Param p[] = {{"other", other}};
    if (auto s = t.Execute("UPDATE patient SET clinic_id = :other WHERE id % 5 IN (1, 3)", p); !s) {
      return base::Status(s.error());
    }
    // Some work is urgent, so the queue's order is not the order of arrival.
    for (std::size_t i = 0; i < interrogations.size(); i += 4) {
      if (auto s = store::SetPriority(t, interrogations[i], 2, now_); !s) return s;
    }
    return base::Status();
  }));

  struct List {
    std::string path;
    std::string id_key;
    std::string expected_sql;  // the caller's rows in the list's order, :clinic bound
  };
  const List lists[] = {
      {"/api/v1/patients", "id",
       "SELECT id FROM patient WHERE clinic_id = :clinic ORDER BY id DESC"},
      {"/api/v1/interrogations", "id",
       "SELECT i.id FROM interrogation i JOIN patient p ON p.id = i.patient_id "
       "WHERE p.clinic_id = :clinic AND i.superseded_by IS NULL ORDER BY i.id DESC"},
      {"/api/v1/queue", "interrogation_id",
       "SELECT r.interrogation_id FROM interrogation_review r "
       "JOIN interrogation i ON i.id = r.interrogation_id JOIN patient p ON p.id = i.patient_id "
       "WHERE p.clinic_id = :clinic AND r.state <> 'signed' AND i.superseded_by IS NULL "
       "ORDER BY r.severity DESC, r.received_us, r.interrogation_id"},
  };
  for (const auto& [user, clinic] :
       {std::pair<std::string, std::int64_t>{"physician-1", 1}, {"physician-2", other}}) {
    for (const List& list : lists) {
      std::vector<std::int64_t> expected;
      {
        auto tx = db_->Begin(store::Access::kRead);
        ASSERT_TRUE(tx);
        const store::Param p[] = {{"clinic", clinic}};
        auto rows = (*tx)->Query(list.expected_sql, p);
        ASSERT_TRUE(rows);
        for (const store::Row& r : *rows) expected.push_back(r.Int(0));
      }
      ASSERT_GE(expected.size(), 12u);
      for (int limit : {1, 3, 20}) {
        SCOPED_TRACE(fmt::format("{} {} limit={}", user, list.path, limit));
        std::vector<std::int64_t> seen;
        std::string cursor;
        for (std::size_t pages = 0; pages <= expected.size(); ++pages) {
          auto r = As(user, "GET",
                      fmt::format("{}?limit={}{}", list.path, limit,
                                  cursor.empty() ? "" : "&cursor=" + cursor));
          ASSERT_EQ(r.status, 200) << r.body;
          const ListPage page = ReadListPage(r.body, list.id_key);
          EXPECT_EQ(page.clinics, std::vector<std::int64_t>(page.ids.size(), clinic)) << r.body;
          if (!page.cursor.empty()) {
            EXPECT_EQ(page.ids.size(), static_cast<std::size_t>(limit)) << r.body;
          } else {
            EXPECT_LE(page.ids.size(), static_cast<std::size_t>(limit));
            EXPECT_FALSE(page.ids.empty()) << "an empty last page";
          }
          // The audit record counts what the caller was shown, nothing more.
          auto tx = db_->Begin(store::Access::kRead);
          ASSERT_TRUE(tx);
          auto newest = (*tx)->Query("SELECT detail FROM audit_event ORDER BY seq DESC LIMIT 1");
          ASSERT_TRUE(newest);
          const std::string detail((*newest)[0].Text(0));
          EXPECT_NE(detail.find(fmt::format("results={}", page.ids.size())), std::string::npos)
              << detail;
          seen.insert(seen.end(), page.ids.begin(), page.ids.end());
          cursor = page.cursor;
          if (cursor.empty()) break;
        }
        EXPECT_EQ(seen, expected);
      }
    }
  }
  // A cursor that is not one is refused rather than read as "from the start".
  EXPECT_EQ(As("physician-1", "GET", "/api/v1/patients?cursor=garbage").status, 400);
  EXPECT_EQ(As("physician-1", "GET", "/api/v1/interrogations?cursor=garbage").status, 400);
}

// A page of the largest size still says whether another follows (the one row more that tells is
// not cut off by the page-size cap).
TEST_F(ApiTest, AFullPageOfTheLargestSizeStillHasACursor) {
  ASSERT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& t) {
    auto n = t.Execute(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000) "
        "INSERT INTO patient (created_us, clinic_id) SELECT 0, 1 FROM n");
    return n ? base::Status() : base::Status(n.error());
  }));
  auto first = As("physician-1", "GET", "/api/v1/patients?limit=1000");
  ASSERT_EQ(first.status, 200);
  const ListPage page = ReadListPage(first.body, "id");
  EXPECT_EQ(page.ids.size(), 1000u);
  ASSERT_FALSE(page.cursor.empty());
  auto rest = As("physician-1", "GET", "/api/v1/patients?limit=1000&cursor=" + page.cursor);
  ASSERT_EQ(rest.status, 200);
  EXPECT_EQ(ReadListPage(rest.body, "id").ids, std::vector<std::int64_t>{patient_});
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
