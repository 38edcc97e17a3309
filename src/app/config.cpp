// The serve configuration file: one table of keys (section, name, the flag it stands for, its
// range, a comment) drives both the strict reader and the printed defaults, so the two cannot
// drift apart. Senders, alert recipients and EHR destinations are arrays of tables, turned into
// the same specs the repeatable flags take and checked here, so an error names the line.
#include "app/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <variant>
#include <vector>

#include "app/data_dir.h"
#include "ehr/delivery.h"

namespace heartbase::app {
namespace {

using base::ErrorCode;
using Value = std::variant<std::string, std::int64_t, bool, std::vector<std::string>>;

constexpr std::size_t kMaxConfigBytes = 1u << 20;
constexpr std::size_t kMaxText = 4096;
constexpr std::size_t kMaxListItems = 256;
constexpr std::int64_t kDay = 24 * 3600;

struct Key {
  std::string_view section;
  std::string_view name;
  std::string_view flag;  // the serve flag it stands for
  std::string_view comment;
  std::int64_t min = 0, max = 0;  // integers only
  std::function<Value(ServeCommand&)> get;
  std::function<void(ServeCommand&, Value)> set;
};

// Accessors for each kind of field; `field` returns a reference into the command.
template <class F>
Key Text(std::string_view section, std::string_view name, std::string_view flag, F field,
         std::string_view comment) {
  return {section,
          name,
          flag,
          comment,
          0,
          0,
          [field](ServeCommand& c) -> Value { return field(c); },
          [field](ServeCommand& c, Value v) { field(c) = std::get<std::string>(std::move(v)); }};
}

template <class F>
Key Flag(std::string_view section, std::string_view name, std::string_view flag, F field,
         std::string_view comment) {
  return {section,
          name,
          flag,
          comment,
          0,
          0,
          [field](ServeCommand& c) -> Value { return field(c); },
          [field](ServeCommand& c, Value v) { field(c) = std::get<bool>(v); }};
}

template <class F>
Key Integer(std::string_view section, std::string_view name, std::string_view flag, F field,
            std::int64_t min, std::int64_t max, std::string_view comment) {
  return {section,
          name,
          flag,
          comment,
          min,
          max,
          [field](ServeCommand& c) -> Value { return static_cast<std::int64_t>(field(c)); },
          [field](ServeCommand& c, Value v) {
            using T = std::remove_reference_t<decltype(field(c))>;
            field(c) = static_cast<T>(std::get<std::int64_t>(v));
          }};
}

template <class F>
Key List(std::string_view section, std::string_view name, std::string_view flag, F field,
         std::string_view comment) {
  return {section,
          name,
          flag,
          comment,
          0,
          0,
          [field](ServeCommand& c) -> Value { return field(c); },
          [field](ServeCommand& c, Value v) {
            field(c) = std::get<std::vector<std::string>>(std::move(v));
          }};
}

const std::vector<Key>& Keys() {
  // clang-format off
  static const std::vector<Key> keys = {
      Text("store", "data", "--data", [](ServeCommand& c) -> auto& { return c.data; },
           "The data directory (database, key check, TLS material)"),
      Text("store", "key_file", "--key-file", [](ServeCommand& c) -> auto& { return c.key_file; },
           "The key ring; empty = DATA/keyring. Keep it apart from backups"),
      Text("store", "driver", "--store-driver", [](ServeCommand& c) -> auto& { return c.store_driver; },
           "\"sqlite\" (DATA/heartbase.db) or \"postgres\" (several nodes may share one server)"),
      Text("store", "postgres", "--postgres", [](ServeCommand& c) -> auto& { return c.postgres; },
           "libpq connection string or service=NAME; never a password (use a password file)"),
      Integer("store", "postgres_connections", "--postgres-connections",
              [](ServeCommand& c) -> auto& { return c.postgres_connections; }, 1, 1000,
              "Connections this node keeps to PostgreSQL at most"),
      Flag("store", "upgrade", "--upgrade", [](ServeCommand& c) -> auto& { return c.upgrade; },
           "Migrate an older database schema at start-up (take a backup first)"),
      Integer("store", "startup_check_ms", "--startup-check-ms",
              [](ServeCommand& c) -> auto& { return c.startup_check_ms; }, 0, 3600 * 1000,
              "Time allowed to the structural check at start-up"),
      Integer("store", "verify_interval_s", "--verify-interval-s",
              [](ServeCommand& c) -> auto& { return c.verify_interval_s; }, 0, 366 * kDay,
              "Verify the whole store in the background this often; 0 = never"),
      Integer("store", "verify_first_s", "--verify-first-s",
              [](ServeCommand& c) -> auto& { return c.verify_first_s; }, 0, 366 * kDay,
              "The first background verification, this long after start-up"),

      Text("mllp", "listen", "--mllp-listen", [](ServeCommand& c) -> auto& { return c.mllp_listen; },
           "HOST:PORT; plaintext on loopback only, TLS with client certificates elsewhere"),
      Text("mllp", "tls_cert", "--mllp-tls-cert", [](ServeCommand& c) -> auto& { return c.mllp_tls_cert; },
           "PEM certificate chain: MLLP over TLS (then every sender needs certificate_cn)"),
      Text("mllp", "tls_key", "--mllp-tls-key", [](ServeCommand& c) -> auto& { return c.mllp_tls_key; },
           "PEM private key of tls_cert"),
      Text("mllp", "client_ca", "--mllp-client-ca", [](ServeCommand& c) -> auto& { return c.mllp_client_ca; },
           "PEM CA bundle that issues the senders' certificates"),
      Integer("mllp", "max_connections", "--mllp-max-connections",
              [](ServeCommand& c) -> auto& { return c.mllp_limits.max_connections; }, 1, 100000,
              "Connections at most; at the cap the idle, then the slowest make room"),
      Integer("mllp", "max_per_address", "--mllp-max-per-address",
              [](ServeCommand& c) -> auto& { return c.mllp_limits.max_connections_per_address; }, 1,
              100000, "Connections at most from one address"),
      Integer("mllp", "reserved_connections", "--mllp-reserved-connections",
              [](ServeCommand& c) -> auto& { return c.mllp_limits.reserved_connections; }, 0, 100000,
              "Of max_connections, kept for identified senders"),
      List("mllp", "reserve_addresses", "--mllp-reserve-address",
           [](ServeCommand& c) -> auto& { return c.mllp_limits.reserved_addresses; },
           "Plaintext (loopback) addresses that may use the reserved connections"),
      Integer("mllp", "min_rate", "--mllp-min-rate",
              [](ServeCommand& c) -> auto& { return c.mllp_limits.min_bytes_per_second; }, 0,
              1 << 30, "Bytes per second a frame in progress must keep receiving; 0 = no minimum"),
      Integer("mllp", "rate_window_ms", "--mllp-rate-window-ms",
              [](ServeCommand& c) -> auto& { return c.mllp_rate_window_ms; }, 50, 600000,
              "Window over which min_rate is measured"),

      Text("https", "listen", "--https-listen", [](ServeCommand& c) -> auto& { return c.https_listen; },
           "HOST:PORT of the API and web application; \"none\" = off"),
      Text("https", "cert", "--https-cert", [](ServeCommand& c) -> auto& { return c.https_cert; },
           "PEM certificate chain; empty = DATA/tls/cert.pem; \"none\" = plain HTTP on loopback"),
      Text("https", "key", "--https-key", [](ServeCommand& c) -> auto& { return c.https_key; },
           "PEM private key; empty = DATA/tls/key.pem"),
      Text("https", "web_root", "--web-root", [](ServeCommand& c) -> auto& { return c.web_root; },
           "The built web application to serve beside the API; empty = API only"),
      Integer("https", "max_connections", "--https-max-connections",
              [](ServeCommand& c) -> auto& { return c.https_limits.max_connections; }, 1, 100000,
              "Connections at most; at the cap the idle, then the slowest make room"),
      Integer("https", "max_per_address", "--https-max-per-address",
              [](ServeCommand& c) -> auto& { return c.https_limits.max_connections_per_address; }, 1,
              100000, "Connections at most from one address"),
      Integer("https", "min_rate", "--https-min-rate",
              [](ServeCommand& c) -> auto& { return c.https_limits.min_bytes_per_second; }, 0,
              1 << 30, "Bytes per second a request in progress must keep receiving; 0 = no minimum"),
      Integer("https", "rate_window_ms", "--https-rate-window-ms",
              [](ServeCommand& c) -> auto& { return c.https_rate_window_ms; }, 50, 600000,
              "Window over which min_rate is measured"),

      Text("ingest", "watch", "--watch", [](ServeCommand& c) -> auto& { return c.watch_dir; },
           "Drop folder: files placed here are imported, then moved to done/ or failed/"),
      Integer("ingest", "watch_interval_ms", "--watch-interval-ms",
              [](ServeCommand& c) -> auto& { return c.watch_interval_ms; }, 50, 600000,
              "How often the drop folder is scanned"),
      Integer("ingest", "default_clinic", "--feed *=CLINIC",
              [](ServeCommand& c) -> auto& { return c.default_clinic; }, 0,
              std::numeric_limits<std::int32_t>::max(),
              "The clinic of every sender not listed below; 0 = the unassigned pool"),

      Integer("rules", "missed_scan_interval_s", "--missed-scan-interval-s",
              [](ServeCommand& c) -> auto& { return c.missed_scan_interval_s; }, 1, kDay,
              "How often every patient is checked for a missed transmission"),
      Integer("rules", "first_scan_s", "--first-scan-s",
              [](ServeCommand& c) -> auto& { return c.first_scan_s; }, 0, kDay,
              "The first missed-transmission check and billing close, this long after start-up"),

      Text("notify", "socket", "--notify-socket", [](ServeCommand& c) -> auto& { return c.notify_socket; },
           "Unix socket for heartbase notify; empty = none (docs/notify.md)"),
      Integer("notify", "uid", "--notify-uid", [](ServeCommand& c) -> auto& { return c.notify_uid; },
              -1, std::numeric_limits<std::int32_t>::max(),
              "The only uid allowed on the socket; -1 = the uid serve runs as"),

      Text("billing", "codes", "--billing-codes", [](ServeCommand& c) -> auto& { return c.billing_codes; },
           "The billing code table (TOML); empty = the built-in table"),
      Text("billing", "facility", "--billing-facility",
           [](ServeCommand& c) -> auto& { return c.billing_facility; },
           "MSH-4 of exported DFT^P03 charge messages"),
      Text("billing", "receiver", "--billing-receiver",
           [](ServeCommand& c) -> auto& { return c.billing_receiver; },
           "APP|FACILITY: MSH-5 and MSH-6 of exported DFT^P03 charge messages"),

      Text("metrics", "listen", "--metrics-listen", [](ServeCommand& c) -> auto& { return c.metrics_listen; },
           "HOST:PORT of the Prometheus endpoint (plain HTTP, loopback only); empty = off"),
  };
  // clang-format on
  return keys;
}

// The arrays of tables: their keys, for the unknown-key check and the printed example.
constexpr std::string_view kSenderKeys[] = {"application", "facility", "clinics", "certificate_cn",
                                            "ack_mode"};
constexpr std::string_view kAlertKeys[] = {"severity", "channel", "recipient"};
constexpr std::string_view kSignoffKeys[] = {"channel", "recipient"};
constexpr std::string_view kEhrKeys[] = {"name",
                                         "host",
                                         "port",
                                         "authority",
                                         "type",
                                         "pv1",
                                         "ca",
                                         "server_name",
                                         "cert",
                                         "key",
                                         "receiving_app",
                                         "receiving_facility",
                                         "sending_facility",
                                         "attempts",
                                         "backoff_ms",
                                         "ack_timeout_ms"};

class Reader {
 public:
  explicit Reader(std::string_view origin) : origin_(origin) {}

