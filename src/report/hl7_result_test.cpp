// The outbound result message: read back by heartbase's own parser and by Debian's python3-hl7
// as an independent reader; delimiters, line breaks and non-ASCII names round-trip; the PDF
// decoded from the ED segment is byte-identical.
#include "report/hl7_result.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "base/base64.h"
#include "hl7/escape.h"
#include "hl7/message.h"

namespace heartbase::report {
namespace {

std::string Field(const hl7::Message& m, std::string_view segment, std::uint32_t n) {
  auto s = m.Find(segment);
  if (!s) return "<no segment>";
  std::string scratch;
  return std::string(hl7::Unescape(s->Field(n), m.delimiters(), &scratch));
}

ResultInput Input() {
  ResultInput in;
  in.interrogation_id = 42;
  in.control_id = "HB42-epic-1";
  in.message_time = "20261207100000+0000";
  in.session_time = "20261201093000+0000";
  in.identifiers = {{.id = "MRN|7^3", .authority = "HOSP", .type = "MR"},
                    {.id = "OTHER1", .authority = "LAB", .type = "PI"}};
  in.family_name = "Müller-Łukasiewicz & O'Brien";
  in.given_name = "Zoë~王秀英";
  in.birth_date = "19480312";
  in.sex = "F";
  in.signer_id = "doc";
  in.signer_name = "doc";
  in.signed_time = "20261207095900+0000";
  in.observations = {{.value_type = "NM",
                      .code = "721344",
                      .text = "MDC_IDC_MSMT_BATTERY_VOLTAGE",
                      .coding_system = "MDC",
                      .value = "2.95",
                      .unit = "V"},
                     {.value_type = "NM",
                      .code = "",
                      .text = "MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE",
                      .coding_system = "L",
                      .sub_id = "2",
                      .value = "520",
                      .unit = "Ohm"}};
  in.alerts = {"red: RV impedance 1800 Ohm > 1500 | check lead"};
  in.interpretation = "Stable.\nNo action \\ follow-up in 3 months.";
  for (int i = 0; i < 5000; ++i) in.pdf += static_cast<char>(i * 37 % 256);
  in.pdf.replace(0, 5, "%PDF-");
  return in;
}

TEST(Hl7ResultTest, OruCarriesTheSummaryTheSignerAndThePdf) {
  ResultDestination d{.name = "epic",
                      .sending_facility = "DEVCLINIC",
                      .receiving_application = "EPIC",
                      .receiving_facility = "HOSP",
                      .assigning_authority = "HOSP",
                      .pv1 = true};
  const ResultInput in = Input();
  auto bytes = BuildResultMessage(d, in);
  ASSERT_TRUE(bytes) << bytes.error().message;
  auto m = hl7::Message::Parse(*bytes);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(Field(*m, "MSH", 9), "ORU^R01^ORU_R01");
  EXPECT_EQ(Field(*m, "MSH", 10), "HB42-epic-1");
  EXPECT_EQ(Field(*m, "MSH", 12), "2.5.1");
  EXPECT_EQ(Field(*m, "MSH", 18), "UNICODE UTF-8");
  // PID-3: only the destination's authority; the identifier's delimiters survive.
  auto pid = m->Find("PID");
  ASSERT_TRUE(pid);
  std::string scratch;
  EXPECT_EQ(hl7::Unescape(pid->Component(3, 1), m->delimiters(), &scratch), "MRN|7^3");
  EXPECT_EQ(pid->Component(3, 4), "HOSP");
  EXPECT_EQ(pid->Field(3).find("LAB"), std::string_view::npos);
  EXPECT_EQ(hl7::Unescape(pid->Component(5, 1), m->delimiters(), &scratch),
            "Müller-Łukasiewicz & O'Brien");
  EXPECT_EQ(hl7::Unescape(pid->Component(5, 2), m->delimiters(), &scratch), "Zoë~王秀英");
  EXPECT_EQ(Field(*m, "PV1", 2), "O");
  auto obr = m->Find("OBR");
  ASSERT_TRUE(obr);
  EXPECT_EQ(obr->Component(4, 1), "18750-0");
  EXPECT_EQ(obr->Field(7), "20261201093000+0000");
  EXPECT_EQ(obr->Field(22), "20261207095900+0000");
  EXPECT_EQ(obr->Field(25), "F");
  EXPECT_EQ(obr->Subcomponent(32, 1, 1), "doc");
  // The summary, the alert, the interpretation with its line break and backslash, the PDF.
  std::vector<hl7::Segment> obx;
  for (std::size_t i = 0; i < m->segment_count(); ++i) {
    if (m->segment(i).id() == "OBX") obx.push_back(m->segment(i));
  }
  ASSERT_EQ(obx.size(), 5u);
  EXPECT_EQ(obx[0].Field(3), "721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC");
  EXPECT_EQ(obx[0].Field(5), "2.95");
  EXPECT_EQ(obx[0].Field(6), "V");
  EXPECT_EQ(obx[1].Field(4), "2");
  EXPECT_EQ(hl7::Unescape(obx[2].Field(5), m->delimiters(), &scratch),
            "red: RV impedance 1800 Ohm > 1500 | check lead");
  EXPECT_EQ(hl7::Unescape(obx[3].Field(5), m->delimiters(), &scratch),
            "Stable.\nNo action \\ follow-up in 3 months.");
  EXPECT_EQ(obx[4].Field(2), "ED");
  EXPECT_EQ(obx[4].Component(5, 2), "application");
  EXPECT_EQ(obx[4].Component(5, 4), "Base64");
  std::string pdf;
  ASSERT_TRUE(base::AppendBase64Decoded(obx[4].Component(5, 5), &pdf));
  EXPECT_EQ(pdf, in.pdf);
  // No line breaks inside: the only CRs end segments.
  EXPECT_EQ(bytes->find('\n'), std::string::npos);
}

TEST(Hl7ResultTest, MdmCarriesTheDocumentHeader) {
  ResultDestination d{
      .name = "cerner", .assigning_authority = "HOSP", .type = ResultMessageType::kMdmT02};
  auto bytes = BuildResultMessage(d, Input());
  ASSERT_TRUE(bytes) << bytes.error().message;
  auto m = hl7::Message::Parse(*bytes);
  ASSERT_TRUE(m);
  EXPECT_EQ(Field(*m, "MSH", 9), "MDM^T02^MDM_T02");
  EXPECT_EQ(Field(*m, "EVN", 1), "T02");
  auto txa = m->Find("TXA");
  ASSERT_TRUE(txa);
  EXPECT_EQ(txa->Field(3), "AP");
  EXPECT_EQ(txa->Field(4), "20261201093000+0000");
  EXPECT_EQ(txa->Field(12), "HB42");
  EXPECT_EQ(txa->Field(17), "AU");
  EXPECT_EQ(txa->Component(22, 1), "doc");
  EXPECT_FALSE(m->Find("OBR"));
  EXPECT_FALSE(m->Find("PV1"));
}

TEST(Hl7ResultTest, APatientWithoutTheDestinationsIdentifierIsNotSent) {
  ResultDestination d{.name = "epic", .assigning_authority = "ELSEWHERE"};
  auto bytes = BuildResultMessage(d, Input());
  ASSERT_FALSE(bytes);
  EXPECT_NE(bytes.error().message.find("ELSEWHERE"), std::string::npos);
  EXPECT_EQ(bytes.error().message.find("MRN"), std::string::npos);  // no identifier in errors
  ResultInput empty = Input();
  empty.pdf.clear();
  EXPECT_FALSE(BuildResultMessage({.assigning_authority = "HOSP"}, empty));
}

TEST(Hl7ResultTest, PythonHl7ReadsItIndependently) {
  if (std::system("/usr/bin/python3 -c 'import hl7' 2>/dev/null") != 0) {
    GTEST_SKIP() << "python3-hl7 is not installed";
  }
  ResultDestination d{.name = "epic", .assigning_authority = "HOSP"};
  const ResultInput in = Input();
  auto bytes = BuildResultMessage(d, in);
  ASSERT_TRUE(bytes);
  const auto dir =
      std::filesystem::temp_directory_path() / ("hb-result-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "m.hl7", std::ios::binary) << *bytes;
  std::ofstream(dir / "read.py") << R"(import base64, hl7, sys
m = hl7.parse(open(sys.argv[1], 'rb').read().decode('utf-8'))
print(m.segment('MSH')[10])
print(m.segment('PID')[5][0][0])
obx = m.segments('OBX')
print(len(obx))
open(sys.argv[2], 'wb').write(base64.b64decode(str(obx[-1][5][0][4])))
)";
  const std::string command = "/usr/bin/python3 " + (dir / "read.py").string() + " " +
                              (dir / "m.hl7").string() + " " + (dir / "pdf").string();
  std::string out;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, p)) > 0) out.append(buffer, n);
    EXPECT_EQ(::pclose(p), 0) << out;
  }
  EXPECT_NE(out.find("HB42-epic-1"), std::string::npos) << out;
  // python3-hl7 does not unescape: the escaped ampersand shows as \T\.
  EXPECT_NE(out.find("Müller-Łukasiewicz \\T\\ O'Brien"), std::string::npos) << out;
  EXPECT_NE(out.find("\n5\n"), std::string::npos) << out;  // summary 2, alert, note, PDF
  std::ifstream pdf(dir / "pdf", std::ios::binary);
  const std::string decoded((std::istreambuf_iterator<char>(pdf)),
                            std::istreambuf_iterator<char>());
  EXPECT_EQ(decoded, in.pdf);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace heartbase::report
