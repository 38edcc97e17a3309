// The scheduling and billing routes: plans and visits by role and clinic, the biller's charges and
// exports (each charge once, downloads only for whom may see every charge, audited per patient).
#include <fmt/format.h>

#include <algorithm>

#include "api/testing/api_fixture.h"
#include "store/charges.h"

namespace heartbase::api::testing {
namespace {

class BillingApiTest : public ApiTest {
 protected:
  // Audit records of `action` (any outcome).
  int Count(std::string_view action) {
    const auto actions = AuditActions();  // "action:outcome"
    return static_cast<int>(std::count_if(actions.begin(), actions.end(), [&](const auto& a) {
      return a.starts_with(std::string(action) + ":");
    }));
  }

  // A ready charge for the fixture's patient (clinic 1).
  void AddCharge(std::string_view key) {
    ASSERT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& tx) {
      auto device = tx.Query("SELECT device_id FROM interrogation");
      if (!device) return base::Status(device.error());
      auto id = store::InsertCharge(tx,
                                    {.patient_id = patient_,
                                     .clinic_id = 1,
                                     .device_id = (*device)[0].Int(0),
                                     .period_key = std::string(key),
                                     .code = "93294",
                                     .component = store::ChargeComponent::kProfessional,
                                     .period_start = "2026-01-01",
                                     .period_end = "2026-03-31",
                                     .service_date = "2026-03-31",
                                     .payer = "default",
                                     .reading_physician = "=cmd|' /C calc'!A0",
                                     .interrogations = {interrogation_},
                                     .table_version = "2026.1"},
                                    now_);
      return id ? base::Status() : base::Status(id.error());
    }));
  }
};

TEST_F(BillingApiTest, PlansAndVisitsAreTheClinicsToChange) {
  const std::string plan = fmt::format("/api/v1/patients/{}/plan", patient_);
  auto r = As("device_clinician-1", "PUT", plan,
              R"({"remote_days": 30, "in_clinic_days": null, "payer": "medicare"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"remote_days\":30"), std::string::npos);
  EXPECT_EQ(Count("plan.update"), 1);
  r = As("viewer-1", "GET", plan);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"remote_from\":\"patient\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"payer\":\"medicare\""), std::string::npos);
  EXPECT_EQ(As("viewer-1", "PUT", plan, R"({"remote_days": 30})").status, 403);
  EXPECT_EQ(As("physician-2", "PUT", plan, R"({"remote_days": 30})").status, 404);
  EXPECT_EQ(As("physician-1", "PUT", plan, R"({"remote_days": 0})").status, 400);
  EXPECT_EQ(As("physician-1", "PUT", plan, R"({"remote_days": "often"})").status, 400);
  EXPECT_EQ(As("physician-1", "DELETE", plan).status, 200);
  EXPECT_EQ(As("physician-1", "DELETE", plan).status, 404);

  const std::string visits = fmt::format("/api/v1/patients/{}/visits", patient_);
  EXPECT_EQ(As("physician-1", "POST", visits, R"({"day": "2026-02-30"})").status, 400);
  r = As("physician-1", "POST", visits, R"({"day": "2026-12-20"})");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id =
      r.body.substr(r.body.find(':') + 1, r.body.find('}') - r.body.find(':') - 1);
  const std::string cancel = fmt::format("/api/v1/visits/{}/cancel", id);
  EXPECT_EQ(As("physician-2", "POST", cancel, R"({"reason": "moved"})").status, 404);
  EXPECT_EQ(As("physician-1", "POST", cancel, R"({"reason": ""})").status, 400);
  EXPECT_EQ(As("physician-1", "POST", cancel, R"({"reason": "patient asked"})").status, 200);
  EXPECT_EQ(As("physician-1", "POST", cancel, R"({"reason": "again"})").status, 409);
  r = As("physician-1", "GET", plan);
  EXPECT_NE(r.body.find("\"state\":\"cancelled\""), std::string::npos) << r.body;

  // Clinic plans are an administrator's, with a fresh re-authentication: tokens are refused.
  EXPECT_EQ(
      As("administrator-1", "PUT", "/api/v1/clinics/1/plans/icd", R"({"remote_days": 60})").status,
      403);
  r = As("biller-1", "GET", "/api/v1/plans");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"device_type\":\"loop-recorder\""), std::string::npos);
}

TEST_F(BillingApiTest, BillersExportEachChargeOnceAndOnlyTheirClinicsDownload) {
  AddCharge("remote:1:2026-01-01");
  auto r = As("biller-1", "GET", "/api/v1/charges?exported=false");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"code\":\"93294\""), std::string::npos);
  EXPECT_NE(r.body.find(kCanaryName), std::string::npos);  // the biller needs the name
  EXPECT_EQ(As("biller-2", "GET", "/api/v1/charges").body.find(kCanaryName), std::string::npos);
  EXPECT_EQ(As("physician-1", "GET", "/api/v1/charges").status, 403);
  EXPECT_EQ(As("biller-1", "GET", fmt::format("/api/v1/interrogations/{}", interrogation_)).status,
            403);

  EXPECT_EQ(As("biller-1", "POST", "/api/v1/charges/export", R"({"format": "xml"})").status, 400);
  // The other clinic's biller has nothing to export; this clinic's exports the charge once.
  EXPECT_EQ(As("biller-2", "POST", "/api/v1/charges/export", R"({"format": "csv"})").status, 404);
  r = As("biller-1", "POST", "/api/v1/charges/export", R"({"format": "csv"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_NE(r.body.find("\"charges\":1"), std::string::npos);
  EXPECT_EQ(As("biller-1", "POST", "/api/v1/charges/export", R"({"format": "csv"})").status, 404);

  const auto before = Count("charge.export.read");
  r = As("biller-2", "GET", "/api/v1/charges/exports/1");
  EXPECT_EQ(r.status, 404);
  r = As("biller-1", "GET", "/api/v1/charges/exports/1");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(kCanaryName), std::string::npos);
  EXPECT_NE(r.body.find(kCanaryMrn), std::string::npos);
  // A value a spreadsheet would run as a formula is neutralised.
  EXPECT_NE(r.body.find(",'=cmd|' /C calc'!A0,"), std::string::npos) << r.body;
  EXPECT_EQ(Count("charge.export.read"), before + 2);  // the refusal and the download
  EXPECT_EQ(Count("charge.export"), 3);                // two with nothing, one batch
}

}  // namespace
}  // namespace heartbase::api::testing
