// Dictionary lookups over sorted constexpr tables built from the .inc data files.
#include "idco/terms.h"

#include <algorithm>
#include <array>
#include <string>

namespace heartbase::idco {
namespace {

using domain::Category;

constexpr Term kTerms[] = {
#define HB_TERM(code, ref, cat, type, unit) {code, ref, Category::cat, type, unit},
#define HB_ALIAS(name, code)
#include "idco/terms.inc"
#undef HB_TERM
#undef HB_ALIAS
};

struct Alias {
  std::string_view name;
  std::uint32_t code;
};
constexpr Alias kAliases[] = {
#define HB_TERM(code, ref, cat, type, unit)
#define HB_ALIAS(name, code) {name, code},
#include "idco/terms.inc"
#undef HB_TERM
#undef HB_ALIAS
};

constexpr EnumValue kEnums[] = {
#define HB_ENUM(code, enumerator, mnemonic, display) {code, enumerator, mnemonic, display},
#include "idco/enums.inc"
#undef HB_ENUM
};

constexpr bool SortedByCode() {
  for (std::size_t i = 1; i < std::size(kTerms); ++i) {
    if (kTerms[i - 1].code >= kTerms[i].code) return false;
  }
  for (std::size_t i = 1; i < std::size(kEnums); ++i) {
    if (kEnums[i - 1].code >= kEnums[i].code) return false;
  }
  return true;
}
static_assert(SortedByCode(), "terms.inc and enums.inc must be sorted by code without duplicates");

constexpr std::uint32_t kIdcFirst = 720896;     // partition 11 × 65536
constexpr std::uint32_t kIdcLastTerm = 753663;  // enumerations start at 753664

}  // namespace

const Term* FindTerm(std::uint32_t code) {
  const auto it = std::lower_bound(std::begin(kTerms), std::end(kTerms), code,
                                   [](const Term& t, std::uint32_t c) { return t.code < c; });
  return it != std::end(kTerms) && it->code == code ? &*it : nullptr;
}

const Term* FindTermByName(std::string_view name) {
  // Few hundred entries, looked up only when OBX-3.1 is not numeric: a linear scan is fine.
  for (const Term& t : kTerms) {
    if (t.reference_id == name) return &t;
  }
  for (const Alias& a : kAliases) {
    if (a.name == name) return FindTerm(a.code);
  }
  constexpr std::string_view kLegacy = "MDC_IDC_PG_";
  if (name.substr(0, kLegacy.size()) == kLegacy) {
    const std::string current = "MDC_IDC_DEV_" + std::string(name.substr(kLegacy.size()));
    for (const Term& t : kTerms) {
      if (t.reference_id == current) return &t;
    }
  }
  return nullptr;
}

Category GuessCategory(std::uint32_t code) {
  if (code < kIdcFirst || code > kIdcLastTerm) return Category::kOther;
  const auto it = std::upper_bound(std::begin(kTerms), std::end(kTerms), code,
                                   [](std::uint32_t c, const Term& t) { return c < t.code; });
  if (it == std::begin(kTerms)) return Category::kOther;
  return std::prev(it)->category;
}

Category CategoryFromName(std::string_view n) {
  auto starts = [&](std::string_view p) { return n.substr(0, p.size()) == p; };
  if (starts("MDC_IDC_DEV_") || starts("MDC_IDC_PG_")) return Category::kDevice;
  if (starts("MDC_IDC_LEAD_")) return Category::kLead;
  if (starts("MDC_IDC_SESS_")) return Category::kSession;
  if (starts("MDC_IDC_MSMT_")) return Category::kMeasurement;
  if (starts("MDC_IDC_SET_ZONE_")) return Category::kZone;
  if (starts("MDC_IDC_SET_")) return Category::kSetting;
  if (starts("MDC_IDC_STAT_EPISODE_")) return Category::kEpisodeCounter;
  if (starts("MDC_IDC_STAT_")) return Category::kStatistic;
  if (starts("MDC_IDC_EPISODE_")) return Category::kEpisode;
  return Category::kOther;
}

const EnumValue* FindEnum(std::uint32_t code) {
  const auto it = std::lower_bound(std::begin(kEnums), std::end(kEnums), code,
                                   [](const EnumValue& e, std::uint32_t c) { return e.code < c; });
  return it != std::end(kEnums) && it->code == code ? &*it : nullptr;
}

const EnumValue* FindEnumByMnemonic(std::string_view enumerator, std::string_view mnemonic) {
  for (const EnumValue& e : kEnums) {
    if (e.enumerator == enumerator && e.mnemonic == mnemonic) return &e;
  }
  return nullptr;
}

std::size_t TermCount() { return std::size(kTerms); }
std::span<const EnumValue> AllEnums() { return kEnums; }

}  // namespace heartbase::idco
