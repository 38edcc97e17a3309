// PostgreSQL driver. A pool of connections, each with its own prepared statements; named
// parameters (:name) are rewritten to positional ones ($1) once per statement text. Values are sent
// as text except binary data (BYTEA, sent as bytes) and read back as text (BYTEA in hex form),
// decoded by the column's type. Write transactions run one at a time across every node (an
// advisory lock taken at BEGIN, READ COMMITTED under it), read transactions on a REPEATABLE READ
// READ ONLY snapshot: the guarantees of SQLite's serialised writer. Deadlocks, serialization
// failures and lock timeouts are kConflict for the unit of work to retry.
//
// One difference from SQLite callers must know: after the server refuses a statement, PostgreSQL
// aborts the whole transaction. Later statements fail and Commit reports the abort; a caller that
// wants to carry on after an expected error (a unique violation) runs the statement in a unit of
// its own, or in GroupCommit, whose savepoints undo a failed unit alone.
#include "store/postgres/postgres_database.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <charconv>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/log.h"

namespace heartbase::store {
namespace {

using base::ErrorCode;
using base::MakeError;

// The server checks its own files (data checksums, WAL CRCs) and enforces foreign keys on every
// statement, so these are empty (store/verify skips them).
const Dialect kPostgresDialect{.name = "postgres",
                               .skip_locked = " FOR UPDATE SKIP LOCKED",
                               .integrity_check = "",
                               .quick_check = "",
                               .foreign_key_check = ""};

// PostgreSQL type OIDs (pg_type.dat) the driver binds or decodes.
constexpr Oid kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26, kFloat4 = 700,
              kFloat8 = 701, kText = 25, kNumeric = 1700;

// Prepared statements kept per connection; past this many (statements built with a varying
// number of placeholders), the connection forgets them all and starts again.
constexpr std::size_t kMaxPrepared = 512;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// libpq's messages end in a newline.
std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Maps a server error to the codes of store::Transaction. The server's primary message names
// constraints, tables and types; for data exceptions (class 22) it may quote the value, so only
// the SQLSTATE is kept for those.
base::Error ServerError(const PGresult* r, PGconn* conn, std::string_view what) {
  const char* state_c = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string_view state = state_c ? state_c : "";
  const char* primary_c = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string primary =
      Trimmed(primary_c ? primary_c : (conn ? PQerrorMessage(conn) : "no connection"));
  ErrorCode code = ErrorCode::kInternal;
  const std::string_view cls = state.substr(0, std::min<std::size_t>(2, state.size()));
  if (state == "40001" || state == "40P01" || state == "55P03") {
    code = ErrorCode::kConflict;  // serialization failure, deadlock, lock not available
  } else if (state == "23505") {
    code = ErrorCode::kAlreadyExists;
  } else if (cls == "23" || cls == "42" || cls == "22" || state == "25006") {
    code = ErrorCode::kInvalidArgument;
    if (cls == "22") primary = "data exception";
  } else if (cls == "53" || cls == "08" || cls == "57" || state.empty()) {
    // Disk full, out of memory, too many connections; connection lost; statement timeout,
    // administrator shutdown, server starting: the caller may try again later.
    code = ErrorCode::kUnavailable;
  } else if (cls == "58") {
    code = ErrorCode::kIo;
  } else if (state == "XX001" || state == "XX002") {
    code = ErrorCode::kDataLoss;
  }
  if (!state.empty()) primary += fmt::format(" ({})", state);
  return MakeError(code, fmt::format("postgres: {}: {}", what, primary));
}

bool IsDamage(const base::Error& e) { return e.code == ErrorCode::kDataLoss; }

// A statement rewritten for the server: ":name" → "$n", each distinct name numbered in order of
// first appearance. Quoted strings, quoted identifiers, comments, dollar-quoted bodies and "::"
// casts are left alone; SQLite's blob literals (x'…') become PostgreSQL's.
struct Rewritten {
  std::string sql;
  std::vector<std::string> names;
};

bool IdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IdentChar(char c) { return IdentStart(c) || (c >= '0' && c <= '9'); }

Rewritten Rewrite(std::string_view in) {
  Rewritten out;
  out.sql.reserve(in.size() + 8);
  std::size_t i = 0;
  auto copy_until = [&](std::string_view end) {
    const std::size_t stop = in.find(end, i);
    const std::size_t to = stop == std::string_view::npos ? in.size() : stop + end.size();
    out.sql.append(in.substr(i, to - i));
    i = to;
  };
  while (i < in.size()) {
    const char c = in[i];
    if ((c == 'x' || c == 'X') && i + 1 < in.size() && in[i + 1] == '\'' &&
        (i == 0 || !IdentChar(in[i - 1]))) {
      // SQLite's blob literal x'0A1B' is PostgreSQL's '\x0A1B'::bytea.
      const std::size_t close = in.find('\'', i + 2);
      const std::size_t end = close == std::string_view::npos ? in.size() : close;
      out.sql += "'\\x";
      out.sql.append(in.substr(i + 2, end - i - 2));
      out.sql += "'::bytea";
      i = close == std::string_view::npos ? in.size() : close + 1;
    } else if (c == '\'') {
      out.sql += c;
      ++i;
      copy_until("'");  // '' inside a literal reads as two adjacent literals: same result
    } else if (c == '"') {
      out.sql += c;
      ++i;
      copy_until("\"");
    } else if (c == '-' && i + 1 < in.size() && in[i + 1] == '-') {
      copy_until("\n");
    } else if (c == '$' && i + 1 < in.size() && (in[i + 1] == '$' || IdentStart(in[i + 1]))) {
      // $tag$ … $tag$
      const std::size_t close = in.find('$', i + 1);
      if (close == std::string_view::npos) {
        out.sql.append(in.substr(i));
        break;
      }
      const std::string tag(in.substr(i, close - i + 1));
      out.sql += tag;
      i = close + 1;
      copy_until(tag);
    } else if (c == ':' && i + 1 < in.size() && in[i + 1] == ':') {
      out.sql += "::";
      i += 2;
    } else if (c == ':' && i + 1 < in.size() && IdentStart(in[i + 1])) {
      std::size_t end = i + 1;
      while (end < in.size() && IdentChar(in[end])) ++end;
      const std::string_view name = in.substr(i + 1, end - i - 1);
      std::size_t index = 0;
      while (index < out.names.size() && out.names[index] != name) ++index;
      if (index == out.names.size()) out.names.emplace_back(name);
      out.sql += fmt::format("${}", index + 1);
      i = end;
    } else {
      out.sql += c;
      ++i;
    }
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// BYTEA in text form: "\x" then two hex digits per byte (bytea_output = hex, set per connection).
base::Result<std::string> DecodeBytea(std::string_view text) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0) {
    return MakeError(ErrorCode::kInternal, "postgres: bytea value not in hex form");
  }
  std::string out;
  out.resize((text.size() - 2) / 2);
  for (std::size_t k = 0; k < out.size(); ++k) {
    const int hi = HexValue(text[2 + 2 * k]), lo = HexValue(text[3 + 2 * k]);
    if (hi < 0 || lo < 0) return MakeError(ErrorCode::kInternal, "postgres: bad bytea hex digit");
    out[k] = static_cast<char>(hi * 16 + lo);
  }
  return out;
}

base::Result<Value> Decode(Oid type, std::string_view text) {
  switch (type) {
    case kInt8:
    case kInt4:
    case kInt2:
    case kOid: {
      std::int64_t v = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || p != text.data() + text.size()) break;
      return Value(v);
    }
    case kBool:
      return Value(std::int64_t{text == "t" ? 1 : 0});
    case kFloat4:
    case kFloat8: {
      double d = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
      if (ec != std::errc() || p != text.data() + text.size()) break;
      return Value(d);
    }
    case kNumeric: {  // SUM of BIGINT: an integer unless it has a fraction
      std::int64_t v = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && p == text.data() + text.size()) return Value(v);
      double d = 0;
      auto [q, ec2] = std::from_chars(text.data(), text.data() + text.size(), d);
      if (ec2 != std::errc() || q != text.data() + text.size()) break;
      return Value(d);
    }
    case kBytea: {
      auto bytes = DecodeBytea(text);
      if (!bytes) return bytes.error();
      return Value(Bytes{std::move(*bytes)});
    }
    default:
      return Value(std::string(text));
  }
  return MakeError(ErrorCode::kInternal, fmt::format("postgres: cannot read a value of type {}",
                                                     static_cast<unsigned>(type)));
}

