// HTTPS service wiring. Access log lines name the route pattern, never the query string (which may
// hold a search term) or anything from the body.
#include "app/https_service.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <chrono>
#include <filesystem>

#include "app/file_import.h"
#include "app/quarantine_command.h"
#include "audit/trail.h"
#include "auth/bootstrap.h"
#include "auth/sessions.h"
#include "auth/throttle.h"
#include "base/log.h"

namespace heartbase::app {
namespace {

bool IsLoopback(const std::string& host) {
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  return host == "::1";
}

base::Status SplitHostPort(const std::string& text, std::string* host, std::uint16_t* port) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return base::MakeError(base::ErrorCode::kInvalidArgument,
                           fmt::format("expected HOST:PORT, got '{}'", text));
  }
  *host = text.substr(0, colon);
  if (host->size() > 2 && host->front() == '[') *host = host->substr(1, host->size() - 2);
  const std::string p = text.substr(colon + 1);
  char* end = nullptr;
  const unsigned long v = std::strtoul(p.c_str(), &end, 10);
  if (p.empty() || *end != '\0' || v > 65535) {
    return base::MakeError(base::ErrorCode::kInvalidArgument,
                           fmt::format("invalid port in '{}'", text));
  }
  *port = static_cast<std::uint16_t>(v);
  return {};
}

// The path without its query string, with every all-digit segment replaced by {id}: enough to see
// which route was called, nothing that could identify a patient.
std::string RouteOf(std::string_view target) {
  target = target.substr(0, std::min(target.find('?'), target.size()));
  std::string out;
  while (!target.empty() && out.size() < 200) {
    const std::size_t end = std::min(target.find('/', 1), target.size());
    const std::string_view segment = target.substr(0, end);
    const bool digits =
        segment.size() > 1 && segment.find_first_not_of("0123456789", 1) == std::string_view::npos;
    out += digits ? std::string_view("/{id}") : segment;
    target.remove_prefix(end);
  }
  return out;
}

}  // namespace

HttpsService::HttpsService(OpenStore& store, crypto::SigningKey signing,
                           auth::Authenticator authenticator, auth::Blocklist blocklist)
    : store_(store),
      signing_(std::move(signing)),
      authenticator_(std::move(authenticator)),
      blocklist_(std::move(blocklist)) {}

