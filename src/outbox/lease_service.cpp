// The lease channel server. Requests are small and answered in order on each connection; every
// database step is its own unit of work, so a crash between lease and report only leaves a lease
// that expires (the job is then retried, and its attempt counted).
#include "outbox/lease_service.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "base/log.h"
#include "notify/job_codec.h"
#include "notify/lease_protocol.h"
#include "store/outbox.h"
#include "store/reports.h"

namespace heartbase::outbox {
namespace {

namespace log = base::log;
using base::ErrorCode;

// Wall-clock microseconds: the outbox's due, lease and sent times are wall-clock values.
std::int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

notify::JobKind ToWire(store::OutboxKind k) {
  switch (k) {
    case store::OutboxKind::kAlert:
      return notify::JobKind::kAlert;
    case store::OutboxKind::kSignoff:
      return notify::JobKind::kSignoff;
    case store::OutboxKind::kReport:
      return notify::JobKind::kReport;
    case store::OutboxKind::kTest:
      break;
  }
  return notify::JobKind::kTest;
}

notify::Channel ToWire(store::OutboxChannel c) {
  switch (c) {
    case store::OutboxChannel::kEmail:
      return notify::Channel::kEmail;
    case store::OutboxChannel::kPager:
      return notify::Channel::kPager;
    case store::OutboxChannel::kFax:
      break;
  }
  return notify::Channel::kFax;
}

notify::Job ToWire(const store::LeasedJob& j) {
  return notify::Job{.id = static_cast<std::uint64_t>(j.id),
                     .attempt = static_cast<std::uint32_t>(j.attempt),
                     .max_attempts = static_cast<std::uint32_t>(j.max_attempts),
                     .lease_expires_us = j.lease_expires_us,
                     .kind = ToWire(j.message.kind),
                     .channel = ToWire(j.message.channel),
                     .idempotency_key = j.message.idempotency_key,
                     .recipient = j.message.recipient,
                     .subject = j.message.subject,
                     .body = j.message.body,
                     .ticket = j.message.ticket,
                     .link = j.message.link,
                     .attachment = j.message.attachment};
}

// The socket's directory: ours, not open to others; when notify is this same user, 0700 (created
// if missing).
base::Status PrepareDirectory(const std::string& dir, bool same_user) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT || !same_user || ::mkdir(dir.c_str(), 0700) != 0 ||
        ::lstat(dir.c_str(), &st) != 0) {
      return base::MakeError(ErrorCode::kIo,
                             fmt::format("cannot create {}: {}", dir, std::strerror(errno)));
    }
  }
  const mode_t forbidden = same_user ? 077 : 007;
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & forbidden) != 0) {
    return base::MakeError(
        ErrorCode::kPermissionDenied,
        fmt::format("{} must be a directory owned by this user with mode {}", dir,
                    same_user ? "0700" : "0750 or 0710 (group: the notify user's)"));
  }
  return {};
}

}  // namespace

base::Result<std::unique_ptr<LeaseService>> LeaseService::Start(const LeaseServiceOptions& options,
                                                                store::Database& db,
                                                                const crypto::KeyRing& keys) {
  const bool same_user = options.notify_uid == ::geteuid();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (options.socket_path.empty() || options.socket_path.size() >= sizeof addr.sun_path) {
    return base::MakeError(ErrorCode::kInvalidArgument,
                           "the notify socket path is empty or longer than 107 bytes");
  }
  std::memcpy(addr.sun_path, options.socket_path.data(), options.socket_path.size());
  const std::string dir = std::filesystem::path(options.socket_path).parent_path().string();
  if (auto s = PrepareDirectory(dir.empty() ? "." : dir, same_user); !s) return s.error();

  std::error_code ec;
  if (!std::filesystem::exists(options.key_file, ec)) {
    auto fresh = notify::MacKey::Generate();
    if (!fresh) return fresh.error();
    if (auto s = fresh->Save(options.key_file); !s) return s.error();
    log::Info("outbox.key_created", {{"path", options.key_file}});
  }
  auto key = notify::MacKey::Load(options.key_file);
  if (!key) return key.error();

  struct stat st {};
  if (::lstat(options.socket_path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return base::MakeError(ErrorCode::kAlreadyExists,
                             fmt::format("{} exists and is not a socket", options.socket_path));
    }
    ::unlink(options.socket_path.c_str());  // left by an earlier run
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return base::MakeError(ErrorCode::kIo, "socket() failed");
  const mode_t mode = same_user ? 0600 : 0660;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::chmod(options.socket_path.c_str(), mode) != 0 || ::listen(fd, 8) != 0) {
    const int e = errno;
    ::close(fd);
    ::unlink(options.socket_path.c_str());
    return base::MakeError(ErrorCode::kIo, fmt::format("cannot listen on {}: {}",
                                                       options.socket_path, std::strerror(e)));
  }
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) {
    ::close(fd);
    return base::MakeError(ErrorCode::kIo, "pipe() failed");
  }
  std::unique_ptr<LeaseService> service(
      new LeaseService(options, db, keys, std::move(*key), fd, wake[0], wake[1]));
  service->acceptor_ = std::thread([s = service.get()] { s->AcceptLoop(); });
  log::Info("outbox.listening", {{"socket", options.socket_path},
                                 {"notify_uid", static_cast<std::int64_t>(options.notify_uid)}});
  return service;
}

