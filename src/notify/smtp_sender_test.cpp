// What the senders put on the wire: the email message and the gateway JSON.
#include "notify/smtp_sender.h"

#include <gtest/gtest.h>

#include "base/base64.h"
#include "notify/https_sender.h"

namespace heartbase::notify {
namespace {

Job EmailJob() {
  return Job{.id = 7,
             .attempt = 1,
             .max_attempts = 3,
             .lease_expires_us = 1,
             .kind = JobKind::kAlert,
             .channel = Channel::kEmail,
             .idempotency_key = "alert:7:email",
             .recipient = "oncall@clinic.example",
             .subject = "Red alert HB-7",
             .body = "Line one\nLine two",
             .ticket = "HB-7",
             .link = "https://hb.example/queue/7"};
}

TEST(ComposeEmail, HasHeadersAndBase64BodyWithCrlf) {
  const std::string m = ComposeEmail(EmailJob(), "hb@clinic.example", "oncall@clinic.example", 0);
  EXPECT_NE(m.find("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"), std::string::npos);
  EXPECT_NE(m.find("From: <hb@clinic.example>\r\n"), std::string::npos);
  EXPECT_NE(m.find("To: <oncall@clinic.example>\r\n"), std::string::npos);
  EXPECT_NE(m.find("Subject: Red alert HB-7\r\n"), std::string::npos);
  EXPECT_NE(m.find("Message-ID: <alert.7.email@heartbase.invalid>\r\n"), std::string::npos);
  EXPECT_NE(m.find("X-Heartbase-Ticket: HB-7\r\n"), std::string::npos);
  // base64("Line one\r\nLine two\r\n\r\nhttps://hb.example/queue/7")
  EXPECT_NE(m.find("TGluZSBvbmUNCkxpbmUgdHdvDQoNCmh0dHBzOi8vaGIuZXhhbXBsZS9xdWV1ZS83"),
            std::string::npos);
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\n') {
      ASSERT_EQ(m[i - 1], '\r') << i;
    }
  }
}

TEST(ComposeEmail, EncodesNonAsciiSubjectAndAttachesPdf) {
  Job j = EmailJob();
  j.channel = Channel::kFax;
  j.recipient = "+15551234";
  j.subject = "Rapport signé";
  j.attachment = "%PDF-1.7 fake";
  const std::string m = ComposeEmail(j, "hb@clinic.example", "+15551234@fax.example", 0);
  EXPECT_NE(m.find("Subject: =?UTF-8?B?UmFwcG9ydCBzaWduw6k=?=\r\n"), std::string::npos);
  EXPECT_NE(m.find("Content-Type: application/pdf"), std::string::npos);
  EXPECT_NE(m.find("JVBERi0xLjcgZmFrZQ=="), std::string::npos);
}

// The body of the MIME part that begins with `headers`, up to the next boundary line.
std::string PartBody(const std::string& m, const std::string& headers) {
  const std::size_t at = m.find(headers);
  if (at == std::string::npos) return {};
  const std::size_t start = m.find("\r\n\r\n", at) + 4;
  return m.substr(start, m.find("\r\n--", start) + 2 - start);
}

TEST(ComposeEmail, AttachesASignedReportAsAPdfNamedAfterTheTicketOnly) {
  Job j = EmailJob();
  j.kind = JobKind::kReport;
  j.ticket = "HB-000042";
  j.subject = "Device follow-up report HB-000042";
  j.body = "A device follow-up report is attached (ticket HB-000042).";
  std::string pdf = "%PDF-1.7\n";
  for (int i = 0; i < 3000; ++i) pdf += static_cast<char>(i * 7);
  j.attachment = pdf;
  const std::string m = ComposeEmail(j, "hb@clinic.example", "referrer@praxis.example", 0);

  const std::string boundary = "heartbase-part-7f3a9c";
  EXPECT_NE(m.find("Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n"),
            std::string::npos);
  const std::string pdf_headers =
      "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
      "Content-Disposition: attachment; filename=\"follow-up-report-HB-000042.pdf\"\r\n\r\n";
  ASSERT_NE(m.find(pdf_headers), std::string::npos) << m.substr(0, 800);
  EXPECT_NE(m.find("--" + boundary + "--\r\n"), std::string::npos);
  // The text part comes first, then the PDF.
  EXPECT_LT(m.find("Content-Type: text/plain"), m.find("Content-Type: application/pdf"));

  // The attachment is base64 in lines of at most 76 characters and decodes to the PDF.
  const std::string b64 = PartBody(m, "Content-Type: application/pdf");
  ASSERT_FALSE(b64.empty());
  std::string joined;
  std::size_t line_start = 0;
  while (line_start < b64.size()) {
    const std::size_t end = b64.find("\r\n", line_start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - line_start, 76u);
    joined += b64.substr(line_start, end - line_start);
    line_start = end + 2;
  }
  EXPECT_EQ(joined.size(), (pdf.size() + 2) / 3 * 4);
  std::string decoded;
  ASSERT_TRUE(base::AppendBase64Decoded(joined, &decoded));
  EXPECT_EQ(decoded, pdf);
}

TEST(ComposeGatewayJson, UsesConfiguredFieldNames) {
  GatewayConfig c;
  c.to_field = "number";
  c.text_field = "message";
  c.extra = {{"account", "clinic-1"}};
  Job j = EmailJob();
  j.channel = Channel::kPager;
  j.recipient = "4711";
  j.body = "Red \"alert\"";
  EXPECT_EQ(ComposeGatewayJson(j, c),
            R"({"account":"clinic-1","number":"4711","message":"Red \"alert\"","ticket":"HB-7"})");
}

}  // namespace
}  // namespace heartbase::notify
