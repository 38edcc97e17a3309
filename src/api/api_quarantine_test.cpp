// The quarantine console through the API: list, read (audited), download, re-process (stored once
// and linked, also when two administrators re-process at once), still refused, discard with a
// reason, and entries a feed's clinic scope refused, which are never re-processed.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "api/testing/api_fixture.h"
#include "store/quarantine.h"

namespace heartbase::api {
namespace {

using testing::ApiTest;
using testing::Message;

class QuarantineApiTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    pipeline_ = std::make_unique<ingest::Pipeline>(*db_, *keys_);
    options_.reprocess = [this](std::int64_t id,
                                std::int64_t user) -> base::Result<ReprocessOutcome> {
      auto out = pipeline_->Reprocess(id, user, [](std::string_view) {
        return store::ClinicScope{.clinics = {1}, .any = true};
      });
      if (!out) return out.error();
      ReprocessOutcome r{.outcome = std::string(ingest::ToString(out->disposition))};
      if (out->disposition == ingest::Disposition::kQuarantined) {
        r.reason = out->reason->Describe();
      } else {
        r.interrogation_id = out->id;
      }
      return r;
    };
    api_ = std::make_unique<Api>(*db_, *keys_, *authenticator_, options_);
  }

  // A message that maps, quarantined as if an older mapping had refused it.
  std::int64_t QuarantineGood(std::string_view control) {
    auto out = pipeline_->QuarantineBytes(
        Message(control, "PZK600999S", "Doe", "MRN-Q"), "mllp 127.0.0.1",
        base::MakeError(base::ErrorCode::kUnsupported, "refused by an older mapping",
                        {.segment = "OBX", .segment_seq = 4, .field = 5, .offset = 321}));
    EXPECT_TRUE(out) << out.error().Describe();
    return out->id;
  }

  std::int64_t Interrogations() {
    auto tx = db_->Begin(store::Access::kRead);
    return (*(*tx)->Query("SELECT count(*) FROM interrogation"))[0].Int(0);
  }

  std::unique_ptr<ingest::Pipeline> pipeline_;
};

TEST_F(QuarantineApiTest, ListReadDownloadReprocessDiscard) {
  const auto admin = SteppedUpAdministrator();
  const std::int64_t good = QuarantineGood("Q1");
  const std::string script = "MSH|^~\\&|EVIL|LAB\r<script>alert(1)</script>\r<b>bold</b>";
  auto bad = pipeline_->Ingest(script, "upload");
  ASSERT_TRUE(bad);
  ASSERT_EQ(bad->disposition, ingest::Disposition::kQuarantined);

  auto list = Call("GET", "/api/v1/admin/quarantine", admin);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find("\"open\":2"), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("\"sender\":\"CARELINK|MDT\""), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("\"segment\":\"OBX\",\"field\":5,\"byte_offset\":321"),
            std::string::npos)
      << list.body;
  EXPECT_NE(list.body.find("\"sender\":\"EVIL|LAB"), std::string::npos) << list.body;
  // The list names no patient.
  EXPECT_EQ(list.body.find("Doe"), std::string::npos);
  EXPECT_EQ(list.body.find("MRN-Q"), std::string::npos);

  // Reading one gives the raw input as a JSON string, never as markup (the web app sets it as
  // text; tests/e2e/web_test.mjs checks the page), and is audited.
  auto read = Call("GET", fmt::format("/api/v1/admin/quarantine/{}", bad->id), admin);
  ASSERT_EQ(read.status, 200) << read.body;
  testing::ExpectSecurityHeaders(read);
  bool json = false;
  for (const auto& [k, v] : read.headers)
    json |= k == "Content-Type" && v.starts_with("application/json");
  EXPECT_TRUE(json);
  EXPECT_NE(read.body.find("\"raw\":\"MSH|^~\\\\&|EVIL|LAB\\r<script>alert(1)</script>"),
            std::string::npos)
      << read.body;
  EXPECT_NE(read.body.find("\"raw_truncated\":false"), std::string::npos);
  auto download = Call("GET", fmt::format("/api/v1/admin/quarantine/{}/raw", bad->id), admin);
  ASSERT_EQ(download.status, 200);
  EXPECT_EQ(download.body, script);
  bool attachment = false;
  for (const auto& [k, v] : download.headers) {
    attachment |= k == "Content-Disposition" && v.starts_with("attachment;");
  }
  EXPECT_TRUE(attachment);

  // Re-processing the message that now maps stores it once and links it.
  const std::int64_t before = Interrogations();
  auto again =
      Call("POST", fmt::format("/api/v1/admin/quarantine/{}/reprocess", good), admin, "{}");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_NE(again.body.find("\"outcome\":\"stored\""), std::string::npos) << again.body;
  EXPECT_EQ(Interrogations(), before + 1);
  auto twice =
      Call("POST", fmt::format("/api/v1/admin/quarantine/{}/reprocess", good), admin, "{}");
  EXPECT_EQ(twice.status, 409) << twice.body;
  EXPECT_EQ(Interrogations(), before + 1);
  auto resolved = Call("GET", "/api/v1/admin/quarantine?state=resolved", admin);
  EXPECT_NE(resolved.body.find("\"resolution\":\"reprocessed\""), std::string::npos)
      << resolved.body;
  EXPECT_NE(resolved.body.find("\"interrogation_id\":"), std::string::npos);

  // Input that still does not parse stays, with today's reason.
  auto still =
      Call("POST", fmt::format("/api/v1/admin/quarantine/{}/reprocess", bad->id), admin, "{}");
  ASSERT_EQ(still.status, 200) << still.body;
  EXPECT_NE(still.body.find("\"outcome\":\"quarantined\""), std::string::npos) << still.body;
  EXPECT_NE(Call("GET", "/api/v1/admin/quarantine", admin).body.find("\"open\":1"),
            std::string::npos);

  // Discarding needs a reason; it is sealed in the audit record.
  EXPECT_EQ(
      Call("POST", fmt::format("/api/v1/admin/quarantine/{}/discard", bad->id), admin, "{}").status,
      400);
  auto discarded = Call("POST", fmt::format("/api/v1/admin/quarantine/{}/discard", bad->id), admin,
                        R"({"reason":"test garbage from the interface engine"})");
  ASSERT_EQ(discarded.status, 200) << discarded.body;
  EXPECT_EQ(Call("POST", fmt::format("/api/v1/admin/quarantine/{}/discard", bad->id), admin,
                 R"({"reason":"again"})")
                .status,
            409);
  EXPECT_EQ(Call("GET", "/api/v1/admin/quarantine/99999", admin).status, 404);

  const auto actions = AuditActions();
  for (const char* a : {"quarantine.list:success", "quarantine.read:success",
                        "quarantine.download:success", "quarantine.reprocess:success",
                        "quarantine.reprocess:failed", "quarantine.discard:success"}) {
    EXPECT_NE(std::find(actions.begin(), actions.end(), a), actions.end()) << a;
  }
  // No physician reaches the console.
  AddPerson("doc", testing::Role::kPhysician, "harbour glacier tulip engine");
  EXPECT_EQ(
      Call("GET", "/api/v1/admin/quarantine", SignIn("doc", "harbour glacier tulip engine")).status,
      403);
}

