// SQLite driver. Writers are serialised in-process (one connection, BEGIN IMMEDIATE), so
// SQLITE_BUSY only arises from other processes and is reported as kConflict for the unit of work to
// retry.
#include "store/sqlite/sqlite_database.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/log.h"

namespace heartbase::store {
namespace {

using base::ErrorCode;
using base::MakeError;

const Dialect kSqliteDialect{.name = "sqlite",
                             .skip_locked = "",
                             .integrity_check = "PRAGMA integrity_check",
                             .quick_check = "PRAGMA quick_check",
                             .foreign_key_check = "PRAGMA foreign_key_check"};

// A connection that saw its file refuse a write (SQLITE_READONLY*: the WAL or the database
// became unwritable, e.g. a full or remounted file system, or `chattr +i`) or an I/O error keeps
// the state it fell into: SQLite opens the WAL read-only when it cannot open it for writing and
// stays so. Such a connection is closed instead of being reused, so the next transaction opens a
// fresh one and ingest recovers by itself once the fault is gone.
bool BreaksConnection(int rc) {
  const int primary = rc & 0xFF;
  return primary == SQLITE_READONLY || primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN;
}

bool IsDamage(int rc) {
  const int primary = rc & 0xFF;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}

base::Error SqliteError(sqlite3* db, int rc, std::string_view what) {
  const int primary = rc & 0xFF;
  ErrorCode code = ErrorCode::kInternal;
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = ErrorCode::kConflict;
      break;
    case SQLITE_CONSTRAINT:
      code = (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
                 ? ErrorCode::kAlreadyExists
                 : ErrorCode::kInvalidArgument;
      break;
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      code = ErrorCode::kUnavailable;
      break;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
      code = ErrorCode::kIo;
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      code = ErrorCode::kDataLoss;
      break;
    case SQLITE_ERROR:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
      code = ErrorCode::kInvalidArgument;
      break;
    default:
      break;
  }
  // sqlite3_errmsg describes the statement or schema, never bound values.
  return MakeError(code, fmt::format("sqlite: {}: {} ({})", what,
                                     db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc));
}

class Connection {
 public:
  ~Connection() {
    for (auto& [sql, st] : cache_) sqlite3_finalize(st.stmt);
    sqlite3_close_v2(db_);
  }

  static base::Result<std::unique_ptr<Connection>> Open(const SqliteOptions& o, bool create) {
    auto c = std::make_unique<Connection>();
    const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) |
                      SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    const int rc =
        sqlite3_open_v2(o.path.c_str(), &c->db_, flags, o.vfs.empty() ? nullptr : o.vfs.c_str());
    if (rc != SQLITE_OK) return SqliteError(c->db_, rc, "open");
    sqlite3_extended_result_codes(c->db_, 1);
    sqlite3_busy_timeout(c->db_, o.busy_timeout_ms);
    if (o.exclusive_locking) {
      if (auto s = c->Exec("PRAGMA locking_mode=EXCLUSIVE"); !s) return s.error();
    }
    for (const char* pragma :
         {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON",
          "PRAGMA secure_delete=ON", "PRAGMA temp_store=MEMORY", "PRAGMA trusted_schema=OFF"}) {
      if (auto s = c->Exec(pragma); !s) return s.error();
    }
    return c;
  }

  base::Status Exec(const char* sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, sql);
    return {};
  }

  // A prepared statement and the parameter indices of its last binding: callers pass the same
  // names in the same order every time, so the name lookup runs once per statement.
  struct Statement {
    sqlite3_stmt* stmt = nullptr;
    std::vector<std::string> names;
    std::vector<int> indices;
  };

  base::Result<Statement*> Prepare(std::string_view sql) {
    if (auto it = cache_.find(sql); it != cache_.end()) return &it->second;
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, "prepare");
    if (stmt == nullptr) return MakeError(ErrorCode::kInvalidArgument, "empty statement");
    return &cache_.emplace(std::string(sql), Statement{.stmt = stmt}).first->second;
  }

  sqlite3* db() { return db_; }

 private:
  sqlite3* db_ = nullptr;
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const {
      return std::hash<std::string_view>{}(sql);
    }
  };
  std::unordered_map<std::string, Statement, SqlHash, std::equal_to<>> cache_;
};

