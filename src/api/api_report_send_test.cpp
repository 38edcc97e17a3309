// Sending a signed report through the API: the recipients a caller may choose from, and the send
// itself (step-up, clinic scope, a signed report required, one job naming the report, idempotent,
// one audit record without the address).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/testing/api_fixture.h"
#include "store/report_recipients.h"
#include "store/reports.h"

namespace heartbase::api {
namespace {

using testing::ApiTest;
using testing::kCanaryMrn;
using testing::kCanaryName;
using testing::Role;

constexpr std::string_view kFingerprint = "0123456789abcdef0123456789abcdef";
constexpr std::string_view kReferrer = "a.referrer@praxis-nord.example";

class ReportSendTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    AddPerson("doc", Role::kPhysician, kPassword);
    AddPerson("doc-other", Role::kPhysician, kPassword, false, 2);
    own_ = AddRecipient(1, "Dr. A. Referrer", store::OutboxChannel::kEmail, kReferrer);
    other_clinic_ = AddRecipient(2, "Dr. Elsewhere", store::OutboxChannel::kFax, "+4930999999");
    disabled_ = AddRecipient(1, "Dr. Retired", store::OutboxChannel::kFax, "+4930111111");
    ASSERT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& tx) {
      return store::DisableReportRecipient(tx, disabled_);
    }));
  }

  std::int64_t AddRecipient(std::int64_t clinic, std::string_view name,
                            store::OutboxChannel channel, std::string_view address) {
    std::int64_t id = 0;
    EXPECT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& tx) {
      auto r = store::AddReportRecipient(tx, *keys_, clinic, name, channel, address, now_);
      if (!r) return base::Status(r.error());
      id = *r;
      return base::Status();
    }));
    return id;
  }

  std::int64_t SignReport() {
    std::int64_t id = 0;
    EXPECT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& tx) {
      auto r = store::InsertSignedReport(tx, *keys_, interrogation_, "%PDF-1.7\n%test report\n",
                                         "a4", kFingerprint, now_);
      if (!r) return base::Status(r.error());
      id = r->id;
      return base::Status();
    }));
    return id;
  }

  net::HttpResponse Send(const std::vector<std::pair<std::string, std::string>>& session,
                         std::int64_t recipient, std::int64_t interrogation = 0) {
    return Call("POST",
                fmt::format("/api/v1/interrogations/{}/report/send",
                            interrogation == 0 ? interrogation_ : interrogation),
                session, fmt::format(R"({{"recipient_id":{}}})", recipient));
  }

  std::vector<store::OutboxJobSummary> Jobs() {
    auto tx = db_->Begin(store::Access::kRead);
    return *store::ListOutboxJobs(**tx, store::OutboxState::kPending, 100);
  }

  std::int64_t AuditOf(std::string_view action_outcome) {
    std::int64_t n = 0;
    for (const std::string& a : AuditActions()) n += a == action_outcome ? 1 : 0;
    return n;
  }

  inline static const std::string kPassword = "violet anchor sixteen orchards";
  std::int64_t own_ = 0, other_clinic_ = 0, disabled_ = 0;
};

TEST_F(ReportSendTest, ListsTheEnabledRecipientsOfTheCallersClinicsWithMaskedAddresses) {
  const auto doc = SignIn("doc", kPassword);
  auto r = Call("GET", "/api/v1/report-recipients", doc);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(fmt::format("\"id\":{}", own_)), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"name\":\"Dr. A. Referrer\""), std::string::npos);
  EXPECT_NE(r.body.find("\"channel\":\"email\""), std::string::npos);
  EXPECT_NE(r.body.find("\"clinic_id\":1"), std::string::npos);
  const std::string masked = std::string(kReferrer.size() - 4, '*') + "mple";
  EXPECT_NE(r.body.find("\"address\":\"" + masked + "\""), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(kReferrer), std::string::npos);
  EXPECT_EQ(r.body.find("a.referrer"), std::string::npos);
  EXPECT_EQ(r.body.find("Dr. Elsewhere"), std::string::npos);  // another clinic's
  EXPECT_EQ(r.body.find("Dr. Retired"), std::string::npos);    // disabled
  // The biller may not see them.
  EXPECT_EQ(As("biller-1", "GET", "/api/v1/report-recipients").status, 403);
}

