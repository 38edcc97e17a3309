// `heartbase store verify`: every check store::Verify makes, on a stopped or running server's data
// directory, with a report that names damage by place (table, column, id), never by content.
// `heartbase store copy`: a SQLite data directory's database moved to PostgreSQL, resumable, and
// compared table by table (row counts and a hash over every row) before it is declared done.
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "app/commands.h"
#include "app/data_dir.h"
#include "store/migrations.h"
#include "store/postgres/postgres_database.h"
#include "store/sqlite/sqlite_database.h"
#include "store/verify.h"

namespace heartbase::app {

int RunStoreVerify(const StoreVerifyCommand& c) {
  const DataDirOptions o{.root = c.data, .key_file = c.key_file};
  auto opened = OpenDataDir(o);
  if (!opened) {
    std::fprintf(stderr, "heartbase: store verify: %s\nverdict: DAMAGED or unreadable\n",
                 opened.error().Describe().c_str());
    return 1;
  }
  auto report = store::Verify(*opened->db, *opened->keys, {.thorough = !c.quick});
  if (!report) {
    std::fprintf(stderr, "heartbase: store verify: %s\n", report.error().Describe().c_str());
    return 1;
  }
  std::printf("structure (%s): %s\n", c.quick ? "quick_check" : "integrity_check",
              report->structure_problems == 0
                  ? "ok"
                  : fmt::format("{} problem(s)", report->structure_problems).c_str());
  std::printf("sealed values: %lld authenticated under the key ring\n",
              static_cast<long long>(report->sealed_values));
  std::printf("blobs: %lld decrypted and matched to their content address\n",
              static_cast<long long>(report->blobs));
  std::printf("references: %lld dangling\n", static_cast<long long>(report->references));
  for (const store::Damage& d : report->damage) {
    std::printf("damaged: %s: %s\n", d.where.c_str(), d.what.c_str());
  }
  if (report->damage.size() >= store::kMaxListed) {
    std::printf("(only the first %zu problems are listed)\n", store::kMaxListed);
  }
  std::printf("verdict: %s\n", report->ok() ? "intact" : "DAMAGED (see docs/recovery.md)");
  return report->ok() ? 0 : 1;
}

namespace {

using base::ErrorCode;
using base::MakeError;

struct CopyTable {
  std::string name;
  std::vector<std::string> columns;
  std::vector<std::string> key;    // primary key columns, in key order
  std::set<std::string> deferred;  // foreign keys written after every table is copied (cycles)
  bool integer_key = false;        // one INTEGER primary key column
};

bool PlainIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return !(s[0] >= '0' && s[0] <= '9');
}

std::string Quoted(std::string_view id) { return fmt::format("\"{}\"", id); }

std::string Joined(const std::vector<std::string>& names, std::string_view sep = ", ") {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : std::string(sep)) + Quoted(n);
  return out;
}

// The tables of the source database with their columns, keys and foreign keys, in an order that
// writes every referenced row first; references that close a cycle (or point into their own
// table) are deferred. Names come from the database file, so each must be a plain identifier.
base::Result<std::vector<CopyTable>> ReadCatalog(store::Transaction& tx) {
  auto names = tx.Query(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
      "AND name <> 'schema_version' ORDER BY name");
  if (!names) return names.error();
  std::map<std::string, CopyTable> tables;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> refs;  // column, parent
  for (const store::Row& n : *names) {
    CopyTable t{.name = std::string(n.Text(0))};
    if (!PlainIdentifier(t.name)) {
      return MakeError(ErrorCode::kDataLoss, "the source database has a table with an odd name");
    }
    const store::Param p[] = {{"t", t.name}};
    auto cols = tx.Query("SELECT name, pk, type FROM pragma_table_info(:t) ORDER BY cid", p);
    if (!cols) return cols.error();
    std::vector<std::pair<std::int64_t, std::string>> key;
    std::string key_type;
    for (const store::Row& c : *cols) {
      std::string col(c.Text(0));
      if (!PlainIdentifier(col)) {
        return MakeError(ErrorCode::kDataLoss,
                         fmt::format("table {} has a column with an odd name", t.name));
      }
      if (c.Int(1) > 0) {
        key.emplace_back(c.Int(1), col);
        key_type = c.Text(2);
      }
      t.columns.push_back(std::move(col));
    }
    if (key.empty()) {
      return MakeError(ErrorCode::kUnsupported,
                       fmt::format("table {} has no primary key; it cannot be copied", t.name));
    }
    std::sort(key.begin(), key.end());
    for (auto& [_, col] : key) t.key.push_back(col);
    t.integer_key = t.key.size() == 1 && key_type == "INTEGER";
    auto fks = tx.Query("SELECT \"from\", \"table\" FROM pragma_foreign_key_list(:t)", p);
    if (!fks) return fks.error();
    for (const store::Row& f : *fks) refs[t.name].emplace_back(f.Text(0), f.Text(1));
    tables.emplace(t.name, std::move(t));
  }
  std::vector<CopyTable> order;
  std::set<std::string> placed;
  while (placed.size() < tables.size()) {
    bool progress = false;
    for (auto& [name, t] : tables) {
      if (placed.count(name)) continue;
      bool ready = true;
      for (const auto& [col, parent] : refs[name]) {
        if (parent != name && !placed.count(parent) && tables.count(parent)) ready = false;
      }
      if (!ready) continue;
      for (const auto& [col, parent] : refs[name]) {
        if (parent == name) t.deferred.insert(col);
      }
      order.push_back(t);
      placed.insert(name);
      progress = true;
    }
    if (progress) continue;
    // A cycle: take the first table left and defer its references to tables not yet written.
    for (auto& [name, t] : tables) {
      if (placed.count(name)) continue;
      for (const auto& [col, parent] : refs[name]) {
        if (!placed.count(parent)) t.deferred.insert(col);
      }
      order.push_back(t);
      placed.insert(name);
      break;
    }
  }
  for (const CopyTable& t : order) {
    if (!t.deferred.empty() && t.key.size() != 1) {
      return MakeError(
          ErrorCode::kUnsupported,
          fmt::format("table {}: a deferred reference needs a one-column key", t.name));
    }
  }
  return order;
}