Oid TypeOf(const Value& v) {
  switch (v.index()) {
    case 1:
      return kInt8;
    case 2:
      return kFloat8;
    case 3:
      return kText;
    case 4:
    case 5:
      return kBytea;
    default:
      return 0;  // NULL: the server infers the type from the statement
  }
}

class Connection {
 public:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  ~Connection() { PQfinish(conn_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  static base::Result<std::unique_ptr<Connection>> Open(const PostgresOptions& o) {
    const std::string timeout = std::to_string(o.connect_timeout_s);
    const char* keys[] = {"dbname", "application_name", "connect_timeout", nullptr};
    const char* values[] = {o.conninfo.c_str(), "heartbase", timeout.c_str(), nullptr};
    auto c = std::make_unique<Connection>(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
    if (c->conn_ == nullptr) return MakeError(ErrorCode::kUnavailable, "postgres: out of memory");
    if (PQstatus(c->conn_) != CONNECTION_OK) {
      // libpq's message names hosts, ports and socket paths (never a password: none is allowed
      // here). It goes to the operational log; the error, which may reach a sender in a NAK,
      // says only that the server is unreachable.
      const std::string why = Trimmed(PQerrorMessage(c->conn_));
      base::log::Warn("store.connect_failed", {{"reason", why}});
      return MakeError(ErrorCode::kUnavailable,
                       "postgres: connect: the server cannot be reached (see the log)");
    }
    PQsetNoticeReceiver(c->conn_, &Connection::OnNotice, c.get());
    const std::string setup = fmt::format(
        "SET statement_timeout = {}; SET idle_in_transaction_session_timeout = {}; "
        "SET bytea_output = 'hex'; SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'",
        o.statement_timeout.count(), o.idle_in_transaction_timeout.count());
    if (auto s = c->Simple(setup); !s) return s.error();
    return c;
  }

  // Statements without parameters through the simple protocol; the last may return rows (they
  // are discarded).
  base::Status Simple(const std::string& sql) {
    ResultPtr r(PQexec(conn_, sql.c_str()));
    const ExecStatusType status = PQresultStatus(r.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Failed(r.get(), "exec");
    return {};
  }

  base::Error Failed(const PGresult* r, std::string_view what) {
    if (PQstatus(conn_) != CONNECTION_OK) broken_ = true;
    return ServerError(r, conn_, what);
  }

  struct Statement {
    std::string name;
    std::vector<std::string> names;
    // The parameter names of the last call and their positions: callers pass the same names in
    // the same order every time, so the lookup runs once per statement.
    std::vector<std::string> call;
    std::vector<std::size_t> position;
  };

  // The prepared statement for `sql`, prepared with the types of `params` (NULL left to the
  // server) the first time it is seen.
  base::Result<Statement*> Prepare(std::string_view sql, std::span<const Param> params) {
    if (auto it = cache_.find(sql); it != cache_.end()) return &it->second;
    Rewritten rw = Rewrite(sql);
    std::vector<Oid> types(rw.names.size(), 0);
    for (const Param& p : params) {
      for (std::size_t k = 0; k < rw.names.size(); ++k) {
        if (rw.names[k] == p.name) types[k] = TypeOf(p.value);
      }
    }
    Statement st{.name = fmt::format("hb{}", next_statement_++), .names = std::move(rw.names)};
    ResultPtr r(PQprepare(conn_, st.name.c_str(), rw.sql.c_str(), static_cast<int>(types.size()),
                          types.data()));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) return Failed(r.get(), "prepare");
    return &cache_.emplace(std::string(sql), std::move(st)).first->second;
  }

  // Runs a prepared statement with `params` bound by name.
  base::Result<ResultPtr> Run(std::string_view sql, std::span<const Param> params) {
    auto st = Prepare(sql, params);
    if (!st) return st.error();
    Statement& s = **st;
    const std::size_t n = s.names.size();
    if (auto mapped = Map(s, params); !mapped) return mapped.error();
    std::vector<const char*> values(n, nullptr);
    std::vector<int> lengths(n, 0), formats(n, 0);
    std::vector<std::string> text(n);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Param& p = params[i];
      const std::size_t k = s.position[i];
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::int64_t>) {
              text[k] = std::to_string(v);
              values[k] = text[k].c_str();
            } else if constexpr (std::is_same_v<T, double>) {
              text[k] = fmt::format("{}", v);
              values[k] = text[k].c_str();
            } else if constexpr (std::is_same_v<T, std::string>) {
              values[k] = v.c_str();
            } else if constexpr (std::is_same_v<T, Bytes> || std::is_same_v<T, BytesView>) {
              values[k] = v.data.data();
              lengths[k] = static_cast<int>(v.data.size());
              formats[k] = 1;
            }
          },
          p.value);
    }
    ResultPtr r(PQexecPrepared(conn_, s.name.c_str(), static_cast<int>(n), values.data(),
                               lengths.data(), formats.data(), /*resultFormat=*/0));
    const ExecStatusType status = PQresultStatus(r.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Failed(r.get(), "query");
    return r;
  }

