// Report recipients from the command line. Whoever runs these can read the key file, so they act
// as the system: each change is audited as "system:cli", naming the recipient by id and channel,
// never by address. The list prints addresses in full: it runs where the keys are.
#include "app/recipient_command.h"

#include <fmt/format.h>

#include <cstdio>
#include <vector>

#include "app/data_dir.h"
#include "base/json_writer.h"
#include "store/report_recipients.h"

namespace heartbase::app {
namespace {

int Fail(std::string_view what, const base::Error& e) {
  std::fprintf(stderr, "heartbase: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
               e.Describe().c_str());
  return 1;
}

}  // namespace

int RunRecipientAdd(const RecipientAddCommand& c) {
  if (c.email.empty() == c.fax.empty()) {
    std::fprintf(stderr, "heartbase: recipient add: give exactly one of --email and --fax\n");
    return 2;
  }
  const store::OutboxChannel channel =
      c.email.empty() ? store::OutboxChannel::kFax : store::OutboxChannel::kEmail;
  const std::string& address = c.email.empty() ? c.fax : c.email;
  auto opened = OpenDataDir({.root = c.data, .key_file = c.key_file});
  if (!opened) return Fail("recipient add", opened.error());
  std::int64_t id = 0;
  auto s = store::RunUnitOfWork(*opened->db, store::Access::kWrite, [&](store::Transaction& tx) {
    auto added =
        store::AddReportRecipient(tx, *opened->keys, c.clinic, c.name, channel, address, NowUs());
    if (!added) return base::Status(added.error());
    id = *added;
    return AuditCli(tx, "recipient.create", id,
                    fmt::format("clinic={} channel={}", c.clinic, store::ToString(channel)),
                    "report_recipient");
  });
  if (!s) return Fail("recipient add", s.error());
  // The id alone on stdout, for scripts.
  std::fprintf(stderr, "report recipient %lld created\n", static_cast<long long>(id));
  std::printf("%lld\n", static_cast<long long>(id));
  return 0;
}

int RunRecipientList(const RecipientListCommand& c) {
  auto opened = OpenDataDir({.root = c.data, .key_file = c.key_file});
  if (!opened) return Fail("recipient list", opened.error());
  std::vector<store::ReportRecipient> recipients;
  auto s = store::RunUnitOfWork(*opened->db, store::Access::kRead, [&](store::Transaction& tx) {
    std::vector<std::int64_t> clinics;
    if (c.clinic > 0) clinics.push_back(c.clinic);
    auto r = store::ListReportRecipients(tx, *opened->keys, clinics, c.all);
    if (!r) return base::Status(r.error());
    recipients = std::move(*r);
    return base::Status();
  });
  if (!s) return Fail("recipient list", s.error());
  std::string out;
  base::JsonWriter w(&out);
  w.BeginArray();
  for (const store::ReportRecipient& r : recipients) {
    w.BeginObject();
    w.Field("id", r.id);
    w.Field("clinic_id", r.clinic_id);
    w.Field("name", r.name);
    w.Field("channel", store::ToString(r.channel));
    w.Field("address", r.address);
    w.Field("disabled", r.disabled);
    w.EndObject();
  }
  w.EndArray();
  std::printf("%s\n", out.c_str());
  return 0;
}

int RunRecipientDisable(const RecipientDisableCommand& c) {
  auto opened = OpenDataDir({.root = c.data, .key_file = c.key_file});
  if (!opened) return Fail("recipient disable", opened.error());
  auto s = store::RunUnitOfWork(*opened->db, store::Access::kWrite, [&](store::Transaction& tx) {
    if (auto d = store::DisableReportRecipient(tx, c.id); !d) return d;
    return AuditCli(tx, "recipient.disable", c.id, "", "report_recipient");
  });
  if (!s) return Fail("recipient disable", s.error());
  std::fprintf(stderr, "report recipient %lld disabled\n", static_cast<long long>(c.id));
  return 0;
}

RecipientCommands::RecipientCommands(CLI::App& app) {
  auto* recipient = app.add_subcommand(
      "recipient", "Recipients of signed reports (referring physicians; run on the server)");
  recipient->require_subcommand(1);

  add_cmd_ = recipient->add_subcommand(
      "add", "Add a recipient a clinic may send signed reports to; prints its id");
  add_cmd_->add_option("--data", add_.data, "Data directory")->required();
  add_cmd_->add_option("--key-file", add_.key_file, "Key file (default DATA/keyring)");
  add_cmd_->add_option("--clinic", add_.clinic, "The clinic whose recipient it is")
      ->required()
      ->check(CLI::PositiveNumber);
  add_cmd_->add_option("--name", add_.name, "Display name, e.g. \"Dr. A. Referrer\"")->required();
  auto* email = add_cmd_->add_option("--email", add_.email, "Email address (PDF attached)");
  auto* fax = add_cmd_->add_option("--fax", add_.fax, "Fax number: + and digits");
  email->excludes(fax);

  list_cmd_ = recipient->add_subcommand("list", "Print the recipients as JSON (with addresses)");
  list_cmd_->add_option("--data", list_.data, "Data directory")->required();
  list_cmd_->add_option("--key-file", list_.key_file, "Key file (default DATA/keyring)");
  list_cmd_->add_option("--clinic", list_.clinic, "Only this clinic's recipients");
  list_cmd_->add_flag("--all", list_.all, "Include disabled recipients");

  disable_cmd_ = recipient->add_subcommand("disable", "Disable a recipient (kept for the record)");
  disable_cmd_->add_option("--data", disable_.data, "Data directory")->required();
  disable_cmd_->add_option("--key-file", disable_.key_file, "Key file (default DATA/keyring)");
  disable_cmd_->add_option("--id", disable_.id, "Recipient id")
      ->required()
      ->check(CLI::PositiveNumber);
}

std::optional<int> RecipientCommands::RunParsed() const {
  if (add_cmd_->parsed()) return RunRecipientAdd(add_);
  if (list_cmd_->parsed()) return RunRecipientList(list_);
  if (disable_cmd_->parsed()) return RunRecipientDisable(disable_);
  return std::nullopt;
}

}  // namespace heartbase::app
