// Merging patients on a real (migrated) SQLite database: rows move, identifiers are sealed again
// for the survivor and found under it, a history row is kept, and refused merges change nothing.
#include "store/patient_merge.h"

#include <gtest/gtest.h>

#include <memory>

#include "store/migrations.h"
#include "store/patients.h"
#include "store/testing/temp_dir.h"
#include "store/testing/test_store.h"

namespace heartbase::store {
namespace {

using base::ErrorCode;

constexpr std::int64_t kT0 = 1'800'000'000'000'000;

class PatientMergeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = testing::OpenTestStore(dir_);
    ASSERT_TRUE(store) << store.error().Describe();
    db_ = std::move(store->db);
    migrations_ = store->migrations;
    ASSERT_TRUE(Migrate(*db_, migrations_, false));
    auto keys = crypto::KeyRing::Generate();
    ASSERT_TRUE(keys);
    keys_ = std::make_unique<crypto::KeyRing>(std::move(*keys));
    auto tx = Write();
    // The prior record: a patient with a device, created by a transmission, carrying MRN-OLD.
    domain::Interrogation in;
    in.device.manufacturer = "MDT";
    in.device.serial = "SER1";
    in.patient.family_name = "Prior";
    in.patient.other_identifiers = {{"MRN-OLD", "HOSP", "MR"}};
    auto match = MatchPatient(*tx, *keys_, in, ClinicScope{.clinics = {1}}, kT0);
    ASSERT_TRUE(match) << match.error().Describe();
    from_ = match->patient_id;
    domain::PatientIdentity survivor;
    survivor.family_name = "Survivor";
    survivor.other_identifiers = {{"MRN-NEW", "HOSP", "MR"}};
    auto into = CreatePatient(*tx, *keys_, survivor, 1, /*unmatched=*/false, kT0);
    ASSERT_TRUE(into) << into.error().Describe();
    into_ = *into;
    ASSERT_TRUE(tx->Commit());
  }

  std::unique_ptr<Transaction> Write() {
    auto tx = db_->Begin(Access::kWrite);
    EXPECT_TRUE(tx);
    return std::move(*tx);
  }

  std::int64_t Count(Transaction& tx, const std::string& sql) {
    auto rows = tx.Query(sql);
    EXPECT_TRUE(rows);
    return rows ? (*rows)[0].Int(0) : -1;
  }

  testing::TempDir dir_;
  std::span<const Migration> migrations_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<crypto::KeyRing> keys_;
  std::int64_t from_ = 0, into_ = 0;
};

TEST_F(PatientMergeTest, MovesRowsAndResealsIdentifiersForTheSurvivor) {
  auto tx = Write();
  ASSERT_TRUE(MergePatients(*tx, *keys_, from_, into_, {"HIS|HOSP", "M1"}, kT0 + 1));
  EXPECT_EQ(*FindPatientsBySerial(*tx, *keys_, "SER1"), std::vector<std::int64_t>{into_});
  // Found under the survivor, and readable there: sealed again with the survivor's row.
  EXPECT_EQ(*FindPatientsByIdentifier(*tx, *keys_, "MRN-OLD", "HOSP"),
            std::vector<std::int64_t>{into_});
  EXPECT_EQ(*FindPatientsByIdentifier(*tx, *keys_, "MRN-NEW", "HOSP"),
            std::vector<std::int64_t>{into_});
  auto values =
      tx->Query("SELECT value FROM patient_identifier WHERE patient_id = " + std::to_string(into_));
  ASSERT_TRUE(values);
  ASSERT_EQ(values->size(), 2u);
  for (const Row& r : *values) {
    EXPECT_TRUE(keys_->Open(r.Blob(0), {"patient_identifier", "value", into_}));
  }
  EXPECT_EQ(GetPatient(*tx, *keys_, from_).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(GetPatient(*tx, *keys_, into_)->family_name, "Survivor");
  EXPECT_TRUE(FindPatientsByName(*tx, *keys_, "Prior")->empty());
  auto history = ListMergesInto(*tx, into_);
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].merged_from, from_);
  EXPECT_EQ((*history)[0].clinic_id, 1);
  EXPECT_EQ((*history)[0].sender, "HIS|HOSP");
  EXPECT_EQ((*history)[0].control_id, "M1");
  EXPECT_EQ((*history)[0].merged_us, kT0 + 1);
}

TEST_F(PatientMergeTest, RefusesToMergeAPatientIntoItself) {
  auto tx = Write();
  EXPECT_EQ(MergePatients(*tx, *keys_, into_, into_, {}, kT0).error().code,
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(Count(*tx, "SELECT COUNT(*) FROM patient_merge"), 0);
  EXPECT_TRUE(GetPatient(*tx, *keys_, into_));
}

TEST_F(PatientMergeTest, RefusesToMergeAcrossClinics) {
  auto tx = Write();
  ASSERT_TRUE(MovePatient(*tx, from_, 2));
  EXPECT_EQ(MergePatients(*tx, *keys_, from_, into_, {}, kT0).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(*FindPatientsBySerial(*tx, *keys_, "SER1"), std::vector<std::int64_t>{from_});
  EXPECT_EQ(Count(*tx, "SELECT COUNT(*) FROM patient_merge"), 0);
}

TEST_F(PatientMergeTest, RefusesAnUnknownPriorPatient) {
  auto tx = Write();
  auto s = MergePatients(*tx, *keys_, from_ + into_ + 100, into_, {}, kT0);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.error().message, "unknown prior patient");
}

TEST_F(PatientMergeTest, DemographicsUpdateIsSealedAndReplacesTheNameTokens) {
  auto tx = Write();
  domain::PatientIdentity update;
  update.family_name = "Renamed";
  update.sex = "M";
  ASSERT_TRUE(UpdatePatientDemographics(*tx, *keys_, into_, update));
  auto p = GetPatient(*tx, *keys_, into_);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->family_name, "Renamed");
  EXPECT_EQ(p->sex, "M");
  EXPECT_EQ(*FindPatientsByName(*tx, *keys_, "renamed"), std::vector<std::int64_t>{into_});
  EXPECT_TRUE(FindPatientsByName(*tx, *keys_, "Survivor")->empty());
  EXPECT_EQ(UpdatePatientDemographics(*tx, *keys_, into_ + from_ + 100, update).error().code,
            ErrorCode::kNotFound);
}

}  // namespace
}  // namespace heartbase::store
