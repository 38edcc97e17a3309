// The conformance suite every store::Database driver must pass. A driver's test includes this
// header and instantiates it with a factory:
//   INSTANTIATE_TEST_SUITE_P(Sqlite, DatabaseConformance, ::testing::Values(&MakeSqlite));
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "store/database.h"
#include "store/group_commit.h"
#include "store/migrations.h"

namespace heartbase::store::testing {

// Returns a fresh, empty database (and keeps whatever it needs alive until the next call).
using DatabaseFactory = std::unique_ptr<Database> (*)();

class DatabaseConformance : public ::testing::TestWithParam<DatabaseFactory> {
 protected:
  void SetUp() override {
    db_ = GetParam()();
    ASSERT_NE(db_, nullptr);
    auto tx = db_->Begin(Access::kWrite);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(
        (*tx)->Execute("CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, r REAL, "
                       "s TEXT, b BLOB, u TEXT UNIQUE)"));
    ASSERT_TRUE((*tx)->Commit());
  }
  std::unique_ptr<Database> db_;
};

TEST_P(DatabaseConformance, BindsAndReadsEveryValueType) {
  auto tx = db_->Begin(Access::kWrite);
  ASSERT_TRUE(tx);
  const std::string binary(
      "\x00\x01\xff"
      "abc",
      6);
  const Param p[] = {{"i", std::int64_t{-9'007'199'254'740'993}},
                     {"r", 2.5},
                     {"s", std::string("M\xc3\xbcller")},
                     {"b", Bytes{binary}},
                     {"u", Value{}}};
  ASSERT_TRUE((*tx)->Execute("INSERT INTO t (i, r, s, b, u) VALUES (:i, :r, :s, :b, :u)", p));
  auto rows = (*tx)->Query("SELECT i, r, s, b, u FROM t");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  const Row& r = rows->front();
  EXPECT_EQ(r.Int(0), -9'007'199'254'740'993);
  EXPECT_DOUBLE_EQ(r.Real(1), 2.5);
  EXPECT_EQ(r.Text(2), "M\xc3\xbcller");
  EXPECT_EQ(r.Blob(3), binary);
  EXPECT_TRUE(r.IsNull(4));
}

TEST_P(DatabaseConformance, BindsABlobViewWithoutCopying) {
  auto tx = db_->Begin(Access::kWrite);
  ASSERT_TRUE(tx);
  const std::string binary("\x00sealed\xff", 8);
  const Param p[] = {{"b", BytesView{binary}}};
  ASSERT_TRUE((*tx)->Execute("INSERT INTO t (b) VALUES (:b)", p));
  auto rows = (*tx)->Query("SELECT b FROM t WHERE b = :b", p);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().Blob(0), binary);
}

// A row inserted with the id NextId gave keeps it, and the next NextId is past it: values sealed
// with their row id as associated data are written with the row.
TEST_P(DatabaseConformance, NextIdGivesAnIdTheInsertKeeps) {
  auto tx = db_->Begin(Access::kWrite);
  ASSERT_TRUE(tx);
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 3; ++i) {
    auto id = (*tx)->NextId("t");
    ASSERT_TRUE(id) << id.error().Describe();
    const Param p[] = {{"id", *id}, {"i", std::int64_t{i}}};
    ASSERT_TRUE((*tx)->Execute("INSERT INTO t (id, i) VALUES (:id, :i)", p));
    ids.push_back(*id);
  }
  // Rows inserted without an id in between do not collide with the next one given.
  ASSERT_TRUE((*tx)->Execute("INSERT INTO t (i) VALUES (9)"));
  auto next = (*tx)->NextId("t");
  ASSERT_TRUE(next);
  const Param p[] = {{"id", *next}};
  ASSERT_TRUE((*tx)->Execute("INSERT INTO t (id, i) VALUES (:id, 10)", p));
  EXPECT_LT(ids[0], ids[1]);
  EXPECT_LT(ids[1], ids[2]);
  auto rows = (*tx)->Query("SELECT id FROM t WHERE i < 3 ORDER BY i");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ((*rows)[i].Int(0), ids[i]);
  ASSERT_TRUE((*tx)->Commit());
  auto reader = db_->Begin(Access::kRead);
  ASSERT_TRUE(reader);
  EXPECT_FALSE((*reader)->NextId("t"));  // only a writer may take one
}

TEST_P(DatabaseConformance, RejectsUnknownAndMissingParameters) {
  auto tx = db_->Begin(Access::kWrite);
  ASSERT_TRUE(tx);
  const Param unknown[] = {{"i", std::int64_t{1}}, {"nope", std::int64_t{2}}};
  auto a = (*tx)->Execute("INSERT INTO t (i) VALUES (:i)", unknown);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, base::ErrorCode::kInvalidArgument);
  auto b = (*tx)->Execute("INSERT INTO t (i, r) VALUES (:i, :r)", {unknown, 1});
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, base::ErrorCode::kInvalidArgument);
}

