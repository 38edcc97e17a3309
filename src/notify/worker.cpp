// The delivery loop.
#include "notify/worker.h"

#include <chrono>
#include <thread>

#include "base/log.h"

namespace heartbase::notify {
namespace {

namespace log = base::log;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kSeenCapacity = 4096;

std::int64_t WallUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void SleepFor(std::chrono::milliseconds total, const std::atomic<bool>& stop) {
  const auto end = Clock::now() + total;
  while (!stop.load() && Clock::now() < end) {
    std::this_thread::sleep_for(
        std::min<Clock::duration>(std::chrono::milliseconds(100), end - Clock::now()));
  }
}

}  // namespace

Worker::Worker(WorkerOptions options, const MacKey& key, Senders senders)
    : options_(std::move(options)), key_(&key), senders_(senders) {}

bool Worker::Seen(const Job& job) {
  const auto id = std::make_pair(job.id, job.attempt);
  if (!seen_.insert(id).second) return true;
  seen_order_.push_back(id);
  if (seen_order_.size() > kSeenCapacity) {
    seen_.erase(seen_order_.front());
    seen_order_.pop_front();
  }
  return false;
}

base::Result<RoundResult> Worker::RunRound(LeaseClient& client, const std::atomic<bool>& stop) {
  RoundResult out;
  auto batch = client.Lease(options_.holder, options_.batch, options_.lease_seconds);
  if (!batch) return batch.error();
  if (batch->rejected > 0) {
    out.rejected += batch->rejected;
    log::Warn("notify.job_rejected", {{"records", batch->rejected}, {"reason", "decoder"}});
  }
  for (const Job& job : batch->jobs) {
    if (stop.load()) break;
    const auto id = static_cast<std::int64_t>(job.id);
    if (job.lease_expires_us <= WallUs() || Seen(job)) {
      ++out.rejected;
      log::Warn("notify.job_rejected", {{"job", id},
                                        {"attempt", static_cast<std::int64_t>(job.attempt)},
                                        {"reason", "stale or repeated lease"}});
      continue;
    }
    Sender* sender = job.channel == Channel::kEmail   ? senders_.email
                     : job.channel == Channel::kPager ? senders_.pager
                                                      : senders_.fax;
    const auto t0 = Clock::now();
    Delivery d = sender != nullptr
                     ? sender->Deliver(job, stop)
                     : Delivery{.permanent = true,
                                .error = std::string("channel ") +
                                         std::string(ToString(job.channel)) + " is not configured"};
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (d.error.size() > ProtocolLimits::kMaxError) d.error.resize(ProtocolLimits::kMaxError);
    for (char& c : d.error) {
      if (c < 0x20 || c > 0x7e) c = '?';
    }
    if (d.delivered) {
      ++out.delivered;
      log::Info("notify.delivered", {{"job", id},
                                     {"attempt", static_cast<std::int64_t>(job.attempt)},
                                     {"channel", ToString(job.channel)},
                                     {"kind", ToString(job.kind)},
                                     {"ms", ms}});
    } else {
      ++out.failed;
      log::Warn("notify.failed", {{"job", id},
                                  {"attempt", static_cast<std::int64_t>(job.attempt)},
                                  {"of", static_cast<std::int64_t>(job.max_attempts)},
                                  {"channel", ToString(job.channel)},
                                  {"permanent", d.permanent ? "yes" : "no"},
                                  {"error", d.error},
                                  {"ms", ms}});
    }
    auto reply = client.Report({.holder = options_.holder,
                                .job_id = job.id,
                                .attempt = job.attempt,
                                .delivered = d.delivered,
                                .permanent = !d.delivered && d.permanent,
                                .error = d.delivered ? std::string() : d.error});
    if (!reply) return reply.error();
    if (reply->status != ReplyStatus::kOk) {
      log::Warn("notify.report_refused", {{"job", id}, {"reason", reply->message}});
    }
  }
  return out;
}

void Worker::Run(const std::atomic<bool>& stop) {
  std::chrono::milliseconds reconnect{500};
  while (!stop.load()) {
    auto client = LeaseClient::Connect(options_.socket, *key_, options_.io_timeout);
    if (!client) {
      log::Warn("notify.disconnected", {{"reason", client.error()}});
      SleepFor(reconnect, stop);
      reconnect = std::min(reconnect * 2, std::chrono::milliseconds(30'000));
      continue;
    }
    reconnect = std::chrono::milliseconds(500);
    log::Info("notify.connected", {{"socket", options_.socket}});
    while (!stop.load()) {
      auto round = RunRound(*client, stop);
      if (!round) {
        log::Warn("notify.channel_error", {{"reason", round.error()}});
        break;
      }
      if (round->delivered + round->failed + round->rejected == 0) {
        SleepFor(options_.poll_interval, stop);
      }
    }
  }
}

}  // namespace heartbase::notify