base::Result<std::unique_ptr<HttpsService>> HttpsService::Start(const HttpsServiceOptions& options,
                                                                const DataDirOptions& data,
                                                                OpenStore& store) {
  net::HttpServerOptions http = options.http_limits;
  if (auto s = SplitHostPort(options.listen, &http.host, &http.port); !s) return s.error();
  http.tls_certificate =
      options.certificate.empty() ? TlsCertificatePath(data) : options.certificate;
  http.tls_private_key = options.private_key.empty() ? TlsKeyPath(data) : options.private_key;
  std::error_code ec;
  // "--https-cert none": plain HTTP, which the HTTP server allows on loopback only (benchmarks,
  // a TLS-terminating proxy on the same host).
  const bool have_tls = options.certificate != "none" &&
                        std::filesystem::exists(http.tls_certificate, ec) &&
                        std::filesystem::exists(http.tls_private_key, ec);
  if (!have_tls) {
    http.tls_certificate.clear();
    http.tls_private_key.clear();
  }
  if (!IsLoopback(http.host)) {
    // Reachable from the network: only with TLS, and only once someone can administer it.
    auto tx = store.db->Begin(store::Access::kRead);
    if (!tx) return tx.error();
    auto admin = auth::HasActiveAdministrator(**tx);
    if (!admin) return admin.error();
    if (!*admin) {
      return base::MakeError(base::ErrorCode::kPermissionDenied,
                             "an HTTPS listener beyond loopback needs an administrator first "
                             "(heartbase user add … --bootstrap-token)");
    }
    if (!have_tls) {
      return base::MakeError(base::ErrorCode::kPermissionDenied,
                             "an HTTPS listener beyond loopback needs a TLS certificate and key");
    }
  }
  auto signing = crypto::SigningKey::Load(AuditKeyPath(data));
  if (!signing) return signing.error();
  auto authenticator = auth::Authenticator::Create(*store.db, *store.keys, auth::AuthOptions{});
  if (!authenticator) return authenticator.error();
  auto blocklist = auth::Blocklist::Load(auth::AuthOptions{}.blocklist);
  if (!blocklist) return blocklist.error();
  std::unique_ptr<HttpsService> service(new HttpsService(
      store, std::move(*signing), std::move(*authenticator), std::move(*blocklist)));
  auto report_key = LoadOrCreateReportKey(data);
  if (!report_key) return report_key.error();
  service->report_key_.emplace(std::move(*report_key));
  store::Database& db = *store.db;
  service->renderer_ =
      std::make_unique<report::Renderer>(ReportServicesOf(db, *store.keys, *service->report_key_));
  if (!options.ehr_destinations.empty()) {
    service->delivery_ = std::make_unique<ehr::ResultDelivery>(
        db, *store.keys, ReportServicesOf(db, *store.keys, *service->report_key_),
        options.ehr_destinations);
  }
  api::ApiOptions api_options;
  api_options.report_key = &*service->report_key_;
  if (service->delivery_) {
    api_options.result_destinations = service->delivery_->names();
    api_options.results_queued = [delivery = service->delivery_.get()] { delivery->Poke(); };
  }
  api_options.report_signed = [renderer = service->renderer_.get()] { renderer->Poke(); };
  api_options.blocklist = &service->blocklist_;
  api_options.rules = options.rules;
  api_options.signoff_recipients = options.signoff_recipients;
  api_options.billing_codes = options.billing_codes;
  api_options.charge_dft = options.charge_dft;
  api_options.last_verification = options.last_verification;
  if (!options.web_root.empty()) {
    auto site = api::StaticFiles::Load(options.web_root);
    if (!site) return site.error();
    service->site_ = std::move(*site);
    api_options.static_files = &*service->site_;
  }
  if (options.pipeline != nullptr && options.feeds != nullptr) {
    api_options.upload = [pipeline = options.pipeline, feeds = options.feeds,
                          max = options.max_frame_bytes](std::string_view bytes,
                                                         std::span<const std::int64_t> clinics) {
      // An upload delivers for the token's clinics, narrowed to those its sender is mapped to.
      const FileTally t = ImportFileBytes(
          *pipeline, bytes, "upload", max,
          [&](std::string_view message) { return feeds->ForUpload(message, clinics); });
      return api::UploadTally{.stored = t.stored,
                              .duplicate = t.duplicate,
                              .quarantined = t.quarantined,
                              .control_id_reused = t.control_id_reused,
                              .failed = t.failed};
    };
  }
  if (options.pipeline != nullptr && options.feeds != nullptr) {
    api_options.reprocess = [pipeline = options.pipeline, feeds = options.feeds](
                                std::int64_t id, std::int64_t user_id) {
      return ReprocessEntry(*pipeline, *feeds, id, user_id);
    };
  }
  service->api_ = std::make_unique<api::Api>(*store.db, *store.keys, service->authenticator_,
                                             std::move(api_options));
  api::Api* api = service->api_.get();
  http.body_limit = [api](const net::HttpRequest& head) { return api->BodyLimit(head); };
  auto server = net::HttpServer::Start(
      http,
      [api, metrics = options.metrics](const net::HttpRequest& request, net::HttpRespond respond) {
        const auto t0 = std::chrono::steady_clock::now();
        // A read answers once its audit record is committed, from the committing thread; this
        // worker is free meanwhile. The request stays valid until `respond`.
        api->HandleAsync(request, [&request, t0, metrics,
                                   respond = std::move(respond)](net::HttpResponse response) {
          const auto elapsed = std::chrono::steady_clock::now() - t0;
          const double ms = std::chrono::duration<double, std::milli>(elapsed).count();
          if (metrics != nullptr)
            metrics->Answered(RouteOf(request.target), response.status, elapsed);
          std::string correlation;
          for (const auto& [k, v] : response.headers) {
            if (k == "X-Correlation-Id") correlation = v;
          }
          base::log::Info("http", {{"method", request.method},
                                   {"route", RouteOf(request.target)},
                                   {"status", response.status},
                                   {"ms", ms},
                                   {"peer", request.peer_address},
                                   {"correlation_id", correlation}});
          respond(std::move(response));
        });
      });
  if (!server) return server.error();
  service->server_ = std::move(*server);
  service->tls_ = have_tls;
  service->checkpoints_ = std::thread(
      [s = service.get(), interval = options.checkpoint_interval] { s->CheckpointLoop(interval); });
  return service;
}

HttpsService::~HttpsService() {
  if (server_) server_->Stop();
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (checkpoints_.joinable()) checkpoints_.join();
  CheckpointNow(true);
}

void HttpsService::CheckpointLoop(std::chrono::seconds interval) {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, interval, [this] { return stop_; })) {
    lock.unlock();
    CheckpointNow(false);
    lock.lock();
  }
}

void HttpsService::CheckpointNow(bool force) {
  const std::int64_t now = NowUs();
  auto s = store::RunUnitOfWork(*store_.db, store::Access::kWrite, [&](store::Transaction& tx) {
    if (force) return audit::Checkpoint(tx, signing_, now);
    auto r = audit::CheckpointIfDue(tx, signing_, now);
    return r ? base::Status() : base::Status(r.error());
  });
  if (!s) base::log::Error("audit.checkpoint_failed", {{"reason", s.error()}});
  // Housekeeping on the same timer: expired sessions and stale throttle buckets leave the
  // database (they would otherwise grow without bound).
  const auth::AuthOptions& auth = authenticator_.options();
  auto purged =
      store::RunUnitOfWork(*store_.db, store::Access::kWrite, [&](store::Transaction& tx) {
        auto sessions = auth::PurgeExpiredSessions(tx, auth.session, now);
        if (!sessions) return base::Status(sessions.error());
        auto buckets = auth::PurgeThrottle(tx, auth.throttle, now);
        return buckets ? base::Status() : base::Status(buckets.error());
      });
  if (!purged) base::log::Error("auth.purge_failed", {{"reason", purged.error()}});
}

}  // namespace heartbase::app