  // Where each of `params` goes (s.position). Unknown, repeated or missing names are refused
  // before anything reaches the server, so the transaction stays usable (as on SQLite).
  static base::Status Map(Statement& s, std::span<const Param> params) {
    bool same = s.call.size() == params.size();
    for (std::size_t i = 0; same && i < params.size(); ++i) same = s.call[i] == params[i].name;
    if (same) return {};
    s.call.clear();
    s.position.clear();
    std::unordered_map<std::string_view, std::size_t> where;
    for (std::size_t k = 0; k < s.names.size(); ++k) where.emplace(s.names[k], k);
    std::vector<bool> bound(s.names.size(), false);
    std::vector<std::size_t> position;
    position.reserve(params.size());
    for (const Param& p : params) {
      auto it = where.find(p.name);
      if (it == where.end()) {
        return MakeError(ErrorCode::kInvalidArgument,
                         fmt::format("statement has no parameter :{}", p.name));
      }
      if (bound[it->second]) {
        return MakeError(ErrorCode::kInvalidArgument,
                         fmt::format("parameter :{} given twice", p.name));
      }
      bound[it->second] = true;
      position.push_back(it->second);
    }
    for (std::size_t k = 0; k < s.names.size(); ++k) {
      if (!bound[k]) {
        return MakeError(ErrorCode::kInvalidArgument,
                         fmt::format("parameter :{} not given", s.names[k]));
      }
    }
    s.position = std::move(position);
    for (const Param& p : params) s.call.emplace_back(p.name);
    return {};
  }