  base::Error Fail(const toml::node* at, std::string_view path, std::string_view problem) const {
    const auto line = at != nullptr ? at->source().begin.line : 0;
    return base::MakeError(ErrorCode::kInvalidArgument,
                           fmt::format("{}:{}: {}: {}", origin_, line, path, problem));
  }

  base::Result<Value> Read(const Key& key, const toml::node& n, const Value& kind) const {
    const std::string path = fmt::format("{}.{}", key.section, key.name);
    if (std::holds_alternative<std::string>(kind)) {
      const auto* s = n.as_string();
      if (s == nullptr) return Fail(&n, path, "expected a string");
      if (s->get().size() > kMaxText) return Fail(&n, path, "longer than 4096 characters");
      return Value(s->get());
    }
    if (std::holds_alternative<bool>(kind)) {
      const auto* b = n.as_boolean();
      if (b == nullptr) return Fail(&n, path, "expected true or false");
      return Value(b->get());
    }
    if (std::holds_alternative<std::int64_t>(kind)) {
      const auto* i = n.as_integer();
      if (i == nullptr) return Fail(&n, path, "expected an integer");
      if (i->get() < key.min || i->get() > key.max) {
        return Fail(&n, path, fmt::format("{} is out of range {}–{}", i->get(), key.min, key.max));
      }
      return Value(i->get());
    }
    auto list = Strings(n, path);
    if (!list) return list.error();
    return Value(std::move(*list));
  }

