// Golden tests over the real third-party samples in ../shared/corpus/idco-hl7v2 (read at run
// time, never copied): every file parses and maps, and specific values come out right.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "base/json_writer.h"
#include "hl7/batch.h"
#include "hl7/json.h"
#include "hl7/message.h"
#include "idco/json.h"
#include "idco/mapper.h"

namespace heartbase {
namespace {

namespace fs = std::filesystem;
using domain::Interrogation;

std::string CorpusFile(const std::string& name) {
  const fs::path path = fs::path(HB_CORPUS_DIR) / "idco-hl7v2" / name;
  std::ifstream in(path, std::ios::binary);
  if (!in) ADD_FAILURE() << "missing corpus file " << path;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool HaveCorpus() { return fs::is_directory(fs::path(HB_CORPUS_DIR) / "idco-hl7v2"); }

// Every test starts with this: without the shared corpus there is nothing to compare against.
#define REQUIRE_CORPUS() \
  if (!HaveCorpus())     \
  GTEST_SKIP() << "shared corpus not found at " << HB_CORPUS_DIR << " (set HB_CORPUS_DIR)"

struct Mapped {
  std::string bytes;
  hl7::Message message;
  Interrogation interrogation;
};

Mapped MapFile(const std::string& name) {
  Mapped m{CorpusFile(name), {}, {}};
  auto batch = hl7::SplitBatch(m.bytes);
  EXPECT_TRUE(batch) << name;
  if (!batch) return m;
  EXPECT_EQ(batch->messages.size(), 1u) << name;
  EXPECT_TRUE(batch->orphans.empty()) << name;
  auto parsed = hl7::Message::Parse(batch->messages[0].bytes);
  EXPECT_TRUE(parsed) << name << ": " << parsed.error().Describe();
  if (!parsed) return m;
  m.message = std::move(*parsed);
  auto r = idco::Map(m.message);
  EXPECT_TRUE(r) << name << ": " << r.error().Describe();
  if (r) m.interrogation = std::move(*r);
  return m;
}

const domain::Observation* Find(const std::vector<domain::Observation>& list, std::uint32_t code) {
  for (const auto& o : list) {
    if (o.code == code) return &o;
  }
  return nullptr;
}

TEST(GoldenCorpus, EveryFileParsesMapsAndSerializes) {
  REQUIRE_CORPUS();
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(fs::path(HB_CORPUS_DIR) / "idco-hl7v2")) {
    const Mapped m = MapFile(e.path().filename().string());
    std::string json;
    base::JsonWriter w(&json);
    idco::WriteInterrogationJson(m.interrogation, &w);
    std::string generic;
    base::JsonWriter g(&generic);
    EXPECT_TRUE(hl7::WriteMessageJson(m.message, &g));
    EXPECT_GT(json.size(), 100u);
    ++files;
  }
  EXPECT_EQ(files, 6u);
}

TEST(GoldenCorpus, FullMessageHasLeadsZonesEpisodesAndLegacyNames) {
  REQUIRE_CORPUS();
  const Mapped m = MapFile("icardea_fullMessageOriginal.hl7");
  const Interrogation& r = m.interrogation;
  EXPECT_EQ(r.device.type, domain::DeviceType::kCrtD);
  EXPECT_EQ(r.device.serial, "5867463524");
  EXPECT_EQ(r.device.manufacturer, "BIO");
  EXPECT_EQ(r.patient.device_identifier, "1234123412341");
  EXPECT_EQ(r.patient.assigning_authority, "BSC");
  EXPECT_EQ(r.session_type, domain::SessionType::kRemote);
  EXPECT_EQ(r.status, domain::ResultStatus::kFinal);
  ASSERT_EQ(r.leads.size(), 3u);
  EXPECT_EQ(r.leads[0].instance, 1u);
  EXPECT_EQ(r.leads[0].model, "Supersense");
  EXPECT_EQ(r.leads[0].manufacturer, "SJM");
  // Legacy MDC_IDC_PG_TYPE maps to the current term.
  ASSERT_NE(Find(r.device_observations, 720897), nullptr);
  EXPECT_EQ(Find(r.device_observations, 720897)->reference_id, "MDC_IDC_DEV_TYPE");
  const auto* rv = Find(r.measurements, 722433);  // RV pacing impedance
  ASSERT_NE(rv, nullptr);
  EXPECT_EQ(rv->value.kind, domain::Value::Kind::kNumber);
  EXPECT_EQ(rv->unit, "Ohm");
  EXPECT_GE(r.zones.size(), 3u);
  EXPECT_EQ(r.episodes.size(), 2u);
  std::size_t total = r.device_observations.size() + r.session_observations.size() +
                      r.measurements.size() + r.settings.size() + r.statistics.size() +
                      r.other_observations.size() + r.attachments.size();
  for (const auto* groups : {&r.lead_groups, &r.zones, &r.episode_counters, &r.episode_groups}) {
    for (const auto& g : *groups) total += g.observations.size();
  }
  EXPECT_EQ(total, 292u) << "every OBX is kept";
}

TEST(GoldenCorpus, MisspelledTermMapsToTheCurrentCode) {
  REQUIRE_CORPUS();
  const Mapped m = MapFile("icardea_fullMessageOriginal.hl7");
  bool found = false;
  for (const auto& o : m.interrogation.statistics) {
    if (o.raw_code.find("TACHYHERAPY") != std::string::npos) {
      found = true;
      EXPECT_TRUE(o.known_term);
      EXPECT_NE(o.reference_id.find("TACHYTHERAPY"), std::string::npos);
    }
  }
  EXPECT_TRUE(found);
}

TEST(GoldenCorpus, SecuraDrWithCrOnlyTerminators) {
  REQUIRE_CORPUS();
  const Mapped m = MapFile("icardea_11_SecuraDR.hl7");
  EXPECT_EQ(m.interrogation.patient.device_model, "Secura");
  EXPECT_EQ(m.interrogation.patient.device_serial, "PZC600368S");
  EXPECT_EQ(m.interrogation.device.manufacturer, "MDT");
  EXPECT_EQ(m.interrogation.session_id, "600368");
}

TEST(GoldenCorpus, AfScenarioNumericEnumsAndTypoCodingSystem) {
  REQUIRE_CORPUS();
  const Mapped m = MapFile("icardea_AF_Scenario.hl7");
  const Interrogation& r = m.interrogation;
  EXPECT_EQ(r.device.type, domain::DeviceType::kIcd);
  EXPECT_EQ(r.device.manufacturer, "SJM");
  EXPECT_EQ(r.session_type, domain::SessionType::kRemoteScheduled);
  ASSERT_TRUE(r.session_time.has_value());
  EXPECT_EQ(r.session_time->ToIso8601(), "2010-03-22T10:10:07");
  ASSERT_GE(r.episode_groups.size(), 2u);
  EXPECT_EQ(r.episodes[0].type, "Epis_AT_AF");  // OBX-3.3 "MD" typo does not matter
  EXPECT_EQ(r.episodes[1].type, "Epis_SVT");
  EXPECT_EQ(r.patient.family_name, "Schmidt");
}

TEST(GoldenCorpus, VtScenarioLfOnlyWithNoteBeforeObr) {
  REQUIRE_CORPUS();
  const Mapped m = MapFile("icardea_VT_Scenario_Step_20.hl7");
  const Interrogation& r = m.interrogation;
  EXPECT_EQ(r.device.serial, "D284DRG");
  EXPECT_EQ(r.session_type, domain::SessionType::kRemote);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_EQ(r.notes[0], "Comment");
  bool vendor = false;
  for (const auto& g : r.episode_groups) {
    for (const auto& o : g.observations) {
      if (o.code == 739600) {
        vendor = true;
        EXPECT_EQ(o.value.coded.enum_code, 772103u);
      }
    }
  }
  EXPECT_TRUE(vendor);
}

TEST(GoldenCorpus, EncapsulatedPdfDecodesToAPdf) {
  REQUIRE_CORPUS();
  const Mapped m = MapFile("icardea_VTCareplan_Step_12_with_ED_pdf.hl7");
  const Interrogation& r = m.interrogation;
  ASSERT_EQ(r.attachments.size(), 1u);
  const auto& a = r.attachments[0];
  EXPECT_EQ(a.media_type, "application/pdf");
  EXPECT_EQ(a.instance, 1u);
  ASSERT_GT(a.data.size(), 50'000u);
  EXPECT_EQ(a.data.substr(0, 5), "%PDF-");
  EXPECT_NE(a.data.find("%%EOF"), std::string::npos);
}

TEST(GoldenCorpus, PaceartHeaderUpperCaseModelSerialAndPlaceholderBirthDate) {
  REQUIRE_CORPUS();
  const Mapped m = MapFile("nhapi_paceart_oru_r01_v26.hl7");
  const Interrogation& r = m.interrogation;
  EXPECT_EQ(r.sending_application, "Paceart");
  EXPECT_EQ(r.version, "2.6");
  EXPECT_EQ(r.patient.device_model, "A3DR01 Advisa DR MRI");
  EXPECT_EQ(r.patient.device_serial, "PZK600806S");
  EXPECT_EQ(r.patient.assigning_authority, "MDT");
  ASSERT_TRUE(r.patient.birth_date.has_value());
  EXPECT_EQ(r.patient.birth_date->ToIso8601(), "1910");
  EXPECT_EQ(r.session_type, domain::SessionType::kInClinic);
  EXPECT_EQ(r.status, domain::ResultStatus::kPreliminary);
  EXPECT_EQ(r.device.manufacturer, "MDT");
}

}  // namespace
}  // namespace heartbase
