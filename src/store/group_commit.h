// GroupCommit: units of work from many threads share write transactions, so that one durable
// commit (one fsync) serves every unit that arrived while the previous commit was in progress.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "base/result.h"
#include "store/database.h"

namespace heartbase::store {

struct GroupCommitOptions {
  std::size_t max_batch = 64;  // units of work per transaction
  RetryOptions retry;          // for conflicts reported by the database (whole batch retried)
};

// Thread-safe. The database must outlive it.
//
// Each unit runs inside a savepoint of the shared transaction. An error from a unit rolls back
// that unit's savepoint only and is returned to its caller; the other units of the batch commit.
// If the transaction itself fails (a savepoint cannot be rolled back, the commit fails), every
// caller of the batch gets the error and nothing of the batch is stored. A conflict reported by the
// database (kConflict) retries the whole batch, so, as with RunUnitOfWork, units must have no side
// effects outside the transaction. There is no waiting for company: a unit that arrives when no
// commit is in progress is committed at once, alone.
class GroupCommit {
 public:
  explicit GroupCommit(Database& db, GroupCommitOptions options = {});

  // Stops the committer thread once every queued unit has been committed (or has failed) and its
  // caller told.
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Runs `work` and returns once its transaction is durably committed (ok) or has failed.
  base::Status Run(const std::function<base::Status(Transaction&)>& work);

  // Runs `work` without waiting for another commit to finish: when none is in progress it is
  // committed at once on this thread, as by Run; otherwise it is queued and RunAsync returns.
  // `done` is called exactly once with the unit's result, once its transaction has committed or
  // failed, on the thread that committed it (this one, the committer thread of this object, or a
  // thread in Run). `done` must be quick and must not call back into this object.
  void RunAsync(std::function<base::Status(Transaction&)> work,
                std::function<void(base::Status)> done);

  // Batches committed so far and units in them (for benchmarks and tests).
  std::size_t batches() const;
  std::size_t units() const;

 private:
  struct Unit {
    const std::function<base::Status(Transaction&)>* work = nullptr;
    base::Status result;
    bool done = false;           // committed or failed (guarded by mu_)
    bool lead = false;           // handed the leadership of the next batch (guarded by mu_)
    std::condition_variable cv;  // its thread waits here: woken once, for done or lead
    // A unit of RunAsync: owns its work, has no waiting thread, and is deleted once told.
    bool async = false;
    std::function<base::Status(Transaction&)> owned_work;
    std::function<void(base::Status)> on_done;
  };
  // Commits batches from the queue, with mu_ held on entry and exit, until `own` (a unit of the
  // calling thread, or none) is done; then hands the lead on: to the first queued unit's thread,
  // or to the committer thread when that unit has none.
  void Lead(std::unique_lock<std::mutex>& lock, const Unit* own);
  void CommitterLoop();
  void CommitBatch(const std::vector<Unit*>& batch);
  base::Status TryBatch(const std::vector<Unit*>& batch);

  Database& db_;
  GroupCommitOptions options_;
  mutable std::mutex mu_;
  std::deque<Unit*> queue_;  // guarded by mu_
  bool leader_ = false;      // a thread is committing a batch (guarded by mu_)
  std::size_t batches_ = 0;  // guarded by mu_
  std::size_t units_ = 0;    // guarded by mu_
  // The committer thread leads batches for units that have no thread of their own (RunAsync).
  // Started with the first RunAsync.
  std::thread committer_;
  std::condition_variable committer_cv_;
  bool committer_lead_ = false;  // the lead was handed to the committer (guarded by mu_)
  bool stopping_ = false;        // guarded by mu_
};

}  // namespace heartbase::store
