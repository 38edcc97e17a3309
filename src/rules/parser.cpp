// The strict TOML reader of rule configurations (toml++). Every key is known or an error; every
// error names the key path. toml++ reports syntax errors by exception, caught here.
#include <fmt/format.h>
#include <toml++/toml.h>

#include <cmath>
#include <vector>

#include "rules/rule_set.h"

namespace heartbase::rules {
namespace {

using base::ErrorCode;

constexpr std::string_view kTriageKeys[4] = {"red_hours", "yellow_hours", "info_hours",
                                             "routine_hours"};
constexpr double kMaxTriageHours = 24 * 366;

std::string_view TypeName(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number";
    case toml::node_type::boolean:
      return "a boolean";
    default:
      return "a date/time";
  }
}

std::string Join(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

enum class Level { kTop, kClinic, kLeaf };

class Parser {
 public:
  explicit Parser(const ParseLimits& limits) : limits_(limits) {}

  base::Error Fail(std::string_view path, std::string_view problem) const {
    return base::MakeError(ErrorCode::kInvalidArgument,
                           fmt::format("rules config: {}: {}", path, problem));
  }

  const toml::table* Table(const toml::node& n, std::string_view path, base::Status* s) const {
    if (const toml::table* t = n.as_table()) return t;
    *s = Fail(path, fmt::format("expected a table, got {}", TypeName(n)));
    return nullptr;
  }

  base::Status Count(std::string_view path) {
    if (++overrides_ > limits_.max_overrides) {
      return base::MakeError(ErrorCode::kLimitExceeded,
                             fmt::format("rules config: {}: more than {} override tables", path,
                                         limits_.max_overrides));
    }
    return {};
  }

  base::Result<double> Number(const toml::node& n, std::string_view path, double min, double max,
                              bool integer) const {
    if (!n.is_integer() && !n.is_floating_point()) {
      return Fail(path, fmt::format("expected a number, got {}", TypeName(n)));
    }
    const double v = n.value<double>().value_or(NAN);
    if (!std::isfinite(v)) return Fail(path, "expected a finite number");
    if (integer && v != std::floor(v))
      return Fail(path, fmt::format("{} is not a whole number", v));
    if (v < min || v > max) {
      return Fail(path, fmt::format("{} is out of range {}–{}", v, min, max));
    }
    return v;
  }

  base::Status Rule(const RuleSpec& spec, const toml::table& table, const std::string& path,
                    RuleOverride* out) const {
    for (auto&& [key, node] : table) {
      const std::string here = Join(path, key.str());
      if (key.str() == "enabled") {
        if (!node.is_boolean()) {
          return Fail(here, fmt::format("expected true or false, got {}", TypeName(node)));
        }
        out->enabled = node.value<bool>();
        continue;
      }
      if (key.str() == "severity") {
        const auto text = node.value<std::string_view>();
        const auto severity = text ? store::SeverityFromString(*text) : std::nullopt;
        if (!severity) return Fail(here, "expected \"red\", \"yellow\" or \"info\"");
        out->severity = severity;
        continue;
      }
      bool known = false;
      for (std::size_t p = 0; p < spec.param_count; ++p) {
        const ParamSpec& ps = spec.params[p];
        if (ps.name != key.str()) continue;
        auto v = Number(node, here, ps.min, ps.max, ps.integer);
        if (!v) return v.error();
        out->params[p] = *v;
        known = true;
      }
      if (!known) return Fail(here, fmt::format("unknown key for rule {}", spec.name));
    }
    // A range given whole in one table must be a range.
    if (spec.id == RuleId::kLeadImpedanceRange || spec.id == RuleId::kHvImpedanceRange) {
      const auto& lo = out->params[param::kMinOhm];
      const auto& hi = out->params[param::kMaxOhm];
      if (lo && hi && *lo >= *hi) {
        return Fail(Join(path, "max_ohm"),
                    fmt::format("min_ohm {} is not below max_ohm {}", *lo, *hi));
      }
    }
    return {};
  }

  base::Status Rules(const toml::table& table, const std::string& path, Layer* layer) const {
    for (auto&& [key, node] : table) {
      const std::string here = Join(path, key.str());
      const auto id = RuleFromName(key.str());
      if (!id) return Fail(here, "unknown rule");
      base::Status s;
      const toml::table* t = Table(node, here, &s);
      if (!t) return s;
      if (auto r = Rule(SpecOf(*id), *t, here, &layer->rules[static_cast<std::size_t>(*id)]); !r) {
        return r;
      }
    }
    return {};
  }

  base::Status Triage(const toml::table& table, const std::string& path, Layer* layer) const {
    for (auto&& [key, node] : table) {
      const std::string here = Join(path, key.str());
      bool known = false;
      for (std::size_t i = 0; i < 4; ++i) {
        if (kTriageKeys[i] != key.str()) continue;
        auto v = Number(node, here, 1, kMaxTriageHours, false);
        if (!v) return v.error();
        layer->triage_hours[i] = *v;
        known = true;
      }
      if (!known)
        return Fail(here, "unknown key (red_hours, yellow_hours, info_hours, routine_hours)");
    }
    return {};
  }

  // Parses an id key ("2" in clinic.2): a positive integer of at most 18 digits.
  base::Result<std::int64_t> Id(std::string_view key, std::string_view path) const {
    if (key.empty() || key.size() > 18 || key.find_first_not_of("0123456789") != key.npos) {
      return Fail(path, "expected a numeric id");
    }
    std::int64_t id = 0;
    for (char c : key) id = id * 10 + (c - '0');
    if (id == 0) return Fail(path, "ids start at 1");
    return id;
  }

  // A device_type table: one leaf layer per device-type name, handed to `put`.
  template <typename Put>
  base::Status DeviceTypes(const toml::table& table, const std::string& path, Put put) {
    for (auto&& [key, node] : table) {
      const std::string here = Join(path, key.str());
      const auto type = DeviceTypeFromName(key.str());
      if (!type) return Fail(here, "unknown device type (pacemaker, icd, crt_p, crt_d, icm)");
      base::Status s;
      const toml::table* t = Table(node, here, &s);
      if (!t) return s;
      if (auto c = Count(here); !c) return c;
      Layer layer;
      if (auto r = LayerOf(*t, here, Level::kLeaf, &layer); !r) return r;
      put(*type, layer);
    }
    return {};
  }

  template <typename Put>
  base::Status Ids(const toml::node& node, const std::string& path, Level level, Put put) {
    base::Status s;
    const toml::table* table = Table(node, path, &s);
    if (!table) return s;
    for (auto&& [key, child] : *table) {
      const std::string here = Join(path, key.str());
      auto id = Id(key.str(), here);
      if (!id) return id.error();
      const toml::table* t = Table(child, here, &s);
      if (!t) return s;
      if (auto c = Count(here); !c) return c;
      Layer layer;
      if (auto r = LayerOf(*t, here, level, &layer, *id); !r) return r;
      put(*id, layer);
    }
    return {};
  }

  base::Status LayerOf(const toml::table& table, const std::string& path, Level level, Layer* layer,
                       std::int64_t clinic = 0) {
    for (auto&& [key, node] : table) {
      const std::string here = Join(path, key.str());
      const std::string_view k = key.str();
      base::Status s;
      if (k == "rules" || k == "triage") {
        const toml::table* t = Table(node, here, &s);
        if (!t) return s;
        s = k == "rules" ? Rules(*t, here, layer) : Triage(*t, here, layer);
      } else if (k == "device_type" && level != Level::kLeaf) {
        const toml::table* t = Table(node, here, &s);
        if (!t) return s;
        if (level == Level::kTop) {
          s = DeviceTypes(*t, here,
                          [&](domain::DeviceType d, const Layer& l) { out_.device_type(d) = l; });
        } else {
          s = DeviceTypes(*t, here, [&](domain::DeviceType d, const Layer& l) {
            out_.clinic_device_type(clinic, d) = l;
          });
        }
      } else if (k == "clinic" && level == Level::kTop) {
        s = Ids(node, here, Level::kClinic,
                [&](std::int64_t id, const Layer& l) { out_.clinic(id) = l; });
      } else if (k == "patient" && level == Level::kTop) {
        s = Ids(node, here, Level::kLeaf,
                [&](std::int64_t id, const Layer& l) { out_.patient(id) = l; });
      } else {
        return Fail(here, "unknown key");
      }
      if (!s) return s;
    }
    return {};
  }

  // Every combination of levels a patient can meet must still give ranges whose minimum is below
  // their maximum (a clinic may raise min_ohm above the top level's max_ohm by mistake).
  base::Status CheckRanges() const {
    std::vector<std::int64_t> clinics = out_.clinic_ids();
    clinics.push_back(0);
    std::vector<std::int64_t> patients = out_.patient_ids();
    patients.push_back(0);
    constexpr domain::DeviceType kTypes[] = {
        domain::DeviceType::kUnknown, domain::DeviceType::kPacemaker, domain::DeviceType::kIcd,
        domain::DeviceType::kCrtP,    domain::DeviceType::kCrtD,      domain::DeviceType::kMonitor};
    auto check = [&](const Scope& scope) -> base::Status {
      const ResolvedRules r = out_.Resolve(scope);
      for (RuleId id : {RuleId::kLeadImpedanceRange, RuleId::kHvImpedanceRange}) {
        const RuleConfig& c = r[id];
        if (c.params[param::kMinOhm] >= c.params[param::kMaxOhm]) {
          return Fail(fmt::format("{}.min_ohm", SpecOf(id).name),
                      fmt::format("resolves to {} for clinic {}, device type {}, patient {}, not "
                                  "below max_ohm {}",
                                  c.params[param::kMinOhm], scope.clinic_id,
                                  DeviceTypeName(scope.device_type), scope.patient_id,
                                  c.params[param::kMaxOhm]));
        }
      }
      return {};
    };
    for (domain::DeviceType t : kTypes) {
      for (std::int64_t c : clinics) {
        if (auto s = check({.clinic_id = c, .device_type = t}); !s) return s;
      }
      // Patient overrides apply in any clinic; checked over the clinic-independent levels.
      for (std::int64_t p : patients) {
        if (auto s = check({.device_type = t, .patient_id = p}); !s) return s;
      }
    }
    return {};
  }

  RuleSet out_;

 private:
  ParseLimits limits_;
  std::size_t overrides_ = 0;
};

}  // namespace

base::Result<RuleSet> ParseRuleSet(std::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return base::MakeError(ErrorCode::kLimitExceeded,
                           fmt::format("rules config: {} bytes, more than the limit of {}",
                                       text.size(), limits.max_bytes));
  }
  toml::table doc;
  try {
    doc = toml::parse(text);
  } catch (const toml::parse_error& e) {
    return base::MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("rules config: line {}, column {}: {}", e.source().begin.line,
                    e.source().begin.column, e.description()));
  }
  Parser parser(limits);
  if (auto s = parser.LayerOf(doc, "", Level::kTop, &parser.out_.top()); !s) return s.error();
  if (auto s = parser.CheckRanges(); !s) return s.error();
  return std::move(parser.out_);
}

}  // namespace heartbase::rules
