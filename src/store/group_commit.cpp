// Group commit by leader and followers: the first caller that finds no commit in progress becomes
// the leader, takes everything queued (up to max_batch), runs it in one transaction and wakes the
// others. Callers that arrive meanwhile queue up for the next batch; one of them leads it.
#include "store/group_commit.h"

#include <chrono>
#include <thread>
#include <vector>

namespace heartbase::store {

GroupCommit::GroupCommit(Database& db, GroupCommitOptions options) : db_(db), options_(options) {
  if (options_.max_batch == 0) options_.max_batch = 1;
}

base::Status GroupCommit::Run(const std::function<base::Status(Transaction&)>& work) {
  Unit unit{.work = &work};
  std::unique_lock lock(mu_);
  queue_.push_back(&unit);
  while (!unit.done) {
    if (leader_) {
      cv_.wait(lock);
      continue;
    }
    leader_ = true;
    std::vector<Unit*> batch;
    while (!queue_.empty() && batch.size() < options_.max_batch) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    CommitBatch(batch);
    lock.lock();
    for (Unit* u : batch) u->done = true;
    ++batches_;
    units_ += batch.size();
    leader_ = false;
    cv_.notify_all();
  }
  return unit.result;
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
