// Pieces of SQL text the repositories share. Only ever built from integers and identifiers of
// this codebase, never from input text.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace heartbase::store::internal {

// "column IN (1,2,3)" for a list of ids, or "1 = 1" for an empty list (no restriction).
inline std::string InList(std::string_view column, const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return "1 = 1";
  return fmt::format("{} IN ({})", column, fmt::join(ids, ","));
}

}  // namespace heartbase::store::internal
