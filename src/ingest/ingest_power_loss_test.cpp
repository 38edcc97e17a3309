// Power loss during ingest: the whole pipeline on a disk that loses every unsynced write. At 40
// random points the power is cut; after recovery every message that was acknowledged is there.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "demo/generator.h"
#include "ingest/pipeline.h"
#include "store/interrogations.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_database.h"
#include "store/sqlite/testing/power_loss_vfs.h"
#include "store/testing/temp_dir.h"
#include "store/testing/test_store.h"

namespace heartbase::ingest {
namespace {

struct Sent {
  std::string sender, control_id;
};

TEST(IngestPowerLoss, EveryAcknowledgedMessageSurvivesACut) {
  if (store::testing::TestStoreIsPostgres()) {
    GTEST_SKIP() << "power loss under SQLite's files (a fault-injecting VFS)";
  }
  std::vector<std::string> messages;
  ASSERT_TRUE(
      demo::Generate({.patients = 8, .years = 2, .seed = 21}, [&](const demo::GeneratedMessage& m) {
        messages.push_back(m.bytes);
        return base::Status();
      }));
  ASSERT_GT(messages.size(), 40u);
  auto keys = crypto::KeyRing::Generate();
  ASSERT_TRUE(keys);
  store::testing::RegisterPowerLossVfs();
  std::mt19937 rng(424242);
  std::size_t total_acked = 0;
  for (int round = 0; round < 40; ++round) {
    store::testing::TempDir dir;
    const std::string path = dir.File("heartbase.db");
    {  // heartbase init
      auto db = store::OpenSqlite({.path = path, .create = true});
      ASSERT_TRUE(db);
      ASSERT_TRUE(store::Migrate(**db, store::SqliteMigrations(), false));
    }
    store::testing::ResetPowerLossVfs();
    std::vector<std::string> acked;
    {
      auto db = store::OpenSqlite(
          {.path = path, .vfs = store::testing::kPowerLossVfs, .exclusive_locking = true});
      ASSERT_TRUE(db) << db.error().Describe();
      Pipeline pipeline(**db, *keys);
      const std::size_t cut = 1 + rng() % 12;
      const std::size_t start = rng() % (messages.size() - cut);
      for (std::size_t i = start; i < start + cut; ++i) {
        auto out = pipeline.Ingest(messages[i], "test");
        ASSERT_TRUE(out) << out.error().Describe();
        ASSERT_EQ(out->disposition, Disposition::kStored);
        acked.push_back(messages[i]);  // the ACK would go out now
      }
      store::testing::PowerLoss();
    }
    store::testing::ResetPowerLossVfs();
    auto db = store::OpenSqlite({.path = path});
    ASSERT_TRUE(db);
    auto tx = (*db)->Begin(store::Access::kRead);
    ASSERT_TRUE(tx);
    EXPECT_EQ((*tx)->Query("PRAGMA integrity_check")->front().Text(0), "ok");
    for (const std::string& m : acked) {
      auto parsed = hl7::Message::Parse(m);
      ASSERT_TRUE(parsed);
      const hl7::Segment msh = parsed->segment(0);
      const std::string sender =
          std::string(msh.Component(3, 1)) + "|" + std::string(msh.Component(4, 1));
      auto found = store::FindByControlId(**tx, sender, msh.Field(10));
      ASSERT_TRUE(found);
      EXPECT_TRUE(found->has_value()) << "round " << round << ": acknowledged message lost";
    }
    total_acked += acked.size();
  }
  EXPECT_GT(total_acked, 100u);
}

}  // namespace
}  // namespace heartbase::ingest
