// Unit variants seen in IDCO and PCD feeds, folded to the UCUM codes of the IDC nomenclature.
#include "idco/units.h"

#include <algorithm>
#include <cctype>

#include "hl7/message.h"

namespace heartbase::idco {
namespace {

struct Mapping {
  std::string_view from;  // lower-case variant or MDC_DIM_ code
  std::string_view ucum;
};

constexpr Mapping kVariants[] = {
    {"ohm", "Ohm"},
    {"ohms", "Ohm"},
    {"\xce\xa9", "Ohm"},
    {"v", "V"},
    {"volt", "V"},
    {"volts", "V"},
    {"mv", "mV"},
    {"millivolt", "mV"},
    {"millivolts", "mV"},
    {"ms", "ms"},
    {"msec", "ms"},
    {"millisecond", "ms"},
    {"milliseconds", "ms"},
    {"s", "s"},
    {"sec", "s"},
    {"second", "s"},
    {"seconds", "s"},
    {"j", "J"},
    {"joule", "J"},
    {"joules", "J"},
    {"%", "%"},
    {"percent", "%"},
    {"pct", "%"},
    {"mo", "mo"},
    {"month", "mo"},
    {"months", "mo"},
    {"mos", "mo"},
    {"{beats}/min", "{beats}/min"},
    {"{beat}/min", "{beats}/min"},
    {"bpm", "{beats}/min"},
    {"/min", "{beats}/min"},
    {"1/min", "{beats}/min"},
    {"ppm", "{beats}/min"},
    {"beats/min", "{beats}/min"},
    {"min-1", "{beats}/min"},
    {"{beats}", "{beats}"},
    {"beats", "{beats}"},
    {"{shocks}", "{shocks}"},
    {"shocks", "{shocks}"},
    {"{seq}", "{seq}"},
    {"{switches}", "{switches}"},
    {"d", "d"},
    {"day", "d"},
    {"days", "d"},
    {"h", "h"},
    {"hour", "h"},
    {"hours", "h"},
    {"min", "min"},
    {"minutes", "min"},
    {"mj", "mJ"},
    {"uj", "uJ"},
    {"\xc2\xb5j", "uJ"},
    {"mm[hg]", "mm[Hg]"},
    {"mmhg", "mm[Hg]"},
    {"kg", "kg"},
    {"cm", "cm"},
    {"mohm", "mOhm"},
};

constexpr Mapping kMdcDimensions[] = {
    {"MDC_DIM_OHM", "Ohm"},       {"MDC_DIM_VOLT", "V"},
    {"MDC_DIM_MILLI_VOLT", "mV"}, {"MDC_DIM_MILLI_SEC", "ms"},
    {"MDC_DIM_SEC", "s"},         {"MDC_DIM_JOULES", "J"},
    {"MDC_DIM_PERCENT", "%"},     {"MDC_DIM_BEAT_PER_MIN", "{beats}/min"},
    {"MDC_DIM_MONTH", "mo"},      {"MDC_DIM_DAY", "d"},
    {"MDC_DIM_HR", "h"},          {"MDC_DIM_MIN", "min"},
    {"MDC_DIM_DIMLESS", "1"},
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string_view Lookup(std::string_view unit) {
  unit = Trim(unit);
  for (const Mapping& m : kMdcDimensions) {
    if (m.from == unit) return m.ucum;
  }
  // UCUM is case-sensitive, so a unit already in UCUM form passes unchanged (mOhm vs MOhm).
  for (const Mapping& m : kVariants) {
    if (m.ucum == unit) return m.ucum;
  }
  std::string lower(unit);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const Mapping& m : kVariants) {
    if (m.from == lower) return m.ucum;
  }
  return {};
}

}  // namespace

std::string NormalizeUnit(std::string_view field, char component) {
  const std::string_view c1 = Trim(hl7::NthPiece(field, component, 1));
  const std::string_view c2 = Trim(hl7::NthPiece(field, component, 2));
  if (c1.empty() && c2.empty()) return {};
  if (auto u = Lookup(c1); !u.empty()) return std::string(u);
  if (auto u = Lookup(c2); !u.empty()) return std::string(u);
  return std::string(c1.empty() ? c2 : c1);
}

}  // namespace heartbase::idco
