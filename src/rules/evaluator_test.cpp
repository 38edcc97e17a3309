// The evaluator and the alert repository on a real SQLite database: history from the trend table,
// alerts sealed and read back, rule sets versioned with one active.
#include "rules/evaluator.h"

#include <gtest/gtest.h>

#include "rules/testing/builder.h"
#include "store/alerts.h"

namespace heartbase::rules {
namespace {

using domain::DeviceType;
using testing::InterrogationBuilder;
using testing::kDayUs;
using testing::kEpochUs;
using testing::kHourUs;

constexpr std::uint32_t kRvImpedance = term::kImpedance + 1;

class EvaluatorTest : public testing::StoreFixture {
 protected:
  // Five monthly transmissions with RV impedance 600 Ω, then `last` Ω; evaluates the last one.
  base::Result<Evaluation> StoreHistoryAndEvaluate(double last, Stored* stored) {
    auto tx = Begin(store::Access::kWrite);
    for (int i = 0; i < 5; ++i) {
      InterrogationBuilder b;
      b.At(kEpochUs + i * 30 * kDayUs).Number(kRvImpedance, 600 + i);
      Put(*tx, b.get());
    }
    InterrogationBuilder b;
    b.At(kEpochUs + 150 * kDayUs).Number(kRvImpedance, last);
    *stored = Put(*tx, b.get());
    const Evaluator evaluator{RuleSet()};
    auto out = evaluator.Evaluate(*tx, b.get(),
                                  {.interrogation_id = stored->interrogation_id,
                                   .patient_id = stored->patient_id,
                                   .clinic_id = 1},
                                  kEpochUs + 150 * kDayUs);
    EXPECT_TRUE(tx->Commit());
    return out;
  }
};

TEST_F(EvaluatorTest, ReadsTheBaselineFromEarlierInterrogationsOnly) {
  Stored stored;
  auto eval = StoreHistoryAndEvaluate(900, &stored);
  ASSERT_TRUE(eval) << eval.error().Describe();
  ASSERT_EQ(eval->alerts.size(), 1u);
  // Median of 600…604 is 602: the interrogation's own 900 Ω is not part of its baseline.
  EXPECT_EQ(eval->alerts[0].reason,
            "RV lead impedance 900 Ω, up 49.5% from baseline 602 Ω (limit 30%)");
  EXPECT_EQ(eval->triage.priority, Severity::kYellow);
  EXPECT_EQ(eval->triage.due_us, kEpochUs + 150 * kDayUs + 7 * 24 * kHourUs);
  EXPECT_EQ(eval->alerts[0].due_us, eval->triage.due_us);
}

TEST_F(EvaluatorTest, NoAlertWithinTheBaselineBand) {
  Stored stored;
  auto eval = StoreHistoryAndEvaluate(700, &stored);
  ASSERT_TRUE(eval) << eval.error().Describe();
  EXPECT_TRUE(eval->alerts.empty());
  EXPECT_FALSE(eval->triage.priority);
  EXPECT_EQ(eval->triage.due_us, kEpochUs + 150 * kDayUs + 30 * kDayUs);
}

TEST_F(EvaluatorTest, EarlierValuesLeaveOutTheCurrentAndLaterInterrogations) {
  Stored stored;
  ASSERT_TRUE(StoreHistoryAndEvaluate(900, &stored));
  auto tx = Begin(store::Access::kRead);
  auto all = store::ReadEarlierValues(*tx, stored.patient_id, kRvImpedance, kEpochUs + 200 * kDayUs,
                                      0, 100);
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, (std::vector<double>{900, 604, 603, 602, 601, 600}));
  auto before = store::ReadEarlierValues(*tx, stored.patient_id, kRvImpedance,
                                         kEpochUs + 90 * kDayUs, stored.interrogation_id, 2);
  ASSERT_TRUE(before);
  EXPECT_EQ(*before, (std::vector<double>{602, 601}));
  auto excluded = store::ReadEarlierValues(*tx, stored.patient_id, kRvImpedance,
                                           kEpochUs + 200 * kDayUs, stored.interrogation_id, 1);
  ASSERT_TRUE(excluded);
  EXPECT_EQ(*excluded, (std::vector<double>{604}));
}

TEST_F(EvaluatorTest, AlertsRoundTripSealed) {
  Stored stored;
  auto eval = StoreHistoryAndEvaluate(2500, &stored);
  ASSERT_TRUE(eval) << eval.error().Describe();
  ASSERT_EQ(eval->alerts.size(), 2u);  // out of range, and changed from the baseline
  {
    auto tx = Begin(store::Access::kWrite);
    ASSERT_TRUE(store::InsertAlerts(*tx, *keys_, stored.interrogation_id, stored.patient_id,
                                    eval->alerts, kEpochUs + 150 * kDayUs));
    const Alert missed{.rule = "missed_transmission",
                       .severity = Severity::kRed,
                       .reason = "No transmission for 120 days",
                       .due_us = 7};
    ASSERT_TRUE(store::InsertAlerts(*tx, *keys_, std::nullopt, stored.patient_id,
                                    std::span(&missed, 1), kEpochUs + 300 * kDayUs));
    ASSERT_TRUE(tx->Commit());
  }
  auto tx = Begin(store::Access::kRead);
  auto listed = store::ListAlerts(*tx, *keys_, stored.interrogation_id);
  ASSERT_TRUE(listed) << listed.error().Describe();
  ASSERT_EQ(listed->size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*listed)[i].alert, eval->alerts[i]);
    EXPECT_EQ((*listed)[i].interrogation_id, stored.interrogation_id);
    EXPECT_EQ((*listed)[i].created_us, kEpochUs + 150 * kDayUs);
  }
  // The reason is not in the database in the clear.
  auto raw = tx->Query("SELECT reason FROM alert");
  ASSERT_TRUE(raw);
  for (const store::Row& r : *raw) {
    EXPECT_EQ(std::string(r.Blob(0)).find("impedance"), std::string::npos);
    EXPECT_EQ(std::string(r.Blob(0)).find("No transmission"), std::string::npos);
  }
  auto patient = store::ListPatientAlerts(*tx, *keys_, stored.patient_id, 0, 10);
  ASSERT_TRUE(patient);
  ASSERT_EQ(patient->size(), 3u);
  EXPECT_FALSE((*patient)[2].interrogation_id);
  EXPECT_EQ((*patient)[2].alert.reason, "No transmission for 120 days");
  EXPECT_EQ((*patient)[2].alert.severity, Severity::kRed);
  auto later =
      store::ListPatientAlerts(*tx, *keys_, stored.patient_id, kEpochUs + 200 * kDayUs, 10);
  ASSERT_TRUE(later);
  EXPECT_EQ(later->size(), 1u);
}

