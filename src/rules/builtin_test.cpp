// Each built-in rule on generated interrogations at and around its boundaries.
#include "rules/builtin.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rules/internal/format.h"
#include "rules/testing/builder.h"
#include "rules/triage.h"

namespace heartbase::rules {
namespace {

using domain::DeviceType;
using domain::SessionType;
using testing::InterrogationBuilder;
using testing::kDayUs;
using testing::kEpochUs;

constexpr std::uint32_t kRa = 0, kRv = 1, kLv = 3;

std::vector<Alert> Apply(const InterrogationBuilder& b, const History& history = {},
                         const std::string& config = "") {
  auto set = ParseRuleSet(config);
  EXPECT_TRUE(set) << set.error().Describe();
  const Facts facts = FactsOf(b.get(), kEpochUs);
  return ApplyRules(facts, history,
                    set->Resolve({.clinic_id = 1, .device_type = facts.device_type}));
}

// The alerts of one rule.
std::vector<Alert> Of(const std::vector<Alert>& alerts, std::string_view rule) {
  std::vector<Alert> out;
  for (const Alert& a : alerts) {
    if (a.rule == rule) out.push_back(a);
  }
  return out;
}

// One interrogation with a single numeric value: does `rule` fire?
bool Fires(std::string_view rule, std::uint32_t code, double value, const History& history = {},
           DeviceType type = DeviceType::kIcd, const std::string& config = "") {
  InterrogationBuilder b(type);
  b.At(kEpochUs).Number(code, value);
  return !Of(Apply(b, history, config), rule).empty();
}

History Earlier(std::uint32_t code, std::vector<double> newest_first) {
  History h;
  h.earlier.emplace_back(code, std::move(newest_first));
  return h;
}

TEST(BatteryRules, StatusRrtIsYellowAndEosIsRed) {
  InterrogationBuilder rrt;
  rrt.At(kEpochUs).Coded(term::kBatteryStatus, "RRT", term::kBatteryRrtEnum);
  auto alerts = Apply(rrt);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].rule, "battery_rrt");
  EXPECT_EQ(alerts[0].severity, Severity::kYellow);
  EXPECT_EQ(alerts[0].reason, "Battery status RRT (recommended replacement time)");

  InterrogationBuilder eri;
  eri.At(kEpochUs).Coded(term::kBatteryStatus, "ERI");
  EXPECT_EQ(Of(Apply(eri), "battery_rrt").size(), 1u);

  InterrogationBuilder eos;
  eos.At(kEpochUs).Coded(term::kBatteryStatus, "EOS");
  alerts = Apply(eos);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].rule, "battery_eos");
  EXPECT_EQ(alerts[0].severity, Severity::kRed);

  for (const char* ok : {"BOS", "MOS", ""}) {
    InterrogationBuilder b;
    b.At(kEpochUs).Coded(term::kBatteryStatus, ok, std::string(ok) == "BOS" ? 754113 : 0);
    EXPECT_TRUE(Apply(b).empty()) << ok;
  }
}

TEST(BatteryRules, LongevityUnderTheMinimum) {
  EXPECT_FALSE(Fires("battery_longevity", term::kBatteryLongevity, 6));
  EXPECT_TRUE(Fires("battery_longevity", term::kBatteryLongevity, 5.9));
  EXPECT_FALSE(Fires("battery_longevity", term::kBatteryLongevity, 120));
  InterrogationBuilder b;
  b.At(kEpochUs).Number(term::kBatteryLongevity, 4);
  EXPECT_EQ(Apply(b).at(0).reason, "Remaining battery longevity 4 months (minimum 6 months)");
  EXPECT_EQ(Apply(b).at(0).severity, Severity::kInfo);
}

