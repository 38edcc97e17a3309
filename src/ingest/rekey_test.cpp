// Key rotation over a store filled by the real pipeline (it lives here because it needs ingest to
// produce every kind of sealed value: names, identifiers, serials, free text, raw messages, PDFs).
#include "store/rekey.h"

#include <gtest/gtest.h>

#include "demo/generator.h"
#include "ingest/pipeline.h"
#include "ingest/readback.h"
#include "store/blobs.h"
#include "store/migrations.h"
#include "store/patients.h"
#include "store/testing/temp_dir.h"
#include "store/testing/test_store.h"

namespace heartbase::store {
namespace {

TEST(Rekey, ReSealsEverythingUnderTheNewKeyAndResumes) {
  testing::TempDir dir;
  auto store = testing::OpenTestStore(dir);
  ASSERT_TRUE(store) << store.error().Describe();
  auto* db = &store->db;
  ASSERT_TRUE(Migrate(**db, store->migrations, false));
  auto keys = crypto::KeyRing::Generate();
  ASSERT_TRUE(keys);
  ingest::Pipeline pipeline(**db, *keys);
  int n = 0;
  ASSERT_TRUE(demo::Generate({.patients = 4, .years = 1, .seed = 3, .pdf = true},
                             [&](const demo::GeneratedMessage& m) {
                               if (n++ < 16) {
                                 EXPECT_TRUE(pipeline.Ingest(m.bytes, "test"));
                               }
                               return base::Status();
                             }));
  ASSERT_TRUE(pipeline.Ingest("not hl7", "test"));  // a quarantined blob too
  EXPECT_EQ(*CountStale(**db, *keys), 0);

  keys->AddDataKey();
  const auto stale = *CountStale(**db, *keys);
  EXPECT_GT(stale, 50);
  int batches = 0;
  auto done = Rekey(**db, *keys, 7, [&](const RekeyProgress&) { ++batches; });
  ASSERT_TRUE(done) << done.error().Describe();
  EXPECT_EQ(done->resealed, stale);
  EXPECT_GT(batches, 10);
  EXPECT_EQ(*CountStale(**db, *keys), 0);
  // Running again (a resumed rotation) finds nothing left to do.
  EXPECT_EQ(Rekey(**db, *keys)->resealed, 0);

  // Everything still opens, and lookups (separate index key) still work.
  auto tx = (*db)->Begin(Access::kRead);
  ASSERT_TRUE(tx);
  for (const Row& r : *(*tx)->Query("SELECT id FROM patient")) {
    EXPECT_TRUE(GetPatient(**tx, *keys, r.Int(0)));
  }
  for (const Row& r : *(*tx)->Query("SELECT id FROM blob")) {
    EXPECT_TRUE(GetBlob(**tx, *keys, r.Int(0)));
  }
  // Documents are read out of their (re-sealed) raw messages.
  int documents = 0;
  for (const Row& r : *(*tx)->Query(
           "SELECT a.segment, a.size, i.raw_blob_id FROM attachment a "
           "JOIN interrogation i ON i.id = a.interrogation_id WHERE a.segment IS NOT NULL")) {
    auto raw = GetBlob(**tx, *keys, r.Int(2));
    ASSERT_TRUE(raw);
    auto bytes = ingest::StoredAttachment(*raw, static_cast<std::uint32_t>(r.Int(0)));
    ASSERT_TRUE(bytes) << bytes.error().Describe();
    EXPECT_EQ(static_cast<std::int64_t>(bytes->size()), r.Int(1));
    ++documents;
  }
  EXPECT_GT(documents, 0);
  const auto any = (*tx)->Query("SELECT id FROM device LIMIT 1");
  ASSERT_FALSE(any->empty());
}

TEST(Rekey, OpenSampleTellsTheDirectorysRingFromAnother) {
  testing::TempDir dir;
  auto store = testing::OpenTestStore(dir);
  ASSERT_TRUE(store) << store.error().Describe();
  auto* db = &store->db;
  ASSERT_TRUE(Migrate(**db, store->migrations, false));
  auto own = crypto::KeyRing::Generate();
  auto other = crypto::KeyRing::Generate();
  ASSERT_TRUE(own && other);
  // An empty database has nothing to test a ring against.
  EXPECT_EQ(*OpenSample(**db, *other), 0);

  std::vector<std::string> messages;
  ASSERT_TRUE(
      demo::Generate({.patients = 3, .years = 1, .seed = 4}, [&](const demo::GeneratedMessage& m) {
        if (messages.size() < 6) messages.push_back(m.bytes);
        return base::Status();
      }));
  ingest::Pipeline pipeline(**db, *own);
  for (std::size_t i = 0; i + 1 < messages.size(); ++i)
    ASSERT_TRUE(pipeline.Ingest(messages[i], "t"));
  auto opened = OpenSample(**db, *own);
  ASSERT_TRUE(opened) << opened.error().Describe();
  EXPECT_GT(*opened, 10);
  auto refused = OpenSample(**db, *other);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, base::ErrorCode::kDataLoss);

  // A database already written under two rings (the failure key checks prevent): the newest
  // values are sampled too, so the directory's own ring no longer passes either.
  ingest::Pipeline wrong(**db, *other);
  ASSERT_TRUE(wrong.Ingest(messages.back(), "t"));
  EXPECT_FALSE(OpenSample(**db, *own));
}

}  // namespace
}  // namespace heartbase::store