// True when `params` has the names of the statement's previous binding, in the same order.
bool SameNames(const Connection::Statement& st, std::span<const Param> params) {
  if (st.names.size() != params.size()) return false;
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (st.names[i] != params[i].name) return false;
  }
  return true;
}

base::Status Bind(sqlite3* db, Connection::Statement& st, std::span<const Param> params) {
  sqlite3_stmt* stmt = st.stmt;
  if (!SameNames(st, params)) {
    const int expected = sqlite3_bind_parameter_count(stmt);
    if (static_cast<std::size_t>(expected) != params.size()) {
      return MakeError(
          ErrorCode::kInvalidArgument,
          fmt::format("statement has {} parameters, {} were given", expected, params.size()));
    }
    st.names.clear();
    st.indices.clear();
    std::string name;
    for (const Param& p : params) {
      name.assign(":").append(p.name);
      const int index = sqlite3_bind_parameter_index(stmt, name.c_str());
      if (index == 0) {
        st.names.clear();
        st.indices.clear();
        return MakeError(ErrorCode::kInvalidArgument,
                         fmt::format("statement has no parameter :{}", p.name));
      }
      st.names.emplace_back(p.name);
      st.indices.push_back(index);
    }
    // Two names for one parameter would leave another unbound.
    std::vector<int> sorted = st.indices;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
      st.names.clear();
      st.indices.clear();
      return MakeError(ErrorCode::kInvalidArgument, "a parameter is given twice");
    }
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Value& v = params[i].value;
    const int index = st.indices[i];
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::monostate>(v)) {
      rc = sqlite3_bind_null(stmt, index);
    } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, index, *n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(stmt, index, *d);
    } else if (const auto* t = std::get_if<std::string>(&v)) {
      rc = sqlite3_bind_text64(stmt, index, t->data(), t->size(), SQLITE_STATIC, SQLITE_UTF8);
    } else if (const auto* b = std::get_if<Bytes>(&v)) {
      rc = sqlite3_bind_blob64(stmt, index, b->data.data(), b->data.size(), SQLITE_STATIC);
    } else if (const auto* bv = std::get_if<BytesView>(&v)) {
      rc = sqlite3_bind_blob64(stmt, index, bv->data.data(), bv->data.size(), SQLITE_STATIC);
    }
    if (rc != SQLITE_OK) return SqliteError(db, rc, "bind");
  }
  return {};
}

Value Column(sqlite3_stmt* stmt, int i) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER:
      return static_cast<std::int64_t>(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt, i);
    case SQLITE_TEXT: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)));
    }
    case SQLITE_BLOB: {
      const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, i));
      const auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt, i));
      return Bytes{std::string(p == nullptr ? "" : p, p == nullptr ? 0 : n)};
    }
    default:
      return std::monostate{};
  }
}

