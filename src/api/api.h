// Api: the REST/JSON API v1. Every request goes through one path: route lookup in the route table,
// identification (session cookie or bearer token), CSRF check for state-changing requests from a
// browser, the policy decision (auth::Authorize) for the route's permission, the handler, and the
// audit record written in the same transaction as the data it read or changed. Errors carry a
// correlation id and nothing internal; security headers go on every response.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "api/static_files.h"
#include "auth/blocklist.h"
#include "auth/login.h"
#include "auth/options.h"
#include "billing/code_table.h"
#include "billing/service.h"
#include "crypto/key_ring.h"
#include "crypto/signing_key.h"
#include "net/http.h"
#include "rules/rule_book.h"
#include "store/database.h"
#include "store/group_commit.h"
#include "store/outbox.h"

namespace heartbase::api {

// What an HL7 upload did (see ApiOptions::upload).
struct UploadTally {
  std::size_t stored = 0, duplicate = 0, quarantined = 0;
  std::size_t control_id_reused = 0;  // of `stored`: the sender had used the MSH-10 for other bytes
  std::size_t failed = 0;             // not stored at all: the client should send the file again
};

// The newest scheduled verification of the store (`serve --verify-interval-hours`), as
// administrators see it: counts and places, never content.
struct VerificationStatus {
  std::int64_t finished_us = 0;
  bool complete = false;      // the whole database was walked
  std::int64_t problems = 0;  // damage found
  std::string first_problem;  // where, e.g. "patient.family_name id=12"
};

// What re-processing a quarantined input did (ingest::Pipeline::Reprocess): "stored",
// "duplicate" (already stored: the entry is linked to it) or "quarantined" (still refused: the
// entry stays open, `reason` says why today).
struct ReprocessOutcome {
  std::string outcome;
  std::optional<std::int64_t> interrogation_id, adt_message_id;
  std::string reason;
};

struct ApiOptions {
  auth::AuthOptions auth;
  std::size_t max_body_bytes = 1u << 20;     // JSON bodies of identified callers
  std::size_t max_upload_bytes = 64u << 20;  // HL7 file upload
  // Bodies that can only come before identification: public routes (sign-in, bootstrap: a few
  // hundred bytes of JSON), requests that present no credentials (answered 401 anyway) and
  // unknown routes. Decided from the head, so an anonymous client cannot make the server wait
  // for, or hold, a large body.
  std::size_t max_anonymous_body_bytes = 16u << 10;
  int default_page = 50;
  // Passwords set through the API (first administrator, new users) are checked against this
  // list; nullptr = the compiled-in list only. Must outlive the Api.
  const auth::Blocklist* blocklist = nullptr;
  // Ingests an uploaded HL7 file (one message, a batch, or MLLP frames) through the same
  // pipeline as MLLP; unset = uploads answer 503.
  // `clinics` are the uploading caller's clinics: the feed delivers for them only.
  std::function<UploadTally(std::string_view bytes, std::span<const std::int64_t> clinics)> upload;
  // The alert rules in force (shared with ingest); activation replaces them. nullptr = the rule
  // routes answer 503 where they need it.
  std::shared_ptr<rules::RuleBook> rules;
  // The web application, served for every path outside /api/; nullptr = none.
  const StaticFiles* static_files = nullptr;
  // Who is told when a physician signs an interrogation off (say the billing office or the
  // referring clinic): an outbox job in the sign-off's own transaction, delivered by
  // `heartbase notify`. The text names a ticket and a link, never the patient.
  struct SignoffRecipient {
    store::OutboxChannel channel = store::OutboxChannel::kEmail;
    std::string recipient;
  };
  std::vector<SignoffRecipient> signoff_recipients;
  // Signs the provenance of every report (DATA/report-signing.key); nullptr = the report routes
  // answer 503. Must outlive the Api.
  const crypto::SigningKey* report_key = nullptr;
  // Called after a sign-off commits, so that the signed report is rendered and stored in the
  // background (report::Renderer::Poke); unset = on first request.
  std::function<void()> report_signed;
  // The billing code table in force (billing/code_table.h); nullptr = the built-in table. The
  // DFT^P03 export's MSH applications and facilities. Must outlive the Api.
  const billing::CodeTable* billing_codes = nullptr;
  billing::DftOptions charge_dft;
  // The EHR destinations each sign-off sends its result to (src/ehr): one result_delivery row
  // per destination in the sign-off's transaction; `results_queued` wakes the delivery workers.
  std::vector<std::string> result_destinations;
  std::function<void()> results_queued;
  // Re-processes quarantine entry `id` for user `user_id` through the ingest pipeline with the
  // clinic scope its sender's feed has (the quarantine console); unset = those routes answer 503.
  // Errors: kNotFound, kAlreadyExists (resolved already), kInvalidArgument (not re-processable),
  // or the database's.
  std::function<base::Result<ReprocessOutcome>(std::int64_t id, std::int64_t user_id)> reprocess;
  // The newest verification of the store; unset or empty = none has finished yet.
  std::function<std::optional<VerificationStatus>()> last_verification;
  // Microseconds since the epoch; injectable for tests.
  std::function<std::int64_t()> now_us;
};

// Thread-safe: Handle may run on many threads at once.
class Api {
 public:
  // The database, key ring and authenticator must outlive the Api.
  Api(store::Database& db, const crypto::KeyRing& keys, const auth::Authenticator& authenticator,
      ApiOptions options);
  ~Api();

  net::HttpResponse Handle(const net::HttpRequest& request);
  // Handle for the HTTP server: a read's response is given to `respond` once its audit record is
  // committed, and the calling thread does not wait for that commit (it may serve the next
  // request meanwhile). `respond` is called exactly once, on this thread or on the thread that
  // commits. The request must stay valid until then.
  void HandleAsync(const net::HttpRequest& request, std::function<void(net::HttpResponse)> respond);
  // The largest body the route named by the request head accepts (for the HTTP server, which
  // refuses larger ones before reading them): max_anonymous_body_bytes unless the route needs an
  // identity and the head presents a credential (bearer token or session cookie, not yet
  // checked: that needs the database), then max_upload_bytes or max_body_bytes.
  std::size_t BodyLimit(const net::HttpRequest& head) const;

  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The session cookie: __Host- prefix (Secure, Path=/, no Domain), HttpOnly, SameSite=Strict.
inline constexpr std::string_view kSessionCookie = "__Host-hb_session";

}  // namespace heartbase::api
