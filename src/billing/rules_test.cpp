// The billing and scheduling rules over hand-made histories, with the expected charges written
// out by hand: periods, components, the in-person exclusion, replacement, history, payers.
#include "billing/rules.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace heartbase::billing {
namespace {

using store::ChargeComponent;

Session Remote(std::int64_t id, std::int64_t day, std::string type = "pacemaker",
               std::int64_t device = 1) {
  return {.interrogation_id = id,
          .device_id = device,
          .device_type = std::move(type),
          .kind = SessionKind::kRemote,
          .day = day};
}
Session Signed(Session s, std::string signer, std::int64_t signed_day) {
  s.signed_off = true;
  s.signer = std::move(signer);
  s.signed_day = signed_day;
  return s;
}
Session InPerson(std::int64_t id, std::int64_t day, std::string type = "pacemaker",
                 std::int64_t device = 1) {
  Session s = Remote(id, day, std::move(type), device);
  s.kind = SessionKind::kInPerson;
  return s;
}

struct Expected {
  std::string code, modifier;
  ChargeComponent component;
  std::int64_t start, end, service;
  std::string reader;
  std::vector<std::int64_t> interrogations;
};

void ExpectCharges(const BillingOutcome& out, const std::vector<Expected>& expected) {
  ASSERT_EQ(out.charges.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(i);
    const Charge& c = out.charges[i];
    EXPECT_EQ(c.code.code, expected[i].code);
    EXPECT_EQ(c.code.modifier, expected[i].modifier);
    EXPECT_EQ(c.component, expected[i].component);
    EXPECT_EQ(c.period_start, expected[i].start);
    EXPECT_EQ(c.period_end, expected[i].end);
    EXPECT_EQ(c.service_day, expected[i].service);
    EXPECT_EQ(c.reading_physician, expected[i].reader);
    EXPECT_EQ(c.interrogations, expected[i].interrogations);
  }
}

BillingOutcome Charges(const PatientHistory& p, std::int64_t today) {
  BillingOutcome out;
  ComputeCharges(DefaultCodeTable(), p, today, out);
  return out;
}

TEST(BillingRules, APacemakerPeriodIsChargedTheDayAfterItEnds) {
  PatientHistory p{
      .patient_id = 1,
      .sessions = {Signed(Remote(10, 1000), "Dr A", 1002), Signed(Remote(11, 1045), "Dr B", 1046)}};
  EXPECT_TRUE(Charges(p, 1089).charges.empty());  // day 90 of the period: still open
  EXPECT_TRUE(Charges(p, 1089).missed.empty());
  // Day 91: one professional charge (the first interpretation's reader) and one technical.
  ExpectCharges(Charges(p, 1090),
                {{"93294", "", ChargeComponent::kProfessional, 1000, 1089, 1089, "Dr A", {10, 11}},
                 {"93296", "", ChargeComponent::kTechnical, 1000, 1089, 1089, "", {10, 11}}});
  EXPECT_EQ(Charges(p, 1090).charges[0].period_key, "remote:1:1972-09-27");
}

TEST(BillingRules, AnInterpretationDatePayerDatesTheChargeBySignature) {
  PatientHistory p{.patient_id = 1,
                   .payer = "interpretation_date",
                   .sessions = {Remote(10, 1000), Signed(Remote(11, 1040, "icd"), "Dr A", 1041)}};
  p.sessions[0].device_type = "icd";
  ExpectCharges(Charges(p, 1200),
                {{"93295", "", ChargeComponent::kProfessional, 1000, 1089, 1041, "Dr A", {10, 11}},
                 {"93296", "", ChargeComponent::kTechnical, 1000, 1089, 1041, "", {10, 11}}});
}

TEST(BillingRules, LoopRecordersHaveThirtyDayPeriodsWithBothComponentsOf93298) {
  PatientHistory p{
      .patient_id = 1,
      .sessions = {Signed(Remote(1, 0, "loop-recorder"), "Dr A", 3), Remote(2, 10, "loop-recorder"),
                   Remote(3, 31, "loop-recorder"), Remote(4, 75, "loop-recorder")}};
  BillingOutcome out = Charges(p, 90);  // periods [0,29], [30,59] closed; [60,89] closed on day 90
  ExpectCharges(out, {{"93298", "26", ChargeComponent::kProfessional, 0, 29, 29, "Dr A", {1, 2}},
                      {"93298", "TC", ChargeComponent::kTechnical, 0, 29, 29, "", {1, 2}},
                      {"93298", "TC", ChargeComponent::kTechnical, 30, 59, 59, "", {3}},
                      {"93298", "TC", ChargeComponent::kTechnical, 60, 89, 89, "", {4}}});
  // The unsigned periods are on the missed-charge report.
  ASSERT_EQ(out.missed.size(), 2U);
  EXPECT_EQ(out.missed[0].period_start, 30);
  EXPECT_EQ(out.missed[0].reason, "no signed review");
  EXPECT_EQ(out.missed[0].code.modifier, "26");
}

TEST(BillingRules, AnInPersonEvaluationBySameReaderExcludesTheRemoteProfessionalCode) {
  PatientHistory same{
      .patient_id = 1,
      .sessions = {Signed(Remote(1, 100), "Dr A", 101), Signed(InPerson(2, 130), "Dr A", 130)}};
  BillingOutcome out = Charges(same, 300);
  ExpectCharges(out, {{"93296", "", ChargeComponent::kTechnical, 100, 189, 189, "", {1}},
                      {"93288", "", ChargeComponent::kGlobal, 130, 130, 130, "Dr A", {2}}});
  ASSERT_EQ(out.missed.size(), 1U);
  EXPECT_EQ(out.missed[0].code.code, "93294");
  EXPECT_NE(out.missed[0].reason.find("excluded: in-person evaluation"), std::string::npos);

  // Another physician read the remote transmission: both are charged.
  PatientHistory other = same;
  other.sessions[0].signer = "Dr B";
  out = Charges(other, 300);
  ExpectCharges(out, {{"93294", "", ChargeComponent::kProfessional, 100, 189, 189, "Dr B", {1}},
                      {"93296", "", ChargeComponent::kTechnical, 100, 189, 189, "", {1}},
                      {"93288", "", ChargeComponent::kGlobal, 130, 130, 130, "Dr A", {2}}});
  EXPECT_TRUE(out.missed.empty());

  // Two interpretations in the period, one by the in-person reader: the other one is charged.
  PatientHistory two = same;
  two.sessions.push_back(Signed(Remote(3, 150), "Dr C", 160));
  out = Charges(two, 300);
  ASSERT_FALSE(out.charges.empty());
  EXPECT_EQ(out.charges[0].code.code, "93294");
  EXPECT_EQ(out.charges[0].reading_physician, "Dr C");
}

TEST(BillingRules, AReplacementOfTheSameFamilyContinuesThePeriod) {
  // ICD 1 replaced by ICD 2 on day 40: one series, one period [0,89], charged to device 2.
  PatientHistory p{.patient_id = 1,
                   .sessions = {Signed(Remote(1, 0, "icd", 1), "Dr A", 1),
                                Remote(2, 40, "crt-d", 2), Remote(3, 95, "crt-d", 2)}};
  BillingOutcome out = Charges(p, 200);
  ASSERT_EQ(out.charges.size(), 3U);
  EXPECT_EQ(out.charges[0].device_id, 2);
  EXPECT_EQ(out.charges[0].period_key, "remote:1:1970-01-01");
  EXPECT_EQ(out.charges[0].interrogations, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(out.charges[2].component, ChargeComponent::kTechnical);  // [90,179]: no signature
  EXPECT_EQ(out.charges[2].period_start, 90);
  // An upgrade to another family (pacemaker to ICD) starts that family's own series.
  PatientHistory upgrade{.patient_id = 1,
                         .sessions = {Remote(1, 0, "pacemaker", 1), Remote(2, 50, "icd", 2)}};
  out = Charges(upgrade, 500);
  ASSERT_EQ(out.charges.size(), 2U);  // two technical components, one per series
  std::vector<std::string> keys = {out.charges[0].period_key, out.charges[1].period_key};
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"remote:1:1970-01-01", "remote:2:1970-02-20"}));
}

