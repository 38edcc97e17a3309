// The Prometheus exposition: counters and histograms from memory, gauges from the store at each
// scrape (a read transaction: counts over the work lists' indexes and two file sizes).
#include "app/metrics.h"

#include <fmt/format.h>

#include <filesystem>

#include "base/log.h"
#include "store/monitoring.h"

namespace heartbase::app {
namespace {

constexpr std::string_view kOutcomes[] = {"stored", "duplicate", "quarantined", "not_stored"};
constexpr std::string_view kSeverities[] = {"none", "info", "yellow", "red"};
constexpr auto kProbeInterval = std::chrono::seconds(5);

// A label value as the text format wants it: backslash, quote and newline escaped; other
// control characters dropped; at most 64 bytes.
std::string Escape(std::string_view v) {
  std::string out;
  for (char c : v.substr(0, 64)) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7F) {
      out += c;
    }
  }
  return out;
}

std::int64_t FileSize(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<std::int64_t>(size);
}

void Help(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void WriteHistogram(std::string& out, std::string_view name, std::string_view labels,
                    const std::array<std::uint64_t, Metrics::kLatencyBuckets.size()>& buckets,
                    std::uint64_t count, double sum) {
  const std::string sep = labels.empty() ? "" : ",";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    cumulative += buckets[i];
    out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep,
                       Metrics::kLatencyBuckets[i], cumulative);
  }
  out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, count);
  const std::string braces = labels.empty() ? "" : fmt::format("{{{}}}", labels);
  out += fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, braces, sum, name, braces, count);
}

}  // namespace

void Metrics::Histogram::Observe(double seconds) {
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) {
      ++buckets[i];
      break;
    }
  }
  ++count;
  sum += seconds;
}

std::string Metrics::Label(std::string_view value, std::size_t distinct, std::size_t max) const {
  return distinct + 1 < max ? Escape(value) : std::string("other");  // "other" is the last
}

void Metrics::Ingested(std::string_view sender, std::optional<ingest::Disposition> disposition,
                       std::chrono::nanoseconds elapsed, std::int64_t now_us) {
  const std::size_t outcome = disposition ? static_cast<std::size_t>(*disposition) : 3;
  const double seconds = std::chrono::duration<double>(elapsed).count();
  std::lock_guard lock(mu_);
  auto it = senders_.find(sender);
  if (it == senders_.end()) {
    it = senders_
             .emplace(Label(sender.empty() ? "unknown" : sender, senders_.size(), kMaxSenders),
                      SenderCounts{})
             .first;
  }
  ++it->second.messages[outcome];
  if (disposition) it->second.last_us = std::max(it->second.last_us, now_us);
  ack_.Observe(seconds);
}

void Metrics::SeenBefore(std::string_view sender, std::int64_t last_us) {
  std::lock_guard lock(mu_);
  auto it = senders_.find(sender);
  if (it == senders_.end()) {
    it = senders_.emplace(Label(sender, senders_.size(), kMaxSenders), SenderCounts{}).first;
  }
  it->second.last_us = std::max(it->second.last_us, last_us);
}

void Metrics::Answered(std::string_view route, int status, std::chrono::nanoseconds elapsed) {
  // Only the API's route templates are labels; the web application's files are one label.
  const std::string_view key = route.starts_with("/api/") ? route : std::string_view("static");
  std::lock_guard lock(mu_);
  auto it = http_.find(key);
  if (it == http_.end())
    it = http_.emplace(Label(key, http_.size(), kMaxRoutes), std::map<int, std::uint64_t>{}).first;
  ++it->second[status];
  http_latency_.Observe(std::chrono::duration<double>(elapsed).count());
}

