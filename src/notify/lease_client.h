// LeaseClient: notify's end of the lease channel. One connection to serve's Unix socket; every
// reply is checked (MAC, nonce of the request just sent) and every job record decoded by
// DecodeJob. Thread-compatible.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/result.h"
#include "notify/job_codec.h"
#include "notify/lease_protocol.h"
#include "notify/mac_key.h"

namespace heartbase::notify {

struct LeaseBatch {
  std::vector<Job> jobs;
  int rejected = 0;  // records that failed DecodeJob (their leases simply expire on serve)
};

class LeaseClient {
 public:
  // kUnavailable when nothing listens at `socket_path`.
  static base::Result<LeaseClient> Connect(const std::string& socket_path, const MacKey& key,
                                           std::chrono::milliseconds io_timeout);
  LeaseClient(LeaseClient&& other) noexcept;
  LeaseClient& operator=(LeaseClient&&) = delete;
  LeaseClient(const LeaseClient&) = delete;
  LeaseClient& operator=(const LeaseClient&) = delete;
  ~LeaseClient();

  // Errors: those of the frame I/O, kUnauthenticated (bad MAC or a reply to another request).
  base::Result<LeaseBatch> Lease(const std::string& holder, int max_jobs, int lease_seconds);
  base::Result<Reply> Report(Outcome outcome);

 private:
  LeaseClient(int fd, const MacKey& key) : fd_(fd), key_(&key) {}
  int fd_ = -1;
  const MacKey* key_;
};

}  // namespace heartbase::notify
