// The online copy against a database another connection keeps writing, and the image check
// against damaged copies.
#include "store/sqlite/online_backup.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "store/sqlite/sqlite_database.h"
#include "store/testing/temp_dir.h"

namespace heartbase::store {
namespace {

using testing::TempDir;

// A database at the newest schema with a table `pair` written two rows per transaction.
std::unique_ptr<Database> MakeDatabase(const std::string& path) {
  auto db = OpenSqlite({.path = path, .create = true});
  if (!db) return nullptr;
  if (!Migrate(**db, SqliteMigrations(), false)) return nullptr;
  auto s = RunUnitOfWork(**db, Access::kWrite, [](Transaction& tx) -> base::Status {
    if (auto r = tx.Execute("CREATE TABLE pair (id INTEGER PRIMARY KEY, half INTEGER, pad BLOB)");
        !r) {
      return r.error();
    }
    return {};
  });
  return s ? std::move(*db) : nullptr;
}

base::Status WritePair(Database& db) {
  return RunUnitOfWork(db, Access::kWrite, [](Transaction& tx) -> base::Status {
    for (int half = 0; half < 2; ++half) {
      const Param p{"h", static_cast<std::int64_t>(half)};
      if (auto r = tx.Execute("INSERT INTO pair (half, pad) VALUES (:h, zeroblob(3000))", {&p, 1});
          !r) {
        return r.error();
      }
    }
    return {};
  });
}

std::int64_t Count(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
  std::int64_t n = -1;
  if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

TEST(OnlineBackup, CopiesOneCommittedStateWhileAnotherConnectionWrites) {
  TempDir dir;
  auto db = MakeDatabase(dir.File("live.db"));
  ASSERT_TRUE(db);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(WritePair(*db));
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    while (!stop) {
      if (WritePair(*db)) ++written;
    }
  });
  // One page per step: the writer commits between the steps many times over.
  auto copy = CopySqliteSnapshot(dir.File("live.db"), dir.File("copy.db"), {.pages_per_step = 1});
  const int during = written.load();
  stop = true;
  writer.join();
  ASSERT_TRUE(copy) << copy.error().Describe();
  EXPECT_GT(during, 0) << "the writer never committed during the copy";
  EXPECT_EQ(copy->schema_version, SqliteMigrations().back().version);
  EXPECT_EQ(copy->bytes,
            static_cast<std::int64_t>(std::filesystem::file_size(dir.File("copy.db"))));
  // Whole transactions only: both halves of every pair, and at least what was committed before.
  const std::int64_t zeros = Count(dir.File("copy.db"), "SELECT count(*) FROM pair WHERE half=0");
  const std::int64_t ones = Count(dir.File("copy.db"), "SELECT count(*) FROM pair WHERE half=1");
  EXPECT_EQ(zeros, ones);
  EXPECT_GE(zeros, 200);
  // One file: no WAL beside it, and its header says rollback journal.
  EXPECT_FALSE(std::filesystem::exists(dir.File("copy.db-wal")));
  {
    std::ifstream in(dir.File("copy.db"), std::ios::binary);
    char header[20] = {};
    in.read(header, sizeof header);
    EXPECT_EQ(header[18], 1) << "file format write version: 1 rollback journal, 2 WAL";
  }
  EXPECT_EQ(
      std::filesystem::status(dir.File("copy.db")).permissions() & std::filesystem::perms::all,
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto check = CheckSqliteImage(dir.File("copy.db"));
  ASSERT_TRUE(check) << check.error().Describe();
  EXPECT_TRUE(check->problems.empty());
  EXPECT_EQ(check->schema_version, SqliteMigrations().back().version);
}

TEST(OnlineBackup, RefusesToReplaceAnExistingFile) {
  TempDir dir;
  auto db = MakeDatabase(dir.File("live.db"));
  ASSERT_TRUE(db);
  std::ofstream(dir.File("copy.db")) << "mine";
  auto copy = CopySqliteSnapshot(dir.File("live.db"), dir.File("copy.db"));
  ASSERT_FALSE(copy);
  EXPECT_EQ(copy.error().code, base::ErrorCode::kAlreadyExists);
  std::ifstream in(dir.File("copy.db"));
  std::string text;
  in >> text;
  EXPECT_EQ(text, "mine");
}

TEST(OnlineBackup, LeavesNoFileWhenTheSourceIsMissing) {
  TempDir dir;
  auto copy = CopySqliteSnapshot(dir.File("missing.db"), dir.File("copy.db"));
  ASSERT_FALSE(copy);
  EXPECT_FALSE(std::filesystem::exists(dir.File("copy.db")));
}

TEST(OnlineBackup, ImageCheckReportsADamagedPageAndAFileThatIsNoDatabase) {
  TempDir dir;
  auto db = MakeDatabase(dir.File("live.db"));
  ASSERT_TRUE(db);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(WritePair(*db));
  ASSERT_TRUE(CopySqliteSnapshot(dir.File("live.db"), dir.File("copy.db")));
  {
    // Overwrite the middle of the file (b-tree pages) with garbage.
    std::fstream f(dir.File("copy.db"), std::ios::in | std::ios::out | std::ios::binary);
    const auto size = std::filesystem::file_size(dir.File("copy.db"));
    f.seekp(static_cast<std::streamoff>(size / 2 / 4096 * 4096));
    const std::string junk(4096, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto damaged = CheckSqliteImage(dir.File("copy.db"));
  ASSERT_TRUE(damaged) << damaged.error().Describe();
  EXPECT_FALSE(damaged->problems.empty());

  std::ofstream(dir.File("text.db")) << std::string(8192, 'x');
  auto text = CheckSqliteImage(dir.File("text.db"));
  ASSERT_TRUE(text) << text.error().Describe();
  EXPECT_FALSE(text->problems.empty());
}

}  // namespace
}  // namespace heartbase::store
