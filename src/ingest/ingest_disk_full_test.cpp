// Disk full and I/O errors during ingest: the message is not acknowledged (the caller NAKs and the
// sender retries), nothing is half-written, and ingest resumes when the disk recovers.
#include <gtest/gtest.h>

#include <vector>

#include "demo/generator.h"
#include "hl7/message.h"
#include "ingest/pipeline.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_database.h"
#include "store/sqlite/testing/power_loss_vfs.h"
#include "store/testing/temp_dir.h"
#include "store/testing/test_store.h"

namespace heartbase::ingest {
namespace {

class IngestDiskFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    if (store::testing::TestStoreIsPostgres()) {
      GTEST_SKIP() << "faults of SQLite's file I/O (a fault-injecting VFS)";
    }
    ASSERT_TRUE(demo::Generate({.patients = 3, .years = 1, .seed = 5},
                               [&](const demo::GeneratedMessage& m) {
                                 messages_.push_back(m.bytes);
                                 return base::Status();
                               }));
    {
      auto db = store::OpenSqlite({.path = dir_.File("heartbase.db"), .create = true});
      ASSERT_TRUE(db);
      ASSERT_TRUE(store::Migrate(**db, store::SqliteMigrations(), false));
    }
    store::testing::RegisterPowerLossVfs();
    store::testing::ResetPowerLossVfs();
    auto db = store::OpenSqlite({.path = dir_.File("heartbase.db"),
                                 .vfs = store::testing::kPowerLossVfs,
                                 .exclusive_locking = true});
    ASSERT_TRUE(db);
    db_ = std::move(*db);
    auto keys = crypto::KeyRing::Generate();
    ASSERT_TRUE(keys);
    keys_ = std::make_unique<crypto::KeyRing>(std::move(*keys));
    pipeline_ = std::make_unique<Pipeline>(*db_, *keys_);
  }
  void TearDown() override {
    pipeline_.reset();
    db_.reset();
    store::testing::ResetPowerLossVfs();
  }
  std::int64_t Count(const char* sql) {
    auto tx = db_->Begin(store::Access::kWrite);  // exclusive mode: the writer connection
    EXPECT_TRUE(tx);
    return (*tx)->Query(sql)->front().Int(0);
  }

  store::testing::TempDir dir_;
  std::vector<std::string> messages_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<crypto::KeyRing> keys_;
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(IngestDiskFaults, DiskFullIsNotAcknowledgedAndRecovers) {
  ASSERT_TRUE(pipeline_->Ingest(messages_[0], "test"));
  store::testing::SetDiskSpace(2048);  // less than one message needs
  auto full = pipeline_->Ingest(messages_[1], "test");
  ASSERT_FALSE(full) << "a message that could not be stored must not be acknowledged";
  EXPECT_EQ(full.error().code, base::ErrorCode::kUnavailable);
  const std::string nak = pipeline_->NegativeAck(messages_[1], full.error());
  auto ack = hl7::Message::Parse(nak);
  ASSERT_TRUE(ack);
  EXPECT_TRUE(ack->Find("MSA")->Field(1) == "AE" || ack->Find("MSA")->Field(1) == "CE");
  store::testing::SetDiskSpace(-1);                           // space returns
  EXPECT_EQ(Count("SELECT COUNT(*) FROM interrogation"), 1);  // nothing half-written
  EXPECT_EQ(Count("SELECT COUNT(*) FROM quarantine"), 0);     // and not blamed on the message
  auto retry = pipeline_->Ingest(messages_[1], "test");
  ASSERT_TRUE(retry) << retry.error().Describe();
  EXPECT_EQ(retry->disposition, Disposition::kStored);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM interrogation"), 2);
  auto tx = db_->Begin(store::Access::kWrite);
  ASSERT_TRUE(tx);
  EXPECT_EQ((*tx)->Query("PRAGMA integrity_check")->front().Text(0), "ok");
}

TEST_F(IngestDiskFaults, FailedSyncIsNotAcknowledged) {
  store::testing::FailNextSyncs(1);
  auto failed = pipeline_->Ingest(messages_[0], "test");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, base::ErrorCode::kIo);
}

}  // namespace
}  // namespace heartbase::ingest
