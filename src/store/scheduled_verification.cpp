// The scheduled verification thread. It lowers its own CPU priority (Linux: a thread's nice value
// is its own), so a verification of a large database yields to ingest and the API.
#include "store/scheduled_verification.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/log.h"

namespace heartbase::store {
namespace {

std::int64_t WallUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ScheduledVerification::ScheduledVerification(Database& db, const crypto::KeyRing& keys,
                                             ScheduledVerificationOptions options)
    : db_(db), keys_(keys), options_(options) {
  thread_ = std::thread([this] { Loop(); });
}

ScheduledVerification::~ScheduledVerification() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::optional<VerificationSummary> ScheduledVerification::last() const {
  std::lock_guard lock(mu_);
  return last_;
}

void ScheduledVerification::Loop() {
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 19);
  std::unique_lock lock(mu_);
  auto next = std::chrono::steady_clock::now() + options_.first_after;
  for (;;) {
    if (cv_.wait_until(lock, next, [this] { return stop_; })) return;
    lock.unlock();
    RunOnce();
    lock.lock();
    next = std::chrono::steady_clock::now() + options_.interval;
  }
}

void ScheduledVerification::RunOnce() {
  const auto started = std::chrono::steady_clock::now();
  base::log::Info("store.verify_started", {});
  VerifyOptions o;
  o.batch = options_.batch;
  o.keep_going = [this] {
    std::lock_guard lock(mu_);
    return !stop_;
  };
  auto report = Verify(db_, keys_, o);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  if (!report) {
    base::log::Error("store.verify_failed", {{"reason", report.error()}, {"ms", ms}});
    return;
  }
  VerificationSummary summary{.finished_us = WallUs(),
                              .complete = report->complete,
                              .problems = static_cast<std::int64_t>(report->damage.size())};
  if (!report->damage.empty()) {
    summary.first_problem = report->damage.front().where + ": " + report->damage.front().what;
  }
  for (const Damage& d : report->damage) {
    base::log::Error("store.damage", {{"where", d.where}, {"what", d.what}});
  }
  base::log::Write(report->ok() ? base::log::Level::kInfo : base::log::Level::kError,
                   "store.verified",
                   {{"ok", report->ok() ? "yes" : "no"},
                    {"complete", report->complete ? "yes" : "no"},
                    {"problems", summary.problems},
                    {"sealed_values", report->sealed_values},
                    {"blobs", report->blobs},
                    {"ms", ms}});
  std::lock_guard lock(mu_);
  last_ = std::move(summary);
}

}  // namespace heartbase::store