// Input in ISO 8859-1 (what many senders still use) reads as the same letters, like every JSON
// answer of the API.
TEST_F(QuarantineApiTest, Latin1InputReadsAsItsLetters) {
  const auto admin = SteppedUpAdministrator();
  auto out = pipeline_->Ingest("MSH|^~\\&|LAB|HOSP\rNTE|1||M\xFCller", "upload");
  ASSERT_TRUE(out);
  auto read = Call("GET", fmt::format("/api/v1/admin/quarantine/{}", out->id), admin);
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_NE(read.body.find("M\xC3\xBCller"), std::string::npos) << read.body;
}

// Two administrators re-process the same entry at once: it is stored once, one of them is told it
// was already done.
TEST_F(QuarantineApiTest, ConcurrentReprocessStoresOnce) {
  const std::int64_t id = QuarantineGood("Q2");
  const std::int64_t before = Interrogations();
  std::vector<base::Result<ingest::Outcome>> results(
      4, base::MakeError(base::ErrorCode::kInternal, ""));
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      results[i] = pipeline_->Reprocess(id, std::nullopt, [](std::string_view) {
        return store::ClinicScope{.clinics = {1}, .any = true};
      });
    });
  }
  for (auto& t : threads) t.join();
  int stored = 0, already = 0;
  for (const auto& r : results) {
    if (r && r->disposition == ingest::Disposition::kStored) ++stored;
    if (!r && r.error().code == base::ErrorCode::kAlreadyExists) ++already;
  }
  EXPECT_EQ(stored, 1);
  EXPECT_EQ(already, 3);
  EXPECT_EQ(Interrogations(), before + 1);
}

// A message a feed refused for its clinic scope is never stored by re-processing.
TEST_F(QuarantineApiTest, ScopeRefusalsAreNotReprocessed) {
  const auto admin = SteppedUpAdministrator();
  auto out = pipeline_->QuarantineBytes(Message("Q3", "PZK600998S", "Roe", "MRN-R"), "upload",
                                        base::MakeError(base::ErrorCode::kPermissionDenied,
                                                        "the sender delivers for another clinic"));
  ASSERT_TRUE(out);
  const std::int64_t before = Interrogations();
  auto r = Call("POST", fmt::format("/api/v1/admin/quarantine/{}/reprocess", out->id), admin, "{}");
  EXPECT_EQ(r.status, 400) << r.body;
  auto all = Call("POST", "/api/v1/admin/quarantine/reprocess", admin, "{}");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_NE(all.body.find("\"skipped\":1"), std::string::npos) << all.body;
  EXPECT_EQ(Interrogations(), before);
}

}  // namespace
}  // namespace heartbase::api
