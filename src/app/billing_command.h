// `heartbase billing codes|check|close|export|send`: the billing code table, the close job and
// the charge exports from the command line (cron, or a billing office without the web app).
// BillingCommands registers them on the CLI11 application; main() calls RunParsed() after parsing.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "billing/code_table.h"

namespace heartbase::app {

// The code table of `path` (TOML), or the built-in one when `path` is empty. Errors name the
// file, the line and the key.
base::Result<billing::CodeTable> LoadCodeTable(const std::string& path);

struct BillingCommand {
  std::string data, key_file, codes;
  std::string format = "csv", out;
  std::string facility, receiver;  // DFT^P03 MSH-4, MSH-5|MSH-6
  std::int64_t export_id = 0;
  std::string to, ca, server_name;  // send: HOST:PORT, TLS trust and name
};

class BillingCommands {
 public:
  explicit BillingCommands(CLI::App& app);
  std::optional<int> RunParsed() const;

 private:
  BillingCommand c_;
  CLI::App* codes_cmd_ = nullptr;
  CLI::App* check_cmd_ = nullptr;
  CLI::App* close_cmd_ = nullptr;
  CLI::App* export_cmd_ = nullptr;
  CLI::App* send_cmd_ = nullptr;
};

}  // namespace heartbase::app