  base::Result<std::vector<std::string>> Strings(const toml::node& n, std::string_view path) const {
    const auto* a = n.as_array();
    if (a == nullptr || a->size() > kMaxListItems) {
      return Fail(&n, path, "expected an array of at most 256 strings");
    }
    std::vector<std::string> out;
    for (const toml::node& e : *a) {
      const auto* s = e.as_string();
      if (s == nullptr || s->get().empty() || s->get().size() > kMaxText) {
        return Fail(&e, path, "expected non-empty strings");
      }
      out.push_back(s->get());
    }
    return out;
  }

  // The tables of an array of tables (`[[sender]]`), each checked for unknown keys.
  base::Result<std::vector<const toml::table*>> Tables(
      const toml::node& n, std::string_view path, std::span<const std::string_view> known) const {
    const auto* a = n.as_array();
    if (a == nullptr || a->size() > kMaxListItems) {
      return Fail(&n, path, fmt::format("expected [[{}]] tables (at most 256)", path));
    }
    std::vector<const toml::table*> out;
    for (const toml::node& e : *a) {
      const auto* t = e.as_table();
      if (t == nullptr) return Fail(&e, path, fmt::format("expected [[{}]] tables", path));
      for (const auto& [k, v] : *t) {
        if (std::find(known.begin(), known.end(), k.str()) == known.end()) {
          return Fail(&v, fmt::format("{}.{}", path, k.str()), "unknown key");
        }
      }
      out.push_back(t);
    }
    return out;
  }