TEST(BillingRules, HistoryFromThePreviousSystemIsNeverChargedHere) {
  Session old = Signed(Remote(1, 0), "", 0);
  old.history = true;
  PatientHistory p{.patient_id = 1, .sessions = {old, Remote(2, 100)}};
  BillingOutcome out = Charges(p, 400);
  ASSERT_EQ(out.charges.size(), 1U);  // the second period's technical component only
  EXPECT_EQ(out.charges[0].period_start, 90);
  EXPECT_EQ(out.missed.size(), 1U);
}

TEST(BillingRules, UnknownSessionTypesAndImplantsAreNotCharged) {
  Session implant = Signed(Remote(1, 0), "Dr A", 0);
  implant.kind = SessionKind::kImplant;
  Session unknown = Signed(Remote(2, 5), "Dr A", 6);
  unknown.kind = SessionKind::kNone;
  PatientHistory p{.patient_id = 1, .sessions = {implant, unknown}};
  BillingOutcome out = Charges(p, 400);
  EXPECT_TRUE(out.charges.empty());
  EXPECT_TRUE(out.missed.empty());
  EXPECT_EQ(KindOf("RemoteScheduled"), SessionKind::kRemote);
  EXPECT_EQ(KindOf("InClinic"), SessionKind::kInPerson);
  EXPECT_EQ(KindOf("Unknown"), SessionKind::kNone);
}

