// What the senders put on the wire: the email message and the gateway JSON.
#include "notify/smtp_sender.h"

#include <gtest/gtest.h>

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
