// The code table reader: the built-in table parses and says what the 2026 rules say; every error
// names the key and the line.
#include "billing/code_table.h"

#include <gtest/gtest.h>

#include <string>

namespace heartbase::billing {
namespace {

TEST(CodeTable, TheBuiltInTableHoldsThe2026Codes) {
  const CodeTable& t = DefaultCodeTable();
  EXPECT_EQ(t.version, "2026.1");
  const RemoteRule* pm = t.RemoteFor("pacemaker");
  ASSERT_NE(pm, nullptr);
  EXPECT_EQ(pm->period_days, 90);
  EXPECT_EQ(pm->professional->code, "93294");
  EXPECT_EQ(pm->technical->code, "93296");
  EXPECT_EQ(t.RemoteFor("crt-p"), pm);
  const RemoteRule* icd = t.RemoteFor("crt-d");
  ASSERT_NE(icd, nullptr);
  EXPECT_EQ(icd->professional->code, "93295");
  const RemoteRule* ilr = t.RemoteFor("loop-recorder");
  ASSERT_NE(ilr, nullptr);
  EXPECT_EQ(ilr->period_days, 30);
  EXPECT_EQ(ilr->professional->code, "93298");
  EXPECT_EQ(ilr->professional->modifier, "26");
  EXPECT_EQ(ilr->technical->modifier, "TC");
  EXPECT_EQ(t.InPersonFor("icd")->code.code, "93289");
  EXPECT_EQ(t.InPersonFor("pacemaker")->code.code, "93288");
  EXPECT_EQ(t.InPersonFor("loop-recorder")->code.code, "93291");
  EXPECT_EQ(t.RemoteFor("other"), nullptr);
  EXPECT_TRUE(t.in_person_excludes_remote_professional);
  EXPECT_EQ(t.Payer("interpretation_date").date_of_service, ServiceDateRule::kInterpretation);
  EXPECT_EQ(t.Payer("no such payer").date_of_service, ServiceDateRule::kPeriodEnd);
}

std::string ErrorOf(std::string_view text) {
  auto parsed = ParseCodeTable(text, "codes.toml");
  if (parsed) return "parsed";
  EXPECT_EQ(parsed.error().code, base::ErrorCode::kInvalidArgument);
  return parsed.error().message;
}

constexpr std::string_view kMinimal =
    "version = \"x\"\n"
    "[remote.pm]\n"
    "device_types = [\"pacemaker\"]\n"
    "period_days = 90\n"
    "professional = { code = \"93294\" }\n"
    "[payer.default]\n"
    "date_of_service = \"period_end\"\n";

TEST(CodeTable, AMinimalTableParses) { EXPECT_EQ(ErrorOf(kMinimal), "parsed"); }

TEST(CodeTable, ErrorsNameTheKeyAndTheLine) {
  std::string text(kMinimal);
  EXPECT_EQ(ErrorOf("colour = 1\n" + text), "codes.toml:1: colour: unknown key");
  EXPECT_EQ(ErrorOf(text + "colour = 1\n"), "codes.toml:8: payer.default.colour: unknown key");
  EXPECT_EQ(ErrorOf(std::string(kMinimal).replace(text.find("90"), 2, "0")),
            "codes.toml:4: remote.pm.period_days: 0 is out of range 1–366");
  EXPECT_EQ(ErrorOf(std::string(kMinimal).replace(text.find("90"), 2, "\"90\"")),
            "codes.toml:4: remote.pm.period_days: expected an integer");
  EXPECT_NE(ErrorOf(std::string(kMinimal).replace(text.find("period_end"), 10, "whenever"))
                .find("codes.toml:7: payer.default.date_of_service: expected"),
            std::string::npos);
  EXPECT_NE(ErrorOf("version = \"x\"\n[payer.medicare]\ndate_of_service = \"period_end\"\n")
                .find("payer.default: missing"),
            std::string::npos);
  EXPECT_NE(ErrorOf(text + "[remote.again]\ndevice_types = [\"pacemaker\"]\nperiod_days = 30\n"
                           "technical = { code = \"1\" }\n")
                .find("\"pacemaker\" is also in remote."),
            std::string::npos);
  EXPECT_NE(ErrorOf(text + "[in_person.x]\ndevice_types = [\"icd\"]\ncode = { code = \"9=1\" }\n")
                .find("in_person.x.code: codes and modifiers are letters and digits"),
            std::string::npos);
  EXPECT_NE(ErrorOf("version = \n").find("codes.toml:1:"), std::string::npos);
  EXPECT_NE(ErrorOf(text + "[remote.none]\ndevice_types = [\"icd\"]\nperiod_days = 30\n")
                .find("remote.none: names neither a professional nor a technical code"),
            std::string::npos);
}

TEST(CodeTable, LimitsComeBeforeParsing) {
  const std::string huge(300 * 1024, '#');
  auto parsed = ParseCodeTable(huge, "codes.toml");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, base::ErrorCode::kLimitExceeded);
}

}  // namespace
}  // namespace heartbase::billing
