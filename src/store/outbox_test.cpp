// The outbox state machine on a real (migrated) SQLite database: idempotent enqueue, leasing that
// skips live leases and takes expired ones, completion and failure bound to the current lease,
// exponential backoff, dead letters, and sealing of the message fields.
#include "store/outbox.h"

#include <gtest/gtest.h>

#include <memory>

#include "store/migrations.h"
#include "store/testing/temp_dir.h"
#include "store/testing/test_store.h"

namespace heartbase::store {
namespace {

using base::ErrorCode;

constexpr std::int64_t kT0 = 1'800'000'000'000'000;
constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kLease = 60 * kSecond;

class OutboxTest : public ::testing::Test {
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
  }

  static OutboxMessage Message(const std::string& key) {
    return OutboxMessage{.kind = OutboxKind::kAlert,
                         .channel = OutboxChannel::kEmail,
                         .idempotency_key = key,
                         .recipient = "oncall@clinic.example",
                         .subject = "Red alert HB-1",
                         .body = "A red alert needs review.",
                         .ticket = "HB-1",
                         .link = "/queue/1",
                         .first_backoff_ms = 1000};
  }

  EnqueueResult Enqueue(const OutboxMessage& m, std::int64_t now = kT0) {
    EnqueueResult out;
    auto s = RunUnitOfWork(*db_, Access::kWrite, [&](Transaction& tx) {
      auto r = EnqueueJob(tx, *keys_, m, now);
      if (!r) return base::Status(r.error());
      out = *r;
      return base::Status();
    });
    EXPECT_TRUE(s) << (s ? "" : s.error().Describe());
    return out;
  }

  std::vector<LeasedJob> Lease(std::int64_t now, int n = 10, const std::string& holder = "w1") {
    std::vector<LeasedJob> out;
    auto s = RunUnitOfWork(*db_, Access::kWrite, [&](Transaction& tx) {
      auto r = LeaseJobs(tx, db_->dialect(), *keys_, holder, n, kLease, now);
      if (!r) return base::Status(r.error());
      out = std::move(*r);
      return base::Status();
    });
    EXPECT_TRUE(s) << (s ? "" : s.error().Describe());
    return out;
  }

  base::Status Complete(const LeasedJob& j, std::int64_t now, const std::string& holder = "w1") {
    return RunUnitOfWork(*db_, Access::kWrite, [&](Transaction& tx) {
      return CompleteJob(tx, j.id, holder, j.attempt, now);
    });
  }

  base::Result<OutboxState> Fail(const LeasedJob& j, std::int64_t now, bool permanent = false) {
    OutboxState state{};
    auto s = RunUnitOfWork(*db_, Access::kWrite, [&](Transaction& tx) {
      auto r =
          FailJob(tx, j.id, "w1", j.attempt, "curl 60: certificate\nnot trusted", permanent, now);
      if (!r) return base::Status(r.error());
      state = *r;
      return base::Status();
    });
    if (!s) return s.error();
    return state;
  }

  OutboxJobSummary Get(std::int64_t id) {
    OutboxJobSummary out;
    EXPECT_TRUE(RunUnitOfWork(*db_, Access::kRead, [&](Transaction& tx) {
      auto r = GetOutboxJob(tx, id);
      if (!r) return base::Status(r.error());
      out = *r;
      return base::Status();
    }));
    return out;
  }

  OutboxStats Stats(std::int64_t now) {
    OutboxStats out;
    EXPECT_TRUE(RunUnitOfWork(*db_, Access::kRead, [&](Transaction& tx) {
      auto r = ReadOutboxStats(tx, now);
      if (!r) return base::Status(r.error());
      out = *r;
      return base::Status();
    }));
    return out;
  }

  testing::TempDir dir_;
  std::span<const Migration> migrations_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<crypto::KeyRing> keys_;
};

TEST_F(OutboxTest, EnqueueIsIdempotentByKey) {
  const auto a = Enqueue(Message("alert:1:email"));
  EXPECT_TRUE(a.created);
  auto again = Message("alert:1:email");
  again.subject = "different";
  const auto b = Enqueue(again);
  EXPECT_FALSE(b.created);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(Stats(kT0).pending, 1);
  const auto jobs = Lease(kT0);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].message.subject, "Red alert HB-1");  // the first one stands
}

TEST_F(OutboxTest, EnqueueRefusesOversizedAndEmptyFields) {
  auto s = RunUnitOfWork(*db_, Access::kWrite, [&](Transaction& tx) {
    auto m = Message("k");
    m.body = std::string(OutboxLimits::kMaxBody + 1, 'a');
    EXPECT_EQ(EnqueueJob(tx, *keys_, m, kT0).error().code, ErrorCode::kInvalidArgument);
    m = Message("");
    EXPECT_EQ(EnqueueJob(tx, *keys_, m, kT0).error().code, ErrorCode::kInvalidArgument);
    m = Message("k");
    m.max_attempts = 0;
    EXPECT_EQ(EnqueueJob(tx, *keys_, m, kT0).error().code, ErrorCode::kInvalidArgument);
    return base::Status();
  });
  EXPECT_TRUE(s);
  EXPECT_EQ(Stats(kT0).pending, 0);
}

