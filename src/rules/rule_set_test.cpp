// The rule configuration: defaults, resolution of overrides at every level, strict parse errors.
#include "rules/rule_set.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace heartbase::rules {
namespace {

using domain::DeviceType;

ResolvedRules ResolveText(const std::string& text, const Scope& scope) {
  auto set = ParseRuleSet(text);
  EXPECT_TRUE(set) << set.error().Describe();
  return set ? set->Resolve(scope) : ResolvedRules{};
}

double AfMax(const ResolvedRules& r) {
  return r[RuleId::kAfBurden].params[param::kMaxBurdenPercent];
}

TEST(RuleSet, EmptyTextGivesTheBuiltInDefaults) {
  const ResolvedRules r = ResolveText("", {});
  for (const RuleSpec& spec : RuleSpecs()) {
    const RuleConfig& c = r[spec.id];
    EXPECT_TRUE(c.enabled) << spec.name;
    EXPECT_EQ(c.severity, spec.severity) << spec.name;
    for (std::size_t p = 0; p < spec.param_count; ++p) {
      EXPECT_EQ(c.params[p], spec.params[p].default_value)
          << spec.name << "." << spec.params[p].name;
    }
  }
  EXPECT_EQ(r[RuleId::kLeadImpedanceRange].params[param::kMinOhm], 200);
  EXPECT_EQ(r[RuleId::kLeadImpedanceRange].params[param::kMaxOhm], 2000);
  EXPECT_EQ(r[RuleId::kShocksDelivered].severity, Severity::kRed);
  EXPECT_EQ(r.triage.red_us, 24 * 3'600'000'000LL);
  EXPECT_EQ(r.triage.yellow_us, 7 * 24 * 3'600'000'000LL);
  EXPECT_EQ(r.triage.info_us, 30 * 24 * 3'600'000'000LL);
}

TEST(RuleSet, DefaultsLieInsideTheirValidRanges) {
  for (const RuleSpec& spec : RuleSpecs()) {
    EXPECT_EQ(RuleFromName(spec.name), spec.id);
    for (std::size_t p = 0; p < spec.param_count; ++p) {
      const ParamSpec& ps = spec.params[p];
      EXPECT_GE(ps.default_value, ps.min) << spec.name << "." << ps.name;
      EXPECT_LE(ps.default_value, ps.max) << spec.name << "." << ps.name;
    }
  }
}

constexpr const char* kLayers = R"(
[rules.af_burden]
max_percent = 20

[device_type.icd.rules.af_burden]
max_percent = 30

[clinic.2.rules.af_burden]
max_percent = 40

[clinic.2.device_type.icd.rules.af_burden]
max_percent = 50

[patient.7.rules.af_burden]
max_percent = 60
)";

TEST(RuleSet, MostSpecificLevelWins) {
  EXPECT_EQ(AfMax(ResolveText(kLayers, {.clinic_id = 3, .device_type = DeviceType::kPacemaker})),
            20);
  EXPECT_EQ(AfMax(ResolveText(kLayers, {.clinic_id = 3, .device_type = DeviceType::kIcd})), 30);
  EXPECT_EQ(AfMax(ResolveText(kLayers, {.clinic_id = 2, .device_type = DeviceType::kPacemaker})),
            40);
  EXPECT_EQ(AfMax(ResolveText(kLayers, {.clinic_id = 2, .device_type = DeviceType::kIcd})), 50);
  EXPECT_EQ(AfMax(ResolveText(kLayers,
                              {.clinic_id = 2, .device_type = DeviceType::kIcd, .patient_id = 7})),
            60);
  EXPECT_EQ(AfMax(ResolveText(
                kLayers, {.clinic_id = 3, .device_type = DeviceType::kPacemaker, .patient_id = 7})),
            60);
  EXPECT_EQ(AfMax(ResolveText(kLayers,
                              {.clinic_id = 2, .device_type = DeviceType::kIcd, .patient_id = 8})),
            50);
}

TEST(RuleSet, OverridesMergeValueByValue) {
  const std::string text = R"(
[clinic.2.rules.lead_impedance_range]
max_ohm = 1500
severity = "red"
[patient.9.rules.lead_impedance_range]
enabled = false
[device_type.crt_d.triage]
red_hours = 4
)";
  const ResolvedRules r =
      ResolveText(text, {.clinic_id = 2, .device_type = DeviceType::kCrtD, .patient_id = 9});
  const RuleConfig& c = r[RuleId::kLeadImpedanceRange];
  EXPECT_FALSE(c.enabled);
  EXPECT_EQ(c.severity, Severity::kRed);
  EXPECT_EQ(c.params[param::kMinOhm], 200);  // built-in default below the overrides
  EXPECT_EQ(c.params[param::kMaxOhm], 1500);
  EXPECT_EQ(r.triage.red_us, 4 * 3'600'000'000LL);
  EXPECT_EQ(r.triage.yellow_us, 7 * 24 * 3'600'000'000LL);
  // Another patient of clinic 2 keeps the rule on; a pacemaker keeps the 24 h target.
  const ResolvedRules other =
      ResolveText(text, {.clinic_id = 2, .device_type = DeviceType::kPacemaker, .patient_id = 10});
  EXPECT_TRUE(other[RuleId::kLeadImpedanceRange].enabled);
  EXPECT_EQ(other.triage.red_us, 24 * 3'600'000'000LL);
}

TEST(RuleSet, IcmIsTheLoopRecorderDeviceType) {
  const std::string text = "[device_type.icm.rules.missed_transmission]\ninterval_days = 31\n";
  EXPECT_EQ(ResolveText(text, {.device_type = DeviceType::kMonitor})[RuleId::kMissedTransmission]
                .params[param::kIntervalDays],
            31);
  EXPECT_EQ(ResolveText(text, {.device_type = DeviceType::kIcd})[RuleId::kMissedTransmission]
                .params[param::kIntervalDays],
            91);
}

struct BadConfig {
  const char* text;
  const char* message;  // a part the error must contain
};

class RuleSetErrors : public ::testing::TestWithParam<BadConfig> {};

TEST_P(RuleSetErrors, NameTheKey) {
  auto set = ParseRuleSet(GetParam().text);
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code, base::ErrorCode::kInvalidArgument);
  EXPECT_NE(set.error().message.find(GetParam().message), std::string::npos) << set.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Parse, RuleSetErrors,
    ::testing::Values(
        BadConfig{"colour = 1", "colour: unknown key"},
        BadConfig{"[rules.nonsense]\nenabled = true", "rules.nonsense: unknown rule"},
        BadConfig{"[rules.af_burden]\nmax_pct = 3", "rules.af_burden.max_pct: unknown key"},
        BadConfig{"[rules.af_burden]\nmax_percent = \"ten\"",
                  "rules.af_burden.max_percent: expected a number, got a string"},
        BadConfig{"[rules.af_burden]\nmax_percent = 101",
                  "rules.af_burden.max_percent: 101 is out of range 0–100"},
        BadConfig{"[rules.af_burden]\nmax_percent = nan", "expected a finite number"},
        BadConfig{"[rules.shocks_delivered]\nmin_shocks = 1.5",
                  "rules.shocks_delivered.min_shocks: 1.5 is not a whole number"},
        BadConfig{"[rules.af_burden]\nenabled = 1",
                  "rules.af_burden.enabled: expected true or false, got an integer"},
        BadConfig{"[rules.af_burden]\nseverity = \"orange\"",
                  "rules.af_burden.severity: expected \"red\", \"yellow\" or \"info\""},
        BadConfig{"rules = 3", "rules: expected a table, got an integer"},
        BadConfig{"[triage]\nred_hours = 0", "triage.red_hours: 0 is out of range"},
        BadConfig{"[triage]\nurgent_hours = 3", "triage.urgent_hours: unknown key"},
        BadConfig{"[device_type.toaster.rules.af_burden]\nmax_percent = 3",
                  "device_type.toaster: unknown device type"},
        BadConfig{"[clinic.north.rules.af_burden]\nmax_percent = 3",
                  "clinic.north: expected a numeric id"},
        BadConfig{"[patient.0.rules.af_burden]\nmax_percent = 3", "patient.0: ids start at 1"},
        BadConfig{"[patient.4.clinic.2]\nx = 1", "patient.4.clinic: unknown key"},
        BadConfig{"[clinic.2.patient.4]\nx = 1", "clinic.2.patient: unknown key"},
        BadConfig{"[rules.lead_impedance_range]\nmin_ohm = 900\nmax_ohm = 800",
                  "rules.lead_impedance_range.max_ohm: min_ohm 900 is not below max_ohm 800"},
        BadConfig{"[clinic.3.rules.hv_impedance_range]\nmin_ohm = 250",
                  "hv_impedance_range.min_ohm: resolves to 250 for clinic 3"},
        BadConfig{"[rules.af_burden\nmax_percent = 3", "rules config: line 1"}));

TEST(RuleSet, RefusesTextOverTheSizeLimitBeforeParsing) {
  const std::string text(300 * 1024, '#');
  auto set = ParseRuleSet(text);
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code, base::ErrorCode::kLimitExceeded);
  EXPECT_TRUE(ParseRuleSet(text, {.max_bytes = 400 * 1024}));
}

TEST(RuleSet, RefusesMoreOverrideTablesThanTheLimit) {
  std::string text;
  for (int p = 1; p <= 4; ++p) {
    text += "[patient." + std::to_string(p) + ".rules.af_burden]\nmax_percent = 3\n";
  }
  auto ok = ParseRuleSet(text, {.max_overrides = 4});
  ASSERT_TRUE(ok) << ok.error().Describe();
  EXPECT_EQ(ok->override_count(), 4u);
  auto refused = ParseRuleSet(text, {.max_overrides = 3});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, base::ErrorCode::kLimitExceeded);
  EXPECT_NE(refused.error().message.find("patient.4"), std::string::npos);
}

}  // namespace
}  // namespace heartbase::rules