std::string Metrics::Render(const Sources& sources) const {
  std::string out;
  out.reserve(16 * 1024);
  Help(out, "heartbase_up", "gauge", "1 while serve runs");
  out += "heartbase_up 1\n";
  {
    std::lock_guard lock(mu_);
    Help(out, "heartbase_messages_total", "counter",
         "Messages received per sender (MSH-3|MSH-4) and outcome since start");
    for (const auto& [sender, c] : senders_) {
      for (std::size_t i = 0; i < c.messages.size(); ++i) {
        out += fmt::format("heartbase_messages_total{{sender=\"{}\",outcome=\"{}\"}} {}\n", sender,
                           kOutcomes[i], c.messages[i]);
      }
    }
    Help(out, "heartbase_sender_last_message_timestamp_seconds", "gauge",
         "When the newest message of each sender arrived (a feed that went silent stops moving)");
    for (const auto& [sender, c] : senders_) {
      if (c.last_us == 0) continue;
      out += fmt::format("heartbase_sender_last_message_timestamp_seconds{{sender=\"{}\"}} {}\n",
                         sender, c.last_us / 1'000'000);
    }
    Help(out, "heartbase_ack_latency_seconds", "histogram",
         "From a message's bytes to its acknowledgment (parse, map, durable commit)");
    WriteHistogram(out, "heartbase_ack_latency_seconds", "", ack_.buckets, ack_.count, ack_.sum);
    Help(out, "heartbase_http_requests_total", "counter",
         "HTTPS requests per route template and status since start");
    for (const auto& [route, statuses] : http_) {
      for (const auto& [status, n] : statuses) {
        out += fmt::format("heartbase_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n",
                           route, status, n);
      }
    }
    Help(out, "heartbase_http_request_seconds", "histogram", "HTTPS response time");
    WriteHistogram(out, "heartbase_http_request_seconds", "", http_latency_.buckets,
                   http_latency_.count, http_latency_.sum);
  }
  const std::int64_t now = sources.now_us ? sources.now_us() : 0;
  if (sources.db != nullptr) {
    Help(out, "heartbase_database_damaged", "gauge",
         "1 when the database is marked damaged (ingest stopped; docs/recovery.md)");
    out += fmt::format("heartbase_database_damaged {}\n", sources.db->damage() ? 1 : 0);
    std::optional<store::QueueDepths> depths;
    if (auto tx = sources.db->Begin(store::Access::kRead)) {
      auto d = store::ReadQueueDepths(**tx, now);
      if (d)
        depths = *d;
      else
        base::log::Warn("metrics.read_failed", {{"reason", d.error()}});
    }
    Help(out, "heartbase_store_readable", "gauge", "1 when this scrape could read the queues");
    out += fmt::format("heartbase_store_readable {}\n", depths ? 1 : 0);
    if (depths) {
      Help(out, "heartbase_triage_queue", "gauge",
           "Interrogations waiting for review, by severity");
      for (std::size_t i = 0; i < std::size(kSeverities); ++i) {
        out += fmt::format("heartbase_triage_queue{{severity=\"{}\"}} {}\n", kSeverities[i],
                           depths->triage_by_severity[i]);
      }
      Help(out, "heartbase_outbox_jobs", "gauge", "Notification jobs by state (heartbase notify)");
      out += fmt::format("heartbase_outbox_jobs{{state=\"pending\"}} {}\n", depths->outbox.pending);
      out += fmt::format("heartbase_outbox_jobs{{state=\"leased\"}} {}\n", depths->outbox.leased);
      out += fmt::format("heartbase_outbox_jobs{{state=\"dead\"}} {}\n", depths->outbox.dead);
      Help(out, "heartbase_outbox_oldest_open_age_seconds", "gauge",
           "Age of the oldest notification not yet delivered");
      out += fmt::format("heartbase_outbox_oldest_open_age_seconds {}\n",
                         depths->outbox.queue_age_us / 1'000'000);
      Help(out, "heartbase_result_deliveries", "gauge",
           "Signed results for the EHR waiting for delivery, or given up on");
      out += fmt::format("heartbase_result_deliveries{{state=\"pending\"}} {}\n",
                         depths->results_pending);
      out +=
          fmt::format("heartbase_result_deliveries{{state=\"dead\"}} {}\n", depths->results_dead);
      Help(out, "heartbase_quarantine_open", "gauge", "Quarantined input not yet resolved");
      out += fmt::format("heartbase_quarantine_open {}\n", depths->quarantine_open);
    }
  }
  if (!sources.database_path.empty()) {
    Help(out, "heartbase_database_bytes", "gauge", "Size of the database file");
    out += fmt::format("heartbase_database_bytes {}\n", FileSize(sources.database_path));
    Help(out, "heartbase_database_wal_bytes", "gauge",
         "Size of the write-ahead log: what the next checkpoint has to copy (checkpoint lag)");
    out +=
        fmt::format("heartbase_database_wal_bytes {}\n", FileSize(sources.database_path + "-wal"));
  }
  if (sources.last_verification) {
    if (auto v = sources.last_verification()) {
      Help(out, "heartbase_store_verification_timestamp_seconds", "gauge",
           "When the newest background verification of the store finished");
      out += fmt::format("heartbase_store_verification_timestamp_seconds {}\n",
                         v->finished_us / 1'000'000);
      Help(out, "heartbase_store_verification_problems", "gauge",
           "Damage the newest verification found (0 = intact)");
      out += fmt::format("heartbase_store_verification_problems {}\n", v->problems);
      Help(out, "heartbase_store_verification_complete", "gauge",
           "1 when the newest verification covered the whole database");
      out += fmt::format("heartbase_store_verification_complete {}\n", v->complete ? 1 : 0);
    }
  }
  return out;
}

