// GET /api/v1/interrogations/{id}/report: a draft before sign-off, the stored signed report after
// it (never replaced), one audit record per view or download, another clinic's 404.
#include <fmt/format.h>

#include "api/testing/api_fixture.h"
#include "crypto/signing_key.h"
#include "report/provenance.h"
#include "store/reports.h"
#include "store/results.h"

namespace heartbase::api::testing {
namespace {

std::string HeaderOf(const net::HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

class ReportApiTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    auto key = crypto::SigningKey::Generate();
    ASSERT_TRUE(key);
    key_.emplace(std::move(*key));
    options_.report_key = &*key_;
    options_.report_signed = [this] { ++pokes_; };
    api_ = std::make_unique<Api>(*db_, *keys_, *authenticator_, options_);
  }

  int Count(std::string_view action) {
    const auto actions = AuditActions();
    return static_cast<int>(std::count(actions.begin(), actions.end(), std::string(action)));
  }

  std::optional<crypto::SigningKey> key_;
  int pokes_ = 0;
};

TEST_F(ReportApiTest, DraftThenTheSignedReportStoredOnceAndNeverReplaced) {
  const std::string doc_pw = "violet anchor sixteen orchards";
  AddPerson("doc", Role::kPhysician, doc_pw);
  const auto doc = SignIn("doc", doc_pw);
  const std::string base = fmt::format("/api/v1/interrogations/{}", interrogation_);

  auto draft = Call("GET", base + "/report?page=letter", doc);
  ASSERT_EQ(draft.status, 200) << draft.body;
  EXPECT_EQ(HeaderOf(draft, "Content-Type"), "application/pdf");
  EXPECT_EQ(HeaderOf(draft, "X-Report-State"), "draft");
  EXPECT_TRUE(draft.body.starts_with("%PDF-"));
  // Shown by the web application in a frame of its own origin, and by nothing else.
  EXPECT_NE(HeaderOf(draft, "Content-Security-Policy").find("frame-ancestors 'self'"),
            std::string::npos);
  EXPECT_EQ(HeaderOf(draft, "X-Frame-Options"), "SAMEORIGIN");
  EXPECT_EQ(HeaderOf(draft, "Content-Disposition"),
            fmt::format("inline; filename=\"follow-up-report-{}-draft.pdf\"", interrogation_));
  auto verified = report::VerifyPdf(draft.body, key_->public_key());
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_NE(verified->record_json.find("\"draft\":true"), std::string::npos);
  EXPECT_NE(verified->record_json.find("\"page_size\":\"letter\""), std::string::npos);
  // No patient identifier in the provenance record.
  EXPECT_EQ(verified->record_json.find(kCanaryName), std::string::npos);
  EXPECT_EQ(verified->record_json.find(kCanaryMrn), std::string::npos);
  EXPECT_EQ(Count("report.view:success"), 1);
  {
    auto tx = db_->Begin(store::Access::kRead);
    EXPECT_FALSE(store::FindSignedReport(**tx, interrogation_)->has_value());  // not stored
  }

  ASSERT_EQ(Call("POST", base + "/signoff", doc,
                 fmt::format(R"({{"password":"{}","note":"No action needed"}})", doc_pw))
                .status,
            200);
  EXPECT_EQ(pokes_, 1);  // the background renderer was told
  auto first = Call("GET", base + "/report?download=1", doc);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(HeaderOf(first, "X-Report-State"), "signed");
  EXPECT_TRUE(HeaderOf(first, "Content-Disposition").starts_with("attachment;"));
  auto signed_record = report::VerifyPdf(first.body, key_->public_key());
  ASSERT_TRUE(signed_record) << signed_record.error().message;
  EXPECT_NE(signed_record->record_json.find("\"signer\":\"doc\""), std::string::npos);
  EXPECT_NE(signed_record->record_json.find("\"draft\":false"), std::string::npos);
  // A draft's page size does not apply to the signed report: it is the clinic's.
  auto second = Call("GET", base + "/report?page=letter", doc);
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(second.body, first.body);  // stored once, served as stored
  EXPECT_EQ(HeaderOf(second, "X-Report-SHA256"), HeaderOf(first, "X-Report-SHA256"));
  {
    auto tx = db_->Begin(store::Access::kWrite);
    auto again = store::InsertSignedReport(**tx, *keys_, interrogation_, "%PDF-other", "a4",
                                           key_->public_key().Fingerprint(), now_);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, base::ErrorCode::kAlreadyExists);
  }
  EXPECT_EQ(Count("report.download:success"), 1);
  EXPECT_EQ(Count("report.view:success"), 2);
}

