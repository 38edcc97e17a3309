// Metrics for a monitoring system (docs/operations.md, "Monitoring"): a Prometheus text endpoint
// and a readiness probe on a listener of their own (`serve --metrics-listen`, off by default,
// plain HTTP on loopback only). Counters are kept in memory by the ingest pipeline's and the
// HTTPS service's hooks; queue depths, database sizes and the last verification are read at each
// scrape. No label carries patient data: senders are MSH-3|MSH-4 names, routes are templates.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "api/api.h"
#include "base/result.h"
#include "ingest/pipeline.h"
#include "net/http_server.h"
#include "store/database.h"

namespace heartbase::app {

class Metrics {
 public:
  // Labels beyond these many distinct senders or routes are counted as "other": a sender names
  // itself in untrusted input, which must not grow the server's memory or the scrape.
  static constexpr std::size_t kMaxSenders = 256;
  static constexpr std::size_t kMaxRoutes = 256;
  static constexpr std::array<double, 14> kLatencyBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

  // A message handled by the pipeline (IngestOptions::observe).
  void Ingested(std::string_view sender, std::optional<ingest::Disposition> disposition,
                std::chrono::nanoseconds elapsed, std::int64_t now_us);
  // A response of the HTTPS service.
  void Answered(std::string_view route, int status, std::chrono::nanoseconds elapsed);
  // The newest message of a sender known from the store (at start-up).
  void SeenBefore(std::string_view sender, std::int64_t last_us);

  struct Sources {
    store::Database* db = nullptr;
    std::string database_path;
    std::function<std::optional<api::VerificationStatus>()> last_verification;
    std::function<std::int64_t()> now_us;
  };
  // The Prometheus text exposition (version 0.0.4).
  std::string Render(const Sources& sources) const;

 private:
  struct SenderCounts {
    std::array<std::uint64_t, 4> messages{};  // stored, duplicate, quarantined, not stored
    std::int64_t last_us = 0;
  };
  struct Histogram {
    std::array<std::uint64_t, kLatencyBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
    void Observe(double seconds);
  };
  std::string Label(std::string_view value, std::size_t distinct, std::size_t max) const;

  mutable std::mutex mu_;
  std::map<std::string, SenderCounts, std::less<>> senders_;
  Histogram ack_;
  std::map<std::string, std::map<int, std::uint64_t>, std::less<>> http_;
  Histogram http_latency_;
};

// The listener: GET /metrics (the exposition) and GET /ready (200 when the database is writable
// and not damaged, else 503 with the reason). `writable` is probed at most every few seconds.
class MetricsService {
 public:
  static base::Result<std::unique_ptr<MetricsService>> Start(
      const std::string& host, std::uint16_t port, const Metrics& metrics, Metrics::Sources sources,
      std::function<base::Status()> writable);
  ~MetricsService();
  std::string local_address() const { return server_->local_address(); }

 private:
  MetricsService() = default;
  net::HttpResponse Handle(const net::HttpRequest& request);
  base::Status Writable();

  const Metrics* metrics_ = nullptr;
  Metrics::Sources sources_;
  std::function<base::Status()> writable_;
  std::mutex probe_mu_;
  std::chrono::steady_clock::time_point probed_at_{};
  base::Status probed_;
  std::unique_ptr<net::HttpServer> server_;
};

}  // namespace heartbase::app
