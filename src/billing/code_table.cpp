// The strict reader of the billing code table (toml++). Every key is known or an error; every
// error names the origin, the line and the key path.
#include "billing/code_table.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>

namespace heartbase::billing {
namespace {

using base::ErrorCode;

constexpr std::size_t kMaxRules = 64;
constexpr std::size_t kMaxTypes = 32;

class Reader {
 public:
  explicit Reader(std::string_view origin) : origin_(origin) {}

  base::Error Fail(const toml::node* at, std::string_view path, std::string_view problem) const {
    const auto line = at != nullptr ? at->source().begin.line : 0;
    return base::MakeError(ErrorCode::kInvalidArgument,
                           fmt::format("{}:{}: {}: {}", origin_, line, path, problem));
  }

  base::Status Keys(const toml::table& t, std::string_view path,
                    std::initializer_list<std::string_view> known) const {
    for (const auto& [key, node] : t) {
      if (std::find(known.begin(), known.end(), key.str()) == known.end()) {
        return Fail(&node,
                    path.empty() ? std::string(key.str()) : fmt::format("{}.{}", path, key.str()),
                    "unknown key");
      }
    }
    return {};
  }

  base::Result<std::string> Text(const toml::table& t, std::string_view key, std::string_view path,
                                 std::size_t max, bool required) const {
    const toml::node* n = t.get(key);
    const std::string full = fmt::format("{}.{}", path, key);
    if (n == nullptr) {
      if (required) return Fail(&t, full, "missing");
      return std::string();
    }
    const auto* s = n->as_string();
    if (s == nullptr) return Fail(n, full, "expected a string");
    const std::string& v = s->get();
    if ((required && v.empty()) || v.size() > max) {
      return Fail(n, full, fmt::format("expected 1 to {} characters", max));
    }
    return v;
  }

  base::Result<int> Integer(const toml::table& t, std::string_view key, std::string_view path,
                            int min, int max, int fallback) const {
    const toml::node* n = t.get(key);
    const std::string full = fmt::format("{}.{}", path, key);
    if (n == nullptr) return fallback;
    const auto* i = n->as_integer();
    if (i == nullptr) return Fail(n, full, "expected an integer");
    if (i->get() < min || i->get() > max) {
      return Fail(n, full, fmt::format("{} is out of range {}–{}", i->get(), min, max));
    }
    return static_cast<int>(i->get());
  }

  base::Result<BilledCode> Code(const toml::node& n, std::string_view path) const {
    const auto* t = n.as_table();
    if (t == nullptr) return Fail(&n, path, "expected a table { code = \"…\", modifier = \"…\" }");
    if (auto s = Keys(*t, path, {"code", "modifier"}); !s) return s.error();
    auto code = Text(*t, "code", path, 10, true);
    if (!code) return code.error();
    auto modifier = Text(*t, "modifier", path, 4, false);
    if (!modifier) return modifier.error();
    for (char c : *code + *modifier) {
      if (!std::isalnum(static_cast<unsigned char>(c))) {
        return Fail(&n, path, "codes and modifiers are letters and digits");
      }
    }
    return BilledCode{std::move(*code), std::move(*modifier)};
  }

  base::Result<std::vector<std::string>> Types(const toml::table& t, std::string_view path) const {
    const std::string full = fmt::format("{}.device_types", path);
    const toml::node* n = t.get("device_types");
    if (n == nullptr) return Fail(&t, full, "missing");
    const auto* a = n->as_array();
    if (a == nullptr || a->empty() || a->size() > kMaxTypes) {
      return Fail(n, full, fmt::format("expected an array of 1 to {} device types", kMaxTypes));
    }
    std::vector<std::string> out;
    for (const toml::node& e : *a) {
      const auto* s = e.as_string();
      if (s == nullptr || s->get().empty() || s->get().size() > 40) {
        return Fail(&e, full, "expected device type names");
      }
      out.push_back(s->get());
    }
    return out;
  }