  // Between transactions: forgets prepared statements when there are too many.
  base::Status Tidy() {
    if (cache_.size() < kMaxPrepared) return {};
    cache_.clear();
    return Simple("DEALLOCATE ALL");
  }

  bool broken() const { return broken_ || PQstatus(conn_) != CONNECTION_OK; }

  // Warnings the server sent since the last call (COMMIT watches for one: PostgreSQL commits
  // locally and only warns when a cancel cuts short its wait for a synchronous standby).
  int TakeWarnings() { return std::exchange(warnings_, 0); }
  // Drops the connection when it is released (it reached a server that no longer takes writes).
  void Discard() { broken_ = true; }
  PGconn* raw() { return conn_; }
  void MarkBroken() { broken_ = true; }

 private:
  static void OnNotice(void* self, const PGresult* r) {
    const char* severity = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity != nullptr && std::string_view(severity) == "WARNING") {
      ++static_cast<Connection*>(self)->warnings_;
    }
  }

  PGconn* conn_;
  bool broken_ = false;
  int warnings_ = 0;
  std::uint64_t next_statement_ = 0;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Statement, Hash, std::equal_to<>> cache_;
};

class PostgresDatabase;

class PostgresTransaction final : public Transaction {
 public:
  PostgresTransaction(PostgresDatabase& db, std::unique_ptr<Connection> conn, Access access)
      : db_(db), conn_(std::move(conn)), access_(access) {}
  ~PostgresTransaction() override;

  base::Result<std::vector<Row>> Query(std::string_view sql,
                                       std::span<const Param> params) override {
    auto r = Execute(sql, params, /*want_rows=*/true);
    if (!r) return r.error();
    return std::move(rows_);
  }

