// Shadow mode on a generated history: exact counts of what a proposed rule set would flag and hide,
// and agreement with the live evaluation of every stored interrogation.
#include "rules/shadow.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "rules/evaluator.h"
#include "rules/testing/builder.h"

namespace heartbase::rules {
namespace {

using testing::InterrogationBuilder;
using testing::kDayUs;
using testing::kEpochUs;

constexpr int kPatients = 10;
constexpr int kSessions = 12;  // monthly

// Patient p's session k: AT/AF burden (p·12 + k) mod 20 % — each value 0…19 exactly six times over
// the 120 sessions; RV impedance 2,100 Ω in every fourth session, 600 Ω otherwise. Odd patients
// belong to clinic 2.
double Burden(int p, int k) { return (p * kSessions + k) % 20; }
double Impedance(int k) { return k % 4 == 3 ? 2100 : 600; }

class ShadowTest : public testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    auto tx = Begin(store::Access::kWrite);
    ASSERT_TRUE(tx->Execute("INSERT INTO clinic (id, name, created_us) VALUES (2, 'North', 0)"));
    for (int p = 0; p < kPatients; ++p) {
      for (int k = 0; k < kSessions; ++k) {
        InterrogationBuilder b(domain::DeviceType::kIcd, "SN" + std::to_string(p));
        b.At(kEpochUs + (k * 30 + p) * kDayUs)
            .Number(term::kAtBurdenPercent, Burden(p, k))
            .Number(term::kImpedance + 1, Impedance(k));
        const Stored s = Put(*tx, b.get());
        stored_.push_back({s, b.Build(), p});
      }
    }
    for (const auto& [s, in, p] : stored_) {
      if (p % 2 == 1) {
        const store::Param q[] = {{"id", s.patient_id}};
        ASSERT_TRUE(tx->Execute("UPDATE patient SET clinic_id = 2 WHERE id = :id", q));
      }
    }
    ASSERT_TRUE(tx->Commit());
  }

  ShadowReport Run(const std::string& live, const std::string& proposed,
                   const ShadowOptions& options = {}) {
    auto a = ParseRuleSet(live);
    auto b = ParseRuleSet(proposed);
    EXPECT_TRUE(a && b);
    auto tx = Begin(store::Access::kRead);
    auto report = RunShadow(*tx, *a, *b, options);
    EXPECT_TRUE(report) << report.error().Describe();
    return report ? *report : ShadowReport{};
  }

  static const RuleDiff& Diff(const ShadowReport& r, std::string_view rule) {
    for (const RuleDiff& d : r.rules) {
      if (d.rule == rule) return d;
    }
    static const RuleDiff kMissing;
    ADD_FAILURE() << "no rule " << rule;
    return kMissing;
  }

  struct Entry {
    Stored stored;
    domain::Interrogation in;
    int patient;
  };
  std::vector<Entry> stored_;
};

TEST_F(ShadowTest, IdenticalSetsDifferNowhere) {
  const ShadowReport r = Run("", "");
  EXPECT_EQ(r.interrogations, kPatients * kSessions);
  EXPECT_FALSE(r.truncated);
  EXPECT_EQ(r.rules.size(), kRuleCount - 1);
  for (const RuleDiff& d : r.rules) {
    EXPECT_EQ(d.live, d.proposed) << d.rule;
    EXPECT_EQ(d.flagged_count, 0) << d.rule;
    EXPECT_EQ(d.hidden_count, 0) << d.rule;
  }
  EXPECT_EQ(Diff(r, "af_burden").live, 9 * 6);              // 11…19 %
  EXPECT_EQ(Diff(r, "lead_impedance_range").live, 3 * 10);  // k = 3, 7, 11
}

