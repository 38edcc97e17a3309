// `heartbase notify` (the messaging service: a separate process with no database access) and the
// administrator's `heartbase outbox status|enqueue-test` (run on the server, beside the data).
// NotifyCommands registers all of them on the CLI11 application; main() calls RunParsed() after
// parsing.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace heartbase::app {

struct NotifyCommand {
  std::string config;  // TOML (docs/notify.md)
};
int RunNotify(const NotifyCommand& command);

struct OutboxStatusCommand {
  std::string data, key_file;
  int dead_limit = 20;  // dead letters listed
};
int RunOutboxStatus(const OutboxStatusCommand& command);

// Queues a test notification (no patient data: a fixed text and a ticket number), to check a
// channel end to end.
struct OutboxEnqueueTestCommand {
  std::string data, key_file;
  std::string channel = "email";  // email, pager or fax
  std::string to;
  std::string idempotency_key;  // default: "test:<channel>:<to>:<now>"
  std::string ticket = "TEST";
  int max_attempts = 3;
  std::int64_t backoff_ms = 30'000;
};
int RunOutboxEnqueueTest(const OutboxEnqueueTestCommand& command);

class NotifyCommands {
 public:
  explicit NotifyCommands(CLI::App& app);
  // The exit status of the subcommand that was parsed, or nullopt if none of these was.
  std::optional<int> RunParsed() const;

 private:
  NotifyCommand notify_;
  OutboxStatusCommand status_;
  OutboxEnqueueTestCommand enqueue_;
  CLI::App* notify_cmd_ = nullptr;
  CLI::App* status_cmd_ = nullptr;
  CLI::App* enqueue_cmd_ = nullptr;
};

}  // namespace heartbase::app
