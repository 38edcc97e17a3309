// HttpsSender: a pager/SMS or fax gateway reached by an HTTPS JSON POST (certificate verified,
// https only, no redirects). The JSON has the configured field names: recipient, text, ticket,
// the fixed extra fields, and for fax the PDF in base64. The idempotency key goes in an
// Idempotency-Key header. 2xx = delivered; 4xx other than 408/429 = permanent failure.
#pragma once

#include <string>

#include "notify/config.h"
#include "notify/sender.h"

namespace heartbase::notify {

// The request body for `job`. Exposed for tests.
std::string ComposeGatewayJson(const Job& job, const GatewayConfig& config);

class HttpsSender final : public Sender {
 public:
  explicit HttpsSender(GatewayConfig config);
  Delivery Deliver(const Job& job, const std::atomic<bool>& stop) override;

 private:
  GatewayConfig config_;
};

}  // namespace heartbase::notify
