// The notify configuration: defaults, every table, and refusal of unknown keys, wrong types,
// plaintext schemes and loose secret files.
#include "notify/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

namespace heartbase::notify {
namespace {

using base::ErrorCode;

constexpr std::string_view kMinimal = R"(socket = "/run/hb/notify.sock"
key_file = "notify.key"
)";

TEST(NotifyConfig, MinimalFileGetsDocumentedDefaults) {
  auto c = ParseNotifyConfig(kMinimal, "/etc/heartbase");
  ASSERT_TRUE(c) << c.error().Describe();
  EXPECT_EQ(c->socket, "/run/hb/notify.sock");
  EXPECT_EQ(c->key_file, "/etc/heartbase/notify.key");
  EXPECT_EQ(c->batch, 4);
  EXPECT_EQ(c->poll_interval_ms, 1000);
  EXPECT_FALSE(c->smtp);
  EXPECT_FALSE(c->pager);
  EXPECT_FALSE(c->fax);
}

TEST(NotifyConfig, ReadsEveryTableAndSecretFiles) {
  const std::string dir = ::testing::TempDir();
  const std::string secret = dir + "/notify-config-test-secret";
  std::remove(secret.c_str());
  std::ofstream(secret) << "s3cret\n";
  ::chmod(secret.c_str(), 0600);
  const std::string text = std::string(kMinimal) + R"(
[smtp]
url = "smtp://mail.example:587"
from = "heartbase@clinic.example"
username = "hb"
password_file = ")" + secret +
                           R"("
timeout_ms = 5000
[pager]
url = "https://pager.example/send"
token_file = ")" + secret + R"("
to_field = "number"
[pager.extra]
account = "clinic-1"
[fax]
mode = "email"
email_domain = "fax.example"
)";
  auto c = ParseNotifyConfig(text, dir);
  ASSERT_TRUE(c) << c.error().Describe();
  EXPECT_EQ(c->smtp->password, "s3cret");
  EXPECT_EQ(c->smtp->timeout_ms, 5000);
  EXPECT_EQ(c->pager->token, "s3cret");
  EXPECT_EQ(c->pager->to_field, "number");
  EXPECT_EQ(c->pager->extra.at("account"), "clinic-1");
  EXPECT_EQ(c->fax_mode, FaxMode::kEmail);
  EXPECT_EQ(c->fax_email_domain, "fax.example");
  ::chmod(secret.c_str(), 0644);
  auto loose = ParseNotifyConfig(text, dir);
  ASSERT_FALSE(loose);
  EXPECT_NE(loose.error().message.find("smtp.password_file"), std::string::npos);
  std::remove(secret.c_str());
}

TEST(NotifyConfig, RefusesUnknownKeysWrongTypesAndPlaintext) {
  const std::string base(kMinimal);
  for (const auto& [extra, key] : std::initializer_list<std::pair<std::string, std::string>>{
           {"sockets = \"x\"\n", "sockets"},
           {"batch = \"4\"\n", "batch"},
           {"batch = 99\n", "batch"},
           {"[smtp]\nurl = \"http://mail\"\nfrom = \"a@b\"\n", "smtp.url"},
           {"[smtp]\nurl = \"smtp://mail\"\nfrom = \"a@b\"\nstarttls = false\n", "smtp.starttls"},
           {"[pager]\nurl = \"http://pager.example\"\n", "pager.url"},
           {"[fax]\nmode = \"modem\"\n", "fax.mode"},
           {"[fax]\nmode = \"email\"\nemail_domain = \"fax.example\"\n", "fax.mode"},
           {"holder = \"two words\"\n", "holder"},
       }) {
    auto c = ParseNotifyConfig(base + extra, "/");
    ASSERT_FALSE(c) << extra;
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(c.error().message.find(key), std::string::npos) << c.error().message;
  }
  EXPECT_FALSE(ParseNotifyConfig("key_file = \"k\"\n", "/"));  // no socket
  EXPECT_FALSE(ParseNotifyConfig("socket = [\n", "/"));        // not TOML
}

}  // namespace
}  // namespace heartbase::notify