// Rows of `table` after `after` (the last key read; empty = from the start), in key order.
base::Result<std::vector<store::Row>> ReadPage(store::Transaction& tx, const CopyTable& t,
                                               const std::vector<store::Value>& after,
                                               std::int64_t limit) {
  std::vector<store::Param> params;
  std::vector<std::string> names;
  std::string where;
  if (!after.empty()) {
    names.reserve(after.size());
    std::string keys;
    for (std::size_t i = 0; i < after.size(); ++i) names.push_back(fmt::format("k{}", i));
    for (std::size_t i = 0; i < after.size(); ++i) {
      keys += (i ? ", :" : ":") + names[i];
      params.push_back({names[i], after[i]});
    }
    where = t.key.size() == 1 ? fmt::format(" WHERE {} > {}", Quoted(t.key[0]), keys)
                              : fmt::format(" WHERE ({}) > ({})", Joined(t.key), keys);
  }
  params.push_back({"limit", limit});
  return tx.Query(fmt::format("SELECT {} FROM {}{} ORDER BY {} LIMIT :limit", Joined(t.columns),
                              Quoted(t.name), where, Joined(t.key)),
                  params);
}

std::vector<store::Value> KeyOf(const CopyTable& t, const store::Row& r) {
  std::vector<store::Value> key;
  for (const std::string& k : t.key) {
    const auto at = std::find(t.columns.begin(), t.columns.end(), k) - t.columns.begin();
    key.push_back(r.at(static_cast<std::size_t>(at)));
  }
  return key;
}

// A digest of one row that does not depend on the driver: each value's type and bytes.
std::array<unsigned char, 32> RowDigest(const store::Row& r) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 32);
  for (std::size_t i = 0; i < r.size(); ++i) {
    const store::Value& v = r.at(i);
    unsigned char tag = static_cast<unsigned char>(v.index());
    std::string bytes;
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
      bytes = std::to_string(*n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      bytes = fmt::format("{}", *d);
    } else if (std::holds_alternative<std::string>(v) || std::holds_alternative<store::Bytes>(v)) {
      bytes = std::string(std::holds_alternative<std::string>(v) ? r.Text(i) : r.Blob(i));
    }
    const std::uint64_t size = bytes.size();
    crypto_generichash_update(&st, &tag, 1);
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(&size), sizeof size);
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(bytes.data()),
                              bytes.size());
  }
  std::array<unsigned char, 32> out{};
  crypto_generichash_final(&st, out.data(), out.size());
  return out;
}

struct TableSum {
  std::int64_t rows = 0;
  std::string hash;  // over the sorted row digests: independent of the order rows are read in
};

base::Result<TableSum> Summarise(store::Database& db, const CopyTable& t, std::int64_t batch) {
  auto tx = db.Begin(store::Access::kRead);
  if (!tx) return tx.error();
  std::vector<std::array<unsigned char, 32>> digests;
  std::vector<store::Value> after;
  for (;;) {
    auto page = ReadPage(**tx, t, after, batch);
    if (!page) return page.error();
    for (const store::Row& r : *page) digests.push_back(RowDigest(r));
    if (static_cast<std::int64_t>(page->size()) < batch) break;
    after = KeyOf(t, page->back());
  }
  std::sort(digests.begin(), digests.end());
  std::array<unsigned char, 32> all{};
  crypto_generichash(all.data(), all.size(), digests.empty() ? nullptr : digests.front().data(),
                     digests.size() * 32, nullptr, 0);
  TableSum out{.rows = static_cast<std::int64_t>(digests.size())};
  for (unsigned char c : all) out.hash += fmt::format("{:02x}", c);
  return out;
}