// Drivers may remember how a statement's names map to positions; a later call with other names,
// another order or a repeated name must still bind correctly or fail cleanly.
TEST_P(DatabaseConformance, BindsByNameWhateverTheOrderOfTheParameters) {
  auto tx = db_->Begin(Access::kWrite);
  ASSERT_TRUE(tx);
  const std::string_view sql = "INSERT INTO t (i, s) VALUES (:i, :s)";
  const Param first[] = {{"i", std::int64_t{1}}, {"s", std::string("one")}};
  const Param swapped[] = {{"s", std::string("two")}, {"i", std::int64_t{2}}};
  const Param twice[] = {{"i", std::int64_t{3}}, {"i", std::int64_t{4}}};
  ASSERT_TRUE((*tx)->Execute(sql, first));
  ASSERT_TRUE((*tx)->Execute(sql, swapped));
  auto bad = (*tx)->Execute(sql, twice);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, base::ErrorCode::kInvalidArgument);
  ASSERT_TRUE((*tx)->Execute(sql, first));
  auto rows = (*tx)->Query("SELECT i, s FROM t ORDER BY id");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[1].Int(0), 2);
  EXPECT_EQ((*rows)[1].Text(1), "two");
  EXPECT_EQ((*rows)[2].Text(1), "one");
}

TEST_P(DatabaseConformance, RollsBackWhenNotCommitted) {
  {
    auto tx = db_->Begin(Access::kWrite);
    ASSERT_TRUE(tx);
    ASSERT_TRUE((*tx)->Execute("INSERT INTO t (i) VALUES (1)"));
  }
  auto tx = db_->Begin(Access::kRead);
  ASSERT_TRUE(tx);
  auto rows = (*tx)->Query("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->front().Int(0), 0);
}

TEST_P(DatabaseConformance, ReportsUniqueViolationsAsAlreadyExists) {
  auto tx = db_->Begin(Access::kWrite);
  ASSERT_TRUE(tx);
  ASSERT_TRUE((*tx)->Execute("INSERT INTO t (u) VALUES ('x')"));
  auto again = (*tx)->Execute("INSERT INTO t (u) VALUES ('x')");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, base::ErrorCode::kAlreadyExists);
}

TEST_P(DatabaseConformance, UnitOfWorkCommitsAndReturnsWorkErrors) {
  ASSERT_TRUE(RunUnitOfWork(*db_, Access::kWrite, [](Transaction& tx) -> base::Status {
    if (auto r = tx.Execute("INSERT INTO t (i) VALUES (7)"); !r) return r.error();
    return {};
  }));
  auto failed = RunUnitOfWork(*db_, Access::kWrite, [](Transaction& tx) -> base::Status {
    (void)tx.Execute("INSERT INTO t (i) VALUES (8)");
    return base::MakeError(base::ErrorCode::kInvalidArgument, "no");
  });
  ASSERT_FALSE(failed);
  auto tx = db_->Begin(Access::kRead);
  ASSERT_TRUE(tx);
  auto rows = (*tx)->Query("SELECT i FROM t ORDER BY i");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);  // the failed unit left nothing behind
  EXPECT_EQ(rows->front().Int(0), 7);
}

TEST_P(DatabaseConformance, UnitOfWorkRetriesConflicts) {
  int attempts = 0;
  auto s = RunUnitOfWork(*db_, Access::kWrite, [&](Transaction& tx) -> base::Status {
    if (++attempts < 3) return base::MakeError(base::ErrorCode::kConflict, "busy");
    if (auto r = tx.Execute("INSERT INTO t (i) VALUES (1)"); !r) return r.error();
    return {};
  });
  EXPECT_TRUE(s);
  EXPECT_EQ(attempts, 3);
}

