// The PostgreSQL server of the test suite (started once by tests/pg_server.py as a ctest fixture;
// HB_TEST_POSTGRES names the file with its connection string). Each test takes a schema of its own.
#pragma once

#include <string>

#include "base/result.h"
#include "store/postgres/postgres_database.h"

namespace heartbase::store::testing {

// Whether the suite's server is configured for this process.
bool HaveTestServer();

// The server's administrative connection string (the `postgres` database).
base::Result<std::string> TestServerConninfo();

// Options for a new, empty schema on the suite's server, first on the search path.
base::Result<PostgresOptions> FreshTestSchema();

}  // namespace heartbase::store::testing