  // A string value of a table in an array (empty when absent); commas and the separators of the
  // flag specs are refused so that one value cannot become two.
  base::Result<std::string> Word(const toml::table& t, std::string_view key, std::string_view path,
                                 bool required, std::string_view forbidden = ",") const {
    const std::string full = fmt::format("{}.{}", path, key);
    const toml::node* n = t.get(key);
    if (n == nullptr) {
      if (required) return Fail(&t, full, "missing");
      return std::string();
    }
    const auto* s = n->as_string();
    if (s == nullptr) return Fail(n, full, "expected a string");
    const std::string& v = s->get();
    if ((required && v.empty()) || v.size() > 255) {
      return Fail(n, full, "expected 1 to 255 characters");
    }
    if (v.find_first_of(forbidden) != std::string::npos) {
      return Fail(n, full, fmt::format("may not contain any of \"{}\"", forbidden));
    }
    return v;
  }

  base::Status Senders(const toml::node& n, ServeCommand& c) const {
    auto tables = Tables(n, "sender", kSenderKeys);
    if (!tables) return tables.error();
    for (const toml::table* t : *tables) {
      auto app = Word(*t, "application", "sender", true, ",|=^~\\&");
      if (!app) return app.error();
      auto facility = Word(*t, "facility", "sender", false, ",|=^~\\&");
      if (!facility) return facility.error();
      const std::string who = fmt::format("{}|{}", *app, *facility);
      if (const toml::node* clinics = t->get("clinics")) {
        const auto* a = clinics->as_array();
        if (a == nullptr || a->empty() || a->size() > kMaxListItems) {
          return Fail(clinics, "sender.clinics", "expected an array of clinic ids, e.g. [1]");
        }
        std::string list;
        for (const toml::node& e : *a) {
          const auto* i = e.as_integer();
          if (i == nullptr || i->get() < 1 || i->get() > std::numeric_limits<std::int32_t>::max()) {
            return Fail(&e, "sender.clinics", "expected clinic ids (positive integers)");
          }
          list += fmt::format("{}{}", list.empty() ? "" : ",", i->get());
        }
        c.feeds.push_back(fmt::format("{}={}", who, list));
      }
      auto cn = Word(*t, "certificate_cn", "sender", false, "=");
      if (!cn) return cn.error();
      if (!cn->empty()) c.mllp_senders.push_back(fmt::format("{}={}", *cn, who));
      auto mode = Word(*t, "ack_mode", "sender", false);
      if (!mode) return mode.error();
      if (!mode->empty()) {
        if (*mode != "original" && *mode != "enhanced") {
          return Fail(t->get("ack_mode"), "sender.ack_mode",
                      "expected \"original\" or \"enhanced\"");
        }
        c.ack_modes.push_back(fmt::format("{}={}", who, *mode));
      }
    }
    return {};
  }

