// SmtpSender: email over SMTP with TLS required (STARTTLS on smtp://, implicit TLS on smtps://)
// and the server certificate verified (libcurl). There is no plaintext fallback: a server that
// does not offer STARTTLS, or whose certificate does not verify, receives nothing.
// A 5xx reply to MAIL, RCPT or DATA is a permanent failure (the job is dead-lettered at once);
// everything else is retried.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "notify/config.h"
#include "notify/sender.h"

namespace heartbase::notify {

// The RFC 5322 message for `job` (CRLF line ends, base64 body, RFC 2047 subject when not ASCII,
// Message-ID derived from the idempotency key so a receiver can drop a repeat). A job's PDF (a fax,
// or a signed report sent by email) becomes a multipart/mixed attachment: application/pdf,
// base64 in 76-character lines, named after the ticket ("follow-up-report-HB-000042.pdf" for a
// report). Exposed for tests.
std::string ComposeEmail(const Job& job, std::string_view from, std::string_view to,
                         std::int64_t unix_seconds);

class SmtpSender final : public Sender {
 public:
  // fax_email_domain non-empty: fax jobs go to NUMBER@fax_email_domain with the PDF attached.
  SmtpSender(SmtpConfig config, std::string fax_email_domain = {});
  Delivery Deliver(const Job& job, const std::atomic<bool>& stop) override;

 private:
  SmtpConfig config_;
  std::string fax_email_domain_;
};

}  // namespace heartbase::notify
