#include "store/sqlite/sqlite_database.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "store/testing/database_conformance.h"
#include "store/testing/temp_dir.h"

namespace heartbase::store {
namespace {

using testing::DatabaseConformance;
using testing::TempDir;

std::unique_ptr<Database> MakeSqlite() {
  static std::unique_ptr<TempDir> dir;
  dir = std::make_unique<TempDir>();
  auto db = OpenSqlite({.path = dir->File("t.db"), .create = true});
  return db ? std::move(*db) : nullptr;
}

INSTANTIATE_TEST_SUITE_P(Sqlite, DatabaseConformance, ::testing::Values(&MakeSqlite));

TEST(SqliteDatabase, RunsDurableWalWithForeignKeys) {
  TempDir dir;
  auto db = OpenSqlite({.path = dir.File("t.db"), .create = true});
  ASSERT_TRUE(db);
  for (Access access : {Access::kRead, Access::kWrite}) {
    auto tx = (*db)->Begin(access);
    ASSERT_TRUE(tx);
    EXPECT_EQ((*tx)->Query("PRAGMA journal_mode")->front().Text(0), "wal");
    EXPECT_EQ((*tx)->Query("PRAGMA synchronous")->front().Int(0), 2);  // FULL
    EXPECT_EQ((*tx)->Query("PRAGMA foreign_keys")->front().Int(0), 1);
    EXPECT_EQ((*tx)->Query("PRAGMA secure_delete")->front().Int(0), 1);
  }
}

TEST(SqliteDatabase, RefusesToCreateUnlessAsked) {
  TempDir dir;
  auto db = OpenSqlite({.path = dir.File("missing.db")});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, base::ErrorCode::kIo);
}

TEST(SqliteDatabase, CommittedDataSurvivesReopening) {
  TempDir dir;
  {
    auto db = OpenSqlite({.path = dir.File("t.db"), .create = true});
    ASSERT_TRUE(db);
    ASSERT_TRUE(Migrate(**db, SqliteMigrations(), false));
  }
  auto db = OpenSqlite({.path = dir.File("t.db")});
  ASSERT_TRUE(db);
  auto v = SchemaVersion(**db);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, SqliteMigrations().back().version);
}

// Version 2 turned the per-OBX observation table into the trend table; an upgraded database keeps
// the trended values of current versions and nothing else.
TEST(SqliteMigrations, UpgradeToVersion2KeepsCurrentMeasurementsAsTrendPoints) {
  TempDir dir;
  auto db = OpenSqlite({.path = dir.File("t.db"), .create = true});
  ASSERT_TRUE(db);
  ASSERT_TRUE(Migrate(**db, SqliteMigrations().first(1), false));
  {
    auto tx = (*db)->Begin(Access::kWrite);
    ASSERT_TRUE(tx);
    for (const char* sql : {
             "INSERT INTO blob VALUES (1, x'01', 'raw', 1, x'00', 0)",
             "INSERT INTO patient (id, created_us) VALUES (1, 0)",
             "INSERT INTO device VALUES (1, 1, 'MDT', 'IPG', NULL, x'00', x'01', x'02', NULL, 0, "
             "0)",
             "INSERT INTO interrogation VALUES (1, 1, 1, 'A|B', 'C1', x'01', 'remote', 5, "
             "'final', NULL, 1, 0, 3, 0)",
             "INSERT INTO observation VALUES (1, 1, 1, 721344, 0, 'measurement', 5, 1, 2.95, "
             "NULL, NULL, NULL, 'V', NULL)",
             "INSERT INTO observation VALUES (1, 2, 1, 730752, 0, 'setting', 5, 1, NULL, 'DDD', "
             "NULL, NULL, NULL, NULL)",
             "INSERT INTO observation VALUES (1, 3, 1, 721344, 0, 'measurement', 6, 0, 2.90, "
             "NULL, NULL, NULL, 'V', NULL)",
         }) {
      ASSERT_TRUE((*tx)->Execute(sql)) << sql;
    }
    ASSERT_TRUE((*tx)->Commit());
  }
  auto refused = Migrate(**db, SqliteMigrations(), false);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, base::ErrorCode::kUnsupported);
  ASSERT_TRUE(Migrate(**db, SqliteMigrations(), true));
  auto tx = (*db)->Begin(Access::kRead);
  ASSERT_TRUE(tx);
  auto rows = (*tx)->Query("SELECT code, observed_us, value_num, unit FROM trend");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].Int(0), 721344);
  EXPECT_EQ((*rows)[0].Int(1), 5);
  EXPECT_DOUBLE_EQ((*rows)[0].Real(2), 2.95);
  EXPECT_EQ((*rows)[0].Text(3), "V");
  EXPECT_FALSE((*tx)->Query("SELECT 1 FROM observation"));
}

