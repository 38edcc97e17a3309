// A SQLite VFS for power-loss tests: every file lives in memory and reaches the disk only when
// SQLite syncs it. PowerLoss() then throws away everything written since the last sync, exactly
// what a power cut does to a disk with a volatile write cache. Single connection only (no locks,
// no shared memory: open with exclusive locking).
#pragma once

#include <string>

namespace heartbase::store::testing {

// Registers the VFS under kPowerLossVfs (idempotent). Not thread-safe; tests use one thread.
void RegisterPowerLossVfs();
inline constexpr const char* kPowerLossVfs = "hb-power-loss";

// Drops every unsynced write and makes further writes and syncs no-ops until Reset.
void PowerLoss();
// Forgets all in-memory images (after the database was closed) and re-arms the VFS.
void ResetPowerLossVfs();
// How many xSync calls reached the disk (to show the harness sees syncs at all).
int PowerLossSyncCount();
// Disk full: after `bytes` more bytes are written, every write fails with SQLITE_FULL, until
// the limit is lifted with a negative value.
void SetDiskSpace(long long bytes);
// I/O error: the next `count` syncs fail with SQLITE_IOERR_FSYNC.
void FailNextSyncs(int count);

}  // namespace heartbase::store::testing
