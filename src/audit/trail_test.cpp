#include "audit/trail.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "audit/internal/canonical.h"
#include "audit/queries.h"
#include "audit/testing/trail_fixture.h"
#include "audit/verifier.h"
#include "store/group_commit.h"
#include "store/testing/test_store.h"

namespace heartbase::audit {
namespace {

using testing::TrailTest;

TEST_F(TrailTest, AnEmptyTrailVerifies) {
  auto report = Verify(*db_, signer_->public_key());
  ASSERT_TRUE(report) << report.error().Describe();
  EXPECT_TRUE(report->ok);
  EXPECT_EQ(report->events, 0);
  EXPECT_EQ(report->checkpoints, 0);
}

TEST_F(TrailTest, AppendedEventsAndCheckpointsVerify) {
  for (int i = 1; i <= 50; ++i) {
    ASSERT_TRUE(AppendCommitted(MakeEvent(i)));
    if (i == 20) {
      ASSERT_TRUE(CheckpointCommitted(1000));
    }
  }
  ASSERT_TRUE(CheckpointCommitted(2000));
  auto report = Verify(*db_, signer_->public_key());
  ASSERT_TRUE(report) << report.error().Describe();
  EXPECT_TRUE(report->ok) << report->reason;
  EXPECT_EQ(report->events, 50);
  EXPECT_EQ(report->checkpoints, 2);
  EXPECT_EQ(report->last_seq, 50);
  EXPECT_EQ(report->last_checkpoint_seq, 50);
  EXPECT_EQ(report->first_bad_seq, 0);
}

TEST_F(TrailTest, EachEventHashesItsCanonicalEncodingAndLinksToThePrevious) {
  Event sparse;  // optional ids absent, empty texts
  sparse.time_us = 5;
  sparse.action = "login.failed";
  sparse.outcome = std::string(kDenied);
  ASSERT_TRUE(AppendCommitted(sparse));
  ASSERT_TRUE(AppendCommitted(MakeEvent(2)));
  auto tx = db_->Begin(store::Access::kRead);
  ASSERT_TRUE(tx);
  auto rows = (*tx)->Query(
      fmt::format("SELECT {}, hash FROM audit_event ORDER BY seq", internal::kHashedColumns));
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  std::string prev = internal::GenesisHash();
  for (std::size_t r = 0; r < rows->size(); ++r) {
    const store::Row& row = (*rows)[r];
    EXPECT_EQ(row.Int(0), static_cast<std::int64_t>(r + 1));
    EXPECT_EQ(row.Blob(14), prev);
    std::vector<store::Value> values;
    for (std::size_t i = 0; i < internal::kHashedColumnCount; ++i) values.push_back(row.at(i));
    EXPECT_EQ(row.Blob(15), internal::EventHash(values));
    EXPECT_EQ(row.Blob(15).size(), internal::kHashBytes);
    prev = std::string(row.Blob(15));
  }
  EXPECT_TRUE((*rows)[0].IsNull(3));  // user_id NULL, not 0
  EXPECT_EQ((*rows)[0].Text(11), "denied");
}

TEST_F(TrailTest, TheEncodingSeparatesFieldsTypesAndNull) {
  using V = std::vector<store::Value>;
  const auto h = [](const V& v) { return internal::EventHash(v); };
  EXPECT_NE(h(V{std::string("ab"), std::string("c")}), h(V{std::string("a"), std::string("bc")}));
  EXPECT_NE(h(V{std::string("1")}), h(V{std::int64_t{1}}));
  EXPECT_NE(h(V{std::string("x")}), h(V{store::Bytes{"x"}}));
  EXPECT_NE(h(V{std::monostate{}}), h(V{std::int64_t{0}}));
  EXPECT_NE(h(V{std::monostate{}}), h(V{std::string()}));
  EXPECT_NE(h(V{std::string()}), h(V{}));
  EXPECT_EQ(h(V{std::string("same")}), h(V{std::string("same")}));
}

TEST_F(TrailTest, RefusesInvalidEventsWithoutAppendingAnything) {
  const auto refused = [&](const Event& e, base::ErrorCode code) {
    auto s = store::RunUnitOfWork(*db_, store::Access::kWrite,
                                  [&](store::Transaction& tx) { return Append(tx, e); });
    return !s && s.error().code == code;
  };
  Event e = MakeEvent(1);
  e.time_us = 0;
  EXPECT_TRUE(refused(e, base::ErrorCode::kInvalidArgument));
  for (const char* action : {"", "Patient.Read", "patient read", "patient.read\n"}) {
    e = MakeEvent(1);
    e.action = action;
    EXPECT_TRUE(refused(e, base::ErrorCode::kInvalidArgument)) << action;
  }
  e = MakeEvent(1);
  e.action = std::string(kMaxActionBytes + 1, 'a');
  EXPECT_TRUE(refused(e, base::ErrorCode::kInvalidArgument));
  e = MakeEvent(1);
  e.outcome = "ok";
  EXPECT_TRUE(refused(e, base::ErrorCode::kInvalidArgument));
  e = MakeEvent(1);
  e.detail = std::string(kMaxFieldBytes + 1, 'x');
  EXPECT_TRUE(refused(e, base::ErrorCode::kLimitExceeded));
  e = MakeEvent(1);
  e.note = "break-glass: patient in ER";  // may hold patient data: needs the key ring
  EXPECT_TRUE(refused(e, base::ErrorCode::kInvalidArgument));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_event"), 0);
}

TEST_F(TrailTest, NotesAreSealedToTheirRowAndNeverStoredInTheClear) {
  const std::string canary = "Hypatia Canarywing collapsed in the waiting room";
  Event e = MakeEvent(1);
  e.action = "breakglass";
  e.note = canary;
  ASSERT_TRUE(AppendCommitted(MakeEvent(0)));
  ASSERT_TRUE(AppendCommitted(e));
  {
    auto tx = db_->Begin(store::Access::kRead);
    ASSERT_TRUE(tx);
    auto page = List(**tx, Filter{.action = "breakglass"}, 10);
    ASSERT_TRUE(page);
    ASSERT_EQ(page->records.size(), 1u);
    const Record& r = page->records[0];
    EXPECT_TRUE(r.event.note.empty());
    EXPECT_EQ(*OpenNote(*keys_, r), canary);
    Record moved = r;
    moved.seq = 1;  // the sealed note copied to another row does not open
    EXPECT_FALSE(OpenNote(*keys_, moved));
    auto plain = List(**tx, Filter{.action = "patient.read"}, 10);
    ASSERT_TRUE(plain);
    EXPECT_EQ(OpenNote(*keys_, plain->records.at(0)).error().code, base::ErrorCode::kNotFound);
  }
  ASSERT_TRUE(CheckpointCommitted(1));
  EXPECT_TRUE(Verify(*db_, signer_->public_key())->ok);  // without the data key
  db_.reset();
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find("Canarywing"), std::string::npos) << entry.path();
  }
}

