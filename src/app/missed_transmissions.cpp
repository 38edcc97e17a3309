#include "app/missed_transmissions.h"

#include "app/data_dir.h"
#include "base/log.h"
#include "billing/service.h"
#include "ingest/missed_transmissions.h"

namespace heartbase::app {

MissedTransmissionScheduler::MissedTransmissionScheduler(
    store::Database& db, const crypto::KeyRing& keys, std::shared_ptr<const rules::RuleBook> rules,
    const billing::CodeTable& billing, std::chrono::seconds interval, std::chrono::seconds first)
    : db_(db),
      keys_(keys),
      rules_(std::move(rules)),
      billing_(billing),
      interval_(interval),
      first_(first) {
  thread_ = std::thread([this] { Loop(); });
}

MissedTransmissionScheduler::~MissedTransmissionScheduler() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void MissedTransmissionScheduler::Loop() {
  std::unique_lock lock(mu_);
  // The first pass waits a little (a minute by default), so a restart does not compete with the
  // senders reconnecting.
  std::chrono::seconds wait = std::min(interval_, first_);
  while (!cv_.wait_for(lock, wait, [this] { return stop_; })) {
    lock.unlock();
    // Several serve nodes on one PostgreSQL server: one of them scans and closes at a time.
    auto exclusive = db_.TryExclusive("heartbase.missed-transmissions-and-billing-close");
    if (!exclusive || *exclusive == nullptr) {
      if (!exclusive) {
        base::log::Error("rules.missed_transmission_scan_failed", {{"reason", exclusive.error()}});
      } else {
        base::log::Info("rules.missed_transmission_scan", {{"skipped", "another node runs it"}});
      }
      lock.lock();
      wait = interval_;
      continue;
    }
    auto raised = ingest::ScanMissedTransmissions(db_, keys_, *rules_, NowUs());
    if (raised) {
      base::log::Info("rules.missed_transmission_scan", {{"alerts", *raised}});
    } else {
      base::log::Error("rules.missed_transmission_scan_failed", {{"reason", raised.error()}});
    }
    auto closed = billing::CloseCharges(db_, billing_, NowUs());
    if (closed) {
      base::log::Info("billing.close", {{"created", closed->created},
                                        {"existing", closed->existing},
                                        {"overlapping", closed->overlapping},
                                        {"missed", closed->missed},
                                        {"unmatched", closed->unmatched}});
    } else {
      base::log::Error("billing.close_failed", {{"reason", closed.error()}});
    }
    lock.lock();
    wait = interval_;
  }
}

}  // namespace heartbase::app