TEST_F(ReportApiTest, AnotherClinicGetsNotFoundAndTheAttemptIsAudited) {
  auto r = As("device_clinician-2", "GET",
              fmt::format("/api/v1/interrogations/{}/report", interrogation_));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body.find("%PDF"), std::string::npos);
  EXPECT_EQ(Count("report.view:denied"), 1);
  EXPECT_EQ(As("device_clinician-1", "GET", "/api/v1/interrogations/999999/report").status, 404);
  EXPECT_EQ(As("device_clinician-1", "GET",
               fmt::format("/api/v1/interrogations/{}/report?page=a5", interrogation_))
                .status,
            400);
}

TEST_F(ReportApiTest, WithoutASigningKeyReportsAreUnavailable) {
  options_.report_key = nullptr;
  api_ = std::make_unique<Api>(*db_, *keys_, *authenticator_, options_);
  EXPECT_EQ(As("device_clinician-1", "GET",
               fmt::format("/api/v1/interrogations/{}/report", interrogation_))
                .status,
            503);
}

}  // namespace
}  // namespace heartbase::api::testing

namespace heartbase::api::testing {
namespace {

// A sign-off queues one result per EHR destination in its own transaction; the clinic's staff
// see results that were not delivered and can send one again, as a new message.
TEST_F(ReportApiTest, SignOffQueuesResultsAndADeadOneCanBeSentAgain) {
  int queued = 0;
  options_.result_destinations = {"epic", "archive"};
  options_.results_queued = [&queued] { ++queued; };
  api_ = std::make_unique<Api>(*db_, *keys_, *authenticator_, options_);
  const std::string doc_pw = "violet anchor sixteen orchards";
  AddPerson("doc", Role::kPhysician, doc_pw);
  const auto doc = SignIn("doc", doc_pw);
  ASSERT_EQ(Call("POST", fmt::format("/api/v1/interrogations/{}/signoff", interrogation_), doc,
                 fmt::format(R"({{"password":"{}"}})", doc_pw))
                .status,
            200);
  EXPECT_EQ(queued, 1);
  auto pending = As("physician-1", "GET", "/api/v1/results?state=pending");
  ASSERT_EQ(pending.status, 200) << pending.body;
  EXPECT_NE(pending.body.find("\"destination\":\"epic\""), std::string::npos);
  EXPECT_NE(pending.body.find("\"destination\":\"archive\""), std::string::npos);
  EXPECT_EQ(As("physician-2", "GET", "/api/v1/results?state=pending").body.find("epic"),
            std::string::npos);  // another clinic's staff
  std::int64_t epic = 0;
  {
    auto tx = db_->Begin(store::Access::kWrite);
    auto rows = store::ListResults(**tx, *keys_, store::ResultState::kPending, {}, 10);
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 2u);
    for (const auto& r : *rows) {
      EXPECT_EQ(r.control_id, fmt::format("HB{}", r.id));
      if (r.destination == "epic") epic = r.id;
    }
    ASSERT_TRUE((*tx)->Commit());
  }
  // Still pending: a resend is refused.
  const std::string why = R"({"reason":"MRN corrected in the EHR"})";
  EXPECT_EQ(Call("POST", fmt::format("/api/v1/results/{}/resend", epic), doc, why).status, 409);
  {
    auto tx = db_->Begin(store::Access::kWrite);
    ASSERT_TRUE(
        store::MarkResultFailed(**tx, *keys_, epic, "AR", "PID-3: unknown MRN", true, now_, now_));
    ASSERT_TRUE((*tx)->Commit());
  }
  auto dead = As("physician-1", "GET", "/api/v1/results");
  EXPECT_NE(dead.body.find("\"ack_code\":\"AR\""), std::string::npos) << dead.body;
  EXPECT_NE(dead.body.find("PID-3: unknown MRN"), std::string::npos);
  EXPECT_EQ(Call("POST", fmt::format("/api/v1/results/{}/resend", epic), doc, "{}").status, 400);
  auto again = Call("POST", fmt::format("/api/v1/results/{}/resend", epic), doc, why);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(queued, 2);
  // The old row names the new one, and is not sent a third time by a second click.
  EXPECT_NE(As("physician-1", "GET", "/api/v1/results").body.find("\"resent_as\":"),
            std::string::npos);
  auto twice = Call("POST", fmt::format("/api/v1/results/{}/resend", epic), doc, why);
  EXPECT_EQ(twice.status, 409);
  EXPECT_NE(twice.body.find("already_resent"), std::string::npos);
  EXPECT_EQ(Call("POST", fmt::format("/api/v1/results/{}/resend", epic),
                 {{"authorization", "Bearer " + tokens_["physician-2"]}}, why)
                .status,
            404);  // another clinic's result does not exist for them
  EXPECT_EQ(Count("result.resend:success"), 1);
}

}  // namespace
}  // namespace heartbase::api::testing