TEST_F(TrailTest, CheckpointSignsTheTailOnlyWhenThereIsSomethingNew) {
  ASSERT_TRUE(CheckpointCommitted(1));  // empty trail: nothing to sign
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_checkpoint"), 0);
  ASSERT_TRUE(AppendCommitted(MakeEvent(1)));
  ASSERT_TRUE(CheckpointCommitted(2));
  ASSERT_TRUE(CheckpointCommitted(3));  // tail already covered
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_checkpoint"), 1);
  ASSERT_TRUE(AppendCommitted(MakeEvent(2)));
  ASSERT_TRUE(CheckpointCommitted(4));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_checkpoint"), 2);
  EXPECT_EQ(Count("SELECT prev_seq FROM audit_checkpoint WHERE seq = 2"), 1);
  EXPECT_EQ(Count("SELECT time_us FROM audit_checkpoint WHERE seq = 2"), 4);
}

TEST_F(TrailTest, CheckpointIsDueAfterEnoughEventsOrTime) {
  const CheckpointPolicy policy{.every_events = 3, .every_us = 1000};
  const auto due = [&](std::int64_t now) {
    bool wrote = false;
    EXPECT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& tx) {
      auto r = CheckpointIfDue(tx, *signer_, now, policy);
      if (!r) return base::Status(r.error());
      wrote = *r;
      return base::Status();
    }));
    return wrote;
  };
  EXPECT_FALSE(due(0));  // empty trail
  ASSERT_TRUE(AppendCommitted(MakeEvent(1)));
  EXPECT_TRUE(due(10));  // the first event is signed at once
  ASSERT_TRUE(AppendCommitted(MakeEvent(2)));
  ASSERT_TRUE(AppendCommitted(MakeEvent(3)));
  EXPECT_FALSE(due(20));  // 2 new events, 10 µs
  ASSERT_TRUE(AppendCommitted(MakeEvent(4)));
  EXPECT_TRUE(due(30));  // 3 new events
  ASSERT_TRUE(AppendCommitted(MakeEvent(5)));
  EXPECT_FALSE(due(1029));
  EXPECT_TRUE(due(1030));   // 1000 µs since the last checkpoint
  EXPECT_FALSE(due(5000));  // nothing new
  EXPECT_TRUE(Verify(*db_, signer_->public_key())->ok);
}

