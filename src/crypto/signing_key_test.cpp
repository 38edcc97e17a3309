#include "crypto/signing_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace heartbase::crypto {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / fs::path("hbsk-" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

void WritePrivate(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), 0400);
}

TEST(SigningKey, SignaturesVerifyOnlyForTheirMessageAndKey) {
  auto key = SigningKey::Generate();
  auto other = SigningKey::Generate();
  ASSERT_TRUE(key && other);
  const std::string signature = key->Sign("checkpoint 42");
  EXPECT_EQ(signature.size(), SigningPublicKey::kSignatureBytes);
  EXPECT_TRUE(key->public_key().Verify("checkpoint 42", signature));
  EXPECT_FALSE(key->public_key().Verify("checkpoint 43", signature));
  EXPECT_FALSE(other->public_key().Verify("checkpoint 42", signature));
  std::string flipped = signature;
  flipped[10] ^= 1;
  EXPECT_FALSE(key->public_key().Verify("checkpoint 42", flipped));
  EXPECT_FALSE(key->public_key().Verify("checkpoint 42", signature.substr(1)));
  EXPECT_FALSE(key->public_key().Verify("checkpoint 42", ""));
}

TEST(SigningKey, PublicKeyRoundTripsThroughHex) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key);
  const std::string hex = key->public_key().ToHex();
  EXPECT_EQ(hex.size(), 64u);
  auto parsed = SigningPublicKey::FromHex(hex);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, key->public_key());
  EXPECT_TRUE(parsed->Verify("m", key->Sign("m")));
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(SigningPublicKey::FromHex(upper));
  for (const std::string& bad : {hex.substr(2), hex + "00", "zz" + hex.substr(2), std::string()}) {
    auto r = SigningPublicKey::FromHex(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, base::ErrorCode::kMalformed);
  }
}

TEST(SigningKey, FingerprintIsStableAndDiffersBetweenKeys) {
  auto a = SigningKey::Generate();
  auto b = SigningKey::Generate();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->public_key().Fingerprint().size(), 32u);
  EXPECT_EQ(a->public_key().Fingerprint(),
            SigningPublicKey::FromHex(a->public_key().ToHex())->Fingerprint());
  EXPECT_NE(a->public_key().Fingerprint(), b->public_key().Fingerprint());
}

TEST(SigningKey, SavesWithMode0400AndLoadsTheSameKey) {
  TempDir dir;
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key);
  const std::string path = dir.File("audit.key");
  ASSERT_TRUE(key->Save(path));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0400u);
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  auto loaded = SigningKey::Load(path);
  ASSERT_TRUE(loaded) << loaded.error().Describe();
  EXPECT_EQ(loaded->public_key(), key->public_key());
  EXPECT_TRUE(key->public_key().Verify("m", loaded->Sign("m")));
  // Saving again replaces the file atomically (the old one is read-only).
  auto next = SigningKey::Generate();
  ASSERT_TRUE(next && next->Save(path));
  EXPECT_EQ(SigningKey::Load(path)->public_key(), next->public_key());
}

TEST(SigningKey, RefusesAKeyFileOthersCanRead) {
  TempDir dir;
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key);
  const std::string path = dir.File("audit.key");
  ASSERT_TRUE(key->Save(path));
  for (const mode_t mode : {0440, 0404, 0600 | 0020}) {
    ::chmod(path.c_str(), mode);
    auto r = SigningKey::Load(path);
    ASSERT_FALSE(r) << std::oct << mode;
    EXPECT_EQ(r.error().code, base::ErrorCode::kPermissionDenied);
    EXPECT_EQ(r.error().message.find("seed"), std::string::npos);
  }
  ::chmod(path.c_str(), 0600);
  EXPECT_TRUE(SigningKey::Load(path));
}

TEST(SigningKey, RefusesMalformedDamagedAndMissingFiles) {
  TempDir dir;
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key);
  const std::string seed(64, 'a');
  const struct {
    const char* name;
    std::string text;
  } cases[] = {
      {"empty", ""},
      {"wrong header", "heartbase-keyring 1\nseed " + seed + "\n"},
      {"short seed", "heartbase-signing-key 1\nseed abcd\n"},
      {"no seed", "heartbase-signing-key 1\npublic " + key->public_key().ToHex() + "\n"},
      {"unknown entry", "heartbase-signing-key 1\nseed " + seed + "\nsecret x\n"},
      {"repeated seed", "heartbase-signing-key 1\nseed " + seed + "\nseed " + seed + "\n"},
      // A public key that does not belong to the seed: the file was damaged or mixed up.
      {"mismatch",
       "heartbase-signing-key 1\nseed " + seed + "\npublic " + key->public_key().ToHex() + "\n"},
  };
  for (const auto& c : cases) {
    const std::string path = dir.File(std::string("k-") + std::to_string(&c - cases));
    WritePrivate(path, c.text);
    auto r = SigningKey::Load(path);
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().code, base::ErrorCode::kMalformed) << c.name;
  }
  const std::string good = dir.File("good");
  WritePrivate(good, "heartbase-signing-key 1\n# comment\n\nseed " + seed + "\n");
  auto r = SigningKey::Load(good);
  ASSERT_TRUE(r) << r.error().Describe();
  auto missing = SigningKey::Load(dir.File("missing"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, base::ErrorCode::kIo);
}

TEST(SigningKey, MovedFromKeyNoLongerHoldsTheSecret) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key);
  SigningKey moved = std::move(*key);
  EXPECT_TRUE(moved.public_key().Verify("m", moved.Sign("m")));
  EXPECT_FALSE(moved.public_key().Verify("m", key->Sign("m")));  // NOLINT(bugprone-use-after-move)
}

}  // namespace
}  // namespace heartbase::crypto