  base::Result<std::int64_t> Execute(std::string_view sql, std::span<const Param> params) override {
    return Execute(sql, params, /*want_rows=*/false);
  }

  base::Result<std::int64_t> NextId(std::string_view table) override {
    if (access_ != Access::kWrite) {
      return MakeError(ErrorCode::kInvalidArgument, "NextId outside a write transaction");
    }
    const Param p[] = {{"table", std::string(table)}};
    auto rows = Query("SELECT nextval(pg_get_serial_sequence(:table, 'id'))", p);
    if (!rows) return rows.error();
    if (rows->empty() || rows->front().IsNull(0)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("table {} has no id sequence", table));
    }
    return rows->front().Int(0);
  }

  base::Status Commit() override;

 private:
  base::Result<std::int64_t> Execute(std::string_view sql, std::span<const Param> params,
                                     bool want_rows);

  PostgresDatabase& db_;
  std::unique_ptr<Connection> conn_;
  Access access_;
  bool done_ = false;
  std::vector<Row> rows_;
};

class PostgresDatabase final : public Database {
 public:
  explicit PostgresDatabase(PostgresOptions options) : options_(std::move(options)) {}

  const Dialect& dialect() const override { return kPostgresDialect; }

  base::Result<std::unique_ptr<Transaction>> Begin(Access access) override {
    // Writers take one transaction-scoped advisory lock first, so write transactions run one at
    // a time across every node, as under SQLite's single writer. Every write appends to the one
    // audit chain (its tail is read and extended), so concurrent writers could not both commit
    // anyway; with SERIALIZABLE and no lock they failed and retried whole group-commit batches
    // (bench/ingest --postgres, two nodes: 7 of 200 messages given up after 8 attempts). Under
    // the lock READ COMMITTED sees every earlier writer's commit (a snapshot taken before the
    // lock was granted would not). Readers take a REPEATABLE READ snapshot and never wait.
    const char* begin = access == Access::kWrite
                            ? "BEGIN ISOLATION LEVEL READ COMMITTED; "
                              "SELECT pg_advisory_xact_lock(7234298745638431601)"
                            : "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
    // An idle connection may have been cut (server restarted, failover): one more try on a new
    // connection before giving up.
    for (int attempt = 0;; ++attempt) {
      auto conn = Acquire();
      if (!conn) return conn.error();
      auto s = (*conn)->Tidy();
      if (s) s = (*conn)->Simple(begin);
      if (s)
        return std::unique_ptr<Transaction>(
            new PostgresTransaction(*this, std::move(*conn), access));
      const bool broken = (*conn)->broken();
      if (!broken && PQtransactionStatus((*conn)->raw()) != PQTRANS_IDLE) {
        (void)(*conn)->Simple("ROLLBACK");  // the lock wait timed out inside the transaction
      }
      Release(std::move(*conn));
      if (!broken || attempt > 0) return s.error();
    }
  }

  std::optional<base::Error> damage() const override {
    std::lock_guard lock(mu_);
    return damage_;
  }
  void MarkDamaged(const base::Error& why) override {
    {
      std::lock_guard lock(mu_);
      if (damage_) return;
      damage_ = why;
    }
    base::log::Error("store.damaged", {{"reason", why},
                                       {"ingest", "stopped"},
                                       {"next", "check the PostgreSQL server's logs and files"}});
  }

  base::Result<std::unique_ptr<ExclusiveLock>> TryExclusive(std::string_view name) override;

  base::Result<std::unique_ptr<Connection>> Acquire() {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, options_.acquire_timeout,
                      [&] { return !idle_.empty() || open_ < options_.max_connections; })) {
      return MakeError(ErrorCode::kUnavailable, "postgres: every connection is in use");
    }
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    ++open_;
    lock.unlock();
    auto c = Connection::Open(options_);
    if (!c) {
      lock.lock();
      --open_;
      cv_.notify_one();
    }
    return c;
  }

  void Release(std::unique_ptr<Connection> c) {
    std::lock_guard lock(mu_);
    if (c->broken()) {
      c.reset();
      --open_;
    } else {
      idle_.push_back(std::move(c));
    }
    cv_.notify_one();
  }

 private:
  const PostgresOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;
  std::optional<base::Error> damage_;
};