// Fail closed (security requirement L3): when the audit record cannot be written, the audited
// change in the same unit of work is not committed either.
TEST_F(TrailTest, AFailedAppendRollsBackTheAuditedChange) {
  const auto access_patient = [&](const Event& e) {
    return store::RunUnitOfWork(
        *db_, store::Access::kWrite, [&](store::Transaction& tx) -> base::Status {
          if (auto r = tx.Execute("INSERT INTO patient (created_us) VALUES (1)"); !r)
            return r.error();
          return Append(tx, e, *keys_);
        });
  };
  ASSERT_TRUE(AppendCommitted(MakeEvent(1)));
  {
    auto tx = db_->Begin(store::Access::kWrite);
    ASSERT_TRUE(tx);
    if (store::testing::TestStoreIsPostgres()) {
      ASSERT_TRUE(
          (*tx)->Execute("CREATE FUNCTION inject_fault() RETURNS trigger LANGUAGE plpgsql AS "
                         "$$ BEGIN RAISE EXCEPTION 'injected audit fault'; END $$"));
      ASSERT_TRUE(
          (*tx)->Execute("CREATE TRIGGER inject_fault BEFORE INSERT ON audit_event "
                         "FOR EACH ROW EXECUTE FUNCTION inject_fault()"));
    } else {
      ASSERT_TRUE(
          (*tx)->Execute("CREATE TRIGGER inject_fault BEFORE INSERT ON audit_event "
                         "BEGIN SELECT RAISE(ABORT, 'injected audit fault'); END"));
    }
    ASSERT_TRUE((*tx)->Commit());
  }
  auto failed = access_patient(MakeEvent(2));
  ASSERT_FALSE(failed) << "the access must fail when its audit record cannot be written";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM patient"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_event"), 1);
  // An event Append refuses fails the unit of work the same way.
  Event invalid = MakeEvent(3);
  invalid.outcome = "maybe";
  EXPECT_FALSE(access_patient(invalid));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM patient"), 0);
  {
    auto tx = db_->Begin(store::Access::kWrite);
    ASSERT_TRUE(tx);
    ASSERT_TRUE((*tx)->Execute(testing::DropTriggerSql("inject_fault", "audit_event")));
    ASSERT_TRUE((*tx)->Commit());
  }
  ASSERT_TRUE(access_patient(MakeEvent(4)));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM patient"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_event"), 2);
  ASSERT_TRUE(CheckpointCommitted(9));
  EXPECT_TRUE(Verify(*db_, signer_->public_key())->ok);
}

TEST_F(TrailTest, TheApplicationConnectionCannotUpdateOrDeleteAuditRows) {
  ASSERT_TRUE(AppendCommitted(MakeEvent(1)));
  ASSERT_TRUE(CheckpointCommitted(1));
  for (const char* sql :
       {"DELETE FROM audit_event", "UPDATE audit_event SET user_name = 'someone else'",
        "DELETE FROM audit_checkpoint", "UPDATE audit_checkpoint SET time_us = 0"}) {
    auto tx = db_->Begin(store::Access::kWrite);
    ASSERT_TRUE(tx);
    EXPECT_FALSE((*tx)->Execute(sql)) << sql;
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_event"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_checkpoint"), 1);
}

TEST_F(TrailTest, ConcurrentAppendersFormOneChain) {
  constexpr int kThreads = 4, kEach = 25;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (!AppendCommitted(MakeEvent(t * 1000 + i))) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_TRUE(CheckpointCommitted(1));
  auto report = Verify(*db_, signer_->public_key());
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->reason;
  EXPECT_EQ(report->events, kThreads * kEach);
}