TEST_F(OutboxTest, AReportReferenceIsOnlyForReportJobsByEmailOrFaxWithoutAnAttachment) {
  auto s = RunUnitOfWork(*db_, Access::kWrite, [&](Transaction& tx) {
    auto m = Message("r");
    m.report_id = 1;
    EXPECT_EQ(EnqueueJob(tx, *keys_, m, kT0).error().code, ErrorCode::kInvalidArgument);  // alert
    m.kind = OutboxKind::kReport;
    m.channel = OutboxChannel::kPager;
    EXPECT_EQ(EnqueueJob(tx, *keys_, m, kT0).error().code, ErrorCode::kInvalidArgument);
    m.channel = OutboxChannel::kEmail;
    m.attachment = "%PDF-1.7";
    EXPECT_EQ(EnqueueJob(tx, *keys_, m, kT0).error().code, ErrorCode::kInvalidArgument);
    return base::Status();
  });
  EXPECT_TRUE(s);
  // A reference to no report fails its foreign key: the job cannot outlive a missing document.
  // (A unit of its own: PostgreSQL ends a transaction at a refused statement.)
  auto missing = RunUnitOfWork(*db_, Access::kWrite, [&](Transaction& tx) -> base::Status {
    auto m = Message("r");
    m.kind = OutboxKind::kReport;
    m.channel = OutboxChannel::kEmail;
    m.report_id = 999;
    auto r = EnqueueJob(tx, *keys_, m, kT0);
    if (!r) return r.error();
    return {};
  });
  EXPECT_FALSE(missing);
  EXPECT_EQ(Stats(kT0).pending, 0);
}

TEST_F(OutboxTest, EnqueueRolledBackWithItsCause) {
  auto s = RunUnitOfWork(*db_, Access::kWrite, [&](Transaction& tx) {
    EXPECT_TRUE(EnqueueJob(tx, *keys_, Message("k"), kT0));
    return base::Status(base::MakeError(ErrorCode::kIo, "the cause failed"));
  });
  EXPECT_FALSE(s);
  EXPECT_EQ(Stats(kT0).pending, 0);
}

TEST_F(OutboxTest, SealsMessageFieldsAtRest) {
  Enqueue(Message("k"));
  auto s = RunUnitOfWork(*db_, Access::kRead, [&](Transaction& tx) {
    auto rows = tx.Query("SELECT recipient, subject, body FROM outbox_job");
    EXPECT_TRUE(rows);
    for (std::size_t i = 0; i < 3; ++i) {
      const std::string_view v = rows->front().Blob(i);
      EXPECT_EQ(v.find("clinic.example"), std::string_view::npos);
      EXPECT_EQ(v.find("Red alert"), std::string_view::npos);
      EXPECT_EQ(v.find("needs review"), std::string_view::npos);
    }
    return base::Status();
  });
  EXPECT_TRUE(s);
}

TEST_F(OutboxTest, LeaseTakesOldestDueFirstAndSkipsLiveLeases) {
  const auto a = Enqueue(Message("a"), kT0);
  const auto b = Enqueue(Message("b"), kT0 + 1);
  Enqueue(Message("later"), kT0 + 10 * kSecond);  // due only from its creation time
  auto first = Lease(kT0 + 2, 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].id, a.id);
  EXPECT_EQ(first[0].attempt, 1);
  EXPECT_EQ(first[0].lease_expires_us, kT0 + 2 + kLease);
  // a is leased (live): the next lease goes past it.
  auto second = Lease(kT0 + 3, 10, "w2");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].id, b.id);
  EXPECT_EQ(Stats(kT0 + 3).leased, 2);
}