// A session advisory lock keyed by the name's hash (hashtextextended, 64 bits), on a connection set
// aside while it is held: the server releases it when the connection ends, so a node that dies
// (kill -9, lost network) frees it for the others.
class PostgresExclusiveLock final : public ExclusiveLock {
 public:
  PostgresExclusiveLock(PostgresDatabase& db, std::unique_ptr<Connection> conn)
      : db_(db), conn_(std::move(conn)) {}
  bool Valid() override {
    if (conn_->broken()) return false;
    auto r = conn_->Run(
        "SELECT CASE WHEN pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on' "
        "THEN 0 ELSE 1 END",
        {});
    return r && std::string_view(PQgetvalue(r->get(), 0, 0)) == "1";
  }

  ~PostgresExclusiveLock() override {
    try {
      if (!conn_->broken()) {
        if (auto r = conn_->Run("SELECT pg_advisory_unlock_all()", {}); !r) {
          base::log::Warn("store.unlock_failed", {{"reason", r.error()}});
        }
      }
    } catch (...) {  // out of memory: the connection is dropped below, which frees the lock too
      conn_->MarkBroken();
    }
    db_.Release(std::move(conn_));
  }

 private:
  PostgresDatabase& db_;
  std::unique_ptr<Connection> conn_;
};

base::Result<std::unique_ptr<ExclusiveLock>> PostgresDatabase::TryExclusive(std::string_view name) {
  auto conn = Acquire();
  if (!conn) return conn.error();
  const Param p[] = {{"name", std::string(name)}};
  auto r = (*conn)->Run(
      "SELECT CASE WHEN pg_try_advisory_lock(hashtextextended(:name, 0)) THEN 1 ELSE 0 END", p);
  if (!r) {
    Release(std::move(*conn));
    return r.error();
  }
  const bool held = std::string_view(PQgetvalue(r->get(), 0, 0)) == "1";
  if (!held) {
    Release(std::move(*conn));
    return std::unique_ptr<ExclusiveLock>();
  }
  return std::unique_ptr<ExclusiveLock>(new PostgresExclusiveLock(*this, std::move(*conn)));
}

PostgresTransaction::~PostgresTransaction() {
  if (!done_ && !conn_->broken()) {
    if (auto s = conn_->Simple("ROLLBACK"); !s) {
      base::log::Warn("store.rollback_failed", {{"reason", s.error()}});
    }
  }
  db_.Release(std::move(conn_));
}

base::Result<std::int64_t> PostgresTransaction::Execute(std::string_view sql,
                                                        std::span<const Param> params,
                                                        bool want_rows) {
  rows_.clear();
  if (done_) return MakeError(ErrorCode::kInternal, "transaction already ended");
  auto r = conn_->Run(sql, params);
  if (!r) {
    if (IsDamage(r.error())) db_.MarkDamaged(r.error());
    // A write refused as read-only (25006) in a read-write transaction means the server this
    // pooled connection reached stopped taking writes: a primary fenced after a failover
    // (default_transaction_read_only), or a standby. The connection is dropped, so that the next
    // transaction connects afresh (target_session_attrs=read-write finds the new primary), and the
    // caller may try again later (kUnavailable). In a read transaction it stays the caller's
    // mistake (kInvalidArgument).
    if (access_ == Access::kWrite && r.error().message.find("(25006)") != std::string::npos) {
      conn_->Discard();
      auto e = r.error();
      e.code = ErrorCode::kUnavailable;
      e.message += " (server is read-only; connection dropped)";
      return e;
    }
    return r.error();
  }
  PGresult* res = r->get();
  if (want_rows) {
    const int nrows = PQntuples(res), ncols = PQnfields(res);
    rows_.reserve(static_cast<std::size_t>(nrows));
    for (int i = 0; i < nrows; ++i) {
      std::vector<Value> columns;
      columns.reserve(static_cast<std::size_t>(ncols));
      for (int j = 0; j < ncols; ++j) {
        if (PQgetisnull(res, i, j)) {
          columns.emplace_back();
          continue;
        }
        auto v = Decode(PQftype(res, j),
                        std::string_view(PQgetvalue(res, i, j),
                                         static_cast<std::size_t>(PQgetlength(res, i, j))));
        if (!v) return v.error();
        columns.push_back(std::move(*v));
      }
      rows_.emplace_back(std::move(columns));
    }
    return static_cast<std::int64_t>(nrows);
  }
  const char* changed = PQcmdTuples(res);
  std::int64_t n = 0;
  if (changed && *changed) std::from_chars(changed, changed + std::strlen(changed), n);
  return n;
}

