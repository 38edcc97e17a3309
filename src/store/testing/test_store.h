// The database a repository test runs on: SQLite in the test's directory by default, or a fresh
// schema on the suite's PostgreSQL server when HB_TEST_STORE=postgres (ctest runs the store tests
// both ways), so one test body proves the behaviour on both drivers.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>

#include "base/result.h"
#include "store/database.h"
#include "store/migrations.h"
#include "store/testing/temp_dir.h"

namespace heartbase::store::testing {

struct TestStore {
  std::unique_ptr<Database> db;
  std::span<const Migration> migrations;  // the driver's own
  bool postgres = false;
  // Opens the same database once more (a restart of the process that holds `db`).
  std::function<base::Result<std::unique_ptr<Database>>()> reopen;
};

// A new, empty database (not migrated).
base::Result<TestStore> OpenTestStore(const TempDir& dir);

// True when HB_TEST_STORE asks for PostgreSQL.
bool TestStoreIsPostgres();

}  // namespace heartbase::store::testing
