// The data directory: where the database lives, where the key file is, and how both are opened.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "rules/rule_book.h"
#include "store/database.h"

namespace heartbase::app {

struct DataDirOptions {
  std::string root;      // --data DIR
  std::string key_file;  // --key-file; default DIR/keyring
  bool allow_upgrade = false;
};

std::string DatabasePath(const DataDirOptions& o);
std::string KeyFilePath(const DataDirOptions& o);
std::string AuditKeyPath(const DataDirOptions& o);        // DIR/audit-signing.key (0400)
std::string TlsCertificatePath(const DataDirOptions& o);  // DIR/tls/cert.pem (self-signed)
std::string TlsKeyPath(const DataDirOptions& o);          // DIR/tls/key.pem (0600)

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

// Loads the key ring and opens the database, checking the schema version (see store::Migrate).
base::Result<OpenStore> OpenDataDir(const DataDirOptions& o);

// The alert rules in force: the active stored rule set, or the built-in defaults when none was
// ever activated. kInvalidArgument if the stored text no longer parses (it was checked when it
// was stored, so this means a newer heartbase reads it differently).
base::Result<std::shared_ptr<rules::RuleBook>> LoadRuleBook(store::Database& db);

}  // namespace heartbase::app