base::Status PostgresTransaction::Commit() {
  if (done_) return MakeError(ErrorCode::kInternal, "transaction already ended");
  done_ = true;
  if (PQtransactionStatus(conn_->raw()) == PQTRANS_INERROR) {
    (void)conn_->Simple("ROLLBACK");
    return MakeError(ErrorCode::kInternal,
                     "postgres: commit: the transaction was aborted by an earlier error");
  }
  // No statement timeout for COMMIT itself: a timeout would cancel the wait for a synchronous
  // standby after the local commit, and the server reports success with only a warning. Any
  // warning during COMMIT is therefore taken as "not known to be durable".
  (void)conn_->TakeWarnings();
  ResultPtr r(PQexec(conn_->raw(), "SET LOCAL statement_timeout = 0; COMMIT"));
  if (conn_->TakeWarnings() > 0 && PQresultStatus(r.get()) == PGRES_COMMAND_OK) {
    return MakeError(ErrorCode::kUnavailable,
                     "postgres: commit: the server warned during COMMIT (a synchronous standby "
                     "may not have it); commit outcome unknown");
  }
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    auto e = conn_->Failed(r.get(), "commit");
    // The connection went away during COMMIT: the outcome is unknown, so it is not reported as
    // stored (ingest NAKs; the sender's resend is recognised as a duplicate if it was stored).
    if (conn_->broken()) e.message += " (commit outcome unknown)";
    return e;
  }
  // COMMIT of a transaction the server had aborted answers "ROLLBACK".
  if (std::string_view(PQcmdStatus(r.get())) != "COMMIT") {
    return MakeError(ErrorCode::kInternal,
                     "postgres: commit: the transaction was aborted by an earlier error");
  }
  return {};
}

}  // namespace

base::Status CheckPostgresConninfo(std::string_view conninfo) {
  char* err = nullptr;
  const std::string s(conninfo);
  PQconninfoOption* opts = PQconninfoParse(s.c_str(), &err);
  if (opts == nullptr) {
    const std::string why = Trimmed(err ? err : "cannot parse");
    PQfreemem(err);
    return MakeError(ErrorCode::kInvalidArgument, "postgres connection string: " + why);
  }
  std::string host, hostaddr, sslmode, password;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string_view k = o->keyword;
    if (k == "host") host = o->val;
    if (k == "hostaddr") hostaddr = o->val;
    if (k == "sslmode") sslmode = o->val;
    if (k == "password") password = o->val;
  }
  PQconninfoFree(opts);
  if (!password.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "postgres connection string holds a password; use a password file "
                     "(PGPASSFILE) or a service file instead");
  }
  // Every host of a list must be local (a Unix socket directory or loopback) unless the server's
  // certificate is verified.
  bool remote = false;
  for (const std::string& list : {host, hostaddr}) {
    std::size_t start = 0;
    while (start <= list.size() && !list.empty()) {
      std::size_t end = list.find(',', start);
      if (end == std::string::npos) end = list.size();
      const std::string h = list.substr(start, end - start);
      if (!h.empty() && h[0] != '/' && h != "localhost" && h != "127.0.0.1" && h != "::1") {
        remote = true;
      }
      start = end + 1;
    }
  }
  if (remote && sslmode != "verify-full") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "a PostgreSQL server reached over the network needs sslmode=verify-full");
  }
  return {};
}

base::Result<std::unique_ptr<Database>> OpenPostgres(const PostgresOptions& options) {
  if (auto s = CheckPostgresConninfo(options.conninfo); !s) return s.error();
  if (options.max_connections == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "postgres: max_connections must be at least 1");
  }
  auto db = std::make_unique<PostgresDatabase>(options);
  // Connect once now, so that a wrong address or a refused login fails at start-up.
  auto conn = db->Acquire();
  if (!conn) return conn.error();
  db->Release(std::move(*conn));
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace heartbase::store
