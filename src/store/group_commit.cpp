// Group commit by leader and followers: the first caller that finds no commit in progress becomes
// the leader, takes everything queued (up to max_batch), runs it in one transaction and wakes the
// units of that batch, each on its own condition variable. Callers that arrived meanwhile are
// queued for the next batch; the leader hands the lead to the first of them. Units of RunAsync have
// no thread waiting: the committer thread leads for them, and each is told through its callback.
#include "store/group_commit.h"

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace heartbase::store {

GroupCommit::GroupCommit(Database& db, GroupCommitOptions options) : db_(db), options_(options) {
  if (options_.max_batch == 0) options_.max_batch = 1;
}

GroupCommit::~GroupCommit() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  committer_cv_.notify_one();
  if (committer_.joinable()) committer_.join();
}

base::Status GroupCommit::Run(const std::function<base::Status(Transaction&)>& work) {
  Unit unit;
  unit.work = &work;
  std::unique_lock lock(mu_);
  queue_.push_back(&unit);
  if (leader_) {
    // A follower sleeps until its batch is done or it is handed the lead: one wake-up each, not
    // one per batch for every waiting thread.
    unit.cv.wait(lock, [&] { return unit.done || unit.lead; });
    if (unit.done) return unit.result;
  }
  leader_ = true;
  Lead(lock, &unit);
  return unit.result;
}

void GroupCommit::RunAsync(std::function<base::Status(Transaction&)> work,
                           std::function<void(base::Status)> done) {
  std::unique_lock lock(mu_);
  if (!committer_.joinable()) committer_ = std::thread([this] { CommitterLoop(); });
  if (!leader_) {
    // Nothing in progress: committed here and now, as Run would (no hand-off to another thread
    // when the load is light); whatever queues meanwhile is handed to the committer.
    Unit unit;
    unit.work = &work;
    queue_.push_back(&unit);
    leader_ = true;
    Lead(lock, &unit);
    lock.unlock();
    done(unit.result);
    return;
  }
  auto unit = std::make_unique<Unit>();
  unit->async = true;
  unit->owned_work = std::move(work);
  unit->work = &unit->owned_work;
  unit->on_done = std::move(done);
  queue_.push_back(unit.release());  // deleted by the thread that tells it
}

void GroupCommit::CommitterLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    committer_cv_.wait(lock, [&] { return committer_lead_ || stopping_; });
    if (!committer_lead_) return;  // stopping, and nothing was handed over
    committer_lead_ = false;
    Lead(lock, nullptr);
  }
}

void GroupCommit::Lead(std::unique_lock<std::mutex>& lock, const Unit* own) {
  while (!queue_.empty() && (own == nullptr || !own->done)) {
    std::vector<Unit*> batch;
    while (!queue_.empty() && batch.size() < options_.max_batch) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    CommitBatch(batch);
    lock.lock();
    std::vector<Unit*> told;
    for (Unit* u : batch) {
      u->done = true;
      if (u->async) {
        told.push_back(u);
      } else if (u != own) {
        // Under the lock: the waiter cannot return (and destroy its unit) before it is notified.
        u->cv.notify_one();
      }
    }
    ++batches_;
    units_ += batch.size();
    if (!told.empty()) {
      lock.unlock();
      for (Unit* u : told) {
        const std::unique_ptr<Unit> owned(u);
        if (owned->on_done) owned->on_done(owned->result);
      }
      lock.lock();
    }
  }
  // Whoever arrived meanwhile leads the next batch: its own thread, or the committer for a unit
  // of RunAsync (which exists, since that unit was queued by RunAsync).
  if (queue_.empty()) {
    leader_ = false;
  } else if (queue_.front()->async) {
    committer_lead_ = true;
    committer_cv_.notify_one();
  } else {
    queue_.front()->lead = true;
    queue_.front()->cv.notify_one();
  }
}

void GroupCommit::CommitBatch(const std::vector<Unit*>& batch) {
  int backoff = options_.retry.first_backoff_ms;
  base::Status failed;
  for (int attempt = 1; attempt <= options_.retry.max_attempts; ++attempt) {
    failed = TryBatch(batch);
    if (failed || failed.error().code != base::ErrorCode::kConflict) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff));
    backoff *= 2;
  }
  if (!failed) {
    for (Unit* u : batch) u->result = failed;
  }
}

// Runs the batch once. Returns ok when the transaction committed (each unit's own result is set);
// otherwise the error that undid the whole transaction.
base::Status GroupCommit::TryBatch(const std::vector<Unit*>& batch) {
  auto tx = db_.Begin(Access::kWrite);
  if (!tx) return tx.error();
  Transaction& t = **tx;
  if (batch.size() == 1) {
    // Alone: no savepoint needed; a failing unit rolls back its own transaction.
    Unit* u = batch.front();
    u->result = (*u->work)(t);
    if (!u->result) {
      if (u->result.error().code == base::ErrorCode::kConflict) return u->result;
      return {};
    }
    return t.Commit();
  }
  for (Unit* u : batch) {
    if (auto s = t.Execute("SAVEPOINT hb_unit"); !s) return s.error();
    u->result = (*u->work)(t);
    if (!u->result) {
      if (u->result.error().code == base::ErrorCode::kConflict) return u->result;
      // The database may already have abandoned the transaction (disk full, I/O error); then the
      // rollback fails and the whole batch fails with it.
      if (auto s = t.Execute("ROLLBACK TO hb_unit"); !s) return u->result;
    }
    if (auto s = t.Execute("RELEASE hb_unit"); !s) return s.error();
  }
  return t.Commit();
}

std::size_t GroupCommit::batches() const {
  std::lock_guard lock(mu_);
  return batches_;
}

std::size_t GroupCommit::units() const {
  std::lock_guard lock(mu_);
  return units_;
}

}  // namespace heartbase::store
