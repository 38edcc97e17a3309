// NotifyConfig: the TOML file of `heartbase notify` (docs/notify.md), read by a strict parser:
// an unknown key, a value of the wrong type or out of range, a URL with another scheme, or a
// secret file readable by others stops start-up with a message naming the key.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "base/result.h"

namespace heartbase::notify {

struct SmtpConfig {
  std::string url;       // smtp://host:port (STARTTLS required) or smtps://host:port
  std::string from;      // envelope and From: address
  std::string username;  // empty = no AUTH
  std::string password;  // read from password_file (0400/0600), never from the TOML itself
  std::string ca_file;   // PEM bundle; empty = the system's trust store
  int connect_timeout_ms = 10'000;
  int timeout_ms = 30'000;  // the whole delivery; bounds how long one job can hold the worker
};

struct GatewayConfig {  // an HTTPS JSON POST (pager/SMS gateway or fax API)
  std::string url;      // https:// only
  std::string token;    // from token_file; sent as "Authorization: Bearer <token>"
  std::string ca_file;
  std::string to_field = "to";
  std::string text_field = "text";
  std::string ticket_field = "ticket";
  std::string document_field = "document";   // fax: the PDF, base64
  std::map<std::string, std::string> extra;  // fixed string fields added to every request
  int connect_timeout_ms = 10'000;
  int timeout_ms = 30'000;
};

enum class FaxMode : std::uint8_t { kHttps, kEmail };

struct NotifyConfig {
  std::string socket;    // the lease socket of `heartbase serve --notify-socket`
  std::string key_file;  // the notify key (DATA/notify.key or an installed copy), mode 0400
  std::string holder = "notify";  // names this worker in leases ([A-Za-z0-9._@-], 1..64)
  int batch = 4;                  // jobs per lease, 1..8
  int poll_interval_ms = 1000;    // wait between empty leases, 50..60000
  int lease_seconds = 120;        // how long serve keeps a job for this worker, 5..3600
  std::optional<SmtpConfig> smtp;
  std::optional<GatewayConfig> pager;
  FaxMode fax_mode = FaxMode::kHttps;
  std::optional<GatewayConfig> fax;  // fax_mode kHttps
  std::string fax_email_domain;      // fax_mode kEmail: NUMBER@domain through [smtp]
};

// Parses `text` (errors name the key: kInvalidArgument). `base_dir` resolves relative paths.
base::Result<NotifyConfig> ParseNotifyConfig(std::string_view text, const std::string& base_dir);
// Reads at most 1 MiB from `path` and parses it.
base::Result<NotifyConfig> LoadNotifyConfig(const std::string& path);

}  // namespace heartbase::notify