TEST_F(ReportSendTest, SendQueuesOneJobNamingTheReportAndARepeatReturnsIt) {
  const auto doc = SignIn("doc", kPassword);
  const std::int64_t report = SignReport();
  const std::int64_t audits = AuditOf("report.send:success");

  auto first = Send(doc, own_);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_NE(first.body.find("\"created\":true"), std::string::npos) << first.body;
  auto again = Send(doc, own_);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_NE(again.body.find("\"created\":false"), std::string::npos) << again.body;
  const auto jobs = Jobs();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_NE(first.body.find(fmt::format("\"job_id\":{}", jobs[0].id)), std::string::npos);
  EXPECT_NE(again.body.find(fmt::format("\"job_id\":{}", jobs[0].id)), std::string::npos);
  EXPECT_EQ(jobs[0].kind, store::OutboxKind::kReport);
  EXPECT_EQ(jobs[0].channel, store::OutboxChannel::kEmail);
  EXPECT_EQ(jobs[0].idempotency_key, fmt::format("report:{}:{}", report, own_));

  // The job holds the reference, not the PDF, and texts without patient data.
  auto tx = db_->Begin(store::Access::kWrite);
  auto leased = store::LeaseJobs(**tx, db_->dialect(), *keys_, "test", 10, 60'000'000, now_);
  ASSERT_TRUE(leased) << leased.error().Describe();
  ASSERT_EQ(leased->size(), 1u);
  const store::OutboxMessage& m = (*leased)[0].message;
  EXPECT_EQ(m.report_id, report);
  EXPECT_TRUE(m.attachment.empty());
  EXPECT_EQ(m.recipient, kReferrer);
  EXPECT_EQ(m.ticket, fmt::format("HB-{:06}", interrogation_));
  EXPECT_EQ(m.subject, fmt::format("Device follow-up report HB-{:06}", interrogation_));
  const std::string text = m.subject + m.body + m.link;
  EXPECT_EQ(text.find(kCanaryName), std::string::npos) << text;
  EXPECT_EQ(text.find(kCanaryMrn), std::string::npos) << text;
  EXPECT_EQ(text.find("Jane"), std::string::npos) << text;
  tx->reset();

  // One audit record per send, naming recipient and channel, never the address.
  EXPECT_EQ(AuditOf("report.send:success"), audits + 2);
  auto read = db_->Begin(store::Access::kRead);
  auto details = (*read)->Query(
      "SELECT detail, object_id, patient_id FROM audit_event WHERE action = 'report.send' "
      "ORDER BY seq");
  ASSERT_TRUE(details);
  ASSERT_FALSE(details->empty());
  const std::string detail(details->front().Text(0));
  EXPECT_NE(detail.find(fmt::format("recipient={} channel=email", own_)), std::string::npos)
      << detail;
  EXPECT_EQ(detail.find("referrer"), std::string::npos) << detail;
  EXPECT_EQ(details->front().Text(1), std::to_string(interrogation_));
  EXPECT_EQ(details->front().Int(2), patient_);
}

TEST_F(ReportSendTest, SendNeedsAFreshStepUp) {
  const auto doc = SignIn("doc", kPassword);
  SignReport();
  now_ += 6LL * 60 * 1'000'000;  // the sign-in's re-authentication has expired
  auto refused = Send(doc, own_);
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("step_up_required"), std::string::npos) << refused.body;
  EXPECT_TRUE(Jobs().empty());
  // The password in the send itself (as the web application does, like sign-off): a wrong one
  // sends nothing, the right one sends.
  const std::string target = fmt::format("/api/v1/interrogations/{}/report/send", interrogation_);
  auto wrong = Call("POST", target, doc,
                    fmt::format(R"({{"recipient_id":{},"password":"not my password"}})", own_));
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  EXPECT_TRUE(Jobs().empty());
  auto with_password =
      Call("POST", target, doc,
           fmt::format(R"({{"recipient_id":{},"password":"{}"}})", own_, kPassword));
  EXPECT_EQ(with_password.status, 200) << with_password.body;
  EXPECT_EQ(Jobs().size(), 1u);
  // Or a step-up of its own a moment before.
  now_ += 6LL * 60 * 1'000'000;
  EXPECT_EQ(Send(doc, own_).status, 403);
  ASSERT_EQ(
      Call("POST", "/api/v1/auth/step-up", doc, fmt::format(R"({{"password":"{}"}})", kPassword))
          .status,
      200);
  auto repeat = Send(doc, own_);
  EXPECT_EQ(repeat.status, 200) << repeat.body;
  EXPECT_NE(repeat.body.find("\"created\":false"), std::string::npos) << repeat.body;
  EXPECT_EQ(Jobs().size(), 1u);
  // A token never carries a re-authentication.
  auto token = Call("POST", fmt::format("/api/v1/interrogations/{}/report/send", interrogation_),
                    {{"authorization", "Bearer " + tokens_["physician-1"]}},
                    fmt::format(R"({{"recipient_id":{}}})", own_));
  EXPECT_EQ(token.status, 403);
}

TEST_F(ReportSendTest, AnotherClinicsInterrogationIsNotFound) {
  SignReport();
  const auto other = SignIn("doc-other", kPassword);
  for (std::int64_t recipient : {own_, other_clinic_}) {
    auto r = Send(other, recipient);
    EXPECT_EQ(r.status, 404) << r.body;
    EXPECT_EQ(r.body.find(kCanaryName), std::string::npos);
  }
  EXPECT_TRUE(Jobs().empty());
  EXPECT_GE(AuditOf("report.send:denied"), 2);
}

TEST_F(ReportSendTest, WithoutASignedReportTheAnswerIsConflict) {
  const auto doc = SignIn("doc", kPassword);
  auto r = Send(doc, own_);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("not_signed"), std::string::npos);
  EXPECT_TRUE(Jobs().empty());
  EXPECT_EQ(AuditOf("report.send:failed"), 1);
}

TEST_F(ReportSendTest, TheRecipientMustBeAnEnabledOneOfTheInterrogationsClinic) {
  const auto doc = SignIn("doc", kPassword);
  SignReport();
  EXPECT_EQ(Send(doc, other_clinic_).status, 404);
  EXPECT_EQ(Send(doc, 9999).status, 404);
  EXPECT_EQ(Send(doc, disabled_).status, 400);
  for (const char* body : {"", "{}", R"({"recipient_id":"1"})", R"({"recipient_id":-1})"}) {
    EXPECT_EQ(Call("POST", fmt::format("/api/v1/interrogations/{}/report/send", interrogation_),
                   doc, body)
                  .status,
              400)
        << body;
  }
  EXPECT_TRUE(Jobs().empty());
}

}  // namespace
}  // namespace heartbase::api
