// Database: the small interface every storage driver implements (prepare-free named-parameter
// statements inside transactions), and the unit of work that retries on conflicts.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"

namespace heartbase::store {

// Binary data, distinct from text so that drivers bind BLOB/BYTEA.
struct Bytes {
  std::string data;
  friend bool operator==(const Bytes&, const Bytes&) = default;
};

// Binary data bound without a copy (a sealed message or PDF): for parameters only, and the bytes
// must outlive the statement. Rows never hold one.
struct BytesView {
  std::string_view data;
  friend bool operator==(const BytesView&, const BytesView&) = default;
};

// NULL, INTEGER, REAL, TEXT or BLOB.
using Value = std::variant<std::monostate, std::int64_t, double, std::string, Bytes, BytesView>;

// A named parameter: SQL refers to it as :name. A parameter bound to NULL takes its type from its
// first use in the statement (PostgreSQL), so optional filters read "(col = :x OR :x IS NULL)",
// not "(:x IS NULL OR col = :x)".
struct Param {
  std::string_view name;
  Value value;
};

class Row {
 public:
  explicit Row(std::vector<Value> columns) : columns_(std::move(columns)) {}
  std::size_t size() const { return columns_.size(); }
  bool IsNull(std::size_t i) const { return std::holds_alternative<std::monostate>(columns_[i]); }
  // Typed reads; a NULL or a value of another type reads as 0 / "" (callers check IsNull).
  std::int64_t Int(std::size_t i) const;
  double Real(std::size_t i) const;
  std::string_view Text(std::size_t i) const;
  std::string_view Blob(std::size_t i) const;
  const Value& at(std::size_t i) const { return columns_[i]; }

 private:
  std::vector<Value> columns_;
};

enum class Access : std::uint8_t { kRead, kWrite };

// One transaction. Destroying it without Commit rolls it back. Not thread-safe; one thread
// uses a transaction at a time.
class Transaction {
 public:
  virtual ~Transaction() = default;
  // Runs one statement and returns its rows (none for statements without results).
  // Errors: kInvalidArgument (SQL error, unknown parameter), kConflict (busy / serialization
  // failure: the unit of work may retry), kAlreadyExists (constraint violation), kIo,
  // kUnavailable (disk full), kDataLoss (corruption).
  virtual base::Result<std::vector<Row>> Query(std::string_view sql,
                                               std::span<const Param> params = {}) = 0;
  // Runs one statement; returns the number of rows it changed.
  virtual base::Result<std::int64_t> Execute(std::string_view sql,
                                             std::span<const Param> params = {}) = 0;
  // The id a row about to be inserted into `table` (an identifier of this codebase, never input)
  // may take, so that values sealed with their row id as associated data are written with the
  // row rather than by a second statement. Only within a write transaction.
  // SQLite serialises writers, so the table's largest id plus one; a PostgreSQL driver takes the
  // next value of the table's sequence.
  virtual base::Result<std::int64_t> NextId(std::string_view table) = 0;
  // Commits durably: when it returns ok, the changes survive a crash or power loss.
  virtual base::Status Commit() = 0;
};

// The few places where SQL differs between backends.
struct Dialect {
  std::string_view name;         // "sqlite", "postgres"
  std::string_view skip_locked;  // " FOR UPDATE SKIP LOCKED" or "" (SQLite serialises writers)
  // Structural checks of the database files; each row is one problem, or one row "ok". Empty
  // when the server checks its own files.
  std::string_view integrity_check;  // thorough: every page, index and constraint
  std::string_view quick_check;      // bounded: pages and records, not index contents
  // Rows that refer to a missing row (one row per dangling reference; none when all resolve).
  std::string_view foreign_key_check;
};

// Held by one process at a time among all that share a database; released when destroyed or when
// the process holding it dies.
class ExclusiveLock {
 public:
  virtual ~ExclusiveLock() = default;
  // Whether it is still held where it counts: false once the PostgreSQL connection holding it is
  // lost or its server no longer takes writes (failed over, fenced), since a node on the new
  // primary may take the same lock there. A holder doing long-lived work checks it before each
  // piece and lets go when it is false.
  virtual bool Valid() { return true; }
};

class Database {
 public:
  virtual ~Database() = default;
  virtual const Dialect& dialect() const = 0;
  // Starts a transaction. Write transactions are serialised by the driver (SQLite) or the
  // server (PostgreSQL); read transactions see a consistent snapshot.
  virtual base::Result<std::unique_ptr<Transaction>> Begin(Access access) = 0;
  // Damage seen in the database (SQLite: SQLITE_CORRUPT or SQLITE_NOTADB from any statement), or
  // reported by a verification through MarkDamaged; it lasts until the process restarts on a
  // repaired or restored database. The driver only records it: ingest refuses to store (and so
  // to acknowledge) anything while it is set, readiness reports it. Thread-safe.
  virtual std::optional<base::Error> damage() const = 0;
  virtual void MarkDamaged(const base::Error& why) = 0;
  // For work that must run on one node at a time (the missed-transmission scan, the billing
  // close) when several serve nodes share a PostgreSQL server: the named lock, or nullptr when
  // another process holds it. PostgreSQL: a session advisory lock on a connection kept for it
  // (the server releases it if the node dies). SQLite: one serve owns a file, so only other
  // holders in this process are excluded.
  virtual base::Result<std::unique_ptr<ExclusiveLock>> TryExclusive(std::string_view name) = 0;
};

struct RetryOptions {
  int max_attempts = 8;
  int first_backoff_ms = 2;  // doubles each attempt
};

// Runs `work` in a transaction and commits it. When the database reports kConflict (from
// `work` or from Commit), rolls back and runs it again, up to options.max_attempts. `work` must
// therefore be free of side effects outside the transaction. Other errors are returned as they are.
base::Status RunUnitOfWork(Database& db, Access access,
                           const std::function<base::Status(Transaction&)>& work,
                           const RetryOptions& options = {});

}  // namespace heartbase::store