  base::Status Notify(const toml::table& section, ServeCommand& c) const {
    if (const toml::node* n = section.get("alert")) {
      auto tables = Tables(*n, "notify.alert", kAlertKeys);
      if (!tables) return tables.error();
      for (const toml::table* t : *tables) {
        auto severity = Word(*t, "severity", "notify.alert", true, ":");
        if (!severity) return severity.error();
        if (*severity != "red" && *severity != "yellow" && *severity != "info") {
          return Fail(t->get("severity"), "notify.alert.severity",
                      "expected \"red\", \"yellow\" or \"info\"");
        }
        auto channel = Channel(*t, "notify.alert");
        if (!channel) return channel.error();
        auto recipient = Word(*t, "recipient", "notify.alert", true, "");
        if (!recipient) return recipient.error();
        c.notify_alerts.push_back(fmt::format("{}:{}:{}", *severity, *channel, *recipient));
      }
    }
    if (const toml::node* n = section.get("signoff")) {
      auto tables = Tables(*n, "notify.signoff", kSignoffKeys);
      if (!tables) return tables.error();
      for (const toml::table* t : *tables) {
        auto channel = Channel(*t, "notify.signoff");
        if (!channel) return channel.error();
        auto recipient = Word(*t, "recipient", "notify.signoff", true, "");
        if (!recipient) return recipient.error();
        c.notify_signoffs.push_back(fmt::format("{}:{}", *channel, *recipient));
      }
    }
    return {};
  }

  base::Result<std::string> Channel(const toml::table& t, std::string_view path) const {
    auto channel = Word(t, "channel", path, true);
    if (!channel) return channel.error();
    if (*channel != "email" && *channel != "pager") {
      return Fail(t.get("channel"), fmt::format("{}.channel", path),
                  "expected \"email\" or \"pager\"");
    }
    return channel;
  }

