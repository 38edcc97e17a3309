// store::Verify finds each kind of damage it claims to, names it by table and id, and says nothing
// about a healthy database.
#include "store/verify.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "store/blobs.h"
#include "store/sqlite/sqlite_database.h"
#include "store/testing/temp_dir.h"

namespace heartbase::store {
namespace {

using testing::TempDir;

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto keys = crypto::KeyRing::Generate();
    ASSERT_TRUE(keys);
    keys_ = std::make_unique<crypto::KeyRing>(std::move(*keys));
    Open(true);
    ASSERT_TRUE(Migrate(*db_, SqliteMigrations(), false));
    auto tx = db_->Begin(Access::kWrite);
    ASSERT_TRUE(tx);
    for (std::int64_t id = 1; id <= 3; ++id) {
      const Param p[] = {{"id", id},
                         {"name", Bytes{keys_->Seal("Müller", {"patient", "family_name", id})}}};
      ASSERT_TRUE((*tx)->Execute(
          "INSERT INTO patient (id, family_name, created_us) VALUES (:id, :name, 0)", p));
    }
    ASSERT_TRUE(PutBlob(**tx, *keys_, "hl7", std::string(4000, 'x') + "MSH|", 0));
    ASSERT_TRUE(PutBlob(**tx, *keys_, "hl7", "short message", 0));
    ASSERT_TRUE((*tx)->Commit());
  }

  void Open(bool create = false) {
    db_.reset();
    auto db = OpenSqlite({.path = dir_.File("t.db"), .create = create});
    ASSERT_TRUE(db);
    db_ = std::move(*db);
  }

  void Execute(std::string_view sql, std::span<const Param> p = {}) {
    auto tx = db_->Begin(Access::kWrite);
    ASSERT_TRUE(tx);
    ASSERT_TRUE((*tx)->Execute(sql, p)) << sql;
    ASSERT_TRUE((*tx)->Commit());
  }

  VerifyReport Run() {
    auto r = Verify(*db_, *keys_, {.batch = 2});
    EXPECT_TRUE(r) << r.error().Describe();
    return r ? *r : VerifyReport{};
  }

  TempDir dir_;
  std::unique_ptr<crypto::KeyRing> keys_;
  std::unique_ptr<Database> db_;
};

TEST_F(VerifyTest, AHealthyDatabaseHasNoDamage) {
  const VerifyReport r = Run();
  EXPECT_TRUE(r.ok()) << r.damage.front().where << ": " << r.damage.front().what;
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.sealed_values, 3);
  EXPECT_EQ(r.blobs, 2);
  EXPECT_EQ(r.references, 0);
}

// A value copied to another row fails authentication there (the row is in the associated data).
TEST_F(VerifyTest, NamesASealedValueThatDoesNotAuthenticate) {
  Execute(
      "UPDATE patient SET family_name = (SELECT family_name FROM patient WHERE id = 1) "
      "WHERE id = 3");
  const VerifyReport r = Run();
  ASSERT_EQ(r.damage.size(), 1u);
  EXPECT_EQ(r.damage[0].where, "patient.family_name id=3");
  EXPECT_EQ(r.damage[0].what.find("Müller"), std::string::npos);
}

TEST_F(VerifyTest, NamesABlobWhoseBytesOrAddressChanged) {
  Execute("UPDATE blob SET sealed = (SELECT sealed FROM blob WHERE id = 1) WHERE id = 2");
  const VerifyReport r = Run();
  ASSERT_EQ(r.damage.size(), 1u);
  EXPECT_EQ(r.damage[0].where, "blob id=2");
}

TEST_F(VerifyTest, NamesADanglingReference) {
  Execute(
      "INSERT INTO trend (patient_id, code, observed_us, interrogation_id, seq, instance) "
      "VALUES (1, 721344, 0, 99, 1, 0)");
  const VerifyReport r = Run();
  EXPECT_EQ(r.references, 1);
  ASSERT_EQ(r.damage.size(), 1u);
  EXPECT_EQ(r.damage[0].where, "trend interrogation_id=99");
}

TEST_F(VerifyTest, StopsWhenAskedAndSaysSo) {
  int batches = 0;
  auto r = Verify(*db_, *keys_, {.batch = 1, .keep_going = [&] { return ++batches < 3; }});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->complete);
  EXPECT_LT(r->sealed_values, 3);
}

// One page of the file overwritten, as a failing disk or a stray write would: the structural check
// names it, and the database reports itself damaged, so that ingest stops acknowledging.
TEST_F(VerifyTest, FindsAnOverwrittenPageAndMarksTheDatabaseDamaged) {
  // Enough rows for several pages of one table, all checkpointed into the file.
  for (int i = 0; i < 4; ++i) {
    const Param p[] = {{"id", std::int64_t{100 + i}},
                       {"name", Bytes{std::string(3000, static_cast<char>('a' + i))}}};
    Execute("INSERT INTO patient (id, given_name, created_us) VALUES (:id, :name, 0)", p);
  }
  db_.reset();  // the last connection to close checkpoints the WAL into the file
  {
    std::fstream f(dir_.File("t.db"), std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f);
    f.seekg(0, std::ios::end);
    const auto size = static_cast<std::int64_t>(f.tellg());
    ASSERT_GT(size, 8 * 4096);
    f.seekp(size - 3 * 4096);  // a page near the end: a table page, not the schema
    const std::string junk(4096, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  Open();
  auto structure = CheckStructure(*db_, true);
  ASSERT_TRUE(structure);
  EXPECT_FALSE(structure->empty());
  const VerifyReport r = Run();
  EXPECT_FALSE(r.ok());
  EXPECT_GT(r.structure_problems, 0);
  ASSERT_TRUE(db_->damage().has_value());
  EXPECT_EQ(db_->damage()->code, base::ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace heartbase::store
