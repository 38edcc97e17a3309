#include "store/testing/test_store.h"

#include <cstdlib>
#include <string_view>

#include "store/postgres/postgres_database.h"
#include "store/postgres/testing/test_server.h"
#include "store/sqlite/sqlite_database.h"

namespace heartbase::store::testing {

bool TestStoreIsPostgres() {
  const char* v = std::getenv("HB_TEST_STORE");
  return v != nullptr && std::string_view(v) == "postgres";
}

base::Result<TestStore> OpenTestStore(const TempDir& dir) {
  TestStore out;
  if (TestStoreIsPostgres()) {
    auto options = FreshTestSchema();
    if (!options) return options.error();
    auto db = OpenPostgres(*options);
    if (!db) return db.error();
    out.db = std::move(*db);
    out.migrations = PostgresMigrations();
    out.postgres = true;
    out.reopen = [options = *options]() { return OpenPostgres(options); };
    return out;
  }
  auto db = OpenSqlite({.path = dir.File("heartbase.db"), .create = true});
  if (!db) return db.error();
  out.db = std::move(*db);
  out.migrations = SqliteMigrations();
  out.reopen = [path = dir.File("heartbase.db")]() { return OpenSqlite({.path = path}); };
  return out;
}

}  // namespace heartbase::store::testing
