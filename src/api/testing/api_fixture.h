// The API test fixture shared by api_test, api_workflow_test and api_admin_test: a database with
// one patient in clinic 1, a user and a token for every role in clinic 1 and in clinic 2, and
// helpers to call the API as each of them.
#pragma once

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
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/api.h"
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
#include "store/testing/temp_dir.h"
#include "store/testing/test_store.h"

namespace heartbase::api::testing {

using Role = auth::Role;

constexpr std::string_view kCanaryName = "Qwzxcanary";
constexpr std::string_view kCanaryMrn = "MRN7730551";

inline std::string Message(std::string_view control, std::string_view serial,
                           std::string_view family, std::string_view mrn) {
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
    auto store = store::testing::OpenTestStore(dir_);
    ASSERT_TRUE(store) << store.error().Describe();
    db_ = std::move(store->db);
    migrations_ = store->migrations;
    ASSERT_TRUE(store::Migrate(*db_, migrations_, false));
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

  net::HttpResponse As(const std::string& user, std::string method, std::string target,
                       std::string body = "") {
    return Call(std::move(method), std::move(target),
                {{"authorization", "Bearer " + tokens_[user]}}, std::move(body));
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

  // From now on every audit record fails to be written (a trigger in the driver's dialect).
  base::Status InjectAuditFailure() {
    const bool postgres = store::testing::TestStoreIsPostgres();
    return store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& t) {
      if (postgres) {
        auto f = t.Execute(
            "CREATE FUNCTION audit_fails() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'injected audit failure'; END $$");
        if (!f) return base::Status(f.error());
      }
      auto r = t.Execute(postgres ? "CREATE TRIGGER audit_fails BEFORE INSERT ON audit_event "
                                    "FOR EACH ROW EXECUTE FUNCTION audit_fails()"
                                  : "CREATE TRIGGER audit_fails BEFORE INSERT ON audit_event "
                                    "BEGIN SELECT RAISE(ABORT, 'injected audit failure'); END");
      return r ? base::Status() : base::Status(r.error());
    });
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
    if (auto at = p.find("{device_type}"); at != std::string::npos) p.replace(at, 13, "icd");
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
  std::span<const store::Migration> migrations_;
  std::unique_ptr<crypto::KeyRing> keys_;
  ApiOptions options_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<Api> api_;
  std::int64_t now_ = 1'800'000'000'000'000;
  std::int64_t patient_ = 0, interrogation_ = 0;
  std::map<std::string, std::string> tokens_;
};

inline void ExpectSecurityHeaders(const net::HttpResponse& r) {
  std::map<std::string, std::string> h(r.headers.begin(), r.headers.end());
  EXPECT_NE(h["Content-Security-Policy"].find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(h["Content-Security-Policy"].find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(h["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(h["Referrer-Policy"], "no-referrer");
  EXPECT_EQ(h["Cache-Control"], "no-store");
  EXPECT_EQ(h["X-Correlation-Id"].size(), 16u);
}

inline bool Contains(const std::vector<std::string>& v, std::string_view x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// One page of a list: the id that opens each item, each item's clinic, and the cursor ("" when
// the list is done).
struct ListPage {
  std::vector<std::int64_t> ids;
  std::vector<std::int64_t> clinics;
  std::string cursor;
};

inline ListPage ReadListPage(const std::string& body, std::string_view id_key) {
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

}  // namespace heartbase::api::testing
