// Report recipients on a real (migrated) SQLite database: validation by channel with notify's
// rules, clinic scoping of the list, disabling, and an address that never reaches the disk in
// the clear.
#include "store/report_recipients.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <memory>

#include "store/migrations.h"
#include "store/sqlite/sqlite_database.h"
#include "store/testing/temp_dir.h"
#include "store/testing/test_store.h"

namespace heartbase::store {
namespace {

using base::ErrorCode;

constexpr std::int64_t kT0 = 1'800'000'000'000'000;
constexpr std::string_view kCanaryAddress = "canary.referrer@praxis-nord.example";

class ReportRecipientsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = testing::OpenTestStore(dir_);
    ASSERT_TRUE(store) << store.error().Describe();
    db_ = std::move(store->db);
    migrations_ = store->migrations;
    ASSERT_TRUE(Migrate(*db_, migrations_, false));
    auto keys = crypto::KeyRing::Generate();
    ASSERT_TRUE(keys);
    keys_ = std::make_unique<crypto::KeyRing>(std::move(*keys));
    ASSERT_TRUE(RunUnitOfWork(*db_, Access::kWrite, [](Transaction& tx) -> base::Status {
      auto r = tx.Execute("INSERT INTO clinic (id, name, created_us) VALUES (2, 'North', 0)");
      return r ? base::Status() : base::Status(r.error());
    }));
  }

  base::Result<std::int64_t> Add(std::int64_t clinic, std::string_view name, OutboxChannel channel,
                                 std::string_view address) {
    std::int64_t id = 0;
    auto s = RunUnitOfWork(*db_, Access::kWrite, [&](Transaction& tx) {
      auto r = AddReportRecipient(tx, *keys_, clinic, name, channel, address, kT0);
      if (!r) return base::Status(r.error());
      id = *r;
      return base::Status();
    });
    if (!s) return s.error();
    return id;
  }

  std::vector<ReportRecipient> List(const std::vector<std::int64_t>& clinics,
                                    bool include_disabled = false) {
    std::vector<ReportRecipient> out;
    auto s = RunUnitOfWork(*db_, Access::kRead, [&](Transaction& tx) {
      auto r = ListReportRecipients(tx, *keys_, clinics, include_disabled);
      if (!r) return base::Status(r.error());
      out = std::move(*r);
      return base::Status();
    });
    EXPECT_TRUE(s) << (s ? "" : s.error().Describe());
    return out;
  }

  testing::TempDir dir_;
  std::span<const Migration> migrations_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<crypto::KeyRing> keys_;
};

TEST_F(ReportRecipientsTest, AddsAndReadsBackEmailAndFaxRecipients) {
  auto email = Add(1, "Dr. A. Referrer", OutboxChannel::kEmail, "a.referrer@praxis.example");
  auto fax = Add(1, "Praxis Nord", OutboxChannel::kFax, "+4930123456");
  ASSERT_TRUE(email) << email.error().Describe();
  ASSERT_TRUE(fax) << fax.error().Describe();
  ReportRecipient got;
  ASSERT_TRUE(RunUnitOfWork(*db_, Access::kRead, [&](Transaction& tx) {
    auto r = GetReportRecipient(tx, *keys_, *fax);
    if (!r) return base::Status(r.error());
    got = std::move(*r);
    return base::Status();
  }));
  EXPECT_EQ(got.clinic_id, 1);
  EXPECT_EQ(got.name, "Praxis Nord");
  EXPECT_EQ(got.channel, OutboxChannel::kFax);
  EXPECT_EQ(got.address, "+4930123456");
  EXPECT_EQ(got.created_us, kT0);
  EXPECT_FALSE(got.disabled);
  const auto all = List({});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "Dr. A. Referrer");  // by name within the clinic
  EXPECT_EQ(all[0].address, "a.referrer@praxis.example");
}

