#include "store/postgres/testing/test_server.h"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

namespace heartbase::store::testing {

bool HaveTestServer() { return std::getenv("HB_TEST_POSTGRES") != nullptr; }

base::Result<std::string> TestServerConninfo() {
  const char* file = std::getenv("HB_TEST_POSTGRES");
  if (file == nullptr) {
    return base::MakeError(base::ErrorCode::kUnavailable,
                           "HB_TEST_POSTGRES is not set (run through ctest, which starts the "
                           "suite's PostgreSQL server)");
  }
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  if (!in || text.str().empty()) {
    return base::MakeError(base::ErrorCode::kUnavailable,
                           fmt::format("cannot read the test server's address from {}", file));
  }
  return text.str();
}

base::Result<PostgresOptions> FreshTestSchema() {
  auto conninfo = TestServerConninfo();
  if (!conninfo) return conninfo.error();
  static std::atomic<int> counter{0};
  const std::string schema = fmt::format("hb_{}_{}", ::getpid(), counter++);
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(conninfo->c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return base::MakeError(base::ErrorCode::kUnavailable,
                           fmt::format("test server: {}", PQerrorMessage(conn.get())));
  }
  const std::string sql = fmt::format("CREATE SCHEMA {}", schema);
  std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn.get(), sql.c_str()), &PQclear);
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    return base::MakeError(base::ErrorCode::kUnavailable,
                           fmt::format("test server: {}", PQerrorMessage(conn.get())));
  }
  PostgresOptions options;
  options.conninfo = fmt::format("{} options='-c search_path={}'", *conninfo, schema);
  return options;
}

}  // namespace heartbase::store::testing
