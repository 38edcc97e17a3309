// ADT in through the pipeline: registration creates, updates are sealed, merges move everything
// with history and audit, refusals change nothing, retries apply once, and IDCO messages match a
// registered patient by MRN when their device is new.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <span>
#include <string>

#include "ingest/pipeline.h"
#include "store/interrogations.h"
#include "store/patient_merge.h"
#include "store/patients.h"
#include "store/testing/temp_dir.h"
#include "store/testing/test_store.h"

namespace heartbase::ingest {
namespace {

using store::testing::TempDir;

std::string Adt(const std::string& event, const std::string& control, const std::string& pid3,
                const std::string& name = "Smith^Anna", const std::string& mrg = "") {
  std::string m = "MSH|^~\\&|HIS|HOSP|||20260101120000+0000||ADT^" + event + "|" + control +
                  "|P|2.5\rEVN|" + event + "|20260101120000\rPID|||" + pid3 + "||" + name +
                  "||19500102|F\r";
  if (!mrg.empty()) m += "MRG|" + mrg + "\r";
  return m;
}

std::string Oru(const std::string& control, const std::string& serial, const std::string& mrn) {
  return "MSH|^~\\&|CARELINK|MDT|||20260101120500+0000||ORU^R01^ORU_R01|" + control +
         "|P|2.6\r"
         "PID|||model:A3DR01/serial:" +
         serial + "^^^MDT^U~" + mrn +
         "^^^HOSP^MR||Doe^Jane||19480312|F\r"
         "OBR|1||S-" +
         control +
         "|754053^MDC_IDC_ENUM_SESS_TYPE_RemoteScheduled^MDC|||20260101120000+0000\r"
         "OBX|1|CWE|720897^MDC_IDC_DEV_TYPE^MDC||753665^MDC_IDC_ENUM_DEV_TYPE_IPG^MDC\r"
         "OBX|2|ST|720899^MDC_IDC_DEV_SERIAL^MDC||" +
         serial +
         "\r"
         "OBX|3|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC||2.95|V\r";
}

class AdtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::testing::OpenTestStore(dir_);
    ASSERT_TRUE(store) << store.error().Describe();
    db_ = std::move(store->db);
    migrations_ = store->migrations;
    ASSERT_TRUE(store::Migrate(*db_, migrations_, false));
    auto keys = crypto::KeyRing::Generate();
    ASSERT_TRUE(keys);
    keys_ = std::make_unique<crypto::KeyRing>(std::move(*keys));
    IngestOptions o;
    o.now_us = [this] { return now_ += 1'000'000; };
    pipeline_ = std::make_unique<Pipeline>(*db_, *keys_, o);
  }

  Outcome Ingest(const std::string& text) {
    auto r = pipeline_->Ingest(text, "test", feed_);
    EXPECT_TRUE(r) << r.error().Describe();
    return r ? *r : Outcome{};
  }

  std::unique_ptr<store::Transaction> Read() {
    auto tx = db_->Begin(store::Access::kRead);
    EXPECT_TRUE(tx);
    return std::move(*tx);
  }

  std::int64_t Count(const std::string& sql) {
    auto tx = Read();
    auto rows = tx->Query(sql);
    EXPECT_TRUE(rows);
    return rows ? (*rows)[0].Int(0) : -1;
  }

  std::vector<std::int64_t> ByMrn(const std::string& mrn) {
    auto tx = Read();
    return *store::FindPatientsByIdentifier(*tx, *keys_, mrn, "HOSP");
  }

  TempDir dir_;
  std::int64_t now_ = 1'767'225'600'000'000;
  store::ClinicScope feed_{.clinics = {1}};
  std::unique_ptr<store::Database> db_;
  std::span<const store::Migration> migrations_;
  std::unique_ptr<crypto::KeyRing> keys_;
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(AdtTest, A04CreatesAnOrdinaryPatientInTheFeedsClinic) {
  const Outcome out = Ingest(Adt("A04", "A1", "MRN1^^^HOSP^MR"));
  ASSERT_EQ(out.disposition, Disposition::kStored);
  EXPECT_TRUE(out.new_patient);
  EXPECT_NE(out.ack.find("MSA|AA|A1"), std::string::npos) << out.ack;
  ASSERT_EQ(ByMrn("MRN1").size(), 1u);
  auto tx = Read();
  auto p = store::GetPatient(*tx, *keys_, ByMrn("MRN1").front());
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->unmatched);
  EXPECT_EQ(p->clinic_id, 1);
  EXPECT_EQ(p->family_name, "Smith");
  EXPECT_EQ(p->birth_date, "1950-01-02");
}

