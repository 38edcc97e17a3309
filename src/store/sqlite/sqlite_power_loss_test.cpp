// Power loss at the SQLite level: shows that the power-loss VFS catches what it must (a commit
// that synchronous=NORMAL acknowledges and then loses) and that synchronous=FULL keeps every
// commit.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "store/sqlite/testing/power_loss_vfs.h"
#include "store/testing/temp_dir.h"

namespace heartbase::store {
namespace {

// Commits `rows` single-row transactions through the power-loss VFS, cuts the power, and returns
// how many rows a normal reopen finds.
int RowsAfterPowerLoss(const std::string& path, const char* synchronous, int rows) {
  testing::RegisterPowerLossVfs();
  testing::ResetPowerLossVfs();
  // As `heartbase init` does: the database is created, put in WAL mode and closed (checkpointed).
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE t (x INTEGER);", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  // Then the server runs on a disk whose unsynced writes a power cut will lose.
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, testing::kPowerLossVfs),
            SQLITE_OK);
  const std::string setup = std::string(
                                "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; "
                                "PRAGMA synchronous=") +
                            synchronous + ";";
  EXPECT_EQ(sqlite3_exec(db, setup.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  for (int i = 0; i < rows; ++i) {
    // Each successful COMMIT is an acknowledgment to a sender.
    EXPECT_EQ(
        sqlite3_exec(db, "BEGIN; INSERT INTO t VALUES (1); COMMIT;", nullptr, nullptr, nullptr),
        SQLITE_OK);
  }
  testing::PowerLoss();
  sqlite3_close(db);
  testing::ResetPowerLossVfs();
  db = nullptr;
  int count = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_exec(
        db, "SELECT COUNT(*) FROM t",
        [](void* out, int, char** values, char**) {
          *static_cast<int*>(out) = static_cast<int>(std::strtol(values[0], nullptr, 10));
          return 0;
        },
        &count, nullptr);
  }
  sqlite3_close(db);
  return count;
}

TEST(SqlitePowerLoss, SynchronousNormalLosesAcknowledgedCommits) {
  testing::TempDir dir;
  const int found = RowsAfterPowerLoss(dir.File("normal.db"), "NORMAL", 20);
  EXPECT_GE(found, 0) << "the database itself must survive";
  EXPECT_LT(found, 20) << "the harness must detect the loss NORMAL allows";
}

TEST(SqlitePowerLoss, SynchronousFullKeepsEveryAcknowledgedCommit) {
  testing::TempDir dir;
  EXPECT_EQ(RowsAfterPowerLoss(dir.File("full.db"), "FULL", 20), 20);
}

}  // namespace
}  // namespace heartbase::store
