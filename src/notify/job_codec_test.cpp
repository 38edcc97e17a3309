// Job records: round trip, and every forged, altered, truncated, oversized or invalid record is
// refused with the right code.
#include "notify/job_codec.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <tuple>

namespace heartbase::notify {
namespace {

using base::ErrorCode;

MacKey TestKey(char fill = 'k') { return *MacKey::FromBytes(std::string(MacKey::kBytes, fill)); }

Job SampleJob() {
  return Job{.id = 42,
             .attempt = 1,
             .max_attempts = 3,
             .lease_expires_us = 1'800'000'000'000'000,
             .kind = JobKind::kAlert,
             .channel = Channel::kEmail,
             .idempotency_key = "alert:42:email:oncall",
             .recipient = "oncall@clinic.example",
             .subject = "heartbase: red alert HB-000042",
             .body = "A red alert needs review.\n\tTicket HB-000042",
             .ticket = "HB-000042",
             .link = "https://heartbase.clinic.example/queue/42",
             .attachment = {}};
}

std::string Resign(std::string record, const MacKey& key) {
  record.resize(record.size() - MacKey::kMacBytes);
  const auto mac = key.Mac("heartbase/notify/job/v1", record);
  record.append(reinterpret_cast<const char*>(mac.data()), mac.size());
  return record;
}

TEST(JobCodec, RoundTripsEveryField) {
  const MacKey key = TestKey();
  Job fax = SampleJob();
  fax.channel = Channel::kFax;
  fax.kind = JobKind::kReport;
  fax.recipient = "+15551234567";
  fax.attachment = "%PDF-1.7\n binary \x01\x02\xff";
  fax.subject = "Rapport signé";
  // A signed report by email carries its PDF too.
  Job report = SampleJob();
  report.kind = JobKind::kReport;
  report.attachment = std::string("%PDF-1.7\n") + std::string(70'000, '\x7f');
  for (const Job& j : {SampleJob(), fax, report}) {
    auto bytes = EncodeJob(j, key);
    ASSERT_TRUE(bytes) << bytes.error().Describe();
    auto back = DecodeJob(*bytes, key);
    ASSERT_TRUE(back) << back.error().Describe();
    EXPECT_EQ(*back, j);
  }
}

TEST(JobCodec, RejectsRecordMacedWithAnotherKey) {
  auto bytes = EncodeJob(SampleJob(), TestKey('x'));
  ASSERT_TRUE(bytes);
  auto r = DecodeJob(*bytes, TestKey());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
}

TEST(JobCodec, RejectsEverySingleBitFlip) {
  const MacKey key = TestKey();
  auto bytes = EncodeJob(SampleJob(), key);
  ASSERT_TRUE(bytes);
  for (std::size_t i = 0; i < bytes->size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string altered = *bytes;
      altered[i] = static_cast<char>(altered[i] ^ (1 << bit));
      auto r = DecodeJob(altered, key);
      ASSERT_FALSE(r) << "byte " << i << " bit " << bit;
      EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
    }
  }
}

TEST(JobCodec, RejectsEveryTruncation) {
  const MacKey key = TestKey();
  auto bytes = EncodeJob(SampleJob(), key);
  ASSERT_TRUE(bytes);
  for (std::size_t n = 0; n < bytes->size(); ++n) {
    EXPECT_FALSE(DecodeJob(bytes->substr(0, n), key)) << n;
    // Truncated and re-signed: the MAC holds, the structure does not.
    if (n > MacKey::kMacBytes + JobLimits::kFixedBytes) {
      auto r = DecodeJob(Resign(bytes->substr(0, n), key), key);
      ASSERT_FALSE(r) << n;
      EXPECT_EQ(r.error().code, ErrorCode::kMalformed) << n;
    }
  }
}

TEST(JobCodec, RejectsOversizedRecordBeforeReadingIt) {
  const std::string huge(JobLimits::kMaxRecordBytes + 1, 'A');
  auto r = DecodeJob(huge, TestKey());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kLimitExceeded);
}

TEST(JobCodec, RejectsTrailingBytesUnknownVersionKindChannelAndFlags) {
  const MacKey key = TestKey();
  auto bytes = EncodeJob(SampleJob(), key);
  ASSERT_TRUE(bytes);
  std::string body = bytes->substr(0, bytes->size() - MacKey::kMacBytes);
  auto sign = [&](const std::string& b) {
    return Resign(b + std::string(MacKey::kMacBytes, '\0'), key);
  };
  ASSERT_TRUE(DecodeJob(sign(body), key));
  EXPECT_EQ(DecodeJob(sign(body + "x"), key).error().code, ErrorCode::kMalformed);
  for (auto [offset, value, code] : {std::tuple{0, 2, ErrorCode::kUnsupported},
                                     {1, 0, ErrorCode::kMalformed},
                                     {1, 5, ErrorCode::kMalformed},
                                     {2, 0, ErrorCode::kMalformed},
                                     {2, 4, ErrorCode::kMalformed},
                                     {3, 1, ErrorCode::kMalformed}}) {
    std::string b = body;
    b[offset] = static_cast<char>(value);
    auto r = DecodeJob(sign(b), key);
    ASSERT_FALSE(r) << offset << "=" << value;
    EXPECT_EQ(r.error().code, code) << offset << "=" << value;
  }
}

TEST(JobCodec, RejectsLengthPrefixOverItsLimitEvenWhenSigned) {
  const MacKey key = TestKey();
  auto bytes = EncodeJob(SampleJob(), key);
  ASSERT_TRUE(bytes);
  std::string b = bytes->substr(0, bytes->size() - MacKey::kMacBytes);
  // The key length (u8) follows the 28-byte fixed header: claim 200 > kMaxKey.
  b[28] = static_cast<char>(200);
  auto r = DecodeJob(Resign(b + std::string(MacKey::kMacBytes, '\0'), key), key);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
}

TEST(JobCodec, ValidationRefusesInjectionAndBadValues) {
  const MacKey key = TestKey();
  auto expect_invalid = [&](const Job& j, const char* what) {
    EXPECT_EQ(ValidateJob(j).ok(), false) << what;
    EXPECT_FALSE(EncodeJob(j, key)) << what;
  };
  Job j = SampleJob();
  j.subject = "hi\r\nBcc: everyone@example.org";
  expect_invalid(j, "CRLF in subject");
  j = SampleJob();
  j.recipient = "a@b.example>\r\nRCPT TO:<x@y";
  expect_invalid(j, "recipient injection");
  j = SampleJob();
  j.recipient = "no-at-sign";
  expect_invalid(j, "recipient without @");
  j = SampleJob();
  j.body = "bad \xc0\xaf utf-8";
  expect_invalid(j, "overlong UTF-8");
  j = SampleJob();
  j.body = "carriage\rreturn";
  expect_invalid(j, "CR in body");
  j = SampleJob();
  j.idempotency_key = "";
  expect_invalid(j, "empty key");
  j = SampleJob();
  j.attempt = 4;
  expect_invalid(j, "attempt past max");
  j = SampleJob();
  j.attachment = "%PDF-1.4";
  expect_invalid(j, "attachment on an email alert");
  j.kind = JobKind::kSignoff;
  expect_invalid(j, "attachment on an email sign-off notice");
  j.kind = JobKind::kTest;
  expect_invalid(j, "attachment on an email test message");
  j = SampleJob();
  j.channel = Channel::kPager;
  j.kind = JobKind::kReport;
  j.recipient = "4711";
  j.attachment = "%PDF-1.4";
  expect_invalid(j, "attachment on a pager report");
  j = SampleJob();
  j.channel = Channel::kFax;
  j.recipient = "+1555123456";
  j.attachment = "<html>";
  expect_invalid(j, "attachment not a PDF");
  j = SampleJob();
  j.channel = Channel::kPager;
  j.recipient = "pager 12";
  expect_invalid(j, "space in pager id");
  j = SampleJob();
  j.link = "https://x/\"onload";
  expect_invalid(j, "quote in link");
  j = SampleJob();
  j.body = std::string(JobLimits::kMaxBody + 1, 'a');
  expect_invalid(j, "body over limit");
}

TEST(JobCodec, SeedCorpusHoldsValidAndInvalidRecords) {
  const MacKey key = TestKey();
  auto read = [](const std::string& name) {
    std::ifstream in(std::string(HB_TESTDATA_DIR) + "/job_decode_fuzz/" + name, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  auto sign = [&](const std::string& body) {
    return Resign(body + std::string(MacKey::kMacBytes, '\0'), key);
  };
  for (const char* name :
       {"job-email", "job-pager", "job-fax-pdf", "job-utf8-subject", "job-email-report-pdf"}) {
    const std::string body = read(name);
    ASSERT_FALSE(body.empty()) << name;
    auto job = DecodeJob(sign(body), key);
    EXPECT_TRUE(job) << name << ": " << job.error().Describe();
  }
  for (const char* name : {"job-crlf-subject", "job-overlong-key", "job-truncated"}) {
    auto job = DecodeJob(sign(read(name)), key);
    ASSERT_FALSE(job) << name;
    EXPECT_EQ(job.error().code, ErrorCode::kMalformed) << name;
  }
}

TEST(MacKey, SavesOwnerOnlyAndRefusesLooseModes) {
  const std::string path = ::testing::TempDir() + "/notify-key-test-" + std::to_string(::getpid());
  std::remove(path.c_str());
  auto key = MacKey::Generate();
  ASSERT_TRUE(key);
  ASSERT_TRUE(key->Save(path));
  EXPECT_EQ(key->Save(path).error().code, ErrorCode::kAlreadyExists);
  auto loaded = MacKey::Load(path);
  ASSERT_TRUE(loaded) << loaded.error().Describe();
  EXPECT_EQ(key->Mac("d", "x"), loaded->Mac("d", "x"));
  ASSERT_EQ(::chmod(path.c_str(), 0440), 0);
  EXPECT_EQ(MacKey::Load(path).error().code, ErrorCode::kPermissionDenied);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace heartbase::notify