class SqliteDatabase;

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(SqliteDatabase* owner, std::unique_ptr<Connection> c, bool write,
                    std::unique_lock<std::mutex> lock)
      : owner_(owner), c_(std::move(c)), write_(write), lock_(std::move(lock)) {}
  ~SqliteTransaction() override;

  base::Result<std::vector<Row>> Query(std::string_view sql,
                                       std::span<const Param> params) override {
    std::vector<Row> rows;
    if (auto s = Run(sql, params, &rows); !s) return s.error();
    return rows;
  }

  base::Result<std::int64_t> Execute(std::string_view sql, std::span<const Param> params) override {
    if (auto s = Run(sql, params, nullptr); !s) return s.error();
    return static_cast<std::int64_t>(sqlite3_changes64(c_->db()));
  }

  base::Result<std::int64_t> NextId(std::string_view table) override {
    if (!write_) return MakeError(ErrorCode::kInternal, "NextId outside a write transaction");
    // The writer holds SQLite's write lock, so nothing else inserts before this transaction
    // ends. Without AUTOINCREMENT SQLite itself picks the largest rowid plus one.
    std::vector<Row> rows;
    if (auto s = Run(fmt::format("SELECT COALESCE(MAX(id), 0) + 1 FROM {}", table), {}, &rows);
        !s) {
      return s.error();
    }
    return rows.front().Int(0);
  }

  base::Status Commit() override {
    if (done_) return MakeError(ErrorCode::kInternal, "transaction already finished");
    if (auto s = Checked(c_->Exec("COMMIT")); !s) return s;
    done_ = true;
    return {};
  }

  base::Status Start() {
    if (auto s = Checked(c_->Exec(write_ ? "BEGIN IMMEDIATE" : "BEGIN")); !s) {
      done_ = true;  // nothing to roll back
      return s;
    }
    return {};
  }

  // Whether the connection must be closed rather than reused (see BreaksConnection).
  bool broken() const { return broken_; }

 private:
  base::Status Run(std::string_view sql, std::span<const Param> params, std::vector<Row>* rows) {
    if (done_) return MakeError(ErrorCode::kInternal, "transaction already finished");
    auto stmt = c_->Prepare(sql);
    if (!stmt) return Checked(stmt.error());
    sqlite3_stmt* st = (*stmt)->stmt;
    base::Status status = Bind(c_->db(), **stmt, params);
    while (status) {
      const int rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        status = Checked(SqliteError(c_->db(), rc, "step"));
        break;
      }
      if (rows != nullptr) {
        const int n = sqlite3_column_count(st);
        std::vector<Value> columns;
        columns.reserve(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) columns.push_back(Column(st, i));
        rows->emplace_back(std::move(columns));
      }
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return status;
  }

  // Notes what a failure says about the connection and the file, and passes it on.
  base::Status Checked(base::Status status);

  SqliteDatabase* owner_;
  std::unique_ptr<Connection> c_;
  bool write_;
  std::unique_lock<std::mutex> lock_;
  bool done_ = false;
  bool broken_ = false;
};

// Checkpoints the WAL into the database file on its own thread and connection, so that the commit
// that happens to cross the WAL size limit does not pay for copying and syncing the database file
// (the latency spikes of SQLite's automatic checkpoint). The writer's WAL hook wakes it. Should it
// fall far behind, the writer checkpoints inline as SQLite would, so the WAL stays bounded.
class Checkpointer {
 public:
  Checkpointer(const SqliteOptions& options) : options_(options) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~Checkpointer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  void Install(sqlite3* writer) { sqlite3_wal_hook(writer, &Checkpointer::Hook, this); }

