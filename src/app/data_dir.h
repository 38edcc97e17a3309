// The data directory: where the database lives, where the key file is, and how both are opened.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "crypto/signing_key.h"
#include "report/service.h"
#include "rules/rule_book.h"
#include "store/database.h"

namespace heartbase::app {

struct DataDirOptions {
  std::string root;      // --data DIR
  std::string key_file;  // --key-file; default DIR/keyring
  bool allow_upgrade = false;
  // Where the database lives: "sqlite" (DIR/heartbase.db) or "postgres" (the server `postgres`
  // names). Empty: as DIR/heartbase.toml's [store] section says, else SQLite (every command but
  // serve, which passes what its configuration and flags say).
  std::string store_driver;
  std::string postgres;
  std::size_t postgres_connections = 16;
};

// Fills an empty store_driver from DIR/heartbase.toml and checks the store settings: a known
// driver, and for PostgreSQL a connection string that store::CheckPostgresConninfo accepts.
base::Status ResolveStore(DataDirOptions& o);
bool UsesPostgres(const DataDirOptions& o);  // after ResolveStore

std::string DatabasePath(const DataDirOptions& o);
std::string KeyFilePath(const DataDirOptions& o);
std::string AuditKeyPath(const DataDirOptions& o);        // DIR/audit-signing.key (0400)
std::string TlsCertificatePath(const DataDirOptions& o);  // DIR/tls/cert.pem (self-signed)
std::string TlsKeyPath(const DataDirOptions& o);          // DIR/tls/key.pem (0600)
std::string KeyCheckPath(const DataDirOptions& o);
// DIR/report-signing.key (0400) and DIR/report-signing.pub (the public key, hex, for verifiers).
std::string ReportKeyPath(const DataDirOptions& o);
std::string ReportPublicKeyPath(const DataDirOptions& o);
// Loads the report signing key, creating it (and its .pub) in a data directory made before
// reports existed.
base::Result<crypto::SigningKey> LoadOrCreateReportKey(const DataDirOptions& o);
// What producing reports needs, for a data directory's store: the stored messages are re-mapped
// with ingest's mapping, and writes are units of work of their own. The arguments must outlive
// the result.
report::ReportServices ReportServicesOf(store::Database& db, const crypto::KeyRing& keys,
                                        const crypto::SigningKey& signing_key);
// Reads a whole file of at most `max` bytes: kNotFound naming the path when it cannot be read,
// kLimitExceeded when it is larger (the limit is checked before anything is allocated).
base::Result<std::string> ReadSmallFile(const std::string& path, std::size_t max);
// Writes a file through a temporary one and a rename, with `mode`.
base::Status WriteFileAtomically(const std::string& path, std::string_view bytes,
                                 mode_t mode);  // DIR/key-check (0400, no secrets)
// DIR/notify.key: the lease channel's MAC key (0400), written by serve on first start.
std::string NotifyKeyPath(const std::string& data_root);

// Microseconds since the epoch (the wall clock every command uses).
std::int64_t NowUs();

struct OpenStore {
  std::unique_ptr<crypto::KeyRing> keys;
  std::unique_ptr<store::Database> db;
};

// Creates the directory (mode 0700), the key file (0400), the audit signing key (0400, apart from
// the data keys), a self-signed TLS certificate for local HTTPS, and the database at the newest
// schema; returns the one-time bootstrap token for the first administrator. Fails with
// kAlreadyExists if a database is already there (init never overwrites data).
base::Result<std::string> InitDataDir(const DataDirOptions& o);

// Loads the key ring, refuses it unless it belongs to this data directory, then opens the
// database, checking the schema version (see store::Migrate). The one way every command opens
// a data directory.
//
// The key check (DIR/key-check, crypto/key_check.h) is verified before the database is opened,
// so another directory's ring reads and writes nothing: kInvalidArgument naming the key file and
// the fingerprints of both rings. A ring holding data keys the check lacks (a rotation
// interrupted before it recorded its new key) is accepted and recorded. A directory made before
// key checks has none: its ring is tested by opening a sample of the stored sealed values
// (store::OpenSample; kDataLoss if one fails, nothing written) and then recorded.
base::Result<OpenStore> OpenDataDir(const DataDirOptions& o);

// The audit record of an administrator's change from the command line (user "system:cli": whoever
// can read the key file acts as the system), in the change's transaction (admin_commands.cpp).
base::Status AuditCli(store::Transaction& tx, std::string_view action, std::int64_t object_id,
                      std::string_view detail, std::string_view object_type = "user");

// Records `keys` as the data directory's key ring (DIR/key-check, written atomically). Called by
// init, and by key rotation once the ring with its new key is saved, before anything is sealed
// under that key; from then on the ring without it is refused.
base::Status RecordKeyCheck(const DataDirOptions& o, const crypto::KeyRing& keys);

// The alert rules in force: the active stored rule set, or the built-in defaults when none was
// ever activated. kInvalidArgument if the stored text no longer parses (it was checked when it
// was stored, so this means a newer heartbase reads it differently).
base::Result<std::shared_ptr<rules::RuleBook>> LoadRuleBook(store::Database& db);

}  // namespace heartbase::app