  // [[ehr.destination]]: the keys of --ehr-destination, with underscores; checked by the same
  // parser serve uses, so a bad value names this file's line.
  base::Status Ehr(const toml::node& n, ServeCommand& c) const {
    auto tables = Tables(n, "ehr.destination", kEhrKeys);
    if (!tables) return tables.error();
    for (const toml::table* t : *tables) {
      std::string spec;
      for (const auto& [k, v] : *t) {
        std::string key(k.str());
        std::replace(key.begin(), key.end(), '_', '-');
        std::string value;
        if (const auto* s = v.as_string()) {
          value = s->get();
        } else if (const auto* i = v.as_integer()) {
          value = std::to_string(i->get());
        } else if (const auto* b = v.as_boolean()) {
          value = b->get() ? "1" : "0";
        } else {
          return Fail(&v, fmt::format("ehr.destination.{}", k.str()),
                      "expected a string, an integer or a boolean");
        }
        if (value.find(',') != std::string::npos || value.size() > kMaxText) {
          return Fail(&v, fmt::format("ehr.destination.{}", k.str()),
                      "may not contain a comma or exceed 4096 characters");
        }
        spec += fmt::format("{}{}={}", spec.empty() ? "" : ",", key, value);
      }
      if (auto d = ehr::ParseDestination(spec); !d) {
        return Fail(t, "ehr.destination", d.error().message);
      }
      c.ehr_destinations.push_back(std::move(spec));
    }
    return {};
  }

  base::Status Apply(const toml::table& root, ServeCommand& c) const {
    for (const auto& [section_key, section_node] : root) {
      const std::string_view section = section_key.str();
      if (section == "sender") {
        if (auto s = Senders(section_node, c); !s) return s;
        continue;
      }
      const auto* table = section_node.as_table();
      const bool known_section = std::any_of(Keys().begin(), Keys().end(),
                                             [&](const Key& k) { return k.section == section; }) ||
                                 section == "ehr";
      if (!known_section) return Fail(&section_node, section, "unknown section");
      if (table == nullptr) return Fail(&section_node, section, "expected a [section]");
      for (const auto& [name, node] : *table) {
        if (section == "notify" && (name.str() == "alert" || name.str() == "signoff")) continue;
        if (section == "ehr" && name.str() == "destination") {
          if (auto s = Ehr(node, c); !s) return s;
          continue;
        }
        const std::string_view key_name = name.str();  // (a structured binding: not captured)
        auto key = std::find_if(Keys().begin(), Keys().end(), [&](const Key& k) {
          return k.section == section && k.name == key_name;
        });
        if (key == Keys().end()) {
          return Fail(&node, fmt::format("{}.{}", section, name.str()), "unknown key");
        }
        auto value = Read(*key, node, key->get(c));
        if (!value) return value.error();
        key->set(c, std::move(*value));
      }
      if (section == "notify") {
        if (auto s = Notify(*table, c); !s) return s;
      }
    }
    return {};
  }

 private:
  std::string origin_;
};

std::string Render(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return TomlString(*s);
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  std::string out = "[";
  for (const std::string& s : std::get<std::vector<std::string>>(v)) {
    out += fmt::format("{}{}", out.size() > 1 ? ", " : "", TomlString(s));
  }
  return out + "]";
}

}  // namespace

base::Status ApplyConfigText(std::string_view text, std::string_view origin,
                             ServeCommand& command) {
  if (text.size() > kMaxConfigBytes) {
    return base::MakeError(ErrorCode::kLimitExceeded, fmt::format("{}: larger than 1 MiB", origin));
  }
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return base::MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("{}:{}: {}", origin, e.source().begin.line, std::string_view(e.description())));
  }
  ServeCommand updated = command;
  if (auto s = Reader(origin).Apply(root, updated); !s) return s;
  command = std::move(updated);
  return {};
}