TEST_F(AdtTest, A08ForAnUnknownMrnCreatesAnUnmatchedPatient) {
  Ingest(Adt("A08", "A1", "MRN1^^^HOSP^MR"));
  auto tx = Read();
  EXPECT_TRUE(store::GetPatient(*tx, *keys_, ByMrn("MRN1").front())->unmatched);
}

TEST_F(AdtTest, A08UpdatesTheNameSealed) {
  Ingest(Adt("A04", "A1", "MRN1^^^HOSP^MR"));
  const Outcome out = Ingest(Adt("A08", "A2", "MRN1^^^HOSP^MR", "Zanzibarova^Quintessa"));
  EXPECT_FALSE(out.new_patient);
  ASSERT_EQ(ByMrn("MRN1").size(), 1u);
  {
    auto tx = Read();
    auto p = store::GetPatient(*tx, *keys_, ByMrn("MRN1").front());
    EXPECT_EQ(p->family_name, "Zanzibarova");
    EXPECT_EQ(p->given_name, "Quintessa");
    EXPECT_EQ(*store::FindPatientsByName(*tx, *keys_, "quintessa"), ByMrn("MRN1"));
  }
  pipeline_.reset();
  db_.reset();  // flush and close, then look at every file of the data directory
  for (const auto& f : std::filesystem::directory_iterator(dir_.path())) {
    std::ifstream in(f.path(), std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), {}};
    EXPECT_EQ(bytes.find("Zanzibarova"), std::string::npos) << f.path();
    EXPECT_EQ(bytes.find("Quintessa"), std::string::npos) << f.path();
  }
}

TEST_F(AdtTest, A40MergesThePriorPatientIntoTheSurvivorWithHistoryAndAudit) {
  // The prior record: a transmission created it (unmatched, with the MRN the device clinic used),
  // then the hospital registered it; the survivor is registered under another MRN.
  Ingest(Oru("O1", "SER-A", "OLD1"));
  Ingest(Adt("A04", "A1", "NEW1^^^HOSP^MR"));
  const std::int64_t prior = ByMrn("OLD1").front();
  const std::int64_t survivor = ByMrn("NEW1").front();
  const Outcome out = Ingest(Adt("A40", "M1", "NEW1^^^HOSP^MR", "Smith^Anna", "OLD1^^^HOSP^MR"));
  ASSERT_EQ(out.disposition, Disposition::kStored) << out.ack;
  EXPECT_EQ(out.adt_patient, survivor);
  auto tx = Read();
  EXPECT_EQ(store::GetPatient(*tx, *keys_, prior).error().code, base::ErrorCode::kNotFound);
  EXPECT_EQ(*store::FindPatientsByIdentifier(*tx, *keys_, "OLD1", "HOSP"),
            std::vector<std::int64_t>{survivor});
  auto trend = store::ReadTrend(*tx, survivor, 721344, 0, INT64_MAX);
  ASSERT_TRUE(trend);
  EXPECT_EQ(trend->size(), 1u);
  EXPECT_EQ((*tx->Query("SELECT COUNT(*) FROM interrogation WHERE patient_id = " +
                        std::to_string(survivor)))[0]
                .Int(0),
            1);
  auto history = store::ListMergesInto(*tx, survivor);
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].merged_from, prior);
  EXPECT_EQ((*history)[0].control_id, "M1");
  EXPECT_EQ((*history)[0].sender, "HIS|HOSP");
  auto audit =
      tx->Query("SELECT user_name, patient_id FROM audit_event WHERE action = 'patient.merge'");
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].Text(0), "system:ingest");
  EXPECT_EQ((*audit)[0].Int(1), survivor);
  // The device follows the survivor: its next transmission matches it.
  tx.reset();
  const Outcome next = Ingest(Oru("O2", "SER-A", "OLD1"));
  EXPECT_FALSE(next.new_patient);
  auto tx2 = Read();
  EXPECT_EQ(*store::FindPatientsBySerial(*tx2, *keys_, "SER-A"),
            std::vector<std::int64_t>{survivor});
}