LeaseService::LeaseService(LeaseServiceOptions options, store::Database& db,
                           const crypto::KeyRing& keys, notify::MacKey key, int listen_fd,
                           int wake_read, int wake_write)
    : options_(std::move(options)),
      db_(&db),
      keys_(&keys),
      key_(std::move(key)),
      listen_fd_(listen_fd),
      wake_read_(wake_read),
      wake_write_(wake_write) {}

LeaseService::~LeaseService() {
  stopping_ = true;
  const char b = 1;
  (void)!::write(wake_write_, &b, 1);
  if (acceptor_.joinable()) acceptor_.join();
  {
    std::lock_guard lock(mu_);
    for (int fd : connections_) ::shutdown(fd, SHUT_RDWR);
  }
  for (Connection& c : workers_) c.thread.join();
  ::close(listen_fd_);
  ::close(wake_read_);
  ::close(wake_write_);
  ::unlink(options_.socket_path.c_str());
}

void LeaseService::AcceptLoop() {
  auto next_alarm = std::chrono::steady_clock::now();
  while (!stopping_) {
    if (std::chrono::steady_clock::now() >= next_alarm) {
      CheckAlarms();
      next_alarm = std::chrono::steady_clock::now() + options_.alarm_interval;
    }
    pollfd fds[2] = {{.fd = listen_fd_, .events = POLLIN, .revents = 0},
                     {.fd = wake_read_, .events = POLLIN, .revents = 0}};
    if (::poll(fds, 2, 1000) <= 0 || (fds[1].revents & POLLIN) != 0) continue;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
        cred.uid != options_.notify_uid) {
      log::Warn("outbox.peer_refused", {{"uid", static_cast<std::int64_t>(cred.uid)},
                                        {"pid", static_cast<std::int64_t>(cred.pid)}});
      ::close(fd);
      continue;
    }
    // Reap finished connections, then admit this one if there is room.
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
    if (static_cast<int>(workers_.size()) >= options_.max_connections) {
      log::Warn("outbox.connection_refused", {{"reason", "too many connections"}});
      ::close(fd);
      continue;
    }
    {
      std::lock_guard lock(mu_);
      connections_.push_back(fd);
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    workers_.push_back({std::thread([this, fd, done] {
                          Serve(fd);
                          done->store(true);
                        }),
                        done});
  }
}

void LeaseService::Serve(int fd) {
  notify::SetSocketTimeouts(fd, options_.idle_timeout);
  log::Info("outbox.connected", {});
  while (!stopping_) {
    auto frame = notify::ReadFrame(fd, notify::ProtocolLimits::kMaxRequestBytes);
    if (!frame) {
      if (frame.error().code != ErrorCode::kUnavailable) {
        log::Warn("outbox.request_refused", {{"reason", frame.error()}});
      }
      break;
    }
    bool close = false;
    const std::string response = HandleRequest(*frame, &close);
    if (close || !notify::WriteFrame(fd, response)) break;
  }
  {
    std::lock_guard lock(mu_);
    std::erase(connections_, fd);
  }
  ::close(fd);
  log::Info("outbox.disconnected", {});
}

