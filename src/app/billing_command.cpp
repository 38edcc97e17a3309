// The billing commands. close and export act as the system (whoever runs them holds the key
// file) and write their audit records like the API routes do; send delivers a stored DFT^P03
// batch over MLLP, one message per charge, and stops at the first message not accepted.
#include "app/billing_command.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <charconv>
#include <cstdio>
#include <fstream>

#include "app/data_dir.h"
#include "audit/trail.h"
#include "billing/service.h"
#include "hl7/message.h"
#include "net/mllp_client.h"
#include "store/blobs.h"
#include "store/charges.h"

namespace heartbase::app {
namespace {

int Fail(std::string_view command, const base::Error& e) {
  std::fprintf(stderr, "heartbase billing %.*s: %s\n", static_cast<int>(command.size()),
               command.data(), e.Describe().c_str());
  return 1;
}

base::Status AuditAs(store::Transaction& tx, std::string_view action, std::string_view object_id,
                     std::string_view outcome, std::string detail,
                     std::optional<std::int64_t> patient = std::nullopt) {
  audit::Event e;
  e.time_us = NowUs();
  e.user_name = "system:cli";
  e.role = "system";
  e.address = "local";
  e.action = std::string(action);
  e.object_type = "charge_export";
  e.object_id = std::string(object_id);
  e.patient_id = patient;
  e.outcome = std::string(outcome);
  e.detail = std::move(detail);
  return audit::Append(tx, e);
}

billing::DftOptions DftOf(const BillingCommand& c) {
  billing::DftOptions o;
  o.sending_facility = c.facility;
  const std::size_t bar = c.receiver.find('|');
  o.receiving_application = c.receiver.substr(0, bar);
  if (bar != std::string::npos) o.receiving_facility = c.receiver.substr(bar + 1);
  return o;
}

int Close(const BillingCommand& c) {
  auto table = LoadCodeTable(c.codes);
  if (!table) return Fail("close", table.error());
  auto opened = OpenDataDir({.root = c.data, .key_file = c.key_file});
  if (!opened) return Fail("close", opened.error());
  auto result = billing::CloseCharges(*opened->db, *table, NowUs());
  if (!result) return Fail("close", result.error());
  std::printf(
      "created %lld existing %lld overlapping %lld missed %lld unmatched %lld (code table %s)\n",
      static_cast<long long>(result->created), static_cast<long long>(result->existing),
      static_cast<long long>(result->overlapping), static_cast<long long>(result->missed),
      static_cast<long long>(result->unmatched), table->version.c_str());
  return 0;
}

int Export(const BillingCommand& c) {
  billing::ExportFormat format = billing::ExportFormat::kCsv;
  if (c.format == "dft") {
    format = billing::ExportFormat::kDft;
  } else if (c.format != "csv") {
    return Fail("export",
                base::MakeError(base::ErrorCode::kInvalidArgument, "--format is csv or dft"));
  }
  auto opened = OpenDataDir({.root = c.data, .key_file = c.key_file});
  if (!opened) return Fail("export", opened.error());
  auto result =
      billing::ExportCharges(*opened->db, *opened->keys, {}, format, DftOf(c), 0, NowUs());
  if (!result) return Fail("export", result.error());
  // The batch is recorded (each charge taken once) before the file is written; if the file
  // cannot be written, GET /api/v1/charges/exports/{id} serves it again from the store. One
  // record per patient in the file: it holds their names and identifiers.
  if (auto s = store::RunUnitOfWork(
          *opened->db, store::Access::kWrite,
          [&](store::Transaction& tx) {
            for (std::int64_t patient : result->patient_ids) {
              if (auto a = AuditAs(
                      tx, "charge.export", std::to_string(result->export_id), "success",
                      fmt::format("format={} charges={}", c.format, result->charges), patient);
                  !a) {
                return a;
              }
            }
            return base::Status();
          });
      !s) {
    return Fail("export", s.error());
  }
  const mode_t old = ::umask(077);
  std::ofstream out(c.out, std::ios::binary | std::ios::trunc);
  out.write(result->file.data(), static_cast<std::streamsize>(result->file.size()));
  out.close();
  ::umask(old);
  if (!out) {
    return Fail("export", base::MakeError(base::ErrorCode::kIo,
                                          fmt::format("cannot write {} (export {} is recorded)",
                                                      c.out, result->export_id)));
  }
  std::printf("export %lld: %lld charges, sha256 %s\n", static_cast<long long>(result->export_id),
              static_cast<long long>(result->charges), result->sha256.c_str());
  return 0;
}

// The stored file of export `id`.
base::Result<std::pair<store::ChargeExportRow, std::string>> StoredExport(
    store::Database& db, const crypto::KeyRing& keys, std::int64_t id) {
  std::pair<store::ChargeExportRow, std::string> out;
  auto s = store::RunUnitOfWork(db, store::Access::kRead, [&](store::Transaction& tx) {
    auto row = store::GetChargeExport(tx, id);
    if (!row) return base::Status(row.error());
    auto file = store::GetBlob(tx, keys, row->blob_id);
    if (!file) return base::Status(file.error());
    out = {std::move(*row), std::move(*file)};
    return base::Status();
  });
  if (!s) return s.error();
  return out;
}

int Send(const BillingCommand& c) {
  const std::size_t colon = c.to.rfind(':');
  std::uint16_t port = 0;
  if (colon == std::string::npos ||
      std::from_chars(c.to.data() + colon + 1, c.to.data() + c.to.size(), port).ec != std::errc() ||
      port == 0) {
    return Fail("send", base::MakeError(base::ErrorCode::kInvalidArgument, "--to is HOST:PORT"));
  }
  net::MllpClientOptions options{.host = c.to.substr(0, colon), .port = port};
  const bool loopback = options.host.starts_with("127.") || options.host == "::1";
  options.tls = !loopback || !c.ca.empty();
  options.ca_file = c.ca;
  options.server_name = c.server_name;
  auto client = net::MllpClient::Create(options);
  if (!client) return Fail("send", client.error());
  auto opened = OpenDataDir({.root = c.data, .key_file = c.key_file});
  if (!opened) return Fail("send", opened.error());
  auto stored = StoredExport(*opened->db, *opened->keys, c.export_id);
  if (!stored) return Fail("send", stored.error());
  if (stored->first.format != "dft") {
    return Fail("send", base::MakeError(base::ErrorCode::kInvalidArgument,
                                        "the export is CSV; only a DFT export is sent over MLLP"));
  }
  // The batch file's messages: from each MSH to the next MSH or the batch trailer.
  const std::string& file = stored->second;
  std::vector<std::string_view> messages;
  for (std::size_t at = file.find("\rMSH|"); at != std::string::npos;) {
    const std::size_t next = file.find("\rMSH|", at + 1);
    const std::size_t trailer = file.find("\rBTS|", at + 1);
    const std::size_t end = std::min(next, trailer);
    messages.push_back(std::string_view(file).substr(at + 1, end - at));
    at = next;
  }
  std::size_t sent = 0;
  std::string failure;
  for (std::string_view m : messages) {
    auto ack = client->Send(m);
    if (!ack) {
      failure = ack.error().Describe();
      break;
    }
    auto parsed = hl7::Message::Parse(*ack);
    const auto msa = parsed ? parsed->Find("MSA") : std::nullopt;
    const std::string_view code = msa ? msa->Field(1) : std::string_view();
    if (code != "AA" && code != "CA") {
      failure = fmt::format("message {} of {} was answered {}", sent + 1, messages.size(),
                            code.empty() ? "without an MSA" : code);
      break;
    }
    ++sent;
  }
  auto s = store::RunUnitOfWork(*opened->db, store::Access::kWrite, [&](store::Transaction& tx) {
    return AuditAs(tx, "charge.export.send", std::to_string(c.export_id),
                   failure.empty() ? "success" : "failed",
                   fmt::format("to={} sent={} of={}", c.to, sent, messages.size()));
  });
  if (!s) return Fail("send", s.error());
  if (!failure.empty()) {
    std::fprintf(stderr,
                 "heartbase billing send: %zu of %zu messages accepted; stopped: %s (sending the "
                 "export again is safe: each message keeps its MSH-10)\n",
                 sent, messages.size(), failure.c_str());
    return 1;
  }
  std::printf("sent %zu messages of export %lld\n", sent, static_cast<long long>(c.export_id));
  return 0;
}

}  // namespace

base::Result<billing::CodeTable> LoadCodeTable(const std::string& path) {
  if (path.empty()) return billing::DefaultCodeTable();
  // One byte beyond the parser's limit, so that it names a file that is too large.
  auto text = ReadSmallFile(path, 256 * 1024 + 1);
  if (!text) return text.error();
  return billing::ParseCodeTable(*text, path);
}

BillingCommands::BillingCommands(CLI::App& app) {
  auto* billing = app.add_subcommand("billing", "Monitoring-period charges (docs/billing.md)");
  billing->require_subcommand(1);
  codes_cmd_ = billing->add_subcommand(
      "codes", "Print the built-in code table (TOML), to edit and pass to serve --billing-codes");
  check_cmd_ = billing->add_subcommand("check", "Check a code table: names the key and the line");
  check_cmd_->add_option("file", c_.codes, "Code table (TOML)")->required();
  close_cmd_ = billing->add_subcommand(
      "close", "Write every charge that has become ready (serve does this every hour)");
  export_cmd_ = billing->add_subcommand(
      "export", "Export every charge not exported yet as one batch (CSV or HL7 DFT^P03)");
  send_cmd_ = billing->add_subcommand(
      "send", "Send a DFT export's messages to the billing system over MLLP");
  for (CLI::App* cmd : {close_cmd_, export_cmd_, send_cmd_}) {
    cmd->add_option("--data", c_.data, "Data directory")->required();
    cmd->add_option("--key-file", c_.key_file, "Key file (default DATA/keyring)");
  }
  close_cmd_->add_option("--codes", c_.codes, "Code table (default: built in)");
  export_cmd_->add_option("--format", c_.format, "csv or dft")->capture_default_str();
  export_cmd_->add_option("--out", c_.out, "File to write (mode 0600)")->required();
  export_cmd_->add_option("--facility", c_.facility, "DFT MSH-4 (sending facility)");
  export_cmd_->add_option("--receiver", c_.receiver, "DFT MSH-5|MSH-6 (APP|FACILITY)");
  send_cmd_->add_option("--export", c_.export_id, "Export id (a DFT export)")->required();
  send_cmd_->add_option("--to", c_.to, "Receiver HOST:PORT (TLS unless a loopback address)")
      ->required();
  send_cmd_->add_option("--ca", c_.ca, "PEM bundle the receiver's certificate must chain to");
  send_cmd_->add_option("--server-name", c_.server_name, "Name the certificate must carry");
}

std::optional<int> BillingCommands::RunParsed() const {
  if (codes_cmd_->parsed()) {
    const std::string_view text = billing::DefaultCodeTableText();
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  if (check_cmd_->parsed()) {
    auto table = LoadCodeTable(c_.codes);
    if (!table) return Fail("check", table.error());
    std::printf("%s: code table %s: %zu remote and %zu in-person rules, %zu payers\n",
                c_.codes.c_str(), table->version.c_str(), table->remote.size(),
                table->in_person.size(), table->payers.size());
    return 0;
  }
  if (close_cmd_->parsed()) return Close(c_);
  if (export_cmd_->parsed()) return Export(c_);
  if (send_cmd_->parsed()) return Send(c_);
  return std::nullopt;
}

}  // namespace heartbase::app
