// `heartbase recipient add|list|disable`: the referring physicians a clinic may send signed
// reports to (store/report_recipients.h), managed on the server beside the data. Registered on the
// CLI11 application like NotifyCommands; main() calls RunParsed() after parsing.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace heartbase::app {

struct RecipientAddCommand {
  std::string data, key_file;
  std::int64_t clinic = 0;
  std::string name;
  std::string email, fax;  // exactly one
};
int RunRecipientAdd(const RecipientAddCommand& command);

struct RecipientListCommand {
  std::string data, key_file;
  std::int64_t clinic = 0;  // 0 = every clinic
  bool all = false;         // include disabled recipients
};
int RunRecipientList(const RecipientListCommand& command);

struct RecipientDisableCommand {
  std::string data, key_file;
  std::int64_t id = 0;
};
int RunRecipientDisable(const RecipientDisableCommand& command);

class RecipientCommands {
 public:
  explicit RecipientCommands(CLI::App& app);
  // The exit status of the subcommand that was parsed, or nullopt if none of these was.
  std::optional<int> RunParsed() const;

 private:
  RecipientAddCommand add_;
  RecipientListCommand list_;
  RecipientDisableCommand disable_;
  CLI::App* add_cmd_ = nullptr;
  CLI::App* list_cmd_ = nullptr;
  CLI::App* disable_cmd_ = nullptr;
};

}  // namespace heartbase::app