 private:
  static int Hook(void* self, sqlite3* db, const char* schema, int pages) {
    auto* c = static_cast<Checkpointer*>(self);
    const int limit = c->options_.checkpoint_pages;
    if (pages >= 8 * limit) {
      sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else if (pages >= limit) {
      {
        std::lock_guard lock(c->mu_);
        c->wanted_ = true;
      }
      c->cv_.notify_one();
    }
    return SQLITE_OK;
  }

  void Loop() {
    std::unique_ptr<Connection> c;
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stop_ || wanted_; });
      if (stop_) return;
      wanted_ = false;
      lock.unlock();
      if (c == nullptr) {
        auto opened = Connection::Open(options_, false);
        if (opened) c = std::move(*opened);
      }
      // Busy (a reader holds old frames) or failing: the next commit will ask again.
      if (c != nullptr) {
        sqlite3_wal_checkpoint_v2(c->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      }
      lock.lock();
    }
  }

  const SqliteOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;  // guarded by mu_
  bool stop_ = false;    // guarded by mu_
  std::thread thread_;
};

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(SqliteOptions o) : options_(std::move(o)) {}

  base::Status Init() {
    auto w = Connection::Open(options_, options_.create);
    if (!w) return w.error();
    writer_ = std::move(*w);
    if (options_.checkpoint_pages > 0 && !options_.exclusive_locking) {
      checkpointer_ = std::make_unique<Checkpointer>(options_);
      checkpointer_->Install(writer_->db());
    }
    return {};
  }

  const Dialect& dialect() const override { return kSqliteDialect; }

  base::Result<std::unique_ptr<Transaction>> Begin(Access access) override {
    std::unique_ptr<Connection> c;
    std::unique_lock<std::mutex> lock;
    if (access == Access::kWrite) {
      lock = std::unique_lock<std::mutex>(writer_mutex_);
      c = std::move(writer_);
      if (c == nullptr) {
        // The writer was closed after a fault: open a new one, at most once per backoff period
        // so that a lasting fault costs a check of the clock, not a failed open, per message.
        const auto now = std::chrono::steady_clock::now();
        if (now < writer_retry_at_) return writer_failure_;
        auto opened = Connection::Open(options_, false);
        auto probe = opened ? Probe(**opened) : base::Status(opened.error());
        if (!probe) {
          writer_backoff_ = std::min(std::max(writer_backoff_ * 2, kMinBackoff), kMaxBackoff);
          writer_retry_at_ = now + writer_backoff_;
          writer_failure_ = probe.error();
          return probe.error();
        }
        if (writer_backoff_.count() > 0) {
          base::log::Info("store.writer_reopened", {{"after_failures", "yes"}});
        }
        writer_backoff_ = {};
        c = std::move(*opened);
        if (checkpointer_) checkpointer_->Install(c->db());
      }
    } else {
      std::lock_guard<std::mutex> g(readers_mutex_);
      if (!readers_.empty()) {
        c = std::move(readers_.back());
        readers_.pop_back();
      }
    }
    if (c == nullptr) {
      auto opened = Connection::Open(options_, false);
      if (!opened) return opened.error();
      c = std::move(*opened);
    }
    auto tx = std::make_unique<SqliteTransaction>(this, std::move(c), access == Access::kWrite,
                                                  std::move(lock));
    if (auto s = tx->Start(); !s) return s.error();
    return std::unique_ptr<Transaction>(std::move(tx));
  }

  base::Result<std::unique_ptr<ExclusiveLock>> TryExclusive(std::string_view name) override {
    class Held final : public ExclusiveLock {
     public:
      Held(SqliteDatabase& db, std::string name) : db_(db), name_(std::move(name)) {}
      ~Held() override {
        std::lock_guard g(db_.exclusive_mutex_);
        db_.exclusive_.erase(name_);
      }

     private:
      SqliteDatabase& db_;
      std::string name_;
    };
    std::lock_guard g(exclusive_mutex_);
    if (!exclusive_.emplace(name).second) return std::unique_ptr<ExclusiveLock>();
    return std::unique_ptr<ExclusiveLock>(new Held(*this, std::string(name)));
  }

  std::optional<base::Error> damage() const override {
    std::lock_guard<std::mutex> g(damage_mutex_);
    return damage_;
  }

  void MarkDamaged(const base::Error& why) override {
    {
      std::lock_guard<std::mutex> g(damage_mutex_);
      if (damage_) return;
      damage_ = why;
    }
    base::log::Error("store.damaged", {{"reason", why},
                                       {"ingest", "stopped"},
                                       {"next", "heartbase store verify; restore from a backup"}});
  }

  // A writer connection that cannot be used, and why; the next write transaction opens another.
  void WriterBroken(const base::Error& why) {
    base::log::Warn("store.writer_closed", {{"reason", why}, {"next", "reopen on next write"}});
  }

  void Return(std::unique_ptr<Connection> c, bool write) {
    if (write) {
      writer_ = std::move(c);  // the caller still holds writer_mutex_; null when it was broken
      return;
    }
    if (c == nullptr) return;
    std::lock_guard<std::mutex> g(readers_mutex_);
    if (readers_.size() < options_.max_readers) readers_.push_back(std::move(c));
  }

 private:
  SqliteOptions options_;
  std::unique_ptr<Checkpointer> checkpointer_;  // outlives the writer, whose hook points to it
  // A new writer connection must be able to begin a write: one that opened its WAL read-only
  // would fail every transaction.
  static base::Status Probe(Connection& c) {
    if (auto s = c.Exec("BEGIN IMMEDIATE"); !s) return s;
    return c.Exec("ROLLBACK");
  }

  static constexpr std::chrono::milliseconds kMinBackoff{100};
  static constexpr std::chrono::milliseconds kMaxBackoff{5000};

  std::mutex writer_mutex_;
  std::unique_ptr<Connection> writer_;
  // Guarded by writer_mutex_: when the writer may be opened again after a failed open.
  std::chrono::steady_clock::time_point writer_retry_at_;
  std::chrono::milliseconds writer_backoff_{0};
  base::Error writer_failure_;
  mutable std::mutex damage_mutex_;
  std::mutex exclusive_mutex_;
  std::set<std::string, std::less<>> exclusive_;
  std::optional<base::Error> damage_;  // guarded by damage_mutex_
  std::mutex readers_mutex_;
  std::vector<std::unique_ptr<Connection>> readers_;
};

