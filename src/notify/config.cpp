// Strict TOML reading for notify: every table lists the keys it accepts; anything else is an
// error naming the key, so a typo never silently falls back to a default.
#include "notify/config.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <filesystem>
#include <initializer_list>

namespace heartbase::notify {
namespace {

using base::ErrorCode;

base::Error Bad(std::string_view key, std::string_view why) {
  return base::MakeError(ErrorCode::kInvalidArgument,
                         fmt::format("notify config: {}: {}", key, why));
}

std::string Join(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

base::Status OnlyKeys(const toml::table& t, std::string_view path,
                      std::initializer_list<std::string_view> allowed) {
  for (const auto& [k, v] : t) {
    bool ok = false;
    for (std::string_view a : allowed) ok |= k.str() == a;
    if (!ok) return Bad(Join(path, k.str()), "unknown key");
  }
  return {};
}

// Reads an optional string; refuses other types and control characters.
base::Status Str(const toml::table& t, std::string_view path, std::string_view key,
                 std::string* out, bool required = false) {
  const toml::node* n = t.get(key);
  if (n == nullptr) {
    return required ? Bad(Join(path, key), "required") : base::Status();
  }
  const auto* s = n->as_string();
  if (s == nullptr) return Bad(Join(path, key), "must be a string");
  for (char c : s->get()) {
    if (static_cast<unsigned char>(c) < 0x20) return Bad(Join(path, key), "control character");
  }
  if (s->get().size() > 4096) return Bad(Join(path, key), "too long");
  *out = s->get();
  return {};
}

base::Status Int(const toml::table& t, std::string_view path, std::string_view key, int* out,
                 int min, int max) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return {};
  const auto* i = n->as_integer();
  if (i == nullptr) return Bad(Join(path, key), "must be an integer");
  if (i->get() < min || i->get() > max) {
    return Bad(Join(path, key), fmt::format("must be {}..{}", min, max));
  }
  *out = static_cast<int>(i->get());
  return {};
}

std::string Resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p.front() == '/') return p;
  return (std::filesystem::path(base_dir) / p).string();
}

// A secret in a file of its own: owner-only permissions, one line, at most 4 KiB.
base::Status Secret(const std::string& key, const std::string& path, std::string* out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Bad(key, fmt::format("cannot open {}", path));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
    ::close(fd);
    return Bad(key, fmt::format("{} must be a regular file readable by its owner only", path));
  }
  char buf[4097];
  std::size_t got = 0;
  ssize_t n = 0;
  while (got < sizeof buf && (n = ::read(fd, buf + got, sizeof buf - got)) > 0) {
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (n < 0 || got == sizeof buf)
    return Bad(key, fmt::format("cannot read {} (over 4 KiB?)", path));
  std::string s(buf, got);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20) return Bad(key, "secret holds control characters");
  }
  *out = std::move(s);
  return {};
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

