// Numbered schema migrations and the schema-version gate at start-up.
#pragma once

#include <span>
#include <string_view>

#include "base/result.h"
#include "store/database.h"

namespace heartbase::store {

struct Migration {
  int version;           // 1, 2, 3 … without gaps
  std::string_view sql;  // one or more statements separated by ';' at line ends
};

// Brings the schema to the newest version in `migrations`, each migration in its own transaction
// together with the version bump. A new (empty) database is always initialised. An existing
// database older than the newest migration is upgraded only when `allow_upgrade` is set
// (`heartbase serve --upgrade`); otherwise fails with kUnsupported naming both versions. A
// database newer than this program fails with kUnsupported (never downgrade).
// Returns the schema version in effect.
base::Result<int> Migrate(Database& db, std::span<const Migration> migrations, bool allow_upgrade);

// The version recorded in the database (0 for an empty database).
base::Result<int> SchemaVersion(Database& db);

}  // namespace heartbase::store