TEST(LeadRules, ImpedanceOutOfRangeAtEitherEnd) {
  for (std::uint32_t ch = 0; ch < 4; ++ch) {
    const std::uint32_t code = term::kImpedance + ch;
    EXPECT_FALSE(Fires("lead_impedance_range", code, 200)) << ch;
    EXPECT_TRUE(Fires("lead_impedance_range", code, 199.9)) << ch;
    EXPECT_FALSE(Fires("lead_impedance_range", code, 2000)) << ch;
    EXPECT_TRUE(Fires("lead_impedance_range", code, 2001)) << ch;
  }
  InterrogationBuilder b;
  b.At(kEpochUs).Number(term::kImpedance + kRv, 2150);
  const auto alerts = Of(Apply(b), "lead_impedance_range");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].reason, "RV lead impedance 2,150 Ω (range 200–2,000 Ω)");
  EXPECT_EQ(alerts[0].severity, Severity::kYellow);
}

TEST(LeadRules, ImpedanceChangeFromTheMedianBaseline) {
  const std::uint32_t code = term::kImpedance + kRv;
  // Median of the five newest earlier values (600); the sixth is outside the baseline window.
  const History h = Earlier(code, {620, 580, 600, 610, 590, 5000});
  EXPECT_FALSE(Fires("lead_impedance_change", code, 780, h));  // +30 %
  EXPECT_TRUE(Fires("lead_impedance_change", code, 781, h));
  EXPECT_FALSE(Fires("lead_impedance_change", code, 420, h));  // −30 %
  EXPECT_TRUE(Fires("lead_impedance_change", code, 419, h));
  EXPECT_FALSE(Fires("lead_impedance_change", code, 5000, {}));  // no baseline, no change
  InterrogationBuilder b;
  b.At(kEpochUs).Number(code, 900);
  EXPECT_EQ(Of(Apply(b, h), "lead_impedance_change").at(0).reason,
            "RV lead impedance 900 Ω, up 50% from baseline 600 Ω (limit 30%)");
  // A configured window of one point takes the newest earlier value alone.
  EXPECT_FALSE(Fires("lead_impedance_change", code, 800, h, DeviceType::kIcd,
                     "[rules.lead_impedance_change]\nbaseline_points = 1\n"));
}

TEST(LeadRules, CaptureThresholdRiseAndCeiling) {
  const std::uint32_t code = term::kThresholdAmplitude + kLv;
  const History h = Earlier(code, {1.25, 1.0, 1.5});             // median 1.25 V
  EXPECT_FALSE(Fires("capture_threshold_rise", code, 2.25, h));  // +1.0 V exactly
  EXPECT_TRUE(Fires("capture_threshold_rise", code, 2.26, h));
  EXPECT_FALSE(Fires("capture_threshold_rise", code, 2.9, {}));
  EXPECT_FALSE(Fires("capture_threshold_rise", code, 3.0, {}));
  EXPECT_TRUE(Fires("capture_threshold_rise", code, 3.01, {}));
  InterrogationBuilder b;
  b.At(kEpochUs).Number(code, 2.5);
  EXPECT_EQ(Of(Apply(b, h), "capture_threshold_rise").at(0).reason,
            "LV capture threshold 2.5 V, up 1.25 V from baseline 1.25 V (limit +1 V)");
  InterrogationBuilder c;
  c.At(kEpochUs).Number(term::kThresholdAmplitude + kRa, 3.5);
  EXPECT_EQ(Of(Apply(c), "capture_threshold_rise").at(0).reason,
            "RA capture threshold 3.5 V (limit 3 V)");
}

