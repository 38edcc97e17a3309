// AuthFixture: a migrated SQLite database in a private directory and a fresh key ring, for the
// auth module's tests; cheap Argon2id parameters so that tests stay fast.
#pragma once

#include <gtest/gtest.h>
#include <sodium.h>

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>

#include "auth/options.h"
#include "auth/password.h"
#include "crypto/key_ring.h"
#include "store/database.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_database.h"
#include "store/testing/temp_dir.h"

namespace heartbase::auth::testing {

// The smallest cost libsodium allows. Production keeps t=3, m=64 MiB (options.h rejects less).
inline PasswordOptions CheapPasswordOptions() {
  PasswordOptions o;
  o.opslimit = crypto_pwhash_OPSLIMIT_MIN;
  o.memlimit = crypto_pwhash_MEMLIMIT_MIN;
  return o;
}

inline AuthOptions CheapAuthOptions() {
  AuthOptions o;
  o.password = CheapPasswordOptions();
  return o;
}

class AuthFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::OpenSqlite({.path = dir_.File("heartbase.db"), .create = true});
    ASSERT_TRUE(db) << db.error().Describe();
    db_ = std::move(*db);
    auto migrated = store::Migrate(*db_, store::SqliteMigrations(), false);
    ASSERT_TRUE(migrated) << migrated.error().Describe();
    auto keys = crypto::KeyRing::Generate();
    ASSERT_TRUE(keys);
    keys_ = std::make_unique<crypto::KeyRing>(std::move(*keys));
  }

  // Runs `work` in a committed write transaction.
  base::Status Write(const std::function<base::Status(store::Transaction&)>& work) {
    return store::RunUnitOfWork(*db_, store::Access::kWrite, work);
  }

  // Runs `work` in a write transaction and returns its value (failing the test on error).
  template <typename T>
  T Must(const std::function<base::Result<T>(store::Transaction&)>& work) {
    std::optional<T> out;
    auto s = Write([&](store::Transaction& tx) -> base::Status {
      auto r = work(tx);
      if (!r) return r.error();
      out = std::move(*r);
      return {};
    });
    if (!s) ADD_FAILURE() << s.error().Describe();
    if (!out) throw std::runtime_error("unit of work failed");
    return std::move(*out);
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<crypto::KeyRing> keys_;
};

}  // namespace heartbase::auth::testing
