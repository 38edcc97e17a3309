// Gateway delivery: one JSON POST per job. The gateway's reply body is read into a small bounded
// buffer and discarded; only the status code is kept.
#include "notify/https_sender.h"

#include <fmt/format.h>

#include "base/base64.h"
#include "base/json_writer.h"
#include "notify/internal/curl.h"

namespace heartbase::notify {
namespace {

std::size_t Discard(char*, std::size_t size, std::size_t n, void* user) {
  auto* total = static_cast<std::size_t*>(user);
  *total += size * n;
  return *total > (64u << 10) ? 0 : size * n;  // a gateway has no reason to say more
}

}  // namespace

std::string ComposeGatewayJson(const Job& job, const GatewayConfig& config) {
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  for (const auto& [k, v] : config.extra) w.Field(k, v);
  w.Field(config.to_field, job.recipient);
  w.Field(config.text_field, job.body.empty() ? job.subject : job.body);
  w.Field(config.ticket_field, job.ticket);
  if (!job.attachment.empty()) {
    std::string b64;
    base::AppendBase64Encoded(job.attachment, &b64);
    w.Field(config.document_field, b64);
  }
  w.EndObject();
  return out;
}

HttpsSender::HttpsSender(GatewayConfig config) : config_(std::move(config)) {}

Delivery HttpsSender::Deliver(const Job& job, const std::atomic<bool>& stop) {
  const std::string body = ComposeGatewayJson(job, config_);
  auto h = internal::NewHandle("https", config_.ca_file, config_.connect_timeout_ms,
                               config_.timeout_ms, stop);
  internal::Slist headers;
  bool ok = static_cast<bool>(h) && internal::Append(&headers, "Content-Type: application/json") &&
            internal::Append(&headers, "Idempotency-Key: " + job.idempotency_key);
  if (ok && !config_.token.empty()) {
    ok = internal::Append(&headers, "Authorization: Bearer " + config_.token);
  }
  if (!ok) return {.error = "out of memory"};
  CURL* c = h.get();
  std::size_t received = 0;
  curl_easy_setopt(c, CURLOPT_URL, config_.url.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Discard);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &received);
  const CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && status != 0)) {
    return {.permanent = rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT,
            .error = internal::CurlError(rc)};
  }
  if (status >= 200 && status < 300) return {.delivered = true};
  const bool permanent = status >= 400 && status < 500 && status != 408 && status != 429;
  return {.permanent = permanent, .error = fmt::format("gateway answered HTTP {}", status)};
}

}  // namespace heartbase::notify
