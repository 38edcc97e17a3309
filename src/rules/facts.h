// Facts: what the rules read from one interrogation (the values of the terms in catalog.h, the
// episode types, the device and session type), and History: the patient's earlier values of those
// terms. Both are built the same way from a domain::Interrogation at ingest and from the stored
// trend table in shadow mode, so that both paths give the same alerts.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "domain/interrogation.h"
#include "rules/rule_set.h"

namespace heartbase::rules {

// One value of a rule term, as the trend table keeps it: a number (a numeric value, the numeric
// enumeration code of a coded value, the first number of a structured value) and/or a code text
// (the mnemonic of a coded value, else its code as sent).
struct Point {
  std::uint32_t code = 0;
  std::uint32_t instance = 0;
  std::optional<double> number;
  std::string coded;
};

struct Facts {
  domain::DeviceType device_type = domain::DeviceType::kUnknown;
  domain::SessionType session_type = domain::SessionType::kUnknown;
  std::int64_t session_us = 0;             // the session time, else when it was received
  std::vector<Point> points;               // rule terms only, in message order
  std::vector<std::string> episode_types;  // one per episode (mnemonic, may be empty)

  // The first number of `code`, if any.
  std::optional<double> Number(std::uint32_t code) const;
};

// Facts of an interrogation received at `received_us` (used when it carries no session time).
// Takes the values the store trends (measurements, statistics, episode counters, other terms).
Facts FactsOf(const domain::Interrogation& in, std::int64_t received_us);

// Earlier numeric values of each term, newest first.
struct History {
  std::vector<std::pair<std::uint32_t, std::vector<double>>> earlier;
  std::span<const double> Of(std::uint32_t code) const;
};

// How many earlier values of which terms the enabled rules need for these facts (terms present in
// the facts only). The evaluator reads exactly these; shadow mode cuts its history to them.
struct HistoryNeed {
  std::uint32_t code = 0;
  int count = 0;
};
std::vector<HistoryNeed> HistoryNeeds(const Facts& facts, const ResolvedRules& rules);

// The median of the first `count` values (all if fewer); nullopt for none.
std::optional<double> Median(std::span<const double> values, std::size_t count);

}  // namespace heartbase::rules
