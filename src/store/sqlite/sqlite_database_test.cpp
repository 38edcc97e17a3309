#include "store/sqlite/sqlite_database.h"

#include <gtest/gtest.h>

#include <memory>

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
