// Shadow mode: a proposed rule set evaluated against stored interrogations next to the live set,
// before it goes live. Per rule: which past interrogations the proposed set would flag that the
// live set does not ("flagged"), and which the live set flags that it would no longer flag
// ("hidden"). Interrogations are rebuilt from the trend and episode tables with the same facts and
// history the live evaluation reads (rules/facts.h), so a proposed set equal to the live one
// reports no difference.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "base/result.h"
#include "rules/rule_set.h"
#include "store/database.h"

namespace heartbase::rules {

struct ShadowOptions {
  std::int64_t from_us = 0;  // session time range, inclusive
  std::int64_t to_us = std::numeric_limits<std::int64_t>::max();
  std::vector<std::int64_t> clinics;            // empty = every clinic; at most 16
  std::int64_t max_interrogations = 5'000'000;  // stop (truncated) after this many
  std::size_t max_ids = 1000;  // interrogation ids kept per list (counts stay exact)
};

struct RuleDiff {
  std::string rule;
  std::int64_t live = 0;      // interrogations the live set flags with this rule
  std::int64_t proposed = 0;  // … the proposed set
  std::int64_t flagged_count = 0;
  std::vector<std::int64_t> flagged;  // flagged by proposed, not by live (ascending per patient)
  std::int64_t hidden_count = 0;
  std::vector<std::int64_t> hidden;  // flagged by live, not by proposed
};

struct ShadowReport {
  std::int64_t interrogations = 0;  // evaluated
  bool truncated = false;           // max_interrogations was reached
  // Every rule except missed_transmission (which concerns the absence of interrogations), in
  // catalog order.
  std::vector<RuleDiff> rules;
};

// Reads in `tx` (a read transaction suffices). Errors: those of the store reads.
base::Result<ShadowReport> RunShadow(store::Transaction& tx, const RuleSet& live,
                                     const RuleSet& proposed, const ShadowOptions& options = {});

}  // namespace heartbase::rules