TEST_F(ShadowTest, ALowerThresholdFlagsAndADisabledRuleHides) {
  const ShadowReport r = Run("",
                             "[rules.af_burden]\nmax_percent = 5\n"
                             "[rules.lead_impedance_range]\nenabled = false\n");
  const RuleDiff& af = Diff(r, "af_burden");
  EXPECT_EQ(af.live, 9 * 6);
  EXPECT_EQ(af.proposed, 14 * 6);      // 6…19 %
  EXPECT_EQ(af.flagged_count, 5 * 6);  // 6…10 %
  EXPECT_EQ(af.hidden_count, 0);
  const RuleDiff& imp = Diff(r, "lead_impedance_range");
  EXPECT_EQ(imp.proposed, 0);
  EXPECT_EQ(imp.hidden_count, 3 * 10);
  EXPECT_EQ(imp.flagged_count, 0);
  // The ids are exactly those of the generated sessions.
  std::vector<std::int64_t> expected_flagged, expected_hidden;
  for (const Entry& e : stored_) {
    const int k = static_cast<int>(&e - stored_.data()) % kSessions;
    const double burden = Burden(e.patient, k);
    if (burden > 5 && burden <= 10) expected_flagged.push_back(e.stored.interrogation_id);
    if (Impedance(k) > 2000) expected_hidden.push_back(e.stored.interrogation_id);
  }
  EXPECT_EQ(af.flagged, expected_flagged);
  EXPECT_EQ(imp.hidden, expected_hidden);
  for (const RuleDiff& d : r.rules) {
    if (d.rule != "af_burden" && d.rule != "lead_impedance_range") {
      EXPECT_EQ(d.flagged_count + d.hidden_count, 0) << d.rule;
    }
  }
}

TEST_F(ShadowTest, AClinicOverrideChangesOnlyThatClinic) {
  const ShadowReport r = Run("[rules.af_burden]\nmax_percent = 15\n",
                             "[rules.af_burden]\nmax_percent = 15\n"
                             "[clinic.2.rules.af_burden]\nmax_percent = 17\n");
  int expected = 0;
  for (int p = 1; p < kPatients; p += 2) {
    for (int k = 0; k < kSessions; ++k) expected += Burden(p, k) > 15 && Burden(p, k) <= 17;
  }
  ASSERT_GT(expected, 0);
  EXPECT_EQ(Diff(r, "af_burden").hidden_count, expected);
  EXPECT_EQ(Diff(r, "af_burden").flagged_count, 0);
  // Limited to clinic 1, nothing differs.
  const ShadowReport clinic1 = Run("[rules.af_burden]\nmax_percent = 15\n",
                                   "[clinic.2.rules.af_burden]\nmax_percent = 17\n"
                                   "[rules.af_burden]\nmax_percent = 15\n",
                                   {.clinics = {1}});
  EXPECT_EQ(clinic1.interrogations, kPatients / 2 * kSessions);
  EXPECT_EQ(Diff(clinic1, "af_burden").hidden_count, 0);
}

TEST_F(ShadowTest, RangeLimitsAndTruncation) {
  const ShadowReport early = Run("", "", {.to_us = kEpochUs + 45 * kDayUs});
  // Sessions at day 30k + p: k = 0 for every patient, k = 1 for p ≤ 9 where 30 + p ≤ 45.
  EXPECT_EQ(early.interrogations, 2 * kPatients);
  const ShadowReport cut =
      Run("", "[rules.af_burden]\nmax_percent = 5\n", {.max_interrogations = 25, .max_ids = 2});
  EXPECT_TRUE(cut.truncated);
  EXPECT_EQ(cut.interrogations, 25);
  EXPECT_LE(Diff(cut, "af_burden").flagged.size(), 2u);
  EXPECT_GE(Diff(cut, "af_burden").flagged_count, 2);
}

TEST_F(ShadowTest, AgreesWithTheLiveEvaluationOfEveryInterrogation) {
  const std::string config = "[rules.lead_impedance_change]\nbaseline_points = 3\n";
  auto set = ParseRuleSet(config);
  ASSERT_TRUE(set);
  const Evaluator evaluator(*set);
  std::map<std::string, std::int64_t> live;
  auto tx = Begin(store::Access::kRead);
  for (const Entry& e : stored_) {
    auto eval = evaluator.Evaluate(*tx, e.in,
                                   {.interrogation_id = e.stored.interrogation_id,
                                    .patient_id = e.stored.patient_id,
                                    .clinic_id = e.patient % 2 == 1 ? 2 : 1},
                                   e.in.session_time->ToUnixMicros());
    ASSERT_TRUE(eval) << eval.error().Describe();
    std::set<std::string> rules;
    for (const Alert& a : eval->alerts) rules.insert(a.rule);
    for (const std::string& rule : rules) ++live[rule];
  }
  tx.reset();
  const ShadowReport r = Run(config, config);
  ASSERT_GT(live["lead_impedance_change"], 0);
  ASSERT_GT(live["new_onset_af"], 0);
  for (const RuleDiff& d : r.rules) EXPECT_EQ(d.live, live[d.rule]) << d.rule;
}

}  // namespace
}  // namespace heartbase::rules