// Version 11 rebuilds the interrogation table without UNIQUE (sender, control_id): the rows and
// everything that refers to them survive, foreign keys still hold, and the same sender and control
// id are refused only for the same raw message (blob).
TEST(SqliteMigrations, UpgradeToVersion11KeepsInterrogationsAndAllowsAReusedControlId) {
  TempDir dir;
  auto db = OpenSqlite({.path = dir.File("t.db"), .create = true});
  ASSERT_TRUE(db);
  ASSERT_TRUE(Migrate(**db, SqliteMigrations().first(10), false));
  {
    auto tx = (*db)->Begin(Access::kWrite);
    ASSERT_TRUE(tx);
    for (const char* sql : {
             "INSERT INTO blob (id, lookup, kind, size, sealed, created_us) VALUES "
             "(1, x'01', 'hl7', 1, x'00', 0), (2, x'02', 'hl7', 1, x'00', 0)",
             "INSERT INTO patient (id, created_us) VALUES (1, 0)",
             "INSERT INTO device VALUES (1, 1, 'MDT', 'IPG', NULL, x'00', x'01', x'02', NULL, 0, "
             "0)",
             "INSERT INTO interrogation VALUES (1, 1, 1, 'A|B', 'C1', x'01', 'remote', 5, "
             "'final', 2, 1, 0, 3, 0), (2, 1, 1, 'A|B', 'C2', x'01', 'remote', 5, 'corrected', "
             "NULL, 2, 1, 3, 0)",
             "INSERT INTO interrogation_review (interrogation_id, state, received_us) VALUES "
             "(1, 'new', 0), (2, 'new', 1)",
             "INSERT INTO trend (patient_id, code, observed_us, interrogation_id, seq, instance, "
             "value_num) VALUES (1, 721344, 5, 2, 5, 0, 2.9)",
         }) {
      ASSERT_TRUE((*tx)->Execute(sql)) << sql;
    }
    ASSERT_TRUE((*tx)->Commit());
  }
  ASSERT_TRUE(Migrate(**db, SqliteMigrations(), true));
  auto tx = (*db)->Begin(Access::kWrite);
  ASSERT_TRUE(tx);
  auto rows = (*tx)->Query(
      "SELECT id, control_id, superseded_by, raw_blob_id, control_id_reused FROM interrogation "
      "ORDER BY id");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].Int(2), 2);
  EXPECT_EQ((*rows)[1].Text(1), "C2");
  EXPECT_EQ((*rows)[1].Int(4), 0);
  EXPECT_TRUE((*tx)->Query("PRAGMA foreign_key_check")->empty());
  EXPECT_EQ((*tx)->Query("PRAGMA integrity_check")->front().Text(0), "ok");
  // The same control id with another raw message is a new row; with the same one it is refused.
  EXPECT_TRUE((*tx)->Execute(
      "INSERT INTO interrogation VALUES (3, 1, 1, 'A|B', 'C1', x'01', 'remote', 5, 'final', "
      "NULL, 2, 2, 3, 0, 1)"));
  EXPECT_FALSE((*tx)->Execute(
      "INSERT INTO interrogation VALUES (4, 1, 1, 'A|B', 'C1', x'01', 'remote', 5, 'final', "
      "NULL, 1, 2, 3, 0, 1)"));
  // Foreign keys are enforced again after the rebuild.
  EXPECT_FALSE((*tx)->Execute(
      "INSERT INTO interrogation VALUES (5, 1, 1, 'A|B', 'C9', x'01', 'remote', 5, 'final', "
      "NULL, 77, 2, 3, 0, 0)"));
}

// The WAL is copied into the database file by the background checkpointer, not by a commit: with
// SQLite's automatic checkpoint at 1,000 pages these 800 KB would stay in the WAL.
TEST(SqliteDatabase, BackgroundCheckpointMovesTheWalIntoTheDatabase) {
  TempDir dir;
  auto db = OpenSqlite({.path = dir.File("t.db"), .create = true, .checkpoint_pages = 16});
  ASSERT_TRUE(db);
  const std::string payload(16 * 1024, 'x');
  for (int i = 0; i < 50; ++i) {
    auto tx = (*db)->Begin(Access::kWrite);
    ASSERT_TRUE(tx);
    if (i == 0) {
      ASSERT_TRUE((*tx)->Execute("CREATE TABLE b (x BLOB)"));
    }
    const Param p[] = {{"x", Bytes{payload}}};
    ASSERT_TRUE((*tx)->Execute("INSERT INTO b (x) VALUES (:x)", p));
    ASSERT_TRUE((*tx)->Commit());
  }
  std::uintmax_t size = 0;
  for (int i = 0; i < 500 && size < 600 * 1024; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    size = std::filesystem::file_size(dir.File("t.db"));
  }
  EXPECT_GE(size, 600u * 1024);
}

TEST(SqliteDatabase, ReportsANonDatabaseFileAsDataLoss) {
  TempDir dir;
  {
    std::FILE* f = std::fopen(dir.File("junk.db").c_str(), "wb");
    std::fputs("this is not an sqlite database, just some text long enough to matter", f);
    std::fclose(f);
  }
  auto db = OpenSqlite({.path = dir.File("junk.db")});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, base::ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace heartbase::store