base::Status SqliteTransaction::Checked(base::Status status) {
  if (status) return status;
  const int rc = sqlite3_extended_errcode(c_->db());
  if (IsDamage(rc)) owner_->MarkDamaged(status.error());
  if (BreaksConnection(rc) && !broken_) {
    broken_ = true;
    if (write_) owner_->WriterBroken(status.error());
  }
  return status;
}

SqliteTransaction::~SqliteTransaction() {
  if (!done_) {
    // Rolling back can only fail if the connection is broken; a fresh one replaces it then.
    if (!c_->Exec("ROLLBACK")) c_.reset();
  }
  if (broken_) c_.reset();
  owner_->Return(std::move(c_), write_);
}

int StopAtDeadline(void* deadline) {
  return std::chrono::steady_clock::now() >
                 *static_cast<const std::chrono::steady_clock::time_point*>(deadline)
             ? 1
             : 0;
}

}  // namespace

base::Result<FileCheck> CheckSqliteFile(const std::string& path, bool thorough,
                                        std::chrono::milliseconds budget) {
  auto c = Connection::Open({.path = path}, false);
  FileCheck check;
  if (!c) {
    if (c.error().code != ErrorCode::kDataLoss) return c.error();
    check.finished = true;
    check.problems.push_back(c.error().message);
    return check;
  }
  const auto deadline = std::chrono::steady_clock::now() + budget;
  sqlite3_progress_handler((*c)->db(), 1000, &StopAtDeadline,
                           const_cast<std::chrono::steady_clock::time_point*>(&deadline));
  sqlite3_stmt* st = nullptr;
  const char* sql = thorough ? "PRAGMA integrity_check" : "PRAGMA quick_check";
  int rc = sqlite3_prepare_v2((*c)->db(), sql, -1, &st, nullptr);
  while (rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      const std::string_view row = text == nullptr ? "" : text;
      if (row != "ok") check.problems.emplace_back(row);
    }
  }
  base::Status status;
  if (rc == SQLITE_DONE) {
    check.finished = true;
  } else if (rc == SQLITE_INTERRUPT) {
    check.finished = false;
  } else if (IsDamage(rc)) {
    check.finished = true;
    check.problems.push_back(SqliteError((*c)->db(), rc, "check").message);
  } else {
    status = SqliteError((*c)->db(), rc, "check");
  }
  sqlite3_finalize(st);
  sqlite3_progress_handler((*c)->db(), 0, nullptr, nullptr);
  if (!status) return status.error();
  return check;
}

base::Result<std::unique_ptr<Database>> OpenSqlite(const SqliteOptions& options) {
  auto db = std::make_unique<SqliteDatabase>(options);
  if (auto s = db->Init(); !s) return s.error();
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace heartbase::store
