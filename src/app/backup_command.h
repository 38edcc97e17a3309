// `heartbase backup`, `heartbase backup verify` and `heartbase restore`: one file holding a
// consistent copy of a data directory's database (taken while serve runs) and the non-secret
// files a restored directory needs; never the key ring or the signing keys (docs/recovery.md).
// BackupCommands registers them on the CLI11 application; main() calls RunParsed() after parsing.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace heartbase::app {

struct BackupCommand {
  std::string data, key_file;
  std::string out;   // backup --out
  std::string file;  // backup verify FILE, restore --from FILE
};

class BackupCommands {
 public:
  explicit BackupCommands(CLI::App& app);
  std::optional<int> RunParsed() const;

 private:
  BackupCommand c_;
  CLI::App* backup_cmd_ = nullptr;
  CLI::App* verify_cmd_ = nullptr;
  CLI::App* restore_cmd_ = nullptr;
};

}  // namespace heartbase::app