TEST_F(OutboxTest, CompleteOnlyByTheCurrentLease) {
  const auto a = Enqueue(Message("a"));
  auto jobs = Lease(kT0);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(Complete(jobs[0], kT0 + 1, "someone-else").error().code, ErrorCode::kNotFound);
  LeasedJob stale = jobs[0];
  stale.attempt = 2;
  EXPECT_EQ(Complete(stale, kT0 + 1).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(Complete(jobs[0], kT0 + 1));
  EXPECT_EQ(Get(a.id).state, OutboxState::kSent);
  EXPECT_EQ(Get(a.id).sent_us, kT0 + 1);
  EXPECT_EQ(Complete(jobs[0], kT0 + 2).error().code, ErrorCode::kNotFound);  // only once
  EXPECT_TRUE(Lease(kT0 + 10 * kLease).empty());                             // never again
}

TEST_F(OutboxTest, FailBacksOffExponentiallyThenDeadLetters) {
  const auto a = Enqueue(Message("a"));  // first_backoff 1 s, max 3 attempts
  auto j1 = Lease(kT0);
  ASSERT_EQ(j1.size(), 1u);
  ASSERT_EQ(*Fail(j1[0], kT0 + 5), OutboxState::kPending);
  auto s = Get(a.id);
  EXPECT_EQ(s.next_attempt_us, kT0 + 5 + 1 * kSecond);
  EXPECT_EQ(s.last_error, "curl 60: certificate not trusted");  // one line
  EXPECT_TRUE(Lease(kT0 + 5 + kSecond - 1).empty());            // not before the backoff
  auto j2 = Lease(kT0 + 5 + kSecond);
  ASSERT_EQ(j2.size(), 1u);
  EXPECT_EQ(j2[0].attempt, 2);
  const std::int64_t t2 = kT0 + 10 * kSecond;
  ASSERT_EQ(*Fail(j2[0], t2), OutboxState::kPending);
  EXPECT_EQ(Get(a.id).next_attempt_us, t2 + 2 * kSecond);  // doubled
  auto j3 = Lease(t2 + 2 * kSecond);
  ASSERT_EQ(j3.size(), 1u);
  EXPECT_EQ(j3[0].attempt, 3);
  ASSERT_EQ(*Fail(j3[0], t2 + 3 * kSecond), OutboxState::kDead);
  EXPECT_EQ(Get(a.id).state, OutboxState::kDead);
  EXPECT_EQ(Get(a.id).attempts, 3);
  EXPECT_TRUE(Lease(t2 + 1000 * kSecond).empty());
  const auto stats = Stats(t2 + 4 * kSecond);
  EXPECT_EQ(stats.dead, 1);
  EXPECT_EQ(stats.pending + stats.leased, 0);
  EXPECT_EQ(stats.queue_age_us, 0);
}

TEST_F(OutboxTest, PermanentFailureDeadLettersAtOnce) {
  const auto a = Enqueue(Message("a"));
  auto j = Lease(kT0);
  ASSERT_EQ(*Fail(j[0], kT0 + 1, true), OutboxState::kDead);
  EXPECT_EQ(Get(a.id).attempts, 1);
}

TEST_F(OutboxTest, ExpiredLeaseIsTakenAgainAndCountsAsAnAttempt) {
  const auto a = Enqueue(Message("a"));
  auto j1 = Lease(kT0, 10, "crashed-worker");
  ASSERT_EQ(j1.size(), 1u);
  EXPECT_TRUE(Lease(kT0 + kLease - 1).empty());
  auto j2 = Lease(kT0 + kLease);
  ASSERT_EQ(j2.size(), 1u);
  EXPECT_EQ(j2[0].attempt, 2);
  // The crashed worker's late report is refused; the live one's is accepted.
  EXPECT_EQ(Complete(j1[0], kT0 + kLease + 1, "crashed-worker").error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(Complete(j2[0], kT0 + kLease + 2));
  EXPECT_EQ(Get(a.id).state, OutboxState::kSent);
}

TEST_F(OutboxTest, PoisonJobThatHangsEveryWorkerIsDeadLetteredAndNeverBlocksTheNext) {
  auto poison = Message("poison");
  poison.max_attempts = 2;
  const auto p = Enqueue(poison, kT0);
  const auto next = Enqueue(Message("next"), kT0 + 1);
  // Worker 1 takes only the poison job and hangs; the next job is leased by another worker now.
  ASSERT_EQ(Lease(kT0 + 2, 1, "w1")[0].id, p.id);
  auto other = Lease(kT0 + 3, 1, "w2");
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].id, next.id);
  ASSERT_TRUE(Complete(other[0], kT0 + 4, "w2"));
  // The poison lease expires twice, then it is a dead letter, not work.
  ASSERT_EQ(Lease(kT0 + 2 + kLease, 1, "w3").size(), 1u);
  EXPECT_TRUE(Lease(kT0 + 3 + 2 * kLease, 1, "w4").empty());
  const auto s = Get(p.id);
  EXPECT_EQ(s.state, OutboxState::kDead);
  EXPECT_NE(s.last_error.find("lease expired"), std::string::npos);
}

TEST_F(OutboxTest, StatsShowQueueAgeAndCounts) {
  Enqueue(Message("a"), kT0);
  Enqueue(Message("b"), kT0 + 5 * kSecond);
  auto j = Lease(kT0 + 6 * kSecond, 1);
  ASSERT_TRUE(Complete(j[0], kT0 + 7 * kSecond));
  const auto s = Stats(kT0 + 65 * kSecond);
  EXPECT_EQ(s.sent, 1);
  EXPECT_EQ(s.pending, 1);
  EXPECT_EQ(s.oldest_open_created_us, kT0 + 5 * kSecond);
  EXPECT_EQ(s.queue_age_us, 60 * kSecond);
  auto listed = std::vector<OutboxJobSummary>();
  ASSERT_TRUE(RunUnitOfWork(*db_, Access::kRead, [&](Transaction& tx) {
    auto r = ListOutboxJobs(tx, OutboxState::kSent, 10);
    if (!r) return base::Status(r.error());
    listed = *r;
    return base::Status();
  }));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].idempotency_key, "a");
}

}  // namespace
}  // namespace heartbase::store
