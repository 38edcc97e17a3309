// Verification: each check walks its table in key order on short read transactions, so a large
// database is verified in bounded memory while a server goes on writing.
#include "store/verify.h"

#include <fmt/format.h>

#include "store/blobs.h"
#include "store/internal/sealed_columns.h"

namespace heartbase::store {
namespace {

void Add(VerifyReport* report, std::string where, std::string what) {
  if (report->damage.size() < kMaxListed)
    report->damage.push_back({std::move(where), std::move(what)});
}

bool KeepGoing(const VerifyOptions& o, VerifyReport* report) {
  if (!o.keep_going || o.keep_going()) return true;
  report->complete = false;
  return false;
}

// Walks `sql` (which selects the key first and takes :after and :n) batch by batch, calling
// `check` on each row. A batch that cannot be read is itself damage: the walk of this table stops.
template <typename Check>
base::Status Walk(Database& db, const VerifyOptions& o, VerifyReport* report, std::string_view what,
                  const std::string& sql, Check&& check) {
  std::int64_t after = -1;
  for (;;) {
    if (!KeepGoing(o, report)) return {};
    auto tx = db.Begin(Access::kRead);
    if (!tx) return tx.error();
    const Param p[] = {{"after", after}, {"n", static_cast<std::int64_t>(o.batch)}};
    auto rows = (*tx)->Query(sql, p);
    if (!rows) {
      if (rows.error().code != base::ErrorCode::kDataLoss) return rows.error();
      Add(report, std::string(what), rows.error().message);
      return {};
    }
    for (const Row& row : *rows) {
      after = row.Int(0);
      check(**tx, row);
    }
    if (rows->size() < static_cast<std::size_t>(o.batch)) return {};
  }
}

base::Status CheckSealedValues(Database& db, const crypto::KeyRing& keys, const VerifyOptions& o,
                               VerifyReport* report) {
  for (const internal::SealedColumn& c : internal::kSealed) {
    if (c.ad == internal::Ad::kBlobAddress) continue;  // CheckBlobs opens and re-addresses them
    const std::string sql = fmt::format(
        "SELECT {}, {} FROM {} WHERE {} IS NOT NULL AND id > :after ORDER BY id "
        "LIMIT :n",
        c.key, c.column, c.table, c.column);
    auto s = Walk(db, o, report, c.table, sql, [&](Transaction&, const Row& row) {
      ++report->sealed_values;
      std::string column;
      const crypto::AssociatedData place = internal::PlaceOf(c, row, &column);
      if (auto plain = keys.Open(row.Blob(row.size() - 1), place); !plain) {
        Add(report, fmt::format("{}.{} id={}", c.table, c.column, row.Int(0)),
            plain.error().message);
      }
    });
    if (!s) return s;
  }
  // Audit notes are keyed by their sequence number; the audit trail is append-only, so rotation
  // leaves them under the key that sealed them (still in the ring) and only verification reads
  // them here.
  return Walk(
      db, o, report, "audit_event",
      "SELECT seq, note FROM audit_event WHERE note IS NOT NULL AND seq > :after "
      "ORDER BY seq LIMIT :n",
      [&](Transaction&, const Row& row) {
        ++report->sealed_values;
        if (auto plain = keys.Open(row.Blob(1), {"audit_event", "note", row.Int(0)}); !plain) {
          Add(report, fmt::format("audit_event.note seq={}", row.Int(0)), plain.error().message);
        }
      });
}

// Every blob decrypts, decodes to its recorded size and hashes to its own address: content
// addressing is what de-duplication and the raw-message record rely on.
base::Status CheckBlobs(Database& db, const crypto::KeyRing& keys, const VerifyOptions& o,
                        VerifyReport* report) {
  VerifyOptions small = o;
  small.batch = std::min(o.batch, 32);  // a blob may be tens of megabytes
  return Walk(db, small, report, "blob",
              "SELECT id, lookup FROM blob WHERE id > :after ORDER BY id LIMIT :n",
              [&](Transaction& tx, const Row& row) {
                ++report->blobs;
                const std::string where = fmt::format("blob id={}", row.Int(0));
                auto bytes = GetBlob(tx, keys, row.Int(0));
                if (!bytes) {
                  Add(report, where, bytes.error().message);
                  return;
                }
                const auto address = keys.BlindIndex("blob", *bytes);
                const std::string_view expected(reinterpret_cast<const char*>(address.data()),
                                                address.size());
                if (row.Blob(1) != expected) {
                  Add(report, where, "content does not match its address");
                }
              });
}

base::Status CheckReferences(Database& db, VerifyReport* report) {
  auto tx = db.Begin(Access::kRead);
  if (!tx) return tx.error();
  const std::string_view fk = db.dialect().foreign_key_check;
  if (!fk.empty()) {
    auto rows = (*tx)->Query(fk);
    if (!rows) {
      if (rows.error().code != base::ErrorCode::kDataLoss) return rows.error();
      Add(report, "reference", rows.error().message);
      return {};
    }
    for (const Row& r : *rows) {  // table, rowid, parent table, constraint index
      ++report->references;
      Add(report, fmt::format("{} id={}", r.Text(0), r.Int(1)),
          fmt::format("refers to a missing {} row", r.Text(2)));
    }
  }
  // References the schema cannot declare: the trend table (clustered for reads, no foreign key)
  // points at interrogations.
  auto rows = (*tx)->Query(
      "SELECT DISTINCT t.interrogation_id FROM trend t LEFT JOIN interrogation i "
      "ON i.id = t.interrogation_id WHERE i.id IS NULL");
  if (!rows) {
    if (rows.error().code != base::ErrorCode::kDataLoss) return rows.error();
    Add(report, "trend", rows.error().message);
    return {};
  }
  for (const Row& r : *rows) {
    ++report->references;
    Add(report, fmt::format("trend interrogation_id={}", r.Int(0)),
        "refers to a missing interrogation row");
  }
  return {};
}

}  // namespace

base::Result<std::vector<std::string>> CheckStructure(Database& db, bool thorough) {
  const std::string_view sql = thorough ? db.dialect().integrity_check : db.dialect().quick_check;
  std::vector<std::string> problems;
  if (sql.empty()) return problems;
  auto tx = db.Begin(Access::kRead);
  if (!tx) {
    if (tx.error().code != base::ErrorCode::kDataLoss) return tx.error();
    problems.push_back(tx.error().message);
    return problems;
  }
  auto rows = (*tx)->Query(sql);
  if (!rows) {
    // A check that cannot even read the file has found what it looks for.
    if (rows.error().code != base::ErrorCode::kDataLoss) return rows.error();
    problems.push_back(rows.error().message);
    return problems;
  }
  for (const Row& r : *rows) {
    if (rows->size() == 1 && r.Text(0) == "ok") break;
    problems.emplace_back(r.Text(0));
  }
  return problems;
}

base::Result<VerifyReport> Verify(Database& db, const crypto::KeyRing& keys,
                                  const VerifyOptions& options) {
  VerifyReport report;
  auto structure = CheckStructure(db, options.thorough);
  if (!structure) return structure.error();
  report.structure_problems = static_cast<std::int64_t>(structure->size());
  for (std::string& p : *structure) Add(&report, "structure", std::move(p));
  if (!structure->empty()) {
    // A damaged file may lose what is written next: stop acknowledging (Database::damage). A
    // value that does not authenticate, by contrast, is one row's loss and stops nothing.
    db.MarkDamaged(base::MakeError(
        base::ErrorCode::kDataLoss,
        "the structural check found " + std::to_string(structure->size()) + " problem(s)"));
  }
  if (auto s = CheckSealedValues(db, keys, options, &report); !s) return s.error();
  if (auto s = CheckBlobs(db, keys, options, &report); !s) return s.error();
  if (KeepGoing(options, &report)) {
    if (auto s = CheckReferences(db, &report); !s) return s.error();
  }
  return report;
}

}  // namespace heartbase::store
