// The PostgreSQL driver (libpq): the scale-out store. Several `heartbase serve` nodes may share one
// server; write transactions run one at a time across all of them (an advisory lock), as under
// SQLite's single writer, and reads run on snapshots beside them. Identifiers are sealed by the
// application before they are bound, the same as on SQLite: the server never sees a plaintext
// identifier.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "base/result.h"
#include "store/database.h"
#include "store/migrations.h"

namespace heartbase::store {

struct PostgresOptions {
  // A libpq connection string ("host=/run/postgresql dbname=heartbase", "service=heartbase", or a
  // postgresql:// URI). It may not hold a password: use a password file (PGPASSFILE) or a service
  // file, so no secret is ever on a command line or in heartbase.toml. A server reached over TCP
  // other than loopback needs sslmode=verify-full.
  std::string conninfo;
  std::size_t max_connections = 16;  // Begin waits while this many are in use
  // Server-side limits set on every connection: a statement running longer is cancelled
  // (kUnavailable), and a transaction left idle longer is ended by the server.
  std::chrono::milliseconds statement_timeout{30'000};
  std::chrono::milliseconds idle_in_transaction_timeout{60'000};
  // How long Begin waits for a free connection, and how long connecting may take.
  std::chrono::milliseconds acquire_timeout{10'000};
  int connect_timeout_s = 5;
};

// Checks the options (no password in the string, TLS verification for a remote server) and
// connects once, so that a wrong address fails at start-up. kInvalidArgument for options that are
// refused, kUnavailable when the server cannot be reached.
base::Result<std::unique_ptr<Database>> OpenPostgres(const PostgresOptions& options);

// Why a connection string is refused, or ok.
base::Status CheckPostgresConninfo(std::string_view conninfo);

// The PostgreSQL schema migrations (src/store/postgres/migrations/NNNN_*.sql, compiled in), the
// same logical schema as SqliteMigrations() at each version.
std::span<const Migration> PostgresMigrations();

}  // namespace heartbase::store
