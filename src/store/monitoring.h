// What a monitoring system scrapes from the store (app/metrics.h): queue depths and the newest
// message per sender. Counts and sender names only; nothing sealed is read.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/database.h"
#include "store/outbox.h"

namespace heartbase::store {

struct QueueDepths {
  std::array<std::int64_t, 4> triage_by_severity{};  // open work: none, info, yellow, red
  OutboxStats outbox;
  std::int64_t results_pending = 0;  // results waiting for (another) delivery attempt
  std::int64_t results_dead = 0;     // results given up on: on the administrators' work list
  std::int64_t quarantine_open = 0;
};
base::Result<QueueDepths> ReadQueueDepths(Transaction& tx, std::int64_t now_us);

// The newest stored message (interrogation or ADT) of each sender, at most `limit` senders.
struct SenderLastMessage {
  std::string sender;  // MSH-3|MSH-4
  std::int64_t last_us = 0;
};
base::Result<std::vector<SenderLastMessage>> ReadLastMessagePerSender(Transaction& tx,
                                                                      std::int64_t limit);

}  // namespace heartbase::store
