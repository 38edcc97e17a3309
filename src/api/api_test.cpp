#include "api/api.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <map>
#include <memory>
#include <string>

#include "api/internal/context.h"
#include "auth/base32.h"
#include "auth/login.h"
#include "auth/password.h"
#include "auth/tokens.h"
#include "auth/totp.h"
#include "auth/users.h"
#include "ingest/pipeline.h"
#include "store/migrations.h"
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
    if (p.ends_with("/trends")) p += "?code=721344";
    return p;
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
      {"GET /api/v1/openapi.json", false},
      {"GET /api/v1/patients", true},
      {"GET /api/v1/patients/{id}", true},
      {"GET /api/v1/patients/{id}/trends", true},
      {"GET /api/v1/interrogations", true},
      {"GET /api/v1/interrogations/{id}", true},
      {"GET /api/v1/audit", false},
  };
  for (const internal::Route& route : internal::Routes()) {
    const std::string key = fmt::format("{} {}", route.method, route.path);
    SCOPED_TRACE(key);
    ASSERT_TRUE(patient_data.contains(key)) << "route missing from the inventory test";
    if (route.own_transaction) continue;  // sign-in and public documents: tested separately
    const std::string target = Fill(route.path);
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
      int expected = 200;
      if (route.method == "POST") {
        expected = 400;  // sign-out and MFA enrolment are for sessions, not tokens
      } else if (route.permission && !auth::RolePermissions(role).Has(*route.permission)) {
        expected = 403;
      } else if (!home && route.path.find("{id}") != std::string_view::npos) {
        expected = 404;  // another clinic's patient does not exist for this user
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
  auto enrol = Call("POST", "/api/v1/auth/mfa/enroll", h);
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

}  // namespace
}  // namespace heartbase::api