TEST_F(AdtTest, MergeWithAnUnknownPriorPatientIsRefusedAndChangesNothing) {
  Ingest(Adt("A04", "A1", "NEW1^^^HOSP^MR"));
  const Outcome out = Ingest(Adt("A40", "M1", "NEW1^^^HOSP^MR", "Other^Name", "NOPE^^^HOSP^MR"));
  EXPECT_EQ(out.disposition, Disposition::kQuarantined);
  EXPECT_NE(out.ack.find("MSA|AE|M1"), std::string::npos) << out.ack;
  EXPECT_NE(out.ack.find("unknown prior patient"), std::string::npos) << out.ack;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM patient_merge"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM adt_message"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM quarantine"), 1);
  auto tx = Read();
  EXPECT_EQ(store::GetPatient(*tx, *keys_, ByMrn("NEW1").front())->family_name, "Smith");
}

TEST_F(AdtTest, MergeOfAPatientIntoItselfIsRefused) {
  Ingest(Adt("A04", "A1", "NEW1^^^HOSP^MR"));
  const Outcome out = Ingest(Adt("A40", "M1", "NEW1^^^HOSP^MR", "Smith^Anna", "NEW1^^^HOSP^MR"));
  EXPECT_EQ(out.disposition, Disposition::kQuarantined);
  EXPECT_NE(out.ack.find("MSA|AE|M1"), std::string::npos) << out.ack;
  EXPECT_EQ(ByMrn("NEW1").size(), 1u);
}

TEST_F(AdtTest, MergeAcrossClinicsIsRefused) {
  feed_ = store::ClinicScope{.clinics = {1, 2}};
  Ingest(Adt("A04", "A1", "NEW1^^^HOSP^MR"));
  Ingest(Adt("A04", "A2", "OLD1^^^HOSP^MR"));
  {
    auto tx = db_->Begin(store::Access::kWrite);
    ASSERT_TRUE(store::MovePatient(**tx, ByMrn("OLD1").front(), 2));
    ASSERT_TRUE((*tx)->Commit());
  }
  const Outcome out = Ingest(Adt("A40", "M1", "NEW1^^^HOSP^MR", "Smith^Anna", "OLD1^^^HOSP^MR"));
  EXPECT_EQ(out.disposition, Disposition::kQuarantined);
  EXPECT_NE(out.ack.find("MSA|AR|M1"), std::string::npos) << out.ack;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM patient"), 2);
}

TEST_F(AdtTest, MissingMrnIsAnsweredAeAndQuarantined) {
  const Outcome out = Ingest(Adt("A04", "A1", "12345^^^^PI"));
  EXPECT_EQ(out.disposition, Disposition::kQuarantined);
  EXPECT_NE(out.ack.find("MSA|AE|A1"), std::string::npos) << out.ack;
  EXPECT_NE(out.ack.find("ERR|"), std::string::npos) << out.ack;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM patient"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM quarantine"), 1);
}

TEST_F(AdtTest, DuplicateIsAcknowledgedAgainAndAppliedOnce) {
  const Outcome first = Ingest(Adt("A04", "A1", "MRN1^^^HOSP^MR"));
  const Outcome again = Ingest(Adt("A04", "A1", "MRN1^^^HOSP^MR"));
  EXPECT_EQ(again.disposition, Disposition::kDuplicate);
  EXPECT_EQ(again.id, first.id);
  EXPECT_NE(again.ack.find("MSA|AA|A1"), std::string::npos) << again.ack;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM patient"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM adt_message"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_event WHERE action = 'patient.create'"), 1);
}

TEST_F(AdtTest, AnOruWithANewDeviceMatchesTheRegisteredPatientByMrn) {
  Ingest(Adt("A04", "A1", "MRN1^^^HOSP^MR"));
  const std::int64_t patient = ByMrn("MRN1").front();
  const Outcome out = Ingest(Oru("O1", "SER-NEW", "MRN1"));
  ASSERT_EQ(out.disposition, Disposition::kStored);
  EXPECT_FALSE(out.new_patient);
  auto tx = Read();
  EXPECT_EQ(*store::FindPatientsBySerial(*tx, *keys_, "SER-NEW"),
            std::vector<std::int64_t>{patient});
}

TEST_F(AdtTest, AnOruDoesNotMatchByMrnOutsideTheFeedsClinics) {
  Ingest(Adt("A04", "A1", "MRN1^^^HOSP^MR"));
  feed_ = store::ClinicScope{.clinics = {2}};
  const Outcome out = Ingest(Oru("O1", "SER-NEW", "MRN1"));
  EXPECT_TRUE(out.new_patient);
}

}  // namespace
}  // namespace heartbase::ingest
