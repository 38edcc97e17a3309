// Reason number formatting (locale-independent).
#include "rules/internal/format.h"

#include <fmt/format.h>

#include <cmath>

namespace heartbase::rules::internal {

std::string Num(double v) {
  if (!std::isfinite(v)) return "?";
  std::string s = fmt::format("{:.2f}", std::fabs(v));
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  const std::size_t dot = std::min(s.find('.'), s.size());
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && i < dot && (dot - i) % 3 == 0) out.push_back(',');
    out.push_back(s[i]);
  }
  if (v < 0 && out != "0") out.insert(out.begin(), '-');
  return out;
}

}  // namespace heartbase::rules::internal