TEST_P(DatabaseConformance, ConcurrentWritersAreSerialisedWithoutLosingUpdates) {
  std::atomic<int> failures{0};
  auto writer = [&] {
    for (int k = 0; k < 50; ++k) {
      auto s = RunUnitOfWork(*db_, Access::kWrite, [](Transaction& tx) -> base::Status {
        if (auto r = tx.Execute("INSERT INTO t (i) VALUES (1)"); !r) return r.error();
        return {};
      });
      if (!s) ++failures;
    }
  };
  std::thread a(writer), b(writer);
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
  auto tx = db_->Begin(Access::kRead);
  ASSERT_TRUE(tx);
  EXPECT_EQ((*tx)->Query("SELECT COUNT(*) FROM t")->front().Int(0), 100);
}

TEST_P(DatabaseConformance, GroupCommitSharesTransactionsAndIsolatesFailingUnits) {
  GroupCommit group(*db_);
  constexpr int kThreads = 12;
  std::atomic<int> started{0};
  // The first unit holds the commit in progress until every other thread is about to queue, so
  // they are committed together in later batches.
  std::thread first([&] {
    auto s = group.Run([&](Transaction& tx) -> base::Status {
      for (int i = 0; i < 500 && started.load() < kThreads; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (auto r = tx.Execute("INSERT INTO t (i) VALUES (0)"); !r) return r.error();
      return {};
    });
    EXPECT_TRUE(s);
  });
  std::vector<std::thread> others;
  std::atomic<int> failed{0};
  for (int k = 1; k <= kThreads; ++k) {
    others.emplace_back([&, k] {
      ++started;
      auto s = group.Run([k](Transaction& tx) -> base::Status {
        const Param p[] = {{"i", std::int64_t{k}}};
        if (auto r = tx.Execute("INSERT INTO t (i) VALUES (:i)", p); !r) return r.error();
        // Unit 7 writes, then fails: only its own write is undone.
        if (k == 7) return base::MakeError(base::ErrorCode::kInvalidArgument, "unit 7 fails");
        return {};
      });
      if (!s) {
        ++failed;
        EXPECT_EQ(s.error().message, "unit 7 fails");
      }
    });
  }
  first.join();
  for (auto& t : others) t.join();
  EXPECT_EQ(failed.load(), 1);
  EXPECT_EQ(group.units(), static_cast<std::size_t>(kThreads + 1));
  EXPECT_LT(group.batches(), group.units());  // some units shared a commit
  auto tx = db_->Begin(Access::kRead);
  ASSERT_TRUE(tx);
  EXPECT_EQ((*tx)->Query("SELECT COUNT(*) FROM t")->front().Int(0), kThreads);
  EXPECT_EQ((*tx)->Query("SELECT COUNT(*) FROM t WHERE i = 7")->front().Int(0), 0);
}

// Under steady load with small batches, leaders hand the lead on to queued threads (their own unit
// may not be in the first batch they commit): every unit runs exactly once, nobody waits forever.
TEST_P(DatabaseConformance, GroupCommitHandsTheLeadOnUnderLoad) {
  GroupCommit group(*db_, {.max_batch = 3});
  constexpr int kThreads = 8, kUnits = 40;
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int k = 0; k < kThreads; ++k) {
    threads.emplace_back([&, k] {
      for (int u = 0; u < kUnits; ++u) {
        auto s = group.Run([&](Transaction& tx) -> base::Status {
          const Param p[] = {{"i", std::int64_t{k * 1000 + u}}};
          if (auto r = tx.Execute("INSERT INTO t (i) VALUES (:i)", p); !r) return r.error();
          return {};
        });
        if (!s) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(group.units(), static_cast<std::size_t>(kThreads * kUnits));
  auto tx = db_->Begin(Access::kRead);
  ASSERT_TRUE(tx);
  EXPECT_EQ((*tx)->Query("SELECT COUNT(DISTINCT i) FROM t")->front().Int(0), kThreads * kUnits);
}

// Units of RunAsync and of Run, mixed under load with small batches: every unit is committed
// exactly once and told exactly once, with its own result; a failing unit fails alone; and the
// destructor waits until every queued unit has been told.
TEST_P(DatabaseConformance, GroupCommitRunsQueuedUnitsAndTellsEachOnce) {
  constexpr int kThreads = 6, kUnits = 60;
  std::atomic<int> told{0}, ok{0}, failed{0};
  {
    GroupCommit group(*db_, {.max_batch = 4});
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int k = 0; k < kThreads; ++k) {
      threads.emplace_back([&, k] {
        for (int u = 0; u < kUnits; ++u) {
          const std::int64_t value = k * 1000 + u;
          auto work = [value](Transaction& tx) -> base::Status {
            const Param p[] = {{"i", value}};
            if (auto r = tx.Execute("INSERT INTO t (i) VALUES (:i)", p); !r) return r.error();
            if (value % 10 == 3) return base::MakeError(base::ErrorCode::kInvalidArgument, "x");
            return {};
          };
          if (k % 3 == 0) {  // a thread that waits, like ingest, among the asynchronous ones
            if (group.Run(work))
              ++ok;
            else
              ++failed;
            ++told;
            continue;
          }
          group.RunAsync(work, [&told, &ok, &failed, value](const base::Status& s) {
            ++told;
            if (s) {
              ++ok;
            } else {
              ++failed;
              EXPECT_EQ(value % 10, 3);
            }
          });
        }
      });
    }
    for (auto& t : threads) t.join();
  }  // the destructor: every unit told
  EXPECT_EQ(told.load(), kThreads * kUnits);
  EXPECT_EQ(failed.load(), kThreads * kUnits / 10);
  auto tx = db_->Begin(Access::kRead);
  ASSERT_TRUE(tx);
  EXPECT_EQ((*tx)->Query("SELECT COUNT(DISTINCT i) FROM t")->front().Int(0), ok.load());
  EXPECT_EQ((*tx)->Query("SELECT COUNT(*) FROM t WHERE i % 10 = 3")->front().Int(0), 0);
}

TEST_P(DatabaseConformance, GroupCommitRetriesConflictsAndReportsTheLastError) {
  GroupCommit group(*db_, {.retry = {.max_attempts = 3, .first_backoff_ms = 1}});
  int attempts = 0;
  auto s = group.Run([&](Transaction& tx) -> base::Status {
    if (++attempts < 2) return base::MakeError(base::ErrorCode::kConflict, "busy");
    if (auto r = tx.Execute("INSERT INTO t (i) VALUES (1)"); !r) return r.error();
    return {};
  });
  EXPECT_TRUE(s);
  EXPECT_EQ(attempts, 2);
  auto never = group.Run([](Transaction&) -> base::Status {
    return base::MakeError(base::ErrorCode::kConflict, "always busy");
  });
  ASSERT_FALSE(never);
  EXPECT_EQ(never.error().code, base::ErrorCode::kConflict);
}

TEST_P(DatabaseConformance, ReadersSeeOnlyCommittedData) {
  auto writer = db_->Begin(Access::kWrite);
  ASSERT_TRUE(writer);
  ASSERT_TRUE((*writer)->Execute("INSERT INTO t (i) VALUES (5)"));
  {
    auto reader = db_->Begin(Access::kRead);
    ASSERT_TRUE(reader);
    EXPECT_EQ((*reader)->Query("SELECT COUNT(*) FROM t")->front().Int(0), 0);
  }
  ASSERT_TRUE((*writer)->Commit());
  auto reader = db_->Begin(Access::kRead);
  ASSERT_TRUE(reader);
  EXPECT_EQ((*reader)->Query("SELECT COUNT(*) FROM t")->front().Int(0), 1);
}

TEST_P(DatabaseConformance, MigrationsApplyInOrderAndGateUpgrades) {
  static constexpr Migration kV1[] = {{1, "CREATE TABLE m1 (x INTEGER);\n"}};
  static constexpr Migration kV2[] = {{1, "CREATE TABLE m1 (x INTEGER);\n"},
                                      {2,
                                       "CREATE TABLE m2 (y INTEGER);\n"
                                       "INSERT INTO m2 (y) VALUES (1);\n"}};
  auto v = Migrate(*db_, kV1, false);
  ASSERT_TRUE(v) << v.error().Describe();
  EXPECT_EQ(*v, 1);
  auto refused = Migrate(*db_, kV2, false);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, base::ErrorCode::kUnsupported);
  EXPECT_NE(refused.error().message.find("--upgrade"), std::string::npos);
  auto upgraded = Migrate(*db_, kV2, true);
  ASSERT_TRUE(upgraded) << upgraded.error().Describe();
  EXPECT_EQ(*upgraded, 2);
  EXPECT_EQ(*SchemaVersion(*db_), 2);
  auto newer = Migrate(*db_, kV1, true);
  ASSERT_FALSE(newer);
  EXPECT_NE(newer.error().message.find("newer"), std::string::npos);
}

}  // namespace heartbase::store::testing
