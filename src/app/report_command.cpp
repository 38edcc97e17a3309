// The report commands. render writes one audit record (report.export) like a download through
// the API; verify reads nothing but the file and the public key.
#include "app/report_command.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/data_dir.h"
#include "audit/trail.h"
#include "base/time_zone.h"
#include "report/provenance.h"
#include "report/service.h"
#include "store/clinical_reads.h"
#include "store/database.h"
#include "store/reports.h"

namespace heartbase::app {
namespace fs = std::filesystem;

namespace {

int Fail(std::string_view command, const base::Error& e) {
  std::fprintf(stderr, "heartbase %.*s: %s\n", static_cast<int>(command.size()), command.data(),
               e.Describe().c_str());
  return 1;
}

}  // namespace

int RunReportRender(const ReportRenderCommand& c) {
  const DataDirOptions dir{.root = c.data, .key_file = c.key_file};
  auto opened = OpenDataDir(dir);
  if (!opened) return Fail("report render", opened.error());
  auto key = LoadOrCreateReportKey(dir);
  if (!key) return Fail("report render", key.error());
  std::optional<report::PageSize> page;
  if (!c.page_size.empty()) {
    page = report::ParsePageSize(c.page_size);
    if (!page) {
      return Fail("report render", base::MakeError(base::ErrorCode::kInvalidArgument,
                                                   "--page-size is a4 or letter"));
    }
  }
  store::Database& db = *opened->db;
  const report::ReportServices services = ReportServicesOf(db, *opened->keys, *key);
  auto produced = report::Produce(
      services, c.interrogation,
      {.page_size = page, .append_attachments = c.append_attachments, .now_us = NowUs()});
  if (!produced) return Fail("report render", produced.error());
  // The export is recorded before the file is written: an export that cannot be recorded does
  // not happen.
  auto s = store::RunUnitOfWork(db, store::Access::kWrite, [&](store::Transaction& tx) {
    audit::Event e;
    e.time_us = NowUs();
    e.user_name = "system:cli";
    e.role = "system";
    e.address = "local";
    e.clinic_id = produced->clinic_id;
    e.action = "report.export";
    e.object_type = "interrogation";
    e.object_id = std::to_string(c.interrogation);
    e.patient_id = produced->patient_id;
    e.detail = fmt::format("{} {}", produced->draft ? "draft" : "signed", produced->page_size);
    return audit::Append(tx, e);
  });
  if (!s) return Fail("report render", s.error());
  if (auto w = WriteFileAtomically(c.out, produced->pdf, 0600); !w) {
    return Fail("report render", w.error());
  }
  std::fprintf(stderr, "heartbase report render: interrogation %lld → %s (%s, %s, %zu bytes)\n",
               static_cast<long long>(c.interrogation), c.out.c_str(),
               produced->draft ? "draft" : "signed", produced->page_size.c_str(),
               produced->pdf.size());
  return 0;
}

int RunReportVerify(const ReportVerifyCommand& c) {
  std::string hex = c.public_key;
  if (hex.empty() && !c.data.empty()) hex = ReportPublicKeyPath({.root = c.data});
  if (hex.empty()) {
    return Fail("report verify", base::MakeError(base::ErrorCode::kInvalidArgument,
                                                 "give --public-key (hex or a file) or --data"));
  }
  if (hex.size() != 64 || hex.find('/') != std::string::npos) {
    auto text = ReadSmallFile(hex, 1024);
    if (!text) return Fail("report verify", text.error());
    hex = *text;
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' ')) {
      hex.pop_back();
    }
  }
  auto key = crypto::SigningPublicKey::FromHex(hex);
  if (!key) return Fail("report verify", key.error());
  auto file = ReadSmallFile(c.file, report::kMaxReportBytes);
  if (!file) return Fail("report verify", file.error());
  auto verified = report::VerifyPdf(*file, *key);
  if (!verified) {
    std::fprintf(stderr, "heartbase report verify: %s: NOT VERIFIED: %s\n", c.file.c_str(),
                 verified.error().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "heartbase report verify: %s: verified (key %s, %lld bytes of content)\n",
               c.file.c_str(), verified->key_fingerprint.c_str(),
               static_cast<long long>(verified->content_bytes));
  std::printf("%s\n", verified->record_json.c_str());
  return 0;
}

