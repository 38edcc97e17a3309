#include "crypto/key_ring.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace heartbase::crypto {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / fs::path("hbkr-" + std::to_string(::getpid()))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

TEST(KeyRing, SealsAndOpensBoundToTheirPlace) {
  auto ring = KeyRing::Generate();
  ASSERT_TRUE(ring);
  const AssociatedData place{"patient", "family_name", 42};
  const std::string sealed = ring->Seal("Müller", place);
  EXPECT_EQ(sealed.size(), std::string("Müller").size() + KeyRing::kOverhead);
  EXPECT_EQ(sealed.find("M\xc3\xbcller"), std::string::npos);
  auto opened = ring->Open(sealed, place);
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, "Müller");
  EXPECT_FALSE(ring->Open(sealed, {"patient", "family_name", 43}));  // another row
  EXPECT_FALSE(ring->Open(sealed, {"patient", "given_name", 42}));   // another column
  std::string tampered = sealed;
  tampered.back() ^= 1;
  auto t = ring->Open(tampered, place);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, base::ErrorCode::kDataLoss);
  EXPECT_NE(ring->Seal("x", place), ring->Seal("x", place));  // random nonces
}

TEST(KeyRing, BlindIndexIsDeterministicKeyedAndDomainSeparated) {
  auto a = KeyRing::Generate();
  auto b = KeyRing::Generate();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->BlindIndex("mrn", "123"), a->BlindIndex("mrn", "123"));
  EXPECT_NE(a->BlindIndex("mrn", "123"), a->BlindIndex("serial", "123"));
  EXPECT_NE(a->BlindIndex("mrn", "123"), b->BlindIndex("mrn", "123"));
}

TEST(KeyRing, RotationKeepsOldValuesReadable) {
  auto ring = KeyRing::Generate();
  ASSERT_TRUE(ring);
  const AssociatedData place{"t", "c", 1};
  const std::string old_value = ring->Seal("old", place);
  const auto index_before = ring->BlindIndex("mrn", "1");
  ring->AddDataKey();
  EXPECT_EQ(ring->active_key_id(), 2u);
  const std::string new_value = ring->Seal("new", place);
  EXPECT_EQ(KeyRing::KeyIdOf(old_value), 1u);
  EXPECT_EQ(KeyRing::KeyIdOf(new_value), 2u);
  EXPECT_EQ(*ring->Open(old_value, place), "old");
  EXPECT_EQ(ring->BlindIndex("mrn", "1"), index_before);
}

TEST(KeyRing, SavesWithMode0400AndLoadsBack) {
  TempDir dir;
  auto ring = KeyRing::Generate();
  ASSERT_TRUE(ring);
  ring->AddDataKey();
  const std::string path = dir.File("keyring");
  ASSERT_TRUE(ring->Save(path));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0400u);
  auto loaded = KeyRing::Load(path);
  ASSERT_TRUE(loaded) << loaded.error().Describe();
  EXPECT_EQ(loaded->active_key_id(), 2u);
  const AssociatedData place{"t", "c", 7};
  EXPECT_EQ(*loaded->Open(ring->Seal("v", place), place), "v");
  EXPECT_EQ(loaded->BlindIndex("name", "doe"), ring->BlindIndex("name", "doe"));
}

TEST(KeyRing, RefusesKeyFilesOthersCanReadAndMalformedOnes) {
  TempDir dir;
  auto ring = KeyRing::Generate();
  ASSERT_TRUE(ring);
  const std::string path = dir.File("keyring");
  ASSERT_TRUE(ring->Save(path));
  ::chmod(path.c_str(), 0644);
  auto open = KeyRing::Load(path);
  ASSERT_FALSE(open);
  EXPECT_EQ(open.error().code, base::ErrorCode::kPermissionDenied);
  const std::string junk = dir.File("junk");
  std::ofstream(junk) << "heartbase-keyring 1\nindex-key AAAA\n";
  ::chmod(junk.c_str(), 0400);
  auto bad = KeyRing::Load(junk);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, base::ErrorCode::kMalformed);
  EXPECT_FALSE(KeyRing::Load(dir.File("missing")));
}

}  // namespace
}  // namespace heartbase::crypto
