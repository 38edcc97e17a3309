#include "audit/queries.h"

#include <gtest/gtest.h>

#include <set>

#include "audit/testing/trail_fixture.h"
#include "audit/trail.h"
#include "store/testing/test_store.h"

namespace heartbase::audit {
namespace {

class QueriesTest : public testing::TrailTest {
 protected:
  // Appends `count` events in one transaction; event i touches patient 100 + i % 5, is done by
  // user i % 3 + 1 at time base + i seconds, and every 4th is an export.
  void Fill(int count) {
    ASSERT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& tx) {
      for (int i = 1; i <= count; ++i) {
        Event e = MakeEvent(i);
        if (i % 4 == 0) e.action = "export";
        if (i % 10 == 0) e.patient_id.reset();
        if (auto s = Append(tx, e); !s) return s;
      }
      return base::Status();
    }));
  }

  std::unique_ptr<store::Transaction> Read() {
    auto tx = db_->Begin(store::Access::kRead);
    EXPECT_TRUE(tx);
    return std::move(*tx);
  }
};

TEST_F(QueriesTest, WhoAccessedPatientReturnsOnlyThatPatientsEventsInOrder) {
  Fill(40);
  auto tx = Read();
  auto page = WhoAccessedPatient(*tx, 102, 100);
  ASSERT_TRUE(page) << page.error().Describe();
  // i % 5 == 2 and i % 10 != 0: 2, 7, 12, …, 37.
  ASSERT_EQ(page->records.size(), 8u);
  std::int64_t last = 0;
  for (const Record& r : page->records) {
    EXPECT_EQ(r.event.patient_id, 102);
    EXPECT_GT(r.seq, last);
    last = r.seq;
  }
  EXPECT_EQ(page->next_after_seq, 0);
  const Record& first = page->records.front();
  EXPECT_EQ(first.seq, 2);
  const Event expected = MakeEvent(2);
  EXPECT_EQ(first.event.time_us, expected.time_us);
  EXPECT_EQ(first.event.user_name, expected.user_name);
  EXPECT_EQ(first.event.user_id, expected.user_id);
  EXPECT_EQ(first.event.role, expected.role);
  EXPECT_EQ(first.event.clinic_id, expected.clinic_id);
  EXPECT_EQ(first.event.address, expected.address);
  EXPECT_EQ(first.event.action, expected.action);
  EXPECT_EQ(first.event.object_type, expected.object_type);
  EXPECT_EQ(first.event.object_id, expected.object_id);
  EXPECT_EQ(first.event.outcome, "success");
  EXPECT_EQ(first.event.detail, expected.detail);
  EXPECT_TRUE(WhoAccessedPatient(*tx, 999, 10)->records.empty());
}

TEST_F(QueriesTest, PagesFollowTheCursorWithoutGapsOrRepeats) {
  Fill(100);
  auto tx = Read();
  std::set<std::int64_t> seen;
  std::int64_t cursor = 0;
  int pages = 0;
  do {
    auto page = WhoAccessedPatient(*tx, 101, 3, cursor);
    ASSERT_TRUE(page);
    ASSERT_LE(page->records.size(), 3u);
    for (const Record& r : page->records) EXPECT_TRUE(seen.insert(r.seq).second);
    cursor = page->next_after_seq;
    ++pages;
  } while (cursor != 0);
  EXPECT_EQ(seen.size(), 20u);  // i % 5 == 1: 1, 6, …, 96
  EXPECT_EQ(pages, 7);
}

TEST_F(QueriesTest, ListCombinesFilters) {
  Fill(60);
  auto tx = Read();
  const Event base = MakeEvent(0);
  auto exports = List(*tx, Filter{.action = "export"}, 1000);
  ASSERT_TRUE(exports);
  EXPECT_EQ(exports->records.size(), 15u);
  auto by_user = List(*tx, Filter{.user_id = 2, .action = "export"}, 1000);  // i % 3 == 1
  ASSERT_TRUE(by_user);
  for (const Record& r : by_user->records) {
    EXPECT_EQ(r.event.user_id, 2);
    EXPECT_EQ(r.event.action, "export");
    EXPECT_EQ(r.seq % 3, 1);
  }
  EXPECT_EQ(by_user->records.size(), 5u);  // 4, 16, 28, 40, 52
  auto by_name = List(*tx, Filter{.user_name = "user0"}, 1000);
  ASSERT_TRUE(by_name);
  EXPECT_EQ(by_name->records.size(), 20u);
  // [base + 10 s, base + 20 s): events 10 … 19.
  auto window = List(
      *tx, Filter{.from_us = base.time_us + 10'000'000, .to_us = base.time_us + 20'000'000}, 1000);
  ASSERT_TRUE(window);
  ASSERT_EQ(window->records.size(), 10u);
  EXPECT_EQ(window->records.front().seq, 10);
  EXPECT_EQ(window->records.back().seq, 19);
  auto none = List(*tx, Filter{.user_name = "user0", .patient_id = 4242}, 1000);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->records.empty());
  auto all = List(*tx, Filter{}, 1000);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->records.size(), 60u);
}

TEST_F(QueriesTest, PagesAreCappedAtOneThousand) {
  Fill(1005);
  auto tx = Read();
  auto page = List(*tx, Filter{}, 5000);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->records.size(), kMaxPageSize);
  EXPECT_EQ(page->next_after_seq, 1000);
  auto rest = List(*tx, Filter{}, 5000, page->next_after_seq);
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->records.size(), 5u);
  EXPECT_EQ(rest->next_after_seq, 0);
  auto one = List(*tx, Filter{}, 0);  // a limit of 0 still returns a page
  ASSERT_TRUE(one);
  EXPECT_EQ(one->records.size(), 1u);
}

TEST_F(QueriesTest, PatientAndUserQueriesUseTheirIndexes) {
  Fill(10);
  auto tx = Read();
  // PostgreSQL scans a table this small whole unless told not to; its plan is column 0 of EXPLAIN.
  const bool postgres = store::testing::TestStoreIsPostgres();
  if (postgres) ASSERT_TRUE(tx->Execute("SET LOCAL enable_seqscan = off"));
  const auto plan = [&](const std::string& where) {
    auto rows = tx->Query(std::string(postgres ? "EXPLAIN" : "EXPLAIN QUERY PLAN") +
                          " SELECT seq FROM audit_event WHERE seq > 0 AND " + where +
                          " ORDER BY seq LIMIT 10");
    EXPECT_TRUE(rows);
    std::string text;
    for (const store::Row& r : *rows) text += std::string(r.Text(postgres ? 0 : 3)) + "\n";
    return text;
  };
  EXPECT_NE(plan("patient_id = 101").find("audit_event_patient"), std::string::npos)
      << plan("patient_id = 101");
  EXPECT_NE(plan("user_id = 1").find("audit_event_user"), std::string::npos) << plan("user_id = 1");
}

}  // namespace
}  // namespace heartbase::audit
