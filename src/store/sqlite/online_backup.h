// A consistent copy of a live SQLite database, taken while other processes write to it, and the
// offline check of such a copy.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace heartbase::store {

struct SnapshotOptions {
  // Pages copied per sqlite3_backup_step. The copy holds one read transaction from start to end
  // (WAL: writers go on committing, and the copy does not restart when they do); between steps it
  // lets go of the source's locks.
  int pages_per_step = 4096;
};

struct Snapshot {
  std::int64_t bytes = 0;  // size of the copy
  int schema_version = 0;  // its schema_version (0 if it has none)
};

// Copies the database file `source` into the new file `dest` (which must not exist; created with
// mode 0600) as of one read transaction on a connection of its own, with SQLite's online backup
// API. The copy is a rollback-journal file (no -wal, no -shm) and is synced before this returns.
// Fails with kAlreadyExists if `dest` exists, kIo / kDataLoss as SQLite reports; on failure
// `dest` is removed. Safe to call while `serve` writes `source`: writers are never blocked; the
// WAL checkpointer cannot pass the copy's snapshot until it ends.
base::Result<Snapshot> CopySqliteSnapshot(const std::string& source, const std::string& dest,
                                          const SnapshotOptions& options = {});

// Checks a database file nobody else uses, opened read-only: PRAGMA integrity_check, then its
// schema_version. `problems` is empty when it is intact. Fails with kIo if it cannot be opened;
// a file that is not a database is reported as a problem, not as a failure.
struct ImageCheck {
  std::vector<std::string> problems;
  int schema_version = 0;
};
base::Result<ImageCheck> CheckSqliteImage(const std::string& path);

}  // namespace heartbase::store
