// Email delivery through libcurl's SMTP client. CURLUSESSL_ALL makes TLS mandatory: on smtp:// the
// transfer fails unless the server offers STARTTLS and the handshake (with certificate checks)
// succeeds, before any envelope or content is sent.
#include "notify/smtp_sender.h"

#include <fmt/format.h>

#include <cstring>
#include <ctime>

#include "base/base64.h"
#include "notify/internal/curl.h"

namespace heartbase::notify {
namespace {

bool Ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// RFC 2047 encoded words of at most 45 input bytes each, never splitting a UTF-8 sequence.
std::string EncodeSubject(std::string_view s) {
  if (Ascii(s)) return std::string(s);
  std::string out;
  std::size_t at = 0;
  while (at < s.size()) {
    std::size_t n = std::min<std::size_t>(45, s.size() - at);
    while (at + n < s.size() && (static_cast<unsigned char>(s[at + n]) & 0xc0) == 0x80) --n;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?";
    base::AppendBase64Encoded(s.substr(at, n), &out);
    out += "?=";
    at += n;
  }
  return out;
}

// Base64 in lines of 76 characters, CRLF-terminated.
void AppendBase64Lines(std::string_view bytes, std::string* out) {
  std::string b64;
  base::AppendBase64Encoded(bytes, &b64);
  for (std::size_t i = 0; i < b64.size(); i += 76) {
    out->append(b64, i, 76);
    out->append("\r\n");
  }
}

std::string MessageId(std::string_view key) {
  std::string id;
  for (char c : key) id.push_back(c == ':' || c == '@' || c == '/' ? '.' : c);
  return fmt::format("<{}@heartbase.invalid>", id);
}

std::string Rfc5322Date(std::int64_t unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

// The attachment's file name: the ticket only (validated as [A-Za-z0-9_-]), never anything that
// could name the patient.
std::string AttachmentName(const Job& job) {
  if (job.kind == JobKind::kReport) {
    return job.ticket.empty() ? "follow-up-report.pdf"
                              : fmt::format("follow-up-report-{}.pdf", job.ticket);
  }
  return fmt::format("{}.pdf", job.ticket.empty() ? "report" : job.ticket);
}

struct Upload {
  std::string_view data;
  std::size_t at = 0;
};

std::size_t Read(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  const std::size_t take = std::min(size * n, u->data.size() - u->at);
  std::memcpy(buf, u->data.data() + u->at, take);
  u->at += take;
  return take;
}

}  // namespace

std::string ComposeEmail(const Job& job, std::string_view from, std::string_view to,
                         std::int64_t unix_seconds) {
  std::string m;
  m += fmt::format("Date: {}\r\n", Rfc5322Date(unix_seconds));
  m += fmt::format("From: <{}>\r\n", from);
  m += fmt::format("To: <{}>\r\n", to);
  m += fmt::format("Subject: {}\r\n", EncodeSubject(job.subject));
  m += fmt::format("Message-ID: {}\r\n", MessageId(job.idempotency_key));
  if (!job.ticket.empty()) m += fmt::format("X-Heartbase-Ticket: {}\r\n", job.ticket);
  m += "MIME-Version: 1.0\r\n";
  std::string text = job.body;
  if (!job.link.empty()) text += (text.empty() ? "" : "\n\n") + job.link;
  std::string crlf;
  for (char c : text) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  if (job.attachment.empty()) {
    m += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    AppendBase64Lines(crlf, &m);
    return m;
  }
  constexpr std::string_view kBoundary = "heartbase-part-7f3a9c";
  m += fmt::format("Content-Type: multipart/mixed; boundary=\"{}\"\r\n\r\n", kBoundary);
  m += fmt::format("--{}\r\n", kBoundary);
  m += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  AppendBase64Lines(crlf, &m);
  m += fmt::format("--{}\r\n", kBoundary);
  m += fmt::format(
      "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
      "Content-Disposition: attachment; filename=\"{}\"\r\n\r\n",
      AttachmentName(job));
  AppendBase64Lines(job.attachment, &m);
  m += fmt::format("--{}--\r\n", kBoundary);
  return m;
}

SmtpSender::SmtpSender(SmtpConfig config, std::string fax_email_domain)
    : config_(std::move(config)), fax_email_domain_(std::move(fax_email_domain)) {}

Delivery SmtpSender::Deliver(const Job& job, const std::atomic<bool>& stop) {
  std::string to = job.recipient;
  if (job.channel == Channel::kFax) {
    if (fax_email_domain_.empty()) {
      return {.permanent = true, .error = "fax by email is not configured"};
    }
    to = fmt::format("{}@{}", job.recipient, fax_email_domain_);
  } else if (job.channel != Channel::kEmail) {
    return {.permanent = true, .error = "not an email job"};
  }
  const std::string message = ComposeEmail(job, config_.from, to, std::time(nullptr));
  auto h = internal::NewHandle("smtp,smtps", config_.ca_file, config_.connect_timeout_ms,
                               config_.timeout_ms, stop);
  internal::Slist rcpt;
  if (!h || !internal::Append(&rcpt, fmt::format("<{}>", to))) {
    return {.error = "out of memory"};
  }
  CURL* c = h.get();
  Upload upload{.data = message};
  const std::string from = fmt::format("<{}>", config_.from);
  curl_easy_setopt(c, CURLOPT_URL, config_.url.c_str());
  curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(c, CURLOPT_READFUNCTION, &Read);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  if (!config_.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, config_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, config_.password.c_str());
  }
  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) return {.delivered = true};
  long smtp_code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &smtp_code);
  std::string error = internal::CurlError(rc);
  if (smtp_code != 0) error += fmt::format(" (smtp {})", smtp_code);
  // A configuration the library refuses cannot succeed on a retry, nor can a message the server
  // refused with a 5xx reply to the envelope or the content (RFC 5321: a permanent negative
  // completion). TLS and login failures stay retryable: an operator can fix those.
  const bool refused =
      smtp_code >= 500 && smtp_code <= 599 &&
      (rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_WEIRD_SERVER_REPLY);
  const bool permanent = refused || rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT;
  return {.permanent = permanent, .error = std::move(error)};
}

}  // namespace heartbase::notify