TEST(BillingRules, FollowUpsAreDueOverdueAndMissedByThePlan) {
  FollowUpInput p{.patient_id = 7,
                  .clinic_id = 1,
                  .device_type = "icd",
                  .first_day = 0,
                  .last_remote_day = 100,
                  .last_in_clinic_day = 10};
  p.plan.remote_days = 91;
  p.plan.in_clinic_days = 365;
  std::vector<WorkItem> out;
  FollowUps(p, 170, out);  // remote due day 191: in 21 days → upcoming
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[0].kind, FollowUpKind::kRemote);
  EXPECT_EQ(out[0].status, FollowUpStatus::kUpcoming);
  EXPECT_EQ(out[0].due_day, 191);
  EXPECT_EQ(out[0].days_overdue, -21);
  EXPECT_EQ(out[1].kind, FollowUpKind::kInClinic);
  EXPECT_EQ(out[1].due_day, 375);
  const auto status_on = [&](std::int64_t today) {
    out.clear();
    FollowUps(p, today, out);
    return out[0].status;
  };
  EXPECT_EQ(status_on(177), FollowUpStatus::kDue);      // 14 days before
  EXPECT_EQ(status_on(191), FollowUpStatus::kDue);      // the day itself
  EXPECT_EQ(status_on(192), FollowUpStatus::kOverdue);  // a day late
  EXPECT_EQ(status_on(221), FollowUpStatus::kOverdue);  // 30 days late
  EXPECT_EQ(status_on(222), FollowUpStatus::kMissed);   // more than 30
  // A loop recorder's 30-day plan: missed after 30 days, no in-clinic follow-up.
  FollowUpInput ilr{.patient_id = 8, .device_type = "loop-recorder", .first_day = 0};
  ilr.plan.remote_days = 30;
  out.clear();
  FollowUps(ilr, 61, out);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].status, FollowUpStatus::kMissed);
  EXPECT_FALSE(out[0].last_day);
}

TEST(BillingRules, BookedVisitsShowAsBookedOrOverdue) {
  FollowUpInput p{
      .patient_id = 7, .device_type = "pacemaker", .first_day = 0, .last_in_clinic_day = 0};
  p.plan.in_clinic_days = 365;
  p.booked = {{1, 300}, {2, 400}};
  std::vector<WorkItem> out;
  FollowUps(p, 350, out);  // visit 1 was 50 days ago and nothing closed it; visit 2 is ahead
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[0].kind, FollowUpKind::kVisit);
  EXPECT_EQ(out[0].status, FollowUpStatus::kOverdue);
  EXPECT_EQ(out[0].visit_id, 1);
  EXPECT_EQ(out[1].kind, FollowUpKind::kInClinic);
  EXPECT_EQ(out[1].status, FollowUpStatus::kBooked);
  EXPECT_EQ(out[1].visit_id, 2);
  EXPECT_EQ(out[1].due_day, 400);
}

}  // namespace
}  // namespace heartbase::billing