base::Status ApplyConfigFile(const std::string& path, ServeCommand& command) {
  auto text = ReadSmallFile(path, kMaxConfigBytes);
  if (!text) return text.error();
  return ApplyConfigText(*text, path, command);
}

std::string DefaultConfigText() {
  ServeCommand defaults;
  std::string out =
      "# heartbase serve: the configuration (docs/configuration.md).\n"
      "# Every key is shown with its default. A flag of `heartbase serve` overrides the key it\n"
      "# names; an unknown key, a wrong type or a value out of range stops start-up naming the\n"
      "# line. Secrets are never in this file: the key ring is a file of its own "
      "(store.key_file).\n";
  std::string_view section;
  for (const Key& k : Keys()) {
    if (k.section != section) {
      section = k.section;
      out += fmt::format("\n[{}]\n", section);
    }
    out += fmt::format("# {} ({})\n{} = {}\n", k.comment, k.flag, k.name, Render(k.get(defaults)));
  }
  out +=
      "\n[ehr]\n"
      "# Each signed result goes to every destination over MLLP (docs/ehr.md; --ehr-destination).\n"
      "# TLS unless the host is a loopback address.\n"
      "# [[ehr.destination]]\n"
      "# name = \"hospital-ehr\"          # unique; names the destination in logs and the API\n"
      "# host = \"ehr.hospital.example\"\n"
      "# port = 6661\n"
      "# authority = \"HOSP\"             # assigning authority of the MRN in PID-3\n"
      "# type = \"oru\"                   # oru (ORU^R01) or mdm (MDM^T02)\n"
      "# pv1 = false                    # send a PV1 segment\n"
      "# ca = \"/etc/heartbase/ehr-ca.pem\"\n"
      "# server_name = \"ehr.hospital.example\"\n"
      "# cert = \"/etc/heartbase/ehr-client.pem\"\n"
      "# key = \"/etc/heartbase/ehr-client.key\"\n"
      "# receiving_app = \"EHR\"\n"
      "# receiving_facility = \"HOSP\"\n"
      "# sending_facility = \"CARDIOLOGY\"\n"
      "# attempts = 10\n"
      "# backoff_ms = 1000\n"
      "# ack_timeout_ms = 30000\n"
      "\n"
      "# Alerts and sign-offs told to people by heartbase notify (no patient data in the text):\n"
      "# [[notify.alert]]\n"
      "# severity = \"red\"                # red, yellow or info: the least severe that is told\n"
      "# channel = \"email\"               # email or pager\n"
      "# recipient = \"oncall@clinic.example\"\n"
      "# [[notify.signoff]]\n"
      "# channel = \"email\"\n"
      "# recipient = \"billing@clinic.example\"\n"
      "\n"
      "# Senders (--feed, --mllp-sender, --ack-mode): who delivers, for which clinics, with which\n"
      "# certificate. A sender not listed delivers into ingest.default_clinic, or the unassigned\n"
      "# pool an administrator routes.\n"
      "# [[sender]]\n"
      "# application = \"CARELINK\"       # MSH-3 of its messages\n"
      "# facility = \"MEDTRONIC\"         # MSH-4\n"
      "# clinics = [1]                  # new patients land in the first\n"
      "# certificate_cn = \"carelink-gw\" # MLLP over TLS: the client certificate that may send as "
      "it\n"
      "# ack_mode = \"enhanced\"          # original or enhanced acknowledgments\n";
  return out;
}

std::string ConfigPathIn(const std::string& data_root) {
  return (std::filesystem::path(data_root) / "heartbase.toml").string();
}

std::string TomlString(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) {
      out += fmt::format("\\u{:04X}", static_cast<unsigned char>(ch));
    } else {
      out += ch;
    }
  }
  return out + '"';
}

}  // namespace heartbase::app
