// Migration runner. SQL files are split into statements at ";" + end of line, which the project's
// migration files follow (no procedural blocks).
#include "store/migrations.h"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace heartbase::store {
namespace {

std::vector<std::string_view> Statements(std::string_view sql) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < sql.size()) {
    std::size_t end = sql.find(";\n", start);
    if (end == std::string_view::npos) end = sql.size();
    std::string_view stmt = sql.substr(start, end - start);
    const auto first = stmt.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos) {
      stmt.remove_prefix(first);
      // Skip comment-only chunks.
      bool only_comments = true;
      std::size_t line = 0;
      while (line < stmt.size()) {
        std::size_t eol = stmt.find('\n', line);
        if (eol == std::string_view::npos) eol = stmt.size();
        const std::string_view l = stmt.substr(line, eol - line);
        const auto nb = l.find_first_not_of(" \t\r");
        if (nb != std::string_view::npos && l.substr(nb, 2) != "--") only_comments = false;
        line = eol + 1;
      }
      if (!only_comments) out.push_back(stmt);
    }
    start = end + 2;
  }
  return out;
}

}  // namespace

base::Result<int> SchemaVersion(Database& db) {
  auto tx = db.Begin(Access::kRead);
  if (!tx) return tx.error();
  auto rows = (*tx)->Query("SELECT version FROM schema_version");
  // The only expected failure is "no such table": an empty database. Anything else (I/O,
  // corruption) must not be mistaken for it.
  if (!rows) {
    return rows.error().code == base::ErrorCode::kInvalidArgument ? base::Result<int>(0)
                                                                  : base::Result<int>(rows.error());
  }
  if (rows->empty()) return 0;
  return static_cast<int>(rows->front().Int(0));
}

base::Result<int> Migrate(Database& db, std::span<const Migration> migrations, bool allow_upgrade) {
  auto current = SchemaVersion(db);
  if (!current) return current.error();
  const int newest = migrations.empty() ? 0 : migrations.back().version;
  if (*current > newest) {
    return base::MakeError(base::ErrorCode::kUnsupported,
                           fmt::format("database schema version {} is newer than this program "
                                       "supports ({}); use a newer heartbase",
                                       *current, newest));
  }
  if (*current != 0 && *current < newest && !allow_upgrade) {
    return base::MakeError(base::ErrorCode::kUnsupported,
                           fmt::format("database schema version {} is older than {}; back up the "
                                       "data directory, then start once with --upgrade",
                                       *current, newest));
  }
  for (const Migration& m : migrations) {
    if (m.version <= *current) continue;
    auto s = RunUnitOfWork(db, Access::kWrite, [&](Transaction& tx) -> base::Status {
      for (std::string_view stmt : Statements(m.sql)) {
        if (auto r = tx.Execute(stmt); !r) {
          base::Error e = r.error();
          e.message = fmt::format("migration {}: {}", m.version, e.message);
          return e;
        }
      }
      if (m.version == 1) {
        if (auto r = tx.Execute("CREATE TABLE schema_version (version INTEGER NOT NULL)"); !r) {
          return r.error();
        }
        if (auto r = tx.Execute("INSERT INTO schema_version (version) VALUES (1)"); !r) {
          return r.error();
        }
      } else {
        const Param p{"v", static_cast<std::int64_t>(m.version)};
        if (auto r = tx.Execute("UPDATE schema_version SET version = :v", {&p, 1}); !r) {
          return r.error();
        }
      }
      return {};
    });
    if (!s) return s.error();
    *current = m.version;
  }
  return *current;
}

}  // namespace heartbase::store
