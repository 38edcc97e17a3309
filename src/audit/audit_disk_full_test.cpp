// Disk full and I/O errors while an audited change commits: neither the change nor its audit
// record is stored (no unaudited access, security requirement L3), and the trail stays valid and
// resumes when the disk recovers.
#include <gtest/gtest.h>

#include <memory>

#include "audit/testing/trail_fixture.h"
#include "audit/trail.h"
#include "audit/verifier.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_database.h"
#include "store/sqlite/testing/power_loss_vfs.h"
#include "store/testing/temp_dir.h"
#include "store/testing/test_store.h"

namespace heartbase::audit {
namespace {

class AuditDiskFaults : public testing::TrailTest {
 protected:
  void SetUp() override {
    if (store::testing::TestStoreIsPostgres()) {
      GTEST_SKIP() << "faults of SQLite's file I/O (a fault-injecting VFS)";
    }
    TrailTest::SetUp();
    db_.reset();  // reopen through the fault-injecting VFS
    store::testing::RegisterPowerLossVfs();
    store::testing::ResetPowerLossVfs();
    auto db = store::OpenSqlite({.path = dir_.File("heartbase.db"),
                                 .vfs = store::testing::kPowerLossVfs,
                                 .exclusive_locking = true});
    ASSERT_TRUE(db);
    db_ = std::move(*db);
  }
  void TearDown() override {
    db_.reset();
    store::testing::ResetPowerLossVfs();
  }

  // A patient record written and audited in one unit of work; the note makes the audit record
  // larger than a page.
  base::Status CreatePatientAudited(std::int64_t n) {
    return store::RunUnitOfWork(
        *db_, store::Access::kWrite, [&](store::Transaction& tx) -> base::Status {
          auto id = tx.Query("INSERT INTO patient (created_us) VALUES (1) RETURNING id");
          if (!id) return id.error();
          Event e = MakeEvent(n);
          e.action = "patient.create";
          e.patient_id = id->front().Int(0);
          e.note = std::string(3000, 'n');
          return Append(tx, e, *keys_);
        });
  }

  // Exclusive locking: only the writer connection exists.
  std::int64_t WriterCount(const char* sql) {
    auto tx = db_->Begin(store::Access::kWrite);
    EXPECT_TRUE(tx);
    return (*tx)->Query(sql)->front().Int(0);
  }

  VerifyReport VerifyNow() {
    auto tx = db_->Begin(store::Access::kWrite);
    EXPECT_TRUE(tx);
    auto report = Verify(**tx, {&signer_->public_key(), 1});
    EXPECT_TRUE(report);
    return *report;
  }
};

TEST_F(AuditDiskFaults, DiskFullStoresNeitherTheChangeNorItsRecordAndRecovers) {
  ASSERT_TRUE(CreatePatientAudited(1));
  store::testing::SetDiskSpace(1024);
  auto full = CreatePatientAudited(2);
  ASSERT_FALSE(full) << "an access whose audit record could not be stored must fail";
  EXPECT_EQ(full.error().code, base::ErrorCode::kUnavailable);
  store::testing::SetDiskSpace(-1);
  EXPECT_EQ(WriterCount("SELECT COUNT(*) FROM patient"), 1);
  EXPECT_EQ(WriterCount("SELECT COUNT(*) FROM audit_event"), 1);
  ASSERT_TRUE(CreatePatientAudited(3));
  EXPECT_EQ(WriterCount("SELECT COUNT(*) FROM patient"), 2);
  EXPECT_EQ(WriterCount("SELECT COUNT(*) FROM audit_event"), 2);
  const VerifyReport report = VerifyNow();
  EXPECT_TRUE(report.ok) << report.reason;
  EXPECT_EQ(report.events, 2);
}

TEST_F(AuditDiskFaults, FailedSyncFailsTheAccess) {
  store::testing::FailNextSyncs(1);
  auto failed = CreatePatientAudited(1);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, base::ErrorCode::kIo);
  ASSERT_TRUE(CreatePatientAudited(2));
  const VerifyReport report = VerifyNow();
  EXPECT_TRUE(report.ok) << report.reason;
}

}  // namespace
}  // namespace heartbase::audit
