// Blob storage on a real (migrated) SQLite database: what compresses is sealed as a Zstandard
// frame and what does not is sealed as it is; both read back byte for byte; the encoding and the
// recorded size cannot be changed without the read failing; blobs written before schema 10 still
// read.
#include "store/blobs.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <tuple>

#include "store/migrations.h"
#include "store/testing/temp_dir.h"
#include "store/testing/test_store.h"

namespace heartbase::store {
namespace {

using base::ErrorCode;

constexpr std::int64_t kNow = 1'800'000'000'000'000;

// An interrogation-like text: repetitive segments with varying numbers, as HL7 is.
std::string HlSevenLike(int obx) {
  std::string s = "MSH|^~\\&|CARELINK|MDT|HEARTBASE|CLINIC|20261203120000||ORU^R01|C1|P|2.5\r";
  for (int i = 1; i <= obx; ++i) {
    s += "OBX|" + std::to_string(i) + "|NM|" + std::to_string(720000 + i * 7) +
         "^MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE^MDC|1|" + std::to_string(400 + (i * 37) % 300) +
         "|Ohm^Ohm^UCUM|||||F|||20261203\r";
  }
  return s;
}

std::string RandomBytes(std::size_t n) {
  std::mt19937_64 random(42);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(random() & 0xff);
  return s;
}

class BlobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = testing::OpenTestStore(dir_);
    ASSERT_TRUE(store) << store.error().Describe();
    db_ = std::move(store->db);
    migrations_ = store->migrations;
    auto keys = crypto::KeyRing::Generate();
    ASSERT_TRUE(keys);
    keys_ = std::make_unique<crypto::KeyRing>(std::move(*keys));
  }

  std::int64_t Put(std::string_view bytes) {
    std::int64_t id = 0;
    auto s = RunUnitOfWork(*db_, Access::kWrite, [&](Transaction& tx) -> base::Status {
      auto r = PutSealedBlob(tx, SealBlob(*keys_, "hl7", bytes), kNow);
      if (!r) return r.error();
      id = *r;
      return {};
    });
    EXPECT_TRUE(s) << s.error().Describe();
    return id;
  }

  base::Result<std::string> Get(std::int64_t id) {
    auto tx = db_->Begin(Access::kRead);
    if (!tx) return tx.error();
    return GetBlob(**tx, *keys_, id);
  }

  // (encoding, size, length of the ciphertext) of a stored blob.
  std::tuple<std::int64_t, std::int64_t, std::int64_t> Stored(std::int64_t id) {
    auto tx = db_->Begin(Access::kRead);
    EXPECT_TRUE(tx);
    const Param p[] = {{"id", id}};
    auto rows = (*tx)->Query("SELECT encoding, size, length(sealed) FROM blob WHERE id = :id", p);
    EXPECT_TRUE(rows && rows->size() == 1);
    const Row& r = rows->front();
    return {r.Int(0), r.Int(1), r.Int(2)};
  }

  void Tamper(const std::string& sql) {
    auto s = RunUnitOfWork(*db_, Access::kWrite, [&](Transaction& tx) -> base::Status {
      auto r = tx.Execute(sql);
      if (!r) return r.error();
      return {};
    });
    ASSERT_TRUE(s) << s.error().Describe();
  }

  testing::TempDir dir_;
  std::span<const Migration> migrations_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<crypto::KeyRing> keys_;
};