// Copies the rows of `t` the target lacks. Tables with one integer key resume after the target's
// largest key; the others are written again with ON CONFLICT DO NOTHING (rows present are kept).
base::Result<std::int64_t> CopyRows(store::Transaction& source, store::Database& target,
                                    const CopyTable& t, std::int64_t batch) {
  std::vector<store::Value> after;
  if (t.integer_key) {
    std::optional<std::int64_t> last;
    auto s = store::RunUnitOfWork(target, store::Access::kRead, [&](store::Transaction& tx) {
      auto r = tx.Query(fmt::format("SELECT MAX({}) FROM {}", Quoted(t.key[0]), Quoted(t.name)));
      if (!r) return base::Status(r.error());
      if (!r->front().IsNull(0)) last = r->front().Int(0);
      return base::Status();
    });
    if (!s) return s.error();
    if (last) after.emplace_back(*last);
  }
  std::vector<std::string> params;
  for (std::size_t i = 0; i < t.columns.size(); ++i) params.push_back(fmt::format(":c{}", i));
  std::string values;
  for (const std::string& p : params) values += (values.empty() ? "" : ", ") + p;
  const std::string insert = fmt::format("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING",
                                         Quoted(t.name), Joined(t.columns), values);
  std::int64_t copied = 0;
  for (;;) {
    auto page = ReadPage(source, t, after, batch);
    if (!page) return page.error();
    if (page->empty()) break;
    std::int64_t inserted = 0;
    auto s = store::RunUnitOfWork(target, store::Access::kWrite, [&](store::Transaction& tx) {
      inserted = 0;
      std::vector<store::Param> p(t.columns.size());
      for (const store::Row& r : *page) {
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
          const bool deferred = t.deferred.count(t.columns[i]) > 0;
          p[i] = {std::string_view(params[i]).substr(1),
                  deferred ? store::Value() : store::Value(r.at(i))};
        }
        auto e = tx.Execute(insert, p);
        if (!e) return base::Status(e.error());
        inserted += *e;  // 0 for a row already there
      }
      return base::Status();
    });
    if (!s) return s.error();
    copied += inserted;
    if (static_cast<std::int64_t>(page->size()) < batch) break;
    after = KeyOf(t, page->back());
  }
  return copied;
}

// Writes the deferred references once every row exists.
base::Status CopyDeferred(store::Transaction& source, store::Database& target, const CopyTable& t,
                          std::int64_t batch) {
  for (const std::string& col : t.deferred) {
    const auto at = static_cast<std::size_t>(std::find(t.columns.begin(), t.columns.end(), col) -
                                             t.columns.begin());
    std::vector<store::Value> after;
    for (;;) {
      auto page = ReadPage(source, t, after, batch);
      if (!page) return page.error();
      if (page->empty()) break;
      auto s = store::RunUnitOfWork(target, store::Access::kWrite, [&](store::Transaction& tx) {
        for (const store::Row& r : *page) {
          if (r.IsNull(at)) continue;
          const store::Param p[] = {{"v", r.at(at)}, {"k", KeyOf(t, r).front()}};
          auto e = tx.Execute(fmt::format("UPDATE {} SET {} = :v WHERE {} = :k", Quoted(t.name),
                                          Quoted(col), Quoted(t.key[0])),
                              p);
          if (!e) return base::Status(e.error());
        }
        return base::Status();
      });
      if (!s) return s;
      if (static_cast<std::int64_t>(page->size()) < batch) break;
      after = KeyOf(t, page->back());
    }
  }
  return {};
}

int CopyFailed(const base::Error& e) {
  std::fprintf(stderr, "heartbase: store copy: %s\n", e.Describe().c_str());
  return 1;
}

}  // namespace