TEST(LeadRules, SensingAmplitudeMinimumPerChamberAndDrop) {
  const std::uint32_t ra = term::kSensingAmplitude, rv = term::kSensingAmplitude + 4;
  EXPECT_FALSE(Fires("sensing_amplitude_drop", ra, 1.0));
  EXPECT_TRUE(Fires("sensing_amplitude_drop", ra, 0.99));
  EXPECT_FALSE(Fires("sensing_amplitude_drop", rv, 3.0));
  EXPECT_TRUE(Fires("sensing_amplitude_drop", rv, 2.99));
  const History h = Earlier(rv, {10, 10, 10});
  EXPECT_FALSE(Fires("sensing_amplitude_drop", rv, 5.0, h));  // −50 %
  EXPECT_TRUE(Fires("sensing_amplitude_drop", rv, 4.9, h));
  // The mean amplitude term is read when the plain one is absent.
  const std::uint32_t rv_mean = term::kSensingAmplitudeMean + 4;
  EXPECT_TRUE(Fires("sensing_amplitude_drop", rv_mean, 2.5));
  InterrogationBuilder b;
  b.At(kEpochUs).Number(rv, 4.5);
  EXPECT_EQ(Of(Apply(b, h), "sensing_amplitude_drop").at(0).reason,
            "RV sensed amplitude 4.5 mV, down 55% from baseline 10 mV (limit 50%)");
}

TEST(LeadRules, HighVoltageImpedanceRangeIsRed) {
  EXPECT_FALSE(Fires("hv_impedance_range", term::kHvImpedance, 20));
  EXPECT_TRUE(Fires("hv_impedance_range", term::kHvImpedance, 19));
  EXPECT_FALSE(Fires("hv_impedance_range", term::kHvImpedance, 200));
  EXPECT_TRUE(Fires("hv_impedance_range", term::kHvImpedance, 201));
  InterrogationBuilder b;
  b.At(kEpochUs).Number(term::kHvImpedance, 12);
  const Alert a = Of(Apply(b), "hv_impedance_range").at(0);
  EXPECT_EQ(a.severity, Severity::kRed);
  EXPECT_EQ(a.reason, "High-voltage (shock) impedance 12 Ω (range 20–200 Ω)");
}

TEST(TherapyRules, ShocksAndAtpCountFromTheirMinimum) {
  EXPECT_FALSE(Fires("shocks_delivered", term::kShocksDeliveredRecent, 0));
  EXPECT_TRUE(Fires("shocks_delivered", term::kShocksDeliveredRecent, 1));
  EXPECT_FALSE(Fires("shocks_delivered", term::kShocksDeliveredRecent, 1, {}, DeviceType::kIcd,
                     "[rules.shocks_delivered]\nmin_shocks = 2\n"));
  EXPECT_FALSE(Fires("atp_delivered", term::kAtpDeliveredRecent, 0));
  EXPECT_TRUE(Fires("atp_delivered", term::kAtpDeliveredRecent, 1));
  InterrogationBuilder b;
  b.At(kEpochUs).Number(term::kShocksDeliveredRecent, 1).Number(term::kAtpDeliveredRecent, 3);
  const auto alerts = Apply(b);
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].reason, "1 shock delivered since the last session");
  EXPECT_EQ(alerts[0].severity, Severity::kRed);
  EXPECT_EQ(alerts[1].reason, "3 ATP sequences delivered since the last session");
  EXPECT_EQ(alerts[1].severity, Severity::kYellow);
}

TEST(ArrhythmiaRules, VtVfFromEpisodeCountersOrListedEpisodes) {
  InterrogationBuilder counters;
  counters.At(kEpochUs)
      .Counter(1, "Epis_VT", 2)
      .Counter(2, "Epis_AT_AF", 9)
      .Counter(3, "MDT-Epis_NS_VT", 4);
  auto alerts = Of(Apply(counters), "vt_vf_episodes");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].reason, "2 VT/VF episodes since the last session");
  EXPECT_EQ(alerts[0].severity, Severity::kRed);

  InterrogationBuilder listed;
  listed.At(kEpochUs).Episode(1, "Epis_VF").Episode(2, "Epis_AT_AF");
  EXPECT_EQ(Of(Apply(listed), "vt_vf_episodes").at(0).reason,
            "1 VT/VF episode since the last session");

  InterrogationBuilder none;
  none.At(kEpochUs).Counter(1, "Epis_VT", 0).Episode(1, "Epis_AT_AF");
  EXPECT_TRUE(Of(Apply(none), "vt_vf_episodes").empty());
}