base::Status Smtp(const toml::table& t, const std::string& base_dir, SmtpConfig* c) {
  const std::string_view p = "smtp";
  if (auto s = OnlyKeys(t, p,
                        {"url", "from", "username", "password_file", "ca_file",
                         "connect_timeout_ms", "timeout_ms"});
      !s) {
    return s;
  }
  std::string password_file;
  for (const auto& s :
       {Str(t, p, "url", &c->url, true), Str(t, p, "from", &c->from, true),
        Str(t, p, "username", &c->username), Str(t, p, "password_file", &password_file),
        Str(t, p, "ca_file", &c->ca_file),
        Int(t, p, "connect_timeout_ms", &c->connect_timeout_ms, 100, 120'000),
        Int(t, p, "timeout_ms", &c->timeout_ms, 100, 600'000)}) {
    if (!s) return s;
  }
  if (!StartsWith(c->url, "smtp://") && !StartsWith(c->url, "smtps://")) {
    return Bad("smtp.url", "must start with smtp:// (STARTTLS is required) or smtps://");
  }
  if (c->from.find('@') == std::string::npos ||
      c->from.find_first_of("<>\" ,;") != std::string::npos) {
    return Bad("smtp.from", "must be a plain address (user@domain)");
  }
  if (c->username.empty() != password_file.empty()) {
    return Bad("smtp.password_file", "username and password_file go together");
  }
  c->ca_file = Resolve(base_dir, c->ca_file);
  if (!password_file.empty()) {
    return Secret("smtp.password_file", Resolve(base_dir, password_file), &c->password);
  }
  return {};
}

base::Status Gateway(const toml::table& t, std::string_view p, const std::string& base_dir,
                     GatewayConfig* c) {
  if (auto s = OnlyKeys(
          t, p,
          {"url", "token_file", "ca_file", "to_field", "text_field", "ticket_field",
           "document_field", "extra", "connect_timeout_ms", "timeout_ms", "mode", "email_domain"});
      !s) {
    return s;
  }
  std::string token_file;
  for (const auto& s :
       {Str(t, p, "url", &c->url, true), Str(t, p, "token_file", &token_file),
        Str(t, p, "ca_file", &c->ca_file), Str(t, p, "to_field", &c->to_field),
        Str(t, p, "text_field", &c->text_field), Str(t, p, "ticket_field", &c->ticket_field),
        Str(t, p, "document_field", &c->document_field),
        Int(t, p, "connect_timeout_ms", &c->connect_timeout_ms, 100, 120'000),
        Int(t, p, "timeout_ms", &c->timeout_ms, 100, 600'000)}) {
    if (!s) return s;
  }
  if (!StartsWith(c->url, "https://")) return Bad(Join(p, "url"), "must start with https://");
  for (const std::string* f :
       {&c->to_field, &c->text_field, &c->ticket_field, &c->document_field}) {
    if (f->empty() || f->size() > 64) return Bad(p, "field names must be 1..64 characters");
  }
  if (const toml::node* n = t.get("extra")) {
    const toml::table* extra = n->as_table();
    if (extra == nullptr) return Bad(Join(p, "extra"), "must be a table of strings");
    if (extra->size() > 16) return Bad(Join(p, "extra"), "at most 16 fields");
    for (const auto& [k, v] : *extra) {
      std::string value;
      const std::string path = Join(p, "extra");
      if (auto s = Str(*extra, path, k.str(), &value); !s) return s;
      c->extra.emplace(std::string(k.str()), std::move(value));
    }
  }
  c->ca_file = Resolve(base_dir, c->ca_file);
  if (!token_file.empty()) {
    return Secret(Join(p, "token_file"), Resolve(base_dir, token_file), &c->token);
  }
  return {};
}

const toml::table* SubTable(const toml::table& doc, std::string_view key, base::Status* s) {
  const toml::node* n = doc.get(key);
  if (n == nullptr) return nullptr;
  const toml::table* t = n->as_table();
  if (t == nullptr) *s = Bad(key, "must be a table");
  return t;
}

}  // namespace

base::Result<NotifyConfig> ParseNotifyConfig(std::string_view text, const std::string& base_dir) {
  toml::table doc;
  try {
    doc = toml::parse(text);
  } catch (const toml::parse_error& e) {
    return base::MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("notify config: line {}: {}", e.source().begin.line, e.description()));
  }
  NotifyConfig c;
  if (auto s = OnlyKeys(doc, "",
                        {"socket", "key_file", "holder", "batch", "poll_interval_ms",
                         "lease_seconds", "smtp", "pager", "fax"});
      !s) {
    return s.error();
  }
  for (const auto& s :
       {Str(doc, "", "socket", &c.socket, true), Str(doc, "", "key_file", &c.key_file, true),
        Str(doc, "", "holder", &c.holder), Int(doc, "", "batch", &c.batch, 1, 8),
        Int(doc, "", "poll_interval_ms", &c.poll_interval_ms, 50, 60'000),
        Int(doc, "", "lease_seconds", &c.lease_seconds, 5, 3600)}) {
    if (!s) return s.error();
  }
  if (c.holder.empty() || c.holder.size() > 64 ||
      c.holder.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-") !=
          std::string::npos) {
    return Bad("holder", "1..64 characters of [A-Za-z0-9._@-]");
  }
  c.socket = Resolve(base_dir, c.socket);
  c.key_file = Resolve(base_dir, c.key_file);
  base::Status s;
  if (const toml::table* t = SubTable(doc, "smtp", &s)) {
    c.smtp.emplace();
    if (auto r = Smtp(*t, base_dir, &*c.smtp); !r) return r.error();
  }
  if (const toml::table* t = SubTable(doc, "pager", &s)) {
    if (t->contains("mode") || t->contains("email_domain") || t->contains("document_field")) {
      return Bad("pager", "mode, email_domain and document_field belong to [fax]");
    }
    c.pager.emplace();
    if (auto r = Gateway(*t, "pager", base_dir, &*c.pager); !r) return r.error();
  }
  if (const toml::table* t = SubTable(doc, "fax", &s)) {
    std::string mode = "https";
    if (auto r = Str(*t, "fax", "mode", &mode); !r) return r.error();
    if (mode == "email") {
      c.fax_mode = FaxMode::kEmail;
      if (auto r = OnlyKeys(*t, "fax", {"mode", "email_domain"}); !r) return r.error();
      if (auto r = Str(*t, "fax", "email_domain", &c.fax_email_domain, true); !r) {
        return r.error();
      }
      if (c.fax_email_domain.empty() ||
          c.fax_email_domain.find_first_not_of(
              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
              std::string::npos) {
        return Bad("fax.email_domain", "must be a domain name");
      }
      if (!c.smtp) return Bad("fax.mode", "email needs an [smtp] table");
    } else if (mode == "https") {
      if (t->contains("email_domain")) return Bad("fax.email_domain", "only with mode = \"email\"");
      c.fax.emplace();
      if (auto r = Gateway(*t, "fax", base_dir, &*c.fax); !r) return r.error();
    } else {
      return Bad("fax.mode", "must be \"https\" or \"email\"");
    }
  }
  if (!s) return s.error();
  return c;
}

base::Result<NotifyConfig> LoadNotifyConfig(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return base::MakeError(ErrorCode::kInvalidArgument, fmt::format("cannot open {}", path));
  }
  std::string text;
  constexpr std::size_t kMax = 1u << 20;
  char buf[8192];
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 && text.size() <= kMax) {
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (n < 0 || text.size() > kMax) {
    return base::MakeError(ErrorCode::kInvalidArgument,
                           fmt::format("cannot read {} (over 1 MiB?)", path));
  }
  return ParseNotifyConfig(text, std::filesystem::path(path).parent_path().string());
}

}  // namespace heartbase::notify
