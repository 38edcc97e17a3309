// LeaseService: serve's end of the lease channel for `heartbase notify` (docs/notify.md). A Unix
// socket (0600 in a 0700 directory when notify runs as the same user; 0660 in an existing
// directory without access for others when it runs as its own user), the peer's uid checked with
// SO_PEERCRED, and every message authenticated with the notify key (DATA/notify.key, 0400,
// created on first start). It owns the database side: leases, completions and failures are units
// of work on store/outbox; a "send report" job's PDF is read from its report when the job is
// leased and travels only in the job record. Off unless `heartbase serve --notify-socket PATH` is
// given; when off, nothing listens. It also logs an outbox.alarm line when dead letters appear or
// the queue ages.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "notify/mac_key.h"
#include "store/database.h"
#include "store/outbox.h"

namespace heartbase::outbox {

struct LeaseServiceOptions {
  std::string socket_path;  // e.g. DATA/notify/notify.sock
  std::string key_file;     // created (0400) when absent
  uid_t notify_uid = 0;     // the only uid allowed to connect
  int max_connections = 4;
  std::chrono::milliseconds idle_timeout{10 * 60 * 1000};  // a silent connection is closed
  std::chrono::seconds alarm_interval{60};
  std::chrono::seconds alarm_queue_age{15 * 60};  // warn when the oldest open job is older
};

class LeaseService {
 public:
  // Errors: kPermissionDenied (the socket's directory is not ours or is open to others),
  // kAlreadyExists (something other than a socket is at the path), kIo, and MacKey's.
  static base::Result<std::unique_ptr<LeaseService>> Start(const LeaseServiceOptions& options,
                                                           store::Database& db,
                                                           const crypto::KeyRing& keys);
  // Stops accepting, closes connections, joins threads and removes the socket.
  ~LeaseService();
  LeaseService(const LeaseService&) = delete;
  LeaseService& operator=(const LeaseService&) = delete;

  const std::string& socket_path() const { return options_.socket_path; }

 private:
  LeaseService(LeaseServiceOptions options, store::Database& db, const crypto::KeyRing& keys,
               notify::MacKey key, int listen_fd, int wake_read, int wake_write);
  void AcceptLoop();
  void Serve(int fd);
  std::string HandleRequest(std::string_view frame, bool* close);
  void CheckAlarms();
  // Puts the PDF of the job's report into its attachment. An operational error (no content) when
  // the report is missing, unreadable or larger than a job record carries.
  base::Status AttachReport(store::LeasedJob& job);
  // Fails the leased job permanently with `error` (it goes to dead at once).
  void DeadLetter(const store::LeasedJob& job, const std::string& holder, const std::string& error);

  LeaseServiceOptions options_;
  store::Database* db_;
  const crypto::KeyRing* keys_;
  notify::MacKey key_;
  int listen_fd_;
  int wake_read_, wake_write_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<int> connections_;  // open connection sockets; guarded by mu_
  struct Connection {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Connection> workers_;  // only the acceptor thread touches it (and the destructor)
  std::thread acceptor_;
  std::int64_t dead_reported_ = -1;
};

}  // namespace heartbase::outbox