TEST(ArrhythmiaRules, EpisodeTypesThatAreVentricular) {
  for (const char* yes : {"Epis_VT", "Epis_VF", "Epis_VT_VF", "MDT-Epis_Fast_VT", "BIO-Epis_VT2"}) {
    EXPECT_TRUE(IsVentricularArrhythmia(yes)) << yes;
  }
  for (const char* no :
       {"Epis_AT_AF", "MDT-Epis_NS_VT", "Epis_NSVT", "Epis_SVT", "MDT-Epis_ConsecutivePVCs", ""}) {
    EXPECT_FALSE(IsVentricularArrhythmia(no)) << no;
  }
}

TEST(ArrhythmiaRules, AfBurdenOverTheThreshold) {
  EXPECT_FALSE(Fires("af_burden", term::kAtBurdenPercent, 10));
  EXPECT_TRUE(Fires("af_burden", term::kAtBurdenPercent, 10.1));
  InterrogationBuilder b;
  b.At(kEpochUs).Number(term::kAtBurdenPercent, 37.5);
  EXPECT_EQ(Of(Apply(b), "af_burden").at(0).reason, "AT/AF burden 37.5% (threshold 10%)");
}

TEST(ArrhythmiaRules, NewOnsetAfNeedsEarlierTransmissionsWithout) {
  const std::uint32_t code = term::kAtBurdenPercent;
  EXPECT_TRUE(Fires("new_onset_af", code, 1.0, Earlier(code, {0, 0.5, 0})));
  EXPECT_FALSE(Fires("new_onset_af", code, 0.99, Earlier(code, {0, 0.5, 0})));
  EXPECT_FALSE(Fires("new_onset_af", code, 4, Earlier(code, {0, 1.2})));
  EXPECT_FALSE(Fires("new_onset_af", code, 4, {}));  // first transmission: nothing to compare
  // Only the configured look-back counts: AF three transmissions ago is outside a window of 2.
  EXPECT_TRUE(Fires("new_onset_af", code, 4, Earlier(code, {0, 0, 30}), DeviceType::kIcd,
                    "[rules.new_onset_af]\nlookback_points = 2\n"));
  InterrogationBuilder b;
  b.At(kEpochUs).Number(code, 2);
  EXPECT_EQ(Of(Apply(b, Earlier(code, {0, 0})), "new_onset_af").at(0).reason,
            "New-onset AT/AF: burden 2% after 2 earlier transmissions under 1%");
}

TEST(CrtRules, LowBiventricularPacingOnlyForCrtDevices) {
  EXPECT_FALSE(Fires("low_biv_pacing", term::kCrtPercentPaced, 95, {}, DeviceType::kCrtD));
  EXPECT_TRUE(Fires("low_biv_pacing", term::kCrtPercentPaced, 94.9, {}, DeviceType::kCrtD));
  EXPECT_TRUE(Fires("low_biv_pacing", term::kCrtPercentPaced, 80, {}, DeviceType::kCrtP));
  EXPECT_TRUE(Fires("low_biv_pacing", term::kCrtLvPercentPaced, 80, {}, DeviceType::kCrtP));
  EXPECT_FALSE(Fires("low_biv_pacing", term::kCrtPercentPaced, 10, {}, DeviceType::kIcd));
  InterrogationBuilder b(DeviceType::kCrtD);
  b.At(kEpochUs).Number(term::kCrtPercentPaced, 91.5);
  EXPECT_EQ(Of(Apply(b), "low_biv_pacing").at(0).reason,
            "Biventricular pacing 91.5% (minimum 95%)");
}

TEST(SessionRules, DeviceInitiatedTransmission) {
  InterrogationBuilder alert;
  alert.At(kEpochUs).Session(SessionType::kRemoteDeviceInitiated);
  auto alerts = Apply(alert);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].rule, "device_initiated");
  EXPECT_EQ(alerts[0].reason, "Device-initiated (alert) transmission");
  for (SessionType t : {SessionType::kRemoteScheduled, SessionType::kInClinic,
                        SessionType::kRemotePatientInitiated}) {
    InterrogationBuilder b;
    b.At(kEpochUs).Session(t);
    EXPECT_TRUE(Apply(b).empty());
  }
}