TEST_F(ReportRecipientsTest, RefusesAddressesNotifyWouldRefuse) {
  for (std::string_view bad :
       {"", "no-at-sign", "a@b.example\r\nBcc: x@y", "a b@c.example", "\"q\"@b.example"}) {
    auto r = Add(1, "Dr. X", OutboxChannel::kEmail, bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    if (!bad.empty()) {
      EXPECT_EQ(r.error().message.find(bad), std::string::npos);
    }
  }
  for (std::string_view bad : {"", "+49 30 123456", "+12", "fax@b.example"}) {
    auto r = Add(1, "Dr. X", OutboxChannel::kFax, bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
  auto pager = Add(1, "Dr. X", OutboxChannel::kPager, "4711");
  ASSERT_FALSE(pager);
  EXPECT_EQ(pager.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(List({}).empty());
}

TEST_F(ReportRecipientsTest, RefusesBadNamesAndUnknownClinics) {
  EXPECT_EQ(Add(1, "", OutboxChannel::kFax, "+4930123456").error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(Add(1, "Dr.\nX", OutboxChannel::kFax, "+4930123456").error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(Add(1, std::string(kMaxRecipientNameBytes + 1, 'x'), OutboxChannel::kFax, "+4930123456")
                .error()
                .code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(Add(99, "Dr. X", OutboxChannel::kFax, "+4930123456").error().code,
            ErrorCode::kNotFound);
}

TEST_F(ReportRecipientsTest, ListsOnlyTheGivenClinicsAndHidesDisabledOnes) {
  auto own = Add(1, "Dr. Own", OutboxChannel::kFax, "+4930111111");
  auto other = Add(2, "Dr. Other", OutboxChannel::kFax, "+4930222222");
  ASSERT_TRUE(own && other);
  auto listed = List({1});
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id, *own);
  EXPECT_EQ(List({1, 2}).size(), 2u);

  ASSERT_TRUE(RunUnitOfWork(*db_, Access::kWrite,
                            [&](Transaction& tx) { return DisableReportRecipient(tx, *own); }));
  EXPECT_TRUE(List({1}).empty());
  auto with_disabled = List({1}, true);
  ASSERT_EQ(with_disabled.size(), 1u);
  EXPECT_TRUE(with_disabled[0].disabled);
  // Disabling again is no change; an unknown id is kNotFound.
  EXPECT_TRUE(RunUnitOfWork(*db_, Access::kWrite,
                            [&](Transaction& tx) { return DisableReportRecipient(tx, *own); }));
  auto missing = RunUnitOfWork(*db_, Access::kWrite,
                               [&](Transaction& tx) { return DisableReportRecipient(tx, 999); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(ReportRecipientsTest, TheAddressIsSealedOnDisk) {
  if (migrations_.data() != SqliteMigrations().data()) {
    GTEST_SKIP() << "reads SQLite's files; the PostgreSQL canary test searches the server's";
  }
  ASSERT_TRUE(Add(1, "Dr. Canary", OutboxChannel::kEmail, kCanaryAddress));
  db_.reset();  // closes the database: the WAL is checkpointed into the file
  std::string bytes;
  for (const char* name : {"heartbase.db", "heartbase.db-wal"}) {
    std::ifstream in(dir_.File(name), std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_NE(bytes.find("Dr. Canary"), std::string::npos);  // the row is on disk (a display name)
  EXPECT_EQ(bytes.find(kCanaryAddress), std::string::npos);
  EXPECT_EQ(bytes.find("canary.referrer"), std::string::npos);
}

TEST_F(ReportRecipientsTest, TheAddressIsBoundToItsRow) {
  auto a = Add(1, "Dr. A", OutboxChannel::kFax, "+4930111111");
  auto b = Add(1, "Dr. B", OutboxChannel::kFax, "+4930222222");
  ASSERT_TRUE(a && b);
  // Swapping sealed addresses between rows must not redirect a report: the row id is in the
  // associated data, so the moved value no longer opens.
  ASSERT_TRUE(RunUnitOfWork(*db_, Access::kWrite, [&](Transaction& tx) -> base::Status {
    const Param p[] = {{"a", *a}, {"b", *b}};
    auto r = tx.Execute(
        "UPDATE report_recipient SET address = (SELECT address FROM report_recipient WHERE id = "
        ":b) WHERE id = :a",
        p);
    return r ? base::Status() : base::Status(r.error());
  }));
  auto s = RunUnitOfWork(*db_, Access::kRead, [&](Transaction& tx) {
    auto r = GetReportRecipient(tx, *keys_, *a);
    return r ? base::Status() : base::Status(r.error());
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace heartbase::store
