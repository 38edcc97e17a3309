// ScheduledVerification: `serve`'s background run of store::Verify, every `interval`, on a thread
// of the lowest CPU priority. Structural damage marks the database damaged (writes stop); every
// finding is logged by place, never by content.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "crypto/key_ring.h"
#include "store/database.h"
#include "store/verify.h"

namespace heartbase::store {

struct ScheduledVerificationOptions {
  std::chrono::seconds interval{24 * 3600};  // from the end of one run to the start of the next
  std::chrono::seconds first_after{600};     // the first run, after start-up has settled
  int batch = 200;
};

struct VerificationSummary {
  std::int64_t finished_us = 0;  // wall clock
  bool complete = false;
  std::int64_t problems = 0;
  std::string first_problem;  // "patient.family_name id=12: …"
};

class ScheduledVerification {
 public:
  // The database and key ring must outlive this object.
  ScheduledVerification(Database& db, const crypto::KeyRing& keys,
                        ScheduledVerificationOptions options);
  // Stops a run in progress between two batches and joins the thread.
  ~ScheduledVerification();
  ScheduledVerification(const ScheduledVerification&) = delete;
  ScheduledVerification& operator=(const ScheduledVerification&) = delete;

  // The newest finished run, if any. Thread-safe.
  std::optional<VerificationSummary> last() const;

 private:
  void Loop();
  void RunOnce();

  Database& db_;
  const crypto::KeyRing& keys_;
  const ScheduledVerificationOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                        // guarded by mu_
  std::optional<VerificationSummary> last_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace heartbase::store