TEST(Rules, DisabledRulesAndSeverityOverrides) {
  InterrogationBuilder b;
  b.At(kEpochUs).Number(term::kImpedance + kRv, 2500).Number(term::kAtpDeliveredRecent, 1);
  const auto alerts = Apply(b, {},
                            "[rules.atp_delivered]\nenabled = false\n"
                            "[rules.lead_impedance_range]\nseverity = \"red\"\n");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].rule, "lead_impedance_range");
  EXPECT_EQ(alerts[0].severity, Severity::kRed);
}

TEST(Rules, NoDataNoAlerts) {
  for (DeviceType t : {DeviceType::kPacemaker, DeviceType::kIcd, DeviceType::kCrtD,
                       DeviceType::kCrtP, DeviceType::kMonitor}) {
    InterrogationBuilder b(t);
    b.At(kEpochUs);
    EXPECT_TRUE(Apply(b).empty());
  }
}

TEST(MissedTransmission, AfterTheIntervalPlusGrace) {
  const MonitoringSchedule s{.interval_us = 91 * kDayUs, .grace_us = 14 * kDayUs};
  const std::int64_t last = kEpochUs;
  EXPECT_FALSE(MissedTransmission(s, last, last + 105 * kDayUs, Severity::kYellow));
  auto missed = MissedTransmission(s, last, last + 105 * kDayUs + 1, Severity::kYellow);
  ASSERT_TRUE(missed);
  EXPECT_EQ(missed->rule, "missed_transmission");
  EXPECT_EQ(missed->reason, "No transmission for 105 days (expected every 91 days, 14 days grace)");
  EXPECT_FALSE(MissedTransmission(s, std::nullopt, last + 1000 * kDayUs, Severity::kYellow));
}

TEST(Triage, PriorityIsTheHighestSeverityAndDueFollowsItsTarget) {
  const ResolvedRules r = RuleSet().Resolve({});
  std::vector<Alert> alerts = {{.rule = "a", .severity = Severity::kYellow},
                               {.rule = "b", .severity = Severity::kRed},
                               {.rule = "c", .severity = Severity::kInfo}};
  const Triage t = Prioritize(alerts, kEpochUs, r.triage);
  EXPECT_EQ(t.priority, Severity::kRed);
  EXPECT_EQ(t.QueueSeverity(), 3);
  EXPECT_EQ(t.due_us, kEpochUs + 24 * testing::kHourUs);
  EXPECT_EQ(alerts[0].due_us, kEpochUs + 7 * kDayUs);
  EXPECT_EQ(alerts[2].due_us, kEpochUs + 30 * kDayUs);
  EXPECT_FALSE(IsOverdue(t, t.due_us, false));
  EXPECT_TRUE(IsOverdue(t, t.due_us + 1, false));
  EXPECT_FALSE(IsOverdue(t, t.due_us + 1, true));

  std::vector<Alert> none;
  const Triage routine = Prioritize(none, kEpochUs, r.triage);
  EXPECT_FALSE(routine.priority);
  EXPECT_EQ(routine.QueueSeverity(), 0);
  EXPECT_EQ(routine.due_us, kEpochUs + 30 * kDayUs);
}

TEST(ReasonNumbers, GroupThousandsAndDropTrailingZeros) {
  EXPECT_EQ(internal::Num(1850), "1,850");
  EXPECT_EQ(internal::Num(1234567.5), "1,234,567.5");
  EXPECT_EQ(internal::Num(2.5), "2.5");
  EXPECT_EQ(internal::Num(0.754), "0.75");
  EXPECT_EQ(internal::Num(-12.0), "-12");
  EXPECT_EQ(internal::Num(999), "999");
}

}  // namespace
}  // namespace heartbase::rules
