// AuthFixture: a migrated database (SQLite in a private directory, or PostgreSQL: test_store.h) and
// a fresh key ring, for the auth module's tests; cheap Argon2id parameters so that tests stay fast.
#pragma once

#include <gtest/gtest.h>
#include <sodium.h>

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>

#include "auth/options.h"
#include "auth/password.h"
#include "crypto/key_ring.h"
#include "store/database.h"
#include "store/migrations.h"
#include "store/testing/temp_dir.h"
#include "store/testing/test_store.h"

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
    auto store = store::testing::OpenTestStore(dir_);
    ASSERT_TRUE(store) << store.error().Describe();
    db_ = std::move(store->db);
    migrations_ = store->migrations;
    reopen_ = std::move(store->reopen);
    auto migrated = store::Migrate(*db_, migrations_, false);
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
  std::span<const store::Migration> migrations_;
  std::function<base::Result<std::unique_ptr<store::Database>>()> reopen_;  // a restart
  std::unique_ptr<crypto::KeyRing> keys_;
};

}  // namespace heartbase::auth::testing
