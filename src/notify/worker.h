// Worker: the delivery loop of `heartbase notify`. Leases a batch of jobs from serve, delivers
// each through its channel's Sender, reports each outcome, and repeats; waits poll_interval when
// there is nothing to do and reconnects (with backoff) when serve is away. One job's failure or
// hang costs at most its channel's timeout: it never blocks the jobs behind it, and serve decides
// retries, backoff and dead-lettering. Log lines name jobs by id and attempt, never by content.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <utility>

#include "notify/lease_client.h"
#include "notify/mac_key.h"
#include "notify/sender.h"

namespace heartbase::notify {

struct WorkerOptions {
  std::string socket;
  std::string holder = "notify";
  int batch = 4;
  std::chrono::milliseconds poll_interval{1000};
  int lease_seconds = 120;
  std::chrono::milliseconds io_timeout{30'000};  // waiting for serve on the socket
};

// Senders per channel; nullptr = not configured (such jobs fail permanently).
struct Senders {
  Sender* email = nullptr;
  Sender* pager = nullptr;
  Sender* fax = nullptr;
};

struct RoundResult {
  int delivered = 0;
  int failed = 0;
  int rejected = 0;  // records refused by the decoder, stale or repeated leases
};

class Worker {
 public:
  Worker(WorkerOptions options, const MacKey& key, Senders senders);
  // Runs until `stop` is set (checked at least every 100 ms while idle).
  void Run(const std::atomic<bool>& stop);
  // One lease round on `client`: lease, deliver, report. Errors are those of the channel.
  base::Result<RoundResult> RunRound(LeaseClient& client, const std::atomic<bool>& stop);

 private:
  bool Seen(const Job& job);
  WorkerOptions options_;
  const MacKey* key_;
  Senders senders_;
  // (id, attempt) of leases already handled: a repeated lease is never delivered twice.
  std::set<std::pair<std::uint64_t, std::uint32_t>> seen_;
  std::deque<std::pair<std::uint64_t, std::uint32_t>> seen_order_;
};

}  // namespace heartbase::notify
