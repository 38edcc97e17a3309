// The online copy uses sqlite3_backup_* under a read transaction the copying connection holds
// throughout: each step reads the same snapshot, so a commit by `serve` neither blocks on the copy
// nor makes it start again (without the transaction, every commit from another process would).
#include "store/sqlite/online_backup.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string_view>
#include <system_error>

namespace heartbase::store {
namespace {

using base::ErrorCode;
using base::MakeError;

base::Error SqliteFailure(sqlite3* db, int rc, std::string_view what) {
  const int primary = rc & 0xFF;
  ErrorCode code = ErrorCode::kIo;
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) code = ErrorCode::kDataLoss;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) code = ErrorCode::kConflict;
  if (primary == SQLITE_FULL || primary == SQLITE_NOMEM) code = ErrorCode::kUnavailable;
  // sqlite3_errmsg names statements and files, never values.
  return MakeError(code, fmt::format("sqlite: {}: {} ({})", what,
                                     db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc));
}

// Owns a connection; closing waits for nothing (statements are finalized where they are made).
class Handle {
 public:
  Handle() = default;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { Close(); }
  sqlite3** out() { return &db_; }
  sqlite3* get() const { return db_; }
  int Close() {
    const int rc = db_ != nullptr ? sqlite3_close(db_) : SQLITE_OK;
    db_ = nullptr;
    return rc;
  }

 private:
  sqlite3* db_ = nullptr;
};

base::Status Exec(sqlite3* db, const char* sql) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteFailure(db, rc, sql);
  return {};
}

// The schema_version table's value; 0 when the database has no such table (an empty database).
base::Result<int> ReadSchemaVersion(sqlite3* db) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &st, nullptr);
  if (rc != SQLITE_OK) {
    const int primary = rc & 0xFF;
    if (primary == SQLITE_ERROR) return 0;  // no such table
    return SqliteFailure(db, rc, "read schema_version");
  }
  int version = 0;
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    version = sqlite3_column_int(st, 0);
    rc = sqlite3_step(st);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return SqliteFailure(db, rc, "read schema_version");
  return version;
}

void RemoveWithCompanions(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
    std::filesystem::remove(path + suffix, ec);
  }
}

base::Status SyncFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return MakeError(ErrorCode::kIo, fmt::format("cannot open {}", path));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return MakeError(ErrorCode::kIo, fmt::format("cannot sync {}", path));
  return {};
}

base::Result<Snapshot> Copy(const std::string& source, const std::string& dest,
                            const SnapshotOptions& options) {
  Handle src;
  int rc =
      sqlite3_open_v2(source.c_str(), src.out(),
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nullptr);
  if (rc != SQLITE_OK) return SqliteFailure(src.get(), rc, fmt::format("open {}", source));
  sqlite3_busy_timeout(src.get(), 5000);
  if (auto s = Exec(src.get(), "PRAGMA query_only=ON"); !s) return s.error();
  // Deferred BEGIN takes its snapshot at the first read: the schema_version read below.
  if (auto s = Exec(src.get(), "BEGIN"); !s) return s.error();
  auto version = ReadSchemaVersion(src.get());
  if (!version) return version.error();

  Handle dst;
  rc =
      sqlite3_open_v2(dest.c_str(), dst.out(),
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nullptr);
  if (rc != SQLITE_OK) return SqliteFailure(dst.get(), rc, fmt::format("open {}", dest));
  sqlite3_backup* backup = sqlite3_backup_init(dst.get(), "main", src.get(), "main");
  if (backup == nullptr) {
    return SqliteFailure(dst.get(), sqlite3_errcode(dst.get()), "start the copy");
  }
  do {
    rc = sqlite3_backup_step(backup, options.pages_per_step);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(10);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  const int finish = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) return SqliteFailure(dst.get(), rc, "copy");
  if (finish != SQLITE_OK) return SqliteFailure(dst.get(), finish, "finish the copy");
  if (auto s = Exec(src.get(), "COMMIT"); !s) return s.error();
  src.Close();
  // The copied first page says WAL, as the source does; a backup file is one file, so the copy
  // is turned into a rollback-journal database (the restored database is opened in WAL again).
  if (auto s = Exec(dst.get(), "PRAGMA journal_mode=DELETE"); !s) return s.error();
  if (rc = dst.Close(); rc != SQLITE_OK) return SqliteFailure(nullptr, rc, "close the copy");
  if (auto s = SyncFile(dest); !s) return s.error();
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(dest, ec);
  if (ec) return MakeError(ErrorCode::kIo, fmt::format("cannot read the size of {}", dest));
  return Snapshot{.bytes = static_cast<std::int64_t>(bytes), .schema_version = *version};
}

}  // namespace

base::Result<Snapshot> CopySqliteSnapshot(const std::string& source, const std::string& dest,
                                          const SnapshotOptions& options) {
  // Created here, exclusively and private, so the copy never replaces a file and SQLite's own
  // journal for it inherits the mode.
  const int fd = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return MakeError(ErrorCode::kAlreadyExists, fmt::format("{} already exists", dest));
    }
    return MakeError(ErrorCode::kIo, fmt::format("cannot create {}", dest));
  }
  ::close(fd);
  auto copied = Copy(source, dest, options);
  if (!copied) RemoveWithCompanions(dest);
  return copied;
}

base::Result<ImageCheck> CheckSqliteImage(const std::string& path) {
  Handle db;
  int rc =
      sqlite3_open_v2(path.c_str(), db.out(),
                      SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nullptr);
  if (rc != SQLITE_OK) return SqliteFailure(db.get(), rc, fmt::format("open {}", path));
  // The file may come from anywhere: nothing in its schema runs with privileges.
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  ImageCheck check;
  sqlite3_stmt* st = nullptr;
  rc = sqlite3_prepare_v2(db.get(), "PRAGMA integrity_check", -1, &st, nullptr);
  while (rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      const std::string_view row = text == nullptr ? "" : text;
      if (row != "ok") check.problems.emplace_back(row);
    }
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    const int primary = rc & 0xFF;
    if (primary != SQLITE_CORRUPT && primary != SQLITE_NOTADB) {
      return SqliteFailure(db.get(), rc, "integrity_check");
    }
    check.problems.push_back(SqliteFailure(db.get(), rc, "integrity_check").message);
    return check;
  }
  auto version = ReadSchemaVersion(db.get());
  if (!version) {
    if (version.error().code != ErrorCode::kDataLoss) return version.error();
    check.problems.push_back(version.error().message);
    return check;
  }
  check.schema_version = *version;
  return check;
}

}  // namespace heartbase::store