std::string LeaseService::HandleRequest(std::string_view frame, bool* close) {
  auto request = notify::DecodeRequest(frame, key_);
  if (!request) {
    // Unauthenticated or malformed: no answer, and the connection goes.
    log::Warn("outbox.request_refused", {{"reason", request.error()}});
    *close = true;
    return {};
  }
  if (const auto* q = std::get_if<notify::LeaseRequest>(&*request)) {
    std::vector<store::LeasedJob> leased;
    auto s = store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& tx) {
      auto r = store::LeaseJobs(tx, db_->dialect(), *keys_, q->holder, q->max_jobs,
                                static_cast<std::int64_t>(q->lease_ms) * 1000, NowUs());
      if (!r) return base::Status(r.error());
      leased = std::move(*r);
      return base::Status();
    });
    notify::LeaseResponse response{.nonce = q->nonce, .jobs = {}};
    if (!s) {
      log::Error("outbox.lease_failed", {{"reason", s.error()}});
    }
    for (store::LeasedJob& j : leased) {
      if (j.message.report_id) {
        if (auto attached = AttachReport(j); !attached) {
          DeadLetter(j, q->holder, attached.error().message);
          continue;
        }
      }
      auto record = notify::EncodeJob(ToWire(j), key_);
      if (record) {
        response.jobs.push_back(std::move(*record));
        log::Info("outbox.leased", {{"job", j.id}, {"attempt", j.attempt}, {"holder", q->holder}});
        continue;
      }
      // A job the wire format refuses can never be delivered: dead-letter it now.
      DeadLetter(j, q->holder, "refused by the job wire format: " + record.error().message);
    }
    auto bytes = notify::EncodeLeaseResponse(response, key_);
    if (!bytes) *close = true;
    return bytes ? std::move(*bytes) : std::string();
  }
  const auto& o = std::get<notify::Outcome>(*request);
  const auto id = static_cast<std::int64_t>(o.job_id);
  const int attempt = static_cast<int>(o.attempt);
  store::OutboxState state = store::OutboxState::kSent;
  auto s = store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& tx) {
    if (o.delivered) return store::CompleteJob(tx, id, o.holder, attempt, NowUs());
    auto r = store::FailJob(tx, id, o.holder, attempt, o.error, o.permanent, NowUs());
    if (!r) return base::Status(r.error());
    state = *r;
    return base::Status();
  });
  notify::Reply reply{.nonce = o.nonce, .status = notify::ReplyStatus::kOk, .message = {}};
  if (!s) {
    reply.status = s.error().code == ErrorCode::kNotFound ? notify::ReplyStatus::kLeaseLost
                                                          : notify::ReplyStatus::kError;
    reply.message = reply.status == notify::ReplyStatus::kLeaseLost ? "lease lost" : "error";
    log::Warn("outbox.outcome_refused", {{"job", id}, {"attempt", attempt}, {"reason", s.error()}});
  } else if (state == store::OutboxState::kSent) {
    log::Info("outbox.sent", {{"job", id}, {"attempt", attempt}});
  } else if (state == store::OutboxState::kDead) {
    log::Warn("outbox.dead", {{"job", id}, {"attempt", attempt}, {"error", o.error}});
  } else {
    log::Info("outbox.retry", {{"job", id}, {"attempt", attempt}, {"error", o.error}});
  }
  auto bytes = notify::EncodeReply(reply, key_);
  if (!bytes) *close = true;
  return bytes ? std::move(*bytes) : std::string();
}

// The report is read here, at lease time, and only into the job record for notify: the outbox
// row holds the reference, so the document exists once (sealed, in the report's blob) however
// often the job is retried. Its own read unit keeps the lease transaction short.
base::Status LeaseService::AttachReport(store::LeasedJob& job) {
  std::string pdf;
  auto s = store::RunUnitOfWork(*db_, store::Access::kRead, [&](store::Transaction& tx) {
    auto report = store::GetReport(tx, *job.message.report_id);
    if (!report) return base::Status(report.error());
    // Checked before the blob is opened: a report the record cannot carry is never read.
    if (report->bytes < 0 ||
        static_cast<std::uint64_t>(report->bytes) > notify::JobLimits::kMaxAttachment) {
      return base::Status(
          base::MakeError(ErrorCode::kLimitExceeded,
                          fmt::format("the report is {} bytes; a job carries at most {}",
                                      report->bytes, notify::JobLimits::kMaxAttachment)));
    }
    auto bytes = store::ReadReportPdf(tx, *keys_, *report);
    if (!bytes) return base::Status(bytes.error());
    pdf = std::move(*bytes);
    return base::Status();
  });
  if (!s) {
    // Operational text only: the code and the report id, never content.
    return base::MakeError(s.error().code, s.error().code == ErrorCode::kLimitExceeded
                                               ? s.error().message
                                               : fmt::format("report {} could not be read ({})",
                                                             *job.message.report_id,
                                                             base::ErrorCodeName(s.error().code)));
  }
  if (pdf.size() > notify::JobLimits::kMaxAttachment) {
    return base::MakeError(ErrorCode::kLimitExceeded,
                           fmt::format("the report is {} bytes; a job carries at most {}",
                                       pdf.size(), notify::JobLimits::kMaxAttachment));
  }
  job.message.attachment = std::move(pdf);
  return {};
}

void LeaseService::DeadLetter(const store::LeasedJob& job, const std::string& holder,
                              const std::string& error) {
  log::Error("outbox.dead", {{"job", job.id}, {"reason", error}});
  (void)store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& tx) {
    auto r = store::FailJob(tx, job.id, holder, job.attempt, error, true, NowUs());
    return r ? base::Status() : base::Status(r.error());
  });
}

void LeaseService::CheckAlarms() {
  store::OutboxStats stats;
  auto s = store::RunUnitOfWork(*db_, store::Access::kRead, [&](store::Transaction& tx) {
    auto r = store::ReadOutboxStats(tx, NowUs());
    if (!r) return base::Status(r.error());
    stats = *r;
    return base::Status();
  });
  if (!s) return;
  const auto age_s = stats.queue_age_us / 1'000'000;
  const bool new_dead = stats.dead > dead_reported_ && dead_reported_ >= 0;
  if (new_dead || (dead_reported_ < 0 && stats.dead > 0) ||
      age_s >= options_.alarm_queue_age.count()) {
    log::Warn("outbox.alarm", {{"dead", stats.dead},
                               {"pending", stats.pending},
                               {"leased", stats.leased},
                               {"queue_age_s", age_s}});
  }
  dead_reported_ = stats.dead;
}

}  // namespace heartbase::outbox
