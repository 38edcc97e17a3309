// The clock's jobs inside `heartbase serve`: the missed-transmission scan
// (ingest/missed_transmissions.h) and the billing close job (billing/service.h), which writes the
// charges of periods that have ended.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "base/result.h"
#include "billing/code_table.h"
#include "crypto/key_ring.h"
#include "rules/rule_book.h"
#include "store/database.h"

namespace heartbase::app {

// Runs both jobs `first` after start and then every `interval`, on its own thread. `billing`
// must outlive the scheduler.
class MissedTransmissionScheduler {
 public:
  MissedTransmissionScheduler(store::Database& db, const crypto::KeyRing& keys,
                              std::shared_ptr<const rules::RuleBook> rules,
                              const billing::CodeTable& billing, std::chrono::seconds interval,
                              std::chrono::seconds first);
  ~MissedTransmissionScheduler();  // stops and joins

  MissedTransmissionScheduler(const MissedTransmissionScheduler&) = delete;
  MissedTransmissionScheduler& operator=(const MissedTransmissionScheduler&) = delete;

 private:
  void Loop();

  store::Database& db_;
  const crypto::KeyRing& keys_;
  std::shared_ptr<const rules::RuleBook> rules_;
  const billing::CodeTable& billing_;
  std::chrono::seconds interval_;
  std::chrono::seconds first_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace heartbase::app
