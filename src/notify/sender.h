// Sender: one delivery channel (email, pager/SMS gateway, fax). Implementations are chosen and
// configured by app (`heartbase notify`); the worker only sees this interface.
#pragma once

#include <atomic>
#include <string>

#include "notify/job_codec.h"

namespace heartbase::notify {

struct Delivery {
  bool delivered = false;
  bool permanent = false;  // no retry can fix it (e.g. the channel is not configured)
  std::string error;       // operational text without message content (printable ASCII)
};

class Sender {
 public:
  virtual ~Sender() = default;
  // Delivers one job; returns within the channel's configured timeout, or sooner when `stop`
  // becomes true. Thread-compatible: one call at a time.
  virtual Delivery Deliver(const Job& job, const std::atomic<bool>& stop) = 0;
};

}  // namespace heartbase::notify
