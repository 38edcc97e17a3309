// Numbers in alert reasons: at most two decimals, trailing zeros dropped, thousands grouped with
// commas ("1,850", "2.5", "0.75").
#pragma once

#include <string>

namespace heartbase::rules::internal {

std::string Num(double v);

}  // namespace heartbase::rules::internal