// Ingest shares write transactions between units of work (store::GroupCommit, one savepoint per
// unit). A unit that fails after its Append takes its record with it; the chain stays contiguous.
TEST_F(TrailTest, UnitsSharingAGroupCommitKeepTheChainContiguous) {
  store::GroupCommit group(*db_);
  constexpr int kThreads = 4, kEach = 20;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::atomic<int> committed{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const bool fail = i % 3 == 0;  // the audited work fails after its record was appended
        auto s = group.Run([&](store::Transaction& tx) -> base::Status {
          if (auto a = Append(tx, MakeEvent(t * 1000 + i)); !a) return a;
          if (fail) return base::MakeError(base::ErrorCode::kInvalidArgument, "work failed");
          return {};
        });
        if (s) ++committed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(committed.load(), kThreads * (kEach - 7));
  ASSERT_TRUE(CheckpointCommitted(1));
  auto report = Verify(*db_, signer_->public_key());
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->reason;
  EXPECT_EQ(report->events, committed.load());
}

TEST_F(TrailTest, VerifyPagesThroughLongTrailsAndFindsTamperingOnAnyPage) {
  constexpr std::int64_t kEvents = 3 * kVerifyPageRows + 17;
  ASSERT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& tx) {
    for (std::int64_t i = 1; i <= kEvents; ++i) {
      if (auto s = Append(tx, MakeEvent(i)); !s) return s;
      if (i % 100 == 0 || i == kEvents) {
        if (auto s = Checkpoint(tx, *signer_, i); !s) return s;
      }
    }
    return base::Status();
  }));
  auto report = Verify(*db_, signer_->public_key());
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->reason;
  EXPECT_EQ(report->events, kEvents);
  EXPECT_EQ(report->checkpoints, kEvents / 100 + 1);
  // An attacker with the file: rows on the second and last pages.
  for (const std::int64_t seq : {kVerifyPageRows + 1, kEvents}) {
    auto tx = db_->Begin(store::Access::kWrite);
    ASSERT_TRUE(tx);
    ASSERT_TRUE((*tx)->Execute(testing::DropTriggerSql("audit_event_no_update", "audit_event")));
    const store::Param p[] = {{"seq", seq}};
    ASSERT_TRUE((*tx)->Execute("UPDATE audit_event SET object_id = 'x' WHERE seq = :seq", p));
    auto bad = Verify(**tx, {&signer_->public_key(), 1});
    ASSERT_TRUE(bad);
    EXPECT_FALSE(bad->ok);
    EXPECT_EQ(bad->first_bad_seq, seq);
  }
}

TEST_F(TrailTest, VerifyRequiresTheCheckpointKeyToBeTrusted) {
  ASSERT_TRUE(AppendCommitted(MakeEvent(1)));
  ASSERT_TRUE(CheckpointCommitted(1));
  auto stranger = crypto::SigningKey::Generate();
  ASSERT_TRUE(stranger);
  auto report = Verify(*db_, stranger->public_key());
  ASSERT_TRUE(report);
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(report->first_bad_seq, 1);
  EXPECT_NE(report->reason.find("not trusted"), std::string::npos) << report->reason;
  // After a key rotation the verifier trusts the old and the new public key.
  ASSERT_TRUE(AppendCommitted(MakeEvent(2)));
  ASSERT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& tx) {
    return Checkpoint(tx, *stranger, 2);
  }));
  const crypto::SigningPublicKey both[] = {signer_->public_key(), stranger->public_key()};
  auto rotated = Verify(*db_, both);
  ASSERT_TRUE(rotated);
  EXPECT_TRUE(rotated->ok) << rotated->reason;
  EXPECT_EQ(rotated->checkpoints, 2);
}

// The documented limit: events after the newest checkpoint are chained but unsigned, so cutting
// them off leaves a consistent trail. The report says how much is unsigned; the remote copy is
// what catches this.
TEST_F(TrailTest, TruncationAfterTheLastCheckpointIsNotDetectableFromTheDatabaseAlone) {
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(AppendCommitted(MakeEvent(i)));
  ASSERT_TRUE(CheckpointCommitted(1));
  for (int i = 11; i <= 15; ++i) ASSERT_TRUE(AppendCommitted(MakeEvent(i)));
  auto before = Verify(*db_, signer_->public_key());
  ASSERT_TRUE(before && before->ok);
  EXPECT_EQ(before->last_seq - before->last_checkpoint_seq, 5);
  auto tx = db_->Begin(store::Access::kWrite);
  ASSERT_TRUE(tx);
  ASSERT_TRUE((*tx)->Execute(testing::DropTriggerSql("audit_event_no_delete", "audit_event")));
  ASSERT_TRUE((*tx)->Execute("DELETE FROM audit_event WHERE seq > 12"));
  auto after = Verify(**tx, {&signer_->public_key(), 1});
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->ok);
  EXPECT_EQ(after->last_seq, 12);
  // Cutting into the signed part is detected.
  ASSERT_TRUE((*tx)->Execute("DELETE FROM audit_event WHERE seq > 9"));
  auto cut = Verify(**tx, {&signer_->public_key(), 1});
  ASSERT_TRUE(cut);
  EXPECT_FALSE(cut->ok);
  EXPECT_EQ(cut->first_bad_seq, 10);
}

}  // namespace
}  // namespace heartbase::audit
