// TrailTest: a migrated database (SQLite in a temporary directory, or PostgreSQL: test_store.h), a
// key ring and a signing key, for the audit module's tests.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "audit/event.h"
#include "audit/trail.h"
#include "crypto/key_ring.h"
#include "crypto/signing_key.h"
#include "store/database.h"
#include "store/migrations.h"
#include "store/testing/temp_dir.h"
#include "store/testing/test_store.h"

namespace heartbase::audit::testing {

// SQL that drops `trigger` of `table` (an attacker who can write the database drops the
// append-only triggers first); PostgreSQL names the trigger's table.
inline std::string DropTriggerSql(std::string_view trigger, std::string_view table) {
  if (store::testing::TestStoreIsPostgres()) {
    return fmt::format("DROP TRIGGER {} ON {}", trigger, table);
  }
  return fmt::format("DROP TRIGGER {}", trigger);
}

class TrailTest : public ::testing::Test {
 public:
  // A complete, plausible event; `n` varies it.
  static Event MakeEvent(std::int64_t n) {
    Event e;
    e.time_us = 1'767'225'600'000'000 + n * 1'000'000;
    e.user_name = "user" + std::to_string(n % 3);
    e.user_id = n % 3 + 1;
    e.role = "clinician";
    e.clinic_id = 7;
    e.address = "10.0.0." + std::to_string(n % 250);
    e.action = "patient.read";
    e.object_type = "patient";
    e.object_id = std::to_string(100 + n % 5);
    e.patient_id = 100 + n % 5;
    e.detail = "route=GET /api/patients/{id}";
    return e;
  }

 protected:
  void SetUp() override {
    auto store = store::testing::OpenTestStore(dir_);
    ASSERT_TRUE(store) << store.error().Describe();
    db_ = std::move(store->db);
    migrations_ = store->migrations;
    auto version = store::Migrate(*db_, migrations_, false);
    ASSERT_TRUE(version) << version.error().Describe();
    auto keys = crypto::KeyRing::Generate();
    ASSERT_TRUE(keys);
    keys_ = std::make_unique<crypto::KeyRing>(std::move(*keys));
    auto signer = crypto::SigningKey::Generate();
    ASSERT_TRUE(signer);
    signer_ = std::make_unique<crypto::SigningKey>(std::move(*signer));
  }

  // Appends in its own committed unit of work.
  base::Status AppendCommitted(const Event& e) {
    return store::RunUnitOfWork(*db_, store::Access::kWrite,
                                [&](store::Transaction& tx) { return Append(tx, e, *keys_); });
  }

  base::Status CheckpointCommitted(std::int64_t now_us) {
    return store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& tx) {
      return Checkpoint(tx, *signer_, now_us);
    });
  }

  std::int64_t Count(const std::string& sql) {
    auto tx = db_->Begin(store::Access::kRead);
    EXPECT_TRUE(tx);
    auto rows = (*tx)->Query(sql);
    EXPECT_TRUE(rows) << rows.error().Describe();
    return rows->front().Int(0);
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::Database> db_;
  std::span<const store::Migration> migrations_;
  std::unique_ptr<crypto::KeyRing> keys_;
  std::unique_ptr<crypto::SigningKey> signer_;
};

}  // namespace heartbase::audit::testing