TEST_F(EvaluatorTest, AMovedSealedReasonFailsToOpen) {
  Stored stored;
  auto eval = StoreHistoryAndEvaluate(2500, &stored);
  ASSERT_TRUE(eval);
  auto tx = Begin(store::Access::kWrite);
  ASSERT_TRUE(store::InsertAlerts(*tx, *keys_, stored.interrogation_id, stored.patient_id,
                                  eval->alerts, 1));
  ASSERT_TRUE(
      tx->Execute("UPDATE alert SET reason = (SELECT reason FROM alert ORDER BY id DESC LIMIT 1) "
                  "WHERE id = (SELECT MIN(id) FROM alert)"));
  auto listed = store::ListAlerts(*tx, *keys_, stored.interrogation_id);
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, base::ErrorCode::kDataLoss);
}

TEST_F(EvaluatorTest, MissedTransmissionFollowsThePatientsSchedule) {
  auto set = ParseRuleSet(
      "[device_type.icm.rules.missed_transmission]\ninterval_days = 31\ngrace_days = 3\n"
      "[patient.5.rules.missed_transmission]\nenabled = false\n");
  ASSERT_TRUE(set) << set.error().Describe();
  const Evaluator evaluator(std::move(*set));
  const std::int64_t last = kEpochUs;
  EXPECT_FALSE(evaluator.CheckMissedTransmission({.patient_id = 1}, DeviceType::kMonitor, last,
                                                 last + 34 * kDayUs));
  auto icm = evaluator.CheckMissedTransmission({.patient_id = 1}, DeviceType::kMonitor, last,
                                               last + 35 * kDayUs);
  ASSERT_TRUE(icm);
  EXPECT_EQ(icm->due_us, last + 35 * kDayUs + 7 * 24 * kHourUs);
  EXPECT_FALSE(evaluator.CheckMissedTransmission({.patient_id = 1}, DeviceType::kIcd, last,
                                                 last + 35 * kDayUs));
  EXPECT_TRUE(evaluator.CheckMissedTransmission({.patient_id = 1}, DeviceType::kIcd, last,
                                                last + 106 * kDayUs));
  EXPECT_FALSE(evaluator.CheckMissedTransmission({.patient_id = 5}, DeviceType::kMonitor, last,
                                                 last + 400 * kDayUs));
}

TEST_F(EvaluatorTest, RuleSetsAreVersionedWithOneActive) {
  auto tx = Begin(store::Access::kWrite);
  EXPECT_FALSE(*store::GetActiveRuleSet(*tx));
  auto v1 = store::StoreRuleSet(*tx, "[rules.af_burden]\nmax_percent = 5\n", std::nullopt, 10);
  ASSERT_TRUE(v1) << v1.error().Describe();
  auto v2 = store::StoreRuleSet(*tx, "", std::nullopt, 20);
  ASSERT_TRUE(v2);
  EXPECT_EQ(v1->version, 1);
  EXPECT_EQ(v2->version, 2);
  EXPECT_FALSE(v1->active);
  ASSERT_TRUE(store::ActivateRuleSet(*tx, v1->id, 30));
  ASSERT_TRUE(store::ActivateRuleSet(*tx, v1->id, 31));  // again: stays the active one
  auto active = store::GetActiveRuleSet(*tx);
  ASSERT_TRUE(active && *active);
  EXPECT_EQ((*active)->id, v1->id);
  EXPECT_EQ((*active)->source, "[rules.af_burden]\nmax_percent = 5\n");
  ASSERT_TRUE(store::ActivateRuleSet(*tx, v2->id, 40));
  EXPECT_EQ((*store::GetActiveRuleSet(*tx))->id, v2->id);
  auto all = store::ListRuleSets(*tx);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].version, 2);
  EXPECT_TRUE((*all)[0].active);
  EXPECT_FALSE((*all)[1].active);
  EXPECT_TRUE((*all)[1].source.empty());  // the list leaves the text out
  EXPECT_EQ(store::GetRuleSet(*tx, v1->id)->source, v1->source);
  auto missing = store::ActivateRuleSet(*tx, 999, 50);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, base::ErrorCode::kNotFound);
  EXPECT_EQ(store::GetRuleSet(*tx, 999).error().code, base::ErrorCode::kNotFound);
  // The schema itself refuses a second active set.
  EXPECT_FALSE(tx->Execute("UPDATE rule_set SET active = 1"));
}

}  // namespace
}  // namespace heartbase::rules