base::Result<std::unique_ptr<MetricsService>> MetricsService::Start(
    const std::string& host, std::uint16_t port, const Metrics& metrics, Metrics::Sources sources,
    std::function<base::Status()> writable) {
  std::unique_ptr<MetricsService> service(new MetricsService());
  service->metrics_ = &metrics;
  service->sources_ = std::move(sources);
  service->writable_ = std::move(writable);
  net::HttpServerOptions options;
  options.host = host;
  options.port = port;
  options.max_connections = 16;
  options.max_connections_per_address = 8;
  MetricsService* self = service.get();
  auto server = net::HttpServer::Start(
      options, [self](const net::HttpRequest& request) { return self->Handle(request); });
  if (!server) return server.error();
  service->server_ = std::move(*server);
  return service;
}

MetricsService::~MetricsService() {
  if (server_) server_->Stop();
}

base::Status MetricsService::Writable() {
  std::lock_guard lock(probe_mu_);
  const auto now = std::chrono::steady_clock::now();
  if (probed_at_ == std::chrono::steady_clock::time_point{} || now - probed_at_ > kProbeInterval) {
    probed_ = writable_ ? writable_() : base::Status();
    probed_at_ = now;
  }
  return probed_;
}

net::HttpResponse MetricsService::Handle(const net::HttpRequest& request) {
  net::HttpResponse r;
  const std::string_view path =
      std::string_view(request.target).substr(0, request.target.find('?'));
  if (request.method != "GET") {
    r.status = 405;
    r.body = "GET only\n";
  } else if (path == "/metrics") {
    r.status = 200;
    r.body = metrics_->Render(sources_);
    r.Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    return r;
  } else if (path == "/ready") {
    std::string reason;
    if (sources_.db != nullptr && sources_.db->damage()) {
      reason = "database damaged";
    } else if (auto s = Writable(); !s) {
      reason = "database not writable";
    }
    r.status = reason.empty() ? 200 : 503;
    r.body = reason.empty() ? "{\"status\":\"ready\"}"
                            : fmt::format("{{\"status\":\"degraded\",\"reason\":\"{}\"}}", reason);
    r.Set("Content-Type", "application/json");
    return r;
  } else {
    r.status = 404;
    r.body = "/metrics or /ready\n";
  }
  r.Set("Content-Type", "text/plain; charset=utf-8");
  return r;
}

}  // namespace heartbase::app