int RunClinicHeader(const ClinicHeaderCommand& c) {
  const DataDirOptions dir{.root = c.data, .key_file = c.key_file};
  auto opened = OpenDataDir(dir);
  if (!opened) return Fail("clinic report-header", opened.error());
  std::string logo;
  if (!c.logo.empty()) {
    auto bytes = ReadSmallFile(c.logo, store::kMaxLogoBytes);
    if (!bytes) return Fail("clinic report-header", bytes.error());
    if (!bytes->starts_with("\x89PNG\r\n\x1a\n")) {
      return Fail("clinic report-header",
                  base::MakeError(base::ErrorCode::kInvalidArgument, "--logo must be a PNG"));
    }
    logo = std::move(*bytes);
  }
  auto s = store::RunUnitOfWork(*opened->db, store::Access::kWrite, [&](store::Transaction& tx) {
    auto current = store::GetClinicReportSettings(tx, *opened->keys, c.clinic);
    if (!current) return base::Status(current.error());
    store::ClinicReportSettings next = *current;
    // Only what was given changes. A literal "\n" in --address separates lines.
    if (!c.address.empty()) {
      next.address.clear();
      for (std::size_t i = 0; i < c.address.size(); ++i) {
        if (c.address.compare(i, 2, "\\n") == 0) {
          next.address += '\n';
          ++i;
        } else {
          next.address += c.address[i];
        }
      }
    }
    if (!c.time_zone.empty()) {
      if (auto z = base::TimeZone::Load(c.time_zone); !z) return base::Status(z.error());
      next.time_zone = c.time_zone;
    }
    if (!c.page_size.empty()) {
      const auto page = report::ParsePageSize(c.page_size);
      if (!page) {
        return base::Status(
            base::MakeError(base::ErrorCode::kInvalidArgument, "--page-size is a4 or letter"));
      }
      next.page_size = std::string(report::ToString(*page));
    }
    if (!logo.empty()) next.logo_png = logo;
    if (auto set = store::SetClinicReportSettings(tx, *opened->keys, next, NowUs()); !set) {
      return set;
    }
    audit::Event e;
    e.time_us = NowUs();
    e.user_name = "system:cli";
    e.role = "system";
    e.address = "local";
    e.action = "clinic.report_header";
    e.object_type = "clinic";
    e.object_id = std::to_string(c.clinic);
    return audit::Append(tx, e);
  });
  if (!s) return Fail("clinic report-header", s.error());
  std::fprintf(stderr, "clinic %lld: report header updated\n", static_cast<long long>(c.clinic));
  return 0;
}

ReportCommands::ReportCommands(CLI::App& app, CLI::App& clinic) {
  auto* report = app.add_subcommand("report", "Follow-up reports (PDF)");
  report->require_subcommand(1);
  render_cmd_ = report->add_subcommand(
      "render",
      "Write an interrogation's report: the stored signed report (rendered and stored first if "
      "it has none), or a draft when it is not signed");
  render_cmd_->add_option("--data", render_.data, "Data directory")->required();
  render_cmd_->add_option("--key-file", render_.key_file, "Key file (default DATA/keyring)");
  render_cmd_->add_option("--interrogation", render_.interrogation, "Interrogation id")->required();
  render_cmd_->add_option("--out", render_.out, "PDF file to write (mode 0600)")->required();
  render_cmd_->add_option("--page-size", render_.page_size,
                          "a4 or letter (drafts; default: the clinic's)");
  render_cmd_->add_flag("--append-attachments", render_.append_attachments,
                        "Drafts: append the manufacturer's PDFs carried in the message as pages");
  verify_cmd_ = report->add_subcommand(
      "verify",
      "Check a report's signed provenance offline; prints the record, exit 1 naming what does "
      "not match");
  verify_cmd_->add_option("file", verify_.file, "The PDF")->required();
  verify_cmd_->add_option("--public-key", verify_.public_key,
                          "The report signing public key: 64 hex digits or a file holding them");
  verify_cmd_->add_option("--data", verify_.data, "Or: the data directory (report-signing.pub)");
  key_cmd_ = report->add_subcommand(
      "public-key", "Print the report signing public key (creating the key pair if needed)");
  key_cmd_->add_option("--data", key_data_, "Data directory")->required();
  header_cmd_ = clinic.add_subcommand(
      "report-header", "Set a clinic's report header: address, time zone, paper size, logo");
  header_cmd_->add_option("--data", header_.data, "Data directory")->required();
  header_cmd_->add_option("--key-file", header_.key_file, "Key file (default DATA/keyring)");
  header_cmd_->add_option("--clinic", header_.clinic, "Clinic id")->required();
  header_cmd_->add_option("--address", header_.address,
                          "Postal address; \\n separates lines (at most 1,000 bytes)");
  header_cmd_->add_option("--time-zone", header_.time_zone,
                          "IANA time zone of the times a report shows, e.g. Europe/Berlin");
  header_cmd_->add_option("--page-size", header_.page_size, "a4 or letter");
  header_cmd_->add_option("--logo", header_.logo, "PNG file (at most 512 KiB)");
}

std::optional<int> ReportCommands::RunParsed() const {
  if (render_cmd_->parsed()) return RunReportRender(render_);
  if (verify_cmd_->parsed()) return RunReportVerify(verify_);
  if (header_cmd_->parsed()) return RunClinicHeader(header_);
  if (key_cmd_->parsed()) {
    auto key = LoadOrCreateReportKey({.root = key_data_});
    if (!key) return Fail("report public-key", key.error());
    std::printf("%s\n", key->public_key().ToHex().c_str());
    return 0;
  }
  return std::nullopt;
}

}  // namespace heartbase::app