namespace heartbase::rules {
namespace {

// docs/rules.md: its example parses, and its table names every rule with its default severity.
TEST(RuleSetDocs, ExampleParsesAndTableListsEveryRule) {
  // The module's test data directory (an absolute path set by CMake; __FILE__ is relative when
  // ccache rewrites paths) locates the repository: src/rules/testdata → the root.
  std::ifstream file(
      std::filesystem::path(HB_TESTDATA_DIR).parent_path().parent_path().parent_path() /
      "docs/rules.md");
  ASSERT_TRUE(file) << "docs/rules.md not found";
  const std::string doc((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const auto begin = doc.find("```toml\n");
  ASSERT_NE(begin, std::string::npos);
  const auto end = doc.find("```", begin + 8);
  const std::string example = doc.substr(begin + 8, end - begin - 8);
  auto set = ParseRuleSet(example);
  ASSERT_TRUE(set) << set.error().Describe();
  const ResolvedRules r =
      set->Resolve({.clinic_id = 2, .device_type = domain::DeviceType::kCrtD, .patient_id = 1234});
  EXPECT_FALSE(r[RuleId::kAfBurden].enabled);
  EXPECT_EQ(r[RuleId::kLowBivPacing].params[param::kMinBivPercent], 98);
  EXPECT_EQ(r.triage.red_us, 12 * 3'600'000'000LL);
  for (const RuleSpec& spec : RuleSpecs()) {
    const std::string row = "| `" + std::string(spec.name) + "` |";
    const auto at = doc.find(row);
    ASSERT_NE(at, std::string::npos) << spec.name;
    const std::string line = doc.substr(at, doc.find('\n', at) - at);
    EXPECT_NE(line.find("| " + std::string(store::ToString(spec.severity)) + " |"),
              std::string::npos)
        << line;
    for (std::size_t p = 0; p < spec.param_count; ++p) {
      EXPECT_NE(line.find("`" + std::string(spec.params[p].name) + "`"), std::string::npos) << line;
    }
  }
}

}  // namespace
}  // namespace heartbase::rules
