#include "idco/mapper.h"

#include <gtest/gtest.h>

#include <string>

#include "idco/terms.h"
#include "idco/units.h"

namespace heartbase::idco {
namespace {

using base::ErrorCode;
using domain::Value;

constexpr std::string_view kHead =
    "MSH|^~\\&|LATITUDE|BSX|||20260101120000+0000||ORU^R01^ORU_R01|C1|P|2.6|||AL|NE\r"
    "PID|||model:X1/serial:S1^^^BSX^U~42^^^HOSP^MR||Doe^Jane||19480000|F\r"
    "OBR|1||S-1|754053^MDC_IDC_ENUM_SESS_TYPE_RemoteScheduled^MDC|||20260101||||||||||||||||||F\r";

base::Result<domain::Interrogation> MapText(const std::string& text) {
  auto m = hl7::Message::Parse(text);
  if (!m) return m.error();
  return Map(*m);
}

TEST(IdcoMapper, ReadsHeaderPatientAndSession) {
  auto r = MapText(std::string(kHead));
  ASSERT_TRUE(r) << r.error().Describe();
  EXPECT_EQ(r->sending_application, "LATITUDE");
  EXPECT_EQ(r->control_id, "C1");
  EXPECT_EQ(r->patient.device_model, "X1");
  EXPECT_EQ(r->patient.device_serial, "S1");
  ASSERT_EQ(r->patient.other_identifiers.size(), 1u);
  EXPECT_EQ(r->patient.other_identifiers[0].type, "MR");
  EXPECT_EQ(r->patient.birth_date->ToIso8601(), "1948");
  EXPECT_EQ(r->session_id, "S-1");
  EXPECT_EQ(r->session_type, domain::SessionType::kRemoteScheduled);
  EXPECT_EQ(r->status, domain::ResultStatus::kFinal);
  EXPECT_EQ(r->device.manufacturer, "BSX");  // from PID-3.4 when no DEV_MFG
  EXPECT_EQ(r->device.serial, "S1");
}

TEST(IdcoMapper, TypesValuesAndNormalizesUnits) {
  auto r =
      MapText(std::string(kHead) +
              "OBX|1|NM|722433^MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE^MDC||520|ohms|||||F\r"
              "OBX|2|NM|730880^MDC_IDC_SET_BRADY_LOWRATE^MDC||60|bpm|||||F\r"
              "OBX|3|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC||2.95|266418^MDC_DIM_VOLT^MDC\r"
              "OBX|4|NM|721216^MDC_IDC_MSMT_BATTERY_DTM^MDC||20251224101500\r"
              "OBX|5|SN|722624^MDC_IDC_MSMT_LEADHVCHNL_IMPEDANCE^MDC||<^20|Ohm|<\r"
              "OBX|6|NM|722177^MDC_IDC_MSMT_LEADCHNL_RV_PACING_THRESHOLD_AMPLITUDE^MDC|||V||OFF\r"
              "OBX|7|NM|722176^MDC_IDC_MSMT_LEADCHNL_RA_PACING_THRESHOLD_AMPLITUDE^MDC||abc|V\r");
  ASSERT_TRUE(r) << r.error().Describe();
  ASSERT_EQ(r->measurements.size(), 6u);
  EXPECT_EQ(r->measurements[0].unit, "Ohm");
  EXPECT_EQ(r->measurements[0].raw_unit, "ohms");
  EXPECT_DOUBLE_EQ(r->measurements[0].value.number, 520);
  ASSERT_EQ(r->settings.size(), 1u);
  EXPECT_EQ(r->settings[0].unit, "{beats}/min");
  EXPECT_EQ(r->measurements[1].unit, "V");
  EXPECT_EQ(r->measurements[2].value.kind, Value::Kind::kDateTime);  // DTM sent as NM
  EXPECT_EQ(r->measurements[3].value.kind, Value::Kind::kStructured);
  EXPECT_EQ(r->measurements[3].value.structured.comparator, "<");
  EXPECT_DOUBLE_EQ(*r->measurements[3].value.structured.num1, 20);
  EXPECT_EQ(r->measurements[4].value.kind, Value::Kind::kEmpty);
  ASSERT_EQ(r->measurements[4].abnormal_flags.size(), 1u);
  EXPECT_EQ(r->measurements[4].abnormal_flags[0], "OFF");
  EXPECT_EQ(r->measurements[5].value.kind, Value::Kind::kUnparsed);
  EXPECT_EQ(r->measurements[5].value.text, "abc");
  EXPECT_EQ(r->warnings.size(), 1u);
}

TEST(IdcoMapper, KeepsUnknownTermsInTheirFamily) {
  auto r = MapText(std::string(kHead) +
                   "OBX|1|NM|722999^MDC_IDC_MSMT_SOMETHING_NEW^MDC||7\r"
                   "OBX|2|ST|99999^VENDOR_PRIVATE^L||x\r"
                   "OBX|3|ST|^MDC_IDC_EPISODE_VENDOR_NOTE^MDC|4|note\r");
  ASSERT_TRUE(r) << r.error().Describe();
  ASSERT_EQ(r->measurements.size(), 1u);
  EXPECT_FALSE(r->measurements[0].known_term);
  EXPECT_EQ(r->measurements[0].code, 722999u);
  ASSERT_EQ(r->other_observations.size(), 1u);
  EXPECT_EQ(r->other_observations[0].raw_code, "99999^VENDOR_PRIVATE^L");
  ASSERT_EQ(r->episode_groups.size(), 1u);
  EXPECT_EQ(r->episode_groups[0].instance, 4u);
}

TEST(IdcoMapper, GroupsRepeatedObjectsByFamilyAndInstance) {
  auto r = MapText(
      std::string(kHead) +
      "OBX|1|ST|720961^MDC_IDC_LEAD_MODEL^MDC|2|5076\r"
      "OBX|2|CWE|720966^MDC_IDC_LEAD_LOCATION^MDC|2|753860^MDC_IDC_ENUM_LEAD_LOCATION_CHAMBER_RV^"
      "MDC\r"
      "OBX|3|ST|720961^MDC_IDC_LEAD_MODEL^MDC|1|4076\r"
      "OBX|4|CWE|731648^MDC_IDC_SET_ZONE_TYPE^MDC|1|754945^MDC_IDC_ENUM_ZONE_TYPE_Zone_VF^MDC\r"
      "OBX|5|ST|739536^MDC_IDC_EPISODE_ID^MDC|1|E-7\r"
      "OBX|6|CWE|739568^MDC_IDC_EPISODE_TYPE^MDC|1|Epis_VF^VF\r");
  ASSERT_TRUE(r) << r.error().Describe();
  ASSERT_EQ(r->leads.size(), 2u);
  EXPECT_EQ(r->leads[0].instance, 1u);
  EXPECT_EQ(r->leads[0].model, "4076");
  EXPECT_EQ(r->leads[1].location, "RV");
  ASSERT_EQ(r->zones.size(), 1u);  // zone 1 and lead 1 and episode 1 coexist
  EXPECT_EQ(r->zones[0].observations[0].value.coded.mnemonic, "Zone_VF");
  ASSERT_EQ(r->episodes.size(), 1u);
  EXPECT_EQ(r->episodes[0].id, "E-7");
  EXPECT_EQ(r->episodes[0].type, "Epis_VF");
}

TEST(IdcoMapper, DecodesWrappedPdfAndKeepsReferencePointers) {
  auto r = MapText(std::string(kHead) +
                   "OBX|1|ED|18750-0^Cardiac Electrophysiology Report^LN|3|"
                   "^application^pdf^Base64^JVBERi0x\\X0D\\\nLjQK||||||F\r"
                   "OBX|2|RP|18750-0^Cardiac Electrophysiology "
                   "Report^LN||https://gw/doc/1^GW^APPLICATION^PDF\r");
  ASSERT_TRUE(r) << r.error().Describe();
  ASSERT_EQ(r->attachments.size(), 2u);
  EXPECT_EQ(r->attachments[0].media_type, "application/pdf");
  EXPECT_EQ(r->attachments[0].data, "%PDF-1.4\n");
  EXPECT_EQ(r->attachments[0].instance, 3u);
  EXPECT_EQ(r->attachments[1].reference, "https://gw/doc/1");
}

TEST(IdcoMapper, RejectsWhatIsNotAnInterrogation) {
  auto adt = MapText("MSH|^~\\&|A|B|||2026||ADT^A01|1|P|2.5\rPID|||x^^^A^U\r");
  ASSERT_FALSE(adt);
  EXPECT_EQ(adt.error().code, ErrorCode::kUnsupported);
  EXPECT_EQ(adt.error().position.field, 9u);
  auto no_obr = MapText("MSH|^~\\&|A|B|||2026||ORU^R01|1|P|2.5\rPID|||model:a/serial:b^^^A^U\r");
  ASSERT_FALSE(no_obr);
  EXPECT_EQ(no_obr.error().code, ErrorCode::kMalformed);
  auto no_device = MapText("MSH|^~\\&|A|B|||2026||ORU^R01|1|P|2.5\rPID|||123^^^H^MR\rOBR|1\r");
  ASSERT_FALSE(no_device);
  EXPECT_NE(no_device.error().message.find("device identity"), std::string::npos);
  auto bad_pdf = MapText(std::string(kHead) + "OBX|1|ED|18750-0^R^LN||^PDF^^Base64^JVBE*Ri0x\r");
  ASSERT_FALSE(bad_pdf);
  EXPECT_EQ(bad_pdf.error().code, ErrorCode::kMalformed);
  EXPECT_STREQ(bad_pdf.error().position.segment, "OBX");
}

TEST(IdcoMapper, DeviceSerialFromObservationsWhenPidHasNone) {
  auto r = MapText(
      "MSH|^~\\&|A|B|||2026||ORU^R01|1|P|2.5\rPID|||123^^^H^MR\rOBR|1\r"
      "OBX|1|ST|720899^MDC_IDC_DEV_SERIAL^MDC||SER9\r"
      "OBX|2|CWE|720900^MDC_IDC_DEV_MFG^MDC||753731^MDC_IDC_ENUM_MFG_BIO^MDC\r");
  ASSERT_TRUE(r) << r.error().Describe();
  EXPECT_EQ(r->patient.device_serial, "SER9");
  EXPECT_EQ(r->device.manufacturer, "BIO");
}

TEST(IdcoTerms, DictionaryResolvesLegacyNamesAndMisspellings) {
  EXPECT_GT(TermCount(), 400u);
  ASSERT_NE(FindTermByName("MDC_IDC_PG_SERIAL"), nullptr);
  EXPECT_EQ(FindTermByName("MDC_IDC_PG_SERIAL")->code, 720899u);
  ASSERT_NE(FindTermByName("MDC_IDC_STAT_TACHYHERAPY_ATP_DELIVERED_TOTAL"), nullptr);
  EXPECT_EQ(FindTerm(722433)->category, domain::Category::kMeasurement);
  EXPECT_EQ(FindTerm(731648)->category, domain::Category::kZone);
  EXPECT_EQ(GuessCategory(739700), domain::Category::kEpisode);
  EXPECT_EQ(GuessCategory(100), domain::Category::kOther);
  EXPECT_EQ(FindEnum(754115)->mnemonic, "RRT");
}

TEST(IdcoUnits, AcceptsTheVariantsSendersUse) {
  EXPECT_EQ(NormalizeUnit("Ohm", '^'), "Ohm");
  EXPECT_EQ(NormalizeUnit("OHM", '^'), "Ohm");
  EXPECT_EQ(NormalizeUnit("mv", '^'), "mV");
  EXPECT_EQ(NormalizeUnit("{beats}/min", '^'), "{beats}/min");
  EXPECT_EQ(NormalizeUnit("/min^per minute^UCUM", '^'), "{beats}/min");
  EXPECT_EQ(NormalizeUnit("266418^MDC_DIM_MILLI_VOLT^MDC", '^'), "mV");
  EXPECT_EQ(NormalizeUnit("furlongs", '^'), "furlongs");
  EXPECT_EQ(NormalizeUnit("", '^'), "");
}

TEST(IdcoManufacturer, FoldsNamesToOneCodePerCompany) {
  EXPECT_EQ(NormalizeManufacturer("Medtronic"), "MDT");
  EXPECT_EQ(NormalizeManufacturer("BSC"), "BSX");
  EXPECT_EQ(NormalizeManufacturer("St.Jude Medical"), "SJM");
  EXPECT_EQ(NormalizeManufacturer("Abbott"), "SJM");
  EXPECT_EQ(NormalizeManufacturer("BIO"), "BIO");
  EXPECT_EQ(NormalizeManufacturer("MicroPort CRM"), "MCP");
  EXPECT_EQ(NormalizeManufacturer("Acme"), "Acme");
}

}  // namespace
}  // namespace heartbase::idco

namespace heartbase::idco {
namespace {

// Found by mapper_fuzz: an NM value that is only a comparator.
TEST(IdcoMapper, NumericValueThatIsOnlyAComparatorIsKeptAsText) {
  const std::string text = std::string(kHead) + "OBX|1|NM|721344^X^MDC||>\r";
  auto m = hl7::Message::Parse(text);
  ASSERT_TRUE(m);
  auto r = Map(*m);
  ASSERT_TRUE(r) << r.error().Describe();
  ASSERT_EQ(r->measurements.size(), 1u);
  EXPECT_EQ(r->measurements[0].value.kind, domain::Value::Kind::kUnparsed);
  EXPECT_EQ(r->measurements[0].value.text, ">");
}

}  // namespace
}  // namespace heartbase::idco
