#include "crypto/key_check.h"

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
  TempDir() : path_(fs::temp_directory_path() / fs::path("hbkc-" + std::to_string(::getpid()))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

KeyRing NewRing() {
  auto ring = KeyRing::Generate();
  EXPECT_TRUE(ring);
  return std::move(*ring);
}

TEST(KeyCheck, AcceptsTheSameRingAfterSavingAndLoading) {
  TempDir dir;
  KeyRing ring = NewRing();
  ASSERT_TRUE(ring.Save(dir.File("keyring")));
  auto loaded = KeyRing::Load(dir.File("keyring"));
  ASSERT_TRUE(loaded);
  EXPECT_TRUE(VerifyKeyCheck(ring.Check(), loaded->Check()));
  EXPECT_EQ(Fingerprint(ring.Check()), Fingerprint(loaded->Check()));
}

TEST(KeyCheck, RefusesAnotherRingNamingBothFingerprints) {
  KeyRing a = NewRing();
  KeyRing b = NewRing();  // both have data key 1: ids alone cannot tell them apart
  auto s = VerifyKeyCheck(a.Check(), b.Check());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, base::ErrorCode::kInvalidArgument);
  const std::string fa = Fingerprint(a.Check()), fb = Fingerprint(b.Check());
  EXPECT_NE(fa, fb);
  EXPECT_EQ(fa.size(), 19u);
  EXPECT_NE(s.error().message.find(fa), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find(fb), std::string::npos) << s.error().message;
}

TEST(KeyCheck, RefusesARingWithAnotherIndexKeyOrDataKey) {
  KeyRing a = NewRing();
  KeyRing b = NewRing();
  KeyCheck same_data = a.Check();
  same_data.index = b.Check().index;
  auto s = VerifyKeyCheck(a.Check(), same_data);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("index key differs"), std::string::npos);
  KeyCheck same_index = a.Check();
  same_index.data = b.Check().data;
  s = VerifyKeyCheck(a.Check(), same_index);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("data key 1 differs"), std::string::npos);
}

TEST(KeyCheck, AfterRotationTheOldRingIsRefusedAndTheNewAccepted) {
  KeyRing ring = NewRing();
  const KeyCheck before = ring.Check();
  ring.AddDataKey();
  const KeyCheck after = ring.Check();
  EXPECT_NE(Fingerprint(before), Fingerprint(after));
  // The rotated ring still holds every key recorded before the rotation.
  EXPECT_TRUE(VerifyKeyCheck(before, after));
  auto s = VerifyKeyCheck(after, before);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("lacks data key 2"), std::string::npos) << s.error().message;
}

TEST(KeyCheck, CheckValuesRevealNoKeyAndDependOnEveryKey) {
  TempDir dir;
  KeyRing ring = NewRing();
  ASSERT_TRUE(ring.Save(dir.File("keyring")));
  std::ifstream in(dir.File("keyring"));
  const std::string key_file((std::istreambuf_iterator<char>(in)), {});
  const std::string text = FormatKeyCheck(ring.Check());
  // No line of the key file (its base64 keys) appears in the check.
  std::istringstream lines(key_file);
  for (std::string line; std::getline(lines, line);) {
    const auto space = line.rfind(' ');
    if (line.rfind("index-key", 0) == 0 || line.rfind("data-key", 0) == 0) {
      EXPECT_EQ(text.find(line.substr(space + 1)), std::string::npos);
    }
  }
  KeyCheck c = ring.Check();
  EXPECT_NE(c.index, c.data[0].second);
}

TEST(KeyCheck, FileRoundTripsWithMode0400AndRejectsJunk) {
  TempDir dir;
  KeyRing ring = NewRing();
  ring.AddDataKey();
  const std::string path = dir.File("key-check");
  auto none = LoadKeyCheck(path);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(SaveKeyCheck(path, ring.Check()));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0400u);
  auto loaded = LoadKeyCheck(path);
  ASSERT_TRUE(loaded) << loaded.error().Describe();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ(Fingerprint(**loaded), Fingerprint(ring.Check()));
  EXPECT_TRUE(VerifyKeyCheck(**loaded, ring.Check()));

  EXPECT_FALSE(ParseKeyCheck("heartbase-keyring 1\n"));
  EXPECT_FALSE(ParseKeyCheck("heartbase-key-check 1\nindex AAAA\ndata-key 1 AAAA\n"));
  const std::string text = FormatKeyCheck(ring.Check());
  const auto two = text.find("data-key 2");
  const auto one = text.find("data-key 1");
  std::string swapped =
      text.substr(0, one) + text.substr(two) + text.substr(one, two - one);  // ids out of order
  auto bad = ParseKeyCheck(swapped);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, base::ErrorCode::kMalformed);
}

}  // namespace
}  // namespace heartbase::crypto
