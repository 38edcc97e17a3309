// The SQLite driver (system library): WAL with synchronous=FULL, one serialised writer
// connection and a small pool of reader connections, prepared statements cached per connection.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/database.h"
#include "store/migrations.h"

namespace heartbase::store {

struct SqliteOptions {
  std::string path;
  bool create = false;         // create the file if it does not exist
  int busy_timeout_ms = 5000;  // how long a statement waits on a lock before kConflict
  // Reader connections kept open. At least as many as threads that read at once (HTTP and MLLP
  // workers): a reader beyond it is opened, used once and closed, which costs a schema parse and
  // every statement's preparation.
  std::size_t max_readers = 16;
  std::string vfs;  // SQLite VFS name; empty = the default (tests inject faults)
  // locking_mode=EXCLUSIVE: one connection, WAL index in heap memory. Only for test VFSs that
  // have no shared memory (power-loss simulation); readers cannot be used then.
  bool exclusive_locking = false;
  // WAL size in pages at which a background thread checkpoints it into the database file, off the
  // committing thread (past 8 times as many, the writer checkpoints inline). 0 leaves it to SQLite
  // (the commit that crosses 1,000 pages checkpoints). 8,000 pages (32 MB of WAL) rather than
  // SQLite's 1,000: a page rewritten by many commits (an index leaf, the audit table's last page)
  // is copied once per checkpoint, so fewer checkpoints copy and sync less. Measured A/B on the
  // trend route at 16 connections: 4-19% more requests per second, 5-15% less CPU per request.
  int checkpoint_pages = 8000;
};

// Opens (or creates) the database. Every connection runs with journal_mode=WAL,
// synchronous=FULL (an acknowledged commit survives power loss; NORMAL would not),
// foreign_keys=ON, secure_delete=ON, temp_store=MEMORY (no temporary files with data) and
// trusted_schema=OFF. Fails with kIo if the file cannot be opened, kDataLoss if it is not a
// database.
base::Result<std::unique_ptr<Database>> OpenSqlite(const SqliteOptions& options);

// The structural check of a database file on a connection of its own, stopped after `budget`
// (SQLite's progress handler), so a start-up check of a large file stays bounded in time.
struct FileCheck {
  bool finished = false;              // false: the budget ran out first (nothing was found so far)
  std::vector<std::string> problems;  // as integrity_check / quick_check name them; empty if ok
};
base::Result<FileCheck> CheckSqliteFile(const std::string& path, bool thorough,
                                        std::chrono::milliseconds budget);

// The SQLite schema migrations (src/store/sqlite/migrations/NNNN_*.sql, compiled in).
std::span<const Migration> SqliteMigrations();

}  // namespace heartbase::store
