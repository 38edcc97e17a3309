// RuleBook: the rule set in force, shared by ingest (which evaluates every stored interrogation)
// and the API (which activates a new version). Replacing it is atomic: an evaluation in progress
// finishes with the set it started with.
#pragma once

#include <memory>
#include <mutex>
#include <utility>

#include "rules/evaluator.h"

namespace heartbase::rules {

class RuleBook {
 public:
  explicit RuleBook(RuleSet rules, std::int64_t version = 0)
      : current_(std::make_shared<const Evaluator>(std::move(rules))), version_(version) {}

  std::shared_ptr<const Evaluator> Current() const {
    std::lock_guard lock(mu_);
    return current_;
  }
  // The stored version in force (0 = the built-in defaults).
  std::int64_t version() const {
    std::lock_guard lock(mu_);
    return version_;
  }
  void Replace(RuleSet rules, std::int64_t version) {
    auto next = std::make_shared<const Evaluator>(std::move(rules));
    std::lock_guard lock(mu_);
    current_ = std::move(next);
    version_ = version;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Evaluator> current_;
  std::int64_t version_;
};

}  // namespace heartbase::rules
