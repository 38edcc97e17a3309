// The quarantine console on the command line: `heartbase quarantine list|show|reprocess`
// (docs/quarantine.md), and re-processing one entry with a sender's feed, which the HTTPS
// service's console routes use too.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "api/api.h"
#include "app/feeds.h"
#include "base/result.h"
#include "ingest/pipeline.h"

namespace heartbase::app {

// Re-processes entry `id` through `pipeline`, with the clinic scope the sender's feed has.
// `user_id` 0 = the command line.
base::Result<api::ReprocessOutcome> ReprocessEntry(ingest::Pipeline& pipeline, const FeedMap& feeds,
                                                   std::int64_t id, std::int64_t user_id);

struct QuarantineCommand {
  std::string data, key_file, config;
  std::string state = "open";
  std::int64_t limit = 50;
  std::int64_t id = 0;
  bool all = false;
  bool raw = false;
};

class QuarantineCommands {
 public:
  explicit QuarantineCommands(CLI::App& app);
  std::optional<int> RunParsed() const;

 private:
  QuarantineCommand c_;
  CLI::App* list_cmd_ = nullptr;
  CLI::App* show_cmd_ = nullptr;
  CLI::App* reprocess_cmd_ = nullptr;
};

}  // namespace heartbase::app