  base::Result<CodeTable> Read(const toml::table& root) {
    CodeTable table;
    if (auto s = Keys(
            root, "",
            {"version", "in_person_excludes_remote_professional", "remote", "in_person", "payer"});
        !s) {
      return s.error();
    }
    auto version = Text(root, "version", "table", 40, true);
    if (!version) {
      return Fail(root.get("version") ? root.get("version") : &root, "version",
                  "expected a version string (e.g. \"2026.1\")");
    }
    table.version = std::move(*version);
    if (const toml::node* n = root.get("in_person_excludes_remote_professional")) {
      const auto* b = n->as_boolean();
      if (b == nullptr) {
        return Fail(n, "in_person_excludes_remote_professional", "expected true or false");
      }
      table.in_person_excludes_remote_professional = b->get();
    }
    if (auto s = Sections(root, "remote",
                          [&](const toml::table& t, const std::string& name,
                              const std::string& path) -> base::Status {
                            return ReadRemote(t, name, path, table);
                          });
        !s) {
      return s.error();
    }
    if (auto s = Sections(root, "in_person",
                          [&](const toml::table& t, const std::string& name,
                              const std::string& path) -> base::Status {
                            if (auto k = Keys(t, path, {"device_types", "code"}); !k) return k;
                            InPersonRule rule{.name = name};
                            auto types = Types(t, path);
                            if (!types) return types.error();
                            rule.device_types = std::move(*types);
                            const toml::node* code = t.get("code");
                            if (code == nullptr) return Fail(&t, path + ".code", "missing");
                            auto c = Code(*code, path + ".code");
                            if (!c) return c.error();
                            rule.code = std::move(*c);
                            table.in_person.push_back(std::move(rule));
                            return {};
                          });
        !s) {
      return s.error();
    }
    if (auto s = Sections(root, "payer",
                          [&](const toml::table& t, const std::string& name,
                              const std::string& path) -> base::Status {
                            if (auto k = Keys(t, path, {"date_of_service"}); !k) return k;
                            auto rule = Text(t, "date_of_service", path, 20, true);
                            if (!rule) return rule.error();
                            PayerRule payer;
                            if (*rule == "period_end") {
                              payer.date_of_service = ServiceDateRule::kPeriodEnd;
                            } else if (*rule == "interpretation") {
                              payer.date_of_service = ServiceDateRule::kInterpretation;
                            } else {
                              return Fail(t.get("date_of_service"), path + ".date_of_service",
                                          "expected \"period_end\" or \"interpretation\"");
                            }
                            table.payers.emplace(name, payer);
                            return {};
                          });
        !s) {
      return s.error();
    }
    if (!table.payers.contains("default")) return Fail(&root, "payer.default", "missing");
    // A device type belongs to at most one remote rule (one series of periods per device).
    for (std::size_t i = 0; i < table.remote.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        for (const std::string& type : table.remote[i].device_types) {
          const auto& other = table.remote[j].device_types;
          if (std::find(other.begin(), other.end(), type) != other.end()) {
            return Fail(&root, fmt::format("remote.{}.device_types", table.remote[i].name),
                        fmt::format("\"{}\" is also in remote.{}", type, table.remote[j].name));
          }
        }
      }
    }
    return table;
  }

 private:
  template <typename F>
  base::Status Sections(const toml::table& root, std::string_view key, F&& each) {
    const toml::node* n = root.get(key);
    if (n == nullptr) return {};
    const auto* t = n->as_table();
    if (t == nullptr) return Fail(n, key, "expected tables [" + std::string(key) + ".NAME]");
    if (t->size() > kMaxRules) return Fail(n, key, fmt::format("more than {} rules", kMaxRules));
    for (const auto& [name, node] : *t) {
      const std::string path = fmt::format("{}.{}", key, name.str());
      const auto* section = node.as_table();
      if (section == nullptr) return Fail(&node, path, "expected a table");
      if (auto s = each(*section, std::string(name.str()), path); !s) return s;
    }
    return {};
  }

  base::Status ReadRemote(const toml::table& t, const std::string& name, const std::string& path,
                          CodeTable& table) const {
    if (auto k =
            Keys(t, path,
                 {"device_types", "period_days", "professional", "technical", "min_transmissions"});
        !k) {
      return k;
    }
    RemoteRule rule{.name = name};
    auto types = Types(t, path);
    if (!types) return types.error();
    rule.device_types = std::move(*types);
    if (t.get("period_days") == nullptr) return Fail(&t, path + ".period_days", "missing");
    auto days = Integer(t, "period_days", path, 1, 366, 90);
    if (!days) return days.error();
    rule.period_days = *days;
    auto min = Integer(t, "min_transmissions", path, 1, 100, 1);
    if (!min) return min.error();
    rule.min_transmissions = *min;
    for (const auto& [key, slot] :
         {std::pair{"professional", &rule.professional}, std::pair{"technical", &rule.technical}}) {
      if (const toml::node* n = t.get(key)) {
        auto code = Code(*n, path + "." + key);
        if (!code) return code.error();
        *slot = std::move(*code);
      }
    }
    if (!rule.professional && !rule.technical) {
      return Fail(&t, path, "names neither a professional nor a technical code");
    }
    table.remote.push_back(std::move(rule));
    return {};
  }

  std::string origin_;
};

template <typename Rule>
const Rule* FindFor(const std::vector<Rule>& rules, std::string_view device_type) {
  for (const Rule& r : rules) {
    if (std::find(r.device_types.begin(), r.device_types.end(), device_type) !=
        r.device_types.end()) {
      return &r;
    }
  }
  return nullptr;
}

}  // namespace

const RemoteRule* CodeTable::RemoteFor(std::string_view device_type) const {
  return FindFor(remote, device_type);
}

const InPersonRule* CodeTable::InPersonFor(std::string_view device_type) const {
  return FindFor(in_person, device_type);
}

const PayerRule& CodeTable::Payer(std::string_view payer) const {
  auto it = payers.find(payer);
  if (it == payers.end()) it = payers.find("default");
  return it->second;
}

base::Result<CodeTable> ParseCodeTable(std::string_view text, std::string_view origin) {
  if (text.size() > 256 * 1024) {
    return base::MakeError(ErrorCode::kLimitExceeded,
                           fmt::format("{}: larger than 256 KiB", origin));
  }
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return base::MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("{}:{}: {}", origin, e.source().begin.line, std::string_view(e.description())));
  }
  return Reader(origin).Read(root);
}

}  // namespace heartbase::billing
