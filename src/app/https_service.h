// The HTTPS side of `heartbase serve`: the REST API (and later the web application) behind the
// HTTP server, plus the audit trail's signed checkpoints on a timer.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/api.h"
#include "app/data_dir.h"
#include "app/feeds.h"
#include "app/metrics.h"
#include "auth/login.h"
#include "base/result.h"
#include "billing/service.h"
#include "crypto/signing_key.h"
#include "ehr/delivery.h"
#include "ingest/pipeline.h"
#include "net/http_server.h"
#include "report/service.h"
#include "rules/rule_book.h"

namespace heartbase::app {

struct HttpsServiceOptions {
  std::string listen = "127.0.0.1:8443";  // HOST:PORT; "none" = no HTTPS listener
  std::string certificate, private_key;   // default DATA/tls/cert.pem and key.pem
  std::chrono::seconds checkpoint_interval{10};
  std::string web_root;                     // the built web application; empty = API only
  ingest::Pipeline* pipeline = nullptr;     // HL7 uploads; nullptr = uploads answer 503
  const FeedMap* feeds = nullptr;           // senders' clinics, for uploads (required with it)
  std::size_t max_frame_bytes = 32u << 20;  // for MLLP-framed uploads
  std::shared_ptr<rules::RuleBook> rules;   // the rule set in force (rule administration)
  std::vector<api::ApiOptions::SignoffRecipient> signoff_recipients;  // told of each sign-off
  std::vector<ehr::Destination> ehr_destinations;     // each signed result is sent to these
  const billing::CodeTable* billing_codes = nullptr;  // nullptr = the built-in table
  billing::DftOptions charge_dft;                     // the DFT^P03 export's MSH
  // The newest background verification of the store (GET /api/v1/admin/store); unset = none.
  std::function<std::optional<api::VerificationStatus>()> last_verification;
  // Connection limits, rates and timeouts; host, port, TLS and the body limit are set here.
  net::HttpServerOptions http_limits;
  // Counts every response by route and status (app/metrics.h); nullptr = not counted.
  Metrics* metrics = nullptr;
};

class HttpsService {
 public:
  // Refuses (kPermissionDenied) a listener on a non-loopback address while there is no
  // administrator, or without TLS material. Prints nothing; the caller prints local_address().
  static base::Result<std::unique_ptr<HttpsService>> Start(const HttpsServiceOptions& options,
                                                           const DataDirOptions& data,
                                                           OpenStore& store);
  ~HttpsService();  // stops the listener, then writes a last checkpoint
  std::string local_address() const { return server_->local_address(); }
  bool tls() const { return tls_; }

  HttpsService(const HttpsService&) = delete;
  HttpsService& operator=(const HttpsService&) = delete;

 private:
  HttpsService(OpenStore& store, crypto::SigningKey signing, auth::Authenticator authenticator,
               auth::Blocklist blocklist);
  void CheckpointLoop(std::chrono::seconds interval);
  void CheckpointNow(bool force);

  OpenStore& store_;
  crypto::SigningKey signing_;
  std::optional<crypto::SigningKey> report_key_;  // DATA/report-signing.key
  auth::Authenticator authenticator_;
  auth::Blocklist blocklist_;
  std::optional<api::StaticFiles> site_;
  std::unique_ptr<report::Renderer> renderer_;     // signed reports, in the background
  std::unique_ptr<ehr::ResultDelivery> delivery_;  // results out to the EHR, in the background
  std::unique_ptr<api::Api> api_;
  std::unique_ptr<net::HttpServer> server_;
  bool tls_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread checkpoints_;
};

}  // namespace heartbase::app
