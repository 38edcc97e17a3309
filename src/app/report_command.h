// `heartbase report render|verify|public-key` and `heartbase clinic report-header` (run on the
// server, beside the data; verify runs anywhere with the public key only). ReportCommands
// registers them on the CLI11 application; main() calls RunParsed() after parsing.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace heartbase::app {

struct ReportRenderCommand {
  std::string data, key_file, out, page_size;
  std::int64_t interrogation = 0;
  bool append_attachments = false;
};
int RunReportRender(const ReportRenderCommand& command);

struct ReportVerifyCommand {
  std::string file;
  std::string public_key;  // 64 hex digits, or a file holding them
  std::string data;        // or: DATA/report-signing.pub
};
int RunReportVerify(const ReportVerifyCommand& command);

struct ClinicHeaderCommand {
  std::string data, key_file, address, time_zone, page_size, logo;
  std::int64_t clinic = 0;
};
int RunClinicHeader(const ClinicHeaderCommand& command);

class ReportCommands {
 public:
  ReportCommands(CLI::App& app, CLI::App& clinic);
  std::optional<int> RunParsed() const;

 private:
  ReportRenderCommand render_;
  ReportVerifyCommand verify_;
  ClinicHeaderCommand header_;
  CLI::App* render_cmd_ = nullptr;
  CLI::App* verify_cmd_ = nullptr;
  CLI::App* key_cmd_ = nullptr;
  CLI::App* header_cmd_ = nullptr;
  std::string key_data_;
};

}  // namespace heartbase::app