int RunStoreCopy(const StoreCopyCommand& c) {
  constexpr std::string_view kSqlite = "sqlite:", kPostgres = "postgres:";
  if (c.from.rfind(kSqlite, 0) != 0 || c.to.rfind(kPostgres, 0) != 0) {
    return CopyFailed(
        MakeError(ErrorCode::kInvalidArgument, "give --from sqlite:DIR --to postgres:CONNINFO"));
  }
  const auto started = std::chrono::steady_clock::now();
  DataDirOptions o{
      .root = c.from.substr(kSqlite.size()), .key_file = c.key_file, .store_driver = "sqlite"};
  // Opened as every command does: the key ring must belong to the directory, and the schema must
  // be this program's (an older one is upgraded with serve --upgrade first).
  auto opened = OpenDataDir(o);
  if (!opened) return CopyFailed(opened.error());
  auto target =
      store::OpenPostgres({.conninfo = c.to.substr(kPostgres.size()), .max_connections = 2});
  if (!target) return CopyFailed(target.error());
  auto source_version = store::SchemaVersion(*opened->db);
  auto target_version = store::SchemaVersion(**target);
  if (!source_version) return CopyFailed(source_version.error());
  if (!target_version) return CopyFailed(target_version.error());
  // An empty target is created at this program's schema; one an interrupted copy left part-way
  // through its migrations is taken on from where it stopped.
  if (*target_version < *source_version) {
    auto v = store::Migrate(**target, store::PostgresMigrations(), /*allow_upgrade=*/true);
    if (!v) return CopyFailed(v.error());
    target_version = *v;
  }
  if (*target_version != *source_version) {
    return CopyFailed(MakeError(
        ErrorCode::kUnsupported,
        fmt::format("the source schema is version {} and the target's {}; both must be this "
                    "program's (serve --upgrade first)",
                    *source_version, *target_version)));
  }
  // The copy is audited in the source's trail, so the record travels with the copy.
  auto audited =
      store::RunUnitOfWork(*opened->db, store::Access::kWrite, [&](store::Transaction& tx) {
        return AuditCli(tx, "store.copy", 0, "to postgres", "store");
      });
  if (!audited) return CopyFailed(audited.error());
  // One read transaction over the whole copy: a consistent state of the source, even if it is
  // written meanwhile (serve should be stopped: later writes would not be copied, and the
  // comparison below would say so).
  auto source = opened->db->Begin(store::Access::kRead);
  if (!source) return CopyFailed(source.error());
  auto tables = ReadCatalog(**source);
  if (!tables) return CopyFailed(tables.error());
  std::int64_t copied = 0;
  for (const CopyTable& t : *tables) {
    auto n = CopyRows(**source, **target, t, c.batch);
    if (!n) {
      return CopyFailed(MakeError(n.error().code, fmt::format("table {}: {} (run the same command "
                                                              "again to resume)",
                                                              t.name, n.error().message)));
    }
    copied += *n;
  }
  for (const CopyTable& t : *tables) {
    if (auto s = CopyDeferred(**source, **target, t, c.batch); !s) return CopyFailed(s.error());
  }
  // Identity sequences continue after the copied ids.
  auto seq = store::RunUnitOfWork(**target, store::Access::kWrite, [&](store::Transaction& tx) {
    for (const CopyTable& t : *tables) {
      if (!t.integer_key) continue;
      const store::Param p[] = {{"t", t.name}, {"k", t.key[0]}};
      auto r =
          tx.Query(fmt::format("SELECT setval(pg_get_serial_sequence(:t, :k), MAX({})) FROM {} "
                               "HAVING MAX({}) IS NOT NULL AND pg_get_serial_sequence(:t, :k) "
                               "IS NOT NULL",
                               Quoted(t.key[0]), Quoted(t.name), Quoted(t.key[0])),
                   p);
      if (!r) return base::Status(r.error());
    }
    return base::Status();
  });
  if (!seq) return CopyFailed(seq.error());
  source->reset();
  // The comparison: every table's row count and hash, read back from both databases.
  int different = 0;
  std::int64_t rows = 0;
  for (const CopyTable& t : *tables) {
    auto a = Summarise(*opened->db, t, c.batch);
    if (!a) return CopyFailed(a.error());
    auto b = Summarise(**target, t, c.batch);
    if (!b) return CopyFailed(b.error());
    rows += a->rows;
    if (a->rows != b->rows || a->hash != b->hash) {
      ++different;
      std::printf("different: %s: %lld rows here, %lld there\n", t.name.c_str(),
                  static_cast<long long>(a->rows), static_cast<long long>(b->rows));
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (different > 0) {
    std::printf("verdict: %d table(s) differ; nothing is switched over\n", different);
    return 1;
  }
  std::printf(
      "copied %lld rows now (%lld in all) in %zu tables in %.1f s; every table's row count and "
      "hash are equal\nverdict: copied\nnext: set [store] driver = \"postgres\" and postgres = "
      "\"...\" in %s/heartbase.toml, then start serve\n",
      static_cast<long long>(copied), static_cast<long long>(rows), tables->size(), seconds,
      o.root.c_str());
  return 0;
}

}  // namespace heartbase::app