TEST_F(BlobTest, TextIsSealedAsAFrameAndReadsBackWhole) {
  ASSERT_TRUE(Migrate(*db_, migrations_, false));
  const std::string message = HlSevenLike(300);
  ASSERT_GT(message.size(), 20'000u);
  const std::int64_t id = Put(message);
  const auto [encoding, size, sealed] = Stored(id);
  EXPECT_EQ(encoding, static_cast<std::int64_t>(BlobEncoding::kZstd));
  EXPECT_EQ(size, static_cast<std::int64_t>(message.size()));
  EXPECT_LT(sealed, size / 4);
  auto back = Get(id);
  ASSERT_TRUE(back) << back.error().Describe();
  EXPECT_EQ(*back, message);
  // The address is of the original bytes: the same message is stored once.
  EXPECT_EQ(Put(message), id);
}

TEST_F(BlobTest, RandomAndSmallBytesAreSealedAsTheyAre) {
  ASSERT_TRUE(Migrate(*db_, migrations_, false));
  for (const std::string& bytes : {RandomBytes(64 * 1024), std::string("MSH|^~\\&|short")}) {
    const std::int64_t id = Put(bytes);
    const auto [encoding, size, sealed] = Stored(id);
    EXPECT_EQ(encoding, static_cast<std::int64_t>(BlobEncoding::kIdentity));
    EXPECT_EQ(size, static_cast<std::int64_t>(bytes.size()));
    EXPECT_GT(sealed, size);  // the bytes plus nonce and tag
    auto back = Get(id);
    ASSERT_TRUE(back) << back.error().Describe();
    EXPECT_EQ(*back, bytes);
  }
}

TEST_F(BlobTest, ChangingTheEncodingOrTheSizeFailsTheRead) {
  ASSERT_TRUE(Migrate(*db_, migrations_, false));
  const std::int64_t framed = Put(HlSevenLike(100));
  const std::int64_t plain = Put(RandomBytes(4096));
  ASSERT_EQ(std::get<0>(Stored(framed)), 1);
  ASSERT_EQ(std::get<0>(Stored(plain)), 0);

  // A frame presented as plain bytes, and plain bytes presented as a frame: the associated data
  // no longer matches, so the ciphertext fails authentication.
  Tamper("UPDATE blob SET encoding = 1 - encoding");
  for (const std::int64_t id : {framed, plain}) {
    auto r = Get(id);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kDataLoss);
  }
  Tamper("UPDATE blob SET encoding = 1 - encoding");
  ASSERT_TRUE(Get(framed));

  // A recorded size that is not the frame's: refused before anything is allocated for it.
  for (const char* size : {"size + 1", "size - 1", "1 << 40", "-1"}) {
    Tamper(std::string("UPDATE blob SET size = ") + size + " WHERE id = " + std::to_string(framed));
    auto r = Get(framed);
    ASSERT_FALSE(r) << size;
    EXPECT_EQ(r.error().code, ErrorCode::kDataLoss) << size;
    Tamper("UPDATE blob SET size = " + std::to_string(HlSevenLike(100).size()) +
           " WHERE id = " + std::to_string(framed));
  }
  EXPECT_EQ(*Get(framed), HlSevenLike(100));
}

// A blob of schema 9 and earlier: the plain bytes, sealed under the address alone.
TEST_F(BlobTest, BlobsWrittenBeforeVersion10StillRead) {
  ASSERT_TRUE(Migrate(*db_, migrations_.first(9), false));
  const std::string message = HlSevenLike(50);
  const auto address = keys_->BlindIndex("blob", message);
  const std::string lookup(reinterpret_cast<const char*>(address.data()), address.size());
  std::string hex;
  for (const unsigned char c : lookup) hex += fmt::format("{:02x}", c);
  const std::string sealed = keys_->Seal(message, {"blob", "sealed:" + hex, 0});
  auto s = RunUnitOfWork(*db_, Access::kWrite, [&](Transaction& tx) -> base::Status {
    const Param p[] = {{"lookup", BytesView{lookup}},
                       {"size", static_cast<std::int64_t>(message.size())},
                       {"sealed", BytesView{sealed}}};
    auto r = tx.Execute(
        "INSERT INTO blob (id, lookup, kind, size, sealed, created_us) "
        "VALUES (7, :lookup, 'hl7', :size, :sealed, 0)",
        p);
    if (!r) return r.error();
    return {};
  });
  ASSERT_TRUE(s) << s.error().Describe();
  ASSERT_TRUE(Migrate(*db_, migrations_, true));

  EXPECT_EQ(std::get<0>(Stored(7)), 0);
  auto back = Get(7);
  ASSERT_TRUE(back) << back.error().Describe();
  EXPECT_EQ(*back, message);
  EXPECT_EQ(Put(message), 7);  // the same content is still found by its address
}

}  // namespace
}  // namespace heartbase::store
