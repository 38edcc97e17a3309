// `heartbase quarantine …`: what the console's routes do, for an integration engineer at the
// server. Reading an entry is audited like the console's read; re-processing uses the senders'
// feeds from the same configuration serve reads.
#include "app/quarantine_command.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "app/config.h"
#include "app/data_dir.h"
#include "store/quarantine.h"

namespace heartbase::app {
namespace {

int Fail(std::string_view command, const base::Error& e) {
  std::fprintf(stderr, "heartbase quarantine %.*s: %s\n", static_cast<int>(command.size()),
               command.data(), e.Describe().c_str());
  return 1;
}

std::string Time(std::int64_t us) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     std::chrono::sys_seconds(std::chrono::seconds(us / 1'000'000)));
}

std::string Where(const store::QuarantineEntry& q) {
  std::string out = q.segment;
  if (q.field) out += fmt::format("{}field {}", out.empty() ? "" : " ", *q.field);
  if (q.byte_offset) out += fmt::format("{}byte {}", out.empty() ? "" : ", ", *q.byte_offset);
  return out.empty() ? "-" : out;
}

std::string Resolution(const store::QuarantineEntry& q) {
  if (q.resolution.empty()) return "open";
  if (q.interrogation_id)
    return fmt::format("{} (interrogation {})", q.resolution, *q.interrogation_id);
  if (q.adt_message_id) return fmt::format("{} (ADT message {})", q.resolution, *q.adt_message_id);
  return q.resolution;
}

// Segments on lines of their own; other control characters (a terminal's escape sequences
// among them) shown as \xNN, so that printing an entry cannot drive the terminal.
std::string Printable(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c == '\r') {
      out += '\n';
      if (i + 1 < bytes.size() && bytes[i + 1] == '\n') ++i;
    } else if (c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7F)) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02X}", c);
    }
  }
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out;
}

int List(const QuarantineCommand& c) {
  store::QuarantineState state = store::QuarantineState::kOpen;
  if (c.state == "resolved") {
    state = store::QuarantineState::kResolved;
  } else if (c.state == "all") {
    state = store::QuarantineState::kAll;
  } else if (c.state != "open") {
    return Fail("list", base::MakeError(base::ErrorCode::kInvalidArgument,
                                        "--state is open, resolved or all"));
  }
  auto opened = OpenDataDir({.root = c.data, .key_file = c.key_file});
  if (!opened) return Fail("list", opened.error());
  std::vector<store::QuarantineEntry> items;
  auto s = store::RunUnitOfWork(*opened->db, store::Access::kWrite, [&](store::Transaction& tx) {
    auto listed = store::ListQuarantine(tx, state, c.limit);
    if (!listed) return base::Status(listed.error());
    items = std::move(*listed);
    return AuditCli(tx, "quarantine.list", 0,
                    fmt::format("state={} count={}", c.state, items.size()), "quarantine");
  });
  if (!s) return Fail("list", s.error());
  std::printf("%-6s %-20s %-24s %-24s %-16s %9s  %-28s %s\n", "id", "received", "channel", "sender",
              "code", "bytes", "state", "reason (where)");
  for (const store::QuarantineEntry& q : items) {
    std::printf("%-6lld %-20s %-24s %-24s %-16s %9lld  %-28s %s (%s)\n",
                static_cast<long long>(q.id), Time(q.received_us).c_str(), q.source.c_str(),
                q.sender.empty() ? "-" : q.sender.c_str(), q.code.c_str(),
                static_cast<long long>(q.bytes), Resolution(q).c_str(), q.reason.c_str(),
                Where(q).c_str());
  }
  return 0;
}

int Show(const QuarantineCommand& c) {
  auto opened = OpenDataDir({.root = c.data, .key_file = c.key_file});
  if (!opened) return Fail("show", opened.error());
  store::QuarantineEntry entry;
  std::string bytes;
  auto s = store::RunUnitOfWork(*opened->db, store::Access::kWrite, [&](store::Transaction& tx) {
    auto e = store::GetQuarantine(tx, c.id);
    if (!e) return base::Status(e.error());
    entry = std::move(*e);
    auto b = store::QuarantinedBytes(tx, *opened->keys, entry);
    if (!b) return base::Status(b.error());
    bytes = std::move(*b);
    // The input holds whatever the sender put in it: a read is recorded as patient-data access.
    return AuditCli(tx, c.raw ? "quarantine.download" : "quarantine.read", c.id,
                    fmt::format("bytes={}", bytes.size()), "quarantine");
  });
  if (!s) return Fail("show", s.error());
  if (c.raw) {
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
    return 0;
  }
  std::printf(
      "quarantine entry %lld\n  received: %s\n  channel: %s\n  sender: %s\n  code: %s\n"
      "  reason: %s\n  where: %s\n  bytes: %lld\n  state: %s\n\n",
      static_cast<long long>(entry.id), Time(entry.received_us).c_str(), entry.source.c_str(),
      entry.sender.empty() ? "-" : entry.sender.c_str(), entry.code.c_str(), entry.reason.c_str(),
      Where(entry).c_str(), static_cast<long long>(entry.bytes), Resolution(entry).c_str());
  const std::string text = Printable(bytes);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

int Reprocess(const QuarantineCommand& c) {
  if ((c.id == 0) == !c.all) {
    return Fail("reprocess",
                base::MakeError(base::ErrorCode::kInvalidArgument, "give --id N or --all"));
  }
  // The senders' feeds as serve has them: --config, or DATA/heartbase.toml.
  ServeCommand serve;
  std::string config = c.config;
  if (config.empty() && std::filesystem::exists(ConfigPathIn(c.data)))
    config = ConfigPathIn(c.data);
  if (!config.empty()) {
    if (auto s = ApplyConfigFile(config, serve); !s) return Fail("reprocess", s.error());
  }
  std::vector<std::string> entries = serve.feeds;
  if (serve.default_clinic > 0) entries.push_back(fmt::format("*={}", serve.default_clinic));
  auto feeds = FeedMap::Parse(entries);
  if (!feeds) return Fail("reprocess", feeds.error());
  auto opened = OpenDataDir({.root = c.data, .key_file = c.key_file});
  if (!opened) return Fail("reprocess", opened.error());
  if (auto s = feeds->Validate(*opened->db); !s) return Fail("reprocess", s.error());
  // The alert rules in force, as serve and import apply them: a re-processed interrogation gets
  // its alerts and triage position in the transaction that stores it.
  auto rule_book = LoadRuleBook(*opened->db);
  if (!rule_book) return Fail("reprocess", rule_book.error());
  ingest::Pipeline pipeline(*opened->db, *opened->keys, {.rules = *rule_book});
  std::vector<std::int64_t> ids;
  if (c.all) {
    auto s = store::RunUnitOfWork(*opened->db, store::Access::kRead, [&](store::Transaction& tx) {
      auto listed = store::ListQuarantine(tx, store::QuarantineState::kOpen, 100000);
      if (!listed) return base::Status(listed.error());
      for (auto it = listed->rbegin(); it != listed->rend(); ++it) ids.push_back(it->id);
      return base::Status();
    });
    if (!s) return Fail("reprocess", s.error());
  } else {
    ids.push_back(c.id);
  }
  int failures = 0;
  for (std::int64_t id : ids) {
    auto out = ReprocessEntry(pipeline, *feeds, id, 0);
    std::string detail;
    if (!out) {
      detail = fmt::format("error={}", base::ErrorCodeName(out.error().code));
      std::printf("%lld: not re-processed: %s\n", static_cast<long long>(id),
                  out.error().Describe().c_str());
      if (out.error().code != base::ErrorCode::kAlreadyExists &&
          out.error().code != base::ErrorCode::kInvalidArgument) {
        ++failures;
      }
    } else {
      detail = fmt::format("outcome={}", out->outcome);
      if (out->outcome == "quarantined") {
        std::printf("%lld: still quarantined: %s\n", static_cast<long long>(id),
                    out->reason.c_str());
      } else {
        std::printf(
            "%lld: %s as %s %lld\n", static_cast<long long>(id), out->outcome.c_str(),
            out->interrogation_id ? "interrogation" : "ADT message",
            static_cast<long long>(out->interrogation_id ? *out->interrogation_id
                                                         : out->adt_message_id.value_or(0)));
      }
    }
    auto audited =
        store::RunUnitOfWork(*opened->db, store::Access::kWrite, [&](store::Transaction& tx) {
          return AuditCli(tx, "quarantine.reprocess", id, detail, "quarantine");
        });
    if (!audited) return Fail("reprocess", audited.error());
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

base::Result<api::ReprocessOutcome> ReprocessEntry(ingest::Pipeline& pipeline, const FeedMap& feeds,
                                                   std::int64_t id, std::int64_t user_id) {
  auto out = pipeline.Reprocess(id, user_id == 0 ? std::nullopt : std::optional(user_id),
                                [&](std::string_view bytes) { return feeds.ForMessage(bytes); });
  if (!out) return out.error();
  api::ReprocessOutcome r;
  r.outcome = std::string(ingest::ToString(out->disposition));
  if (out->disposition == ingest::Disposition::kQuarantined) {
    r.reason = out->reason ? out->reason->Describe() : "";
  } else if (out->adt_patient) {
    r.adt_message_id = out->id;
  } else {
    r.interrogation_id = out->id;
  }
  return r;
}

QuarantineCommands::QuarantineCommands(CLI::App& app) {
  auto* q = app.add_subcommand("quarantine", "Refused input (docs/quarantine.md)");
  q->require_subcommand(1);
  list_cmd_ = q->add_subcommand("list", "Quarantined input, newest first (audited)");
  show_cmd_ = q->add_subcommand(
      "show", "One entry and its raw HL7, control characters escaped (audited as patient data)");
  reprocess_cmd_ = q->add_subcommand(
      "reprocess",
      "Ingest entries again (after an upgrade of the mapping); those that now map "
      "are stored once and leave the quarantine");
  for (CLI::App* cmd : {list_cmd_, show_cmd_, reprocess_cmd_}) {
    cmd->add_option("--data", c_.data, "Data directory")->required();
    cmd->add_option("--key-file", c_.key_file, "Key file (default DATA/keyring)");
  }
  list_cmd_->add_option("--state", c_.state, "open, resolved or all")->capture_default_str();
  list_cmd_->add_option("--limit", c_.limit, "At most this many")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{100000}))
      ->capture_default_str();
  show_cmd_->add_option("--id", c_.id, "Entry id")->required();
  show_cmd_->add_flag("--raw", c_.raw, "Write the bytes exactly as received (to a file)");
  reprocess_cmd_->add_option("--id", c_.id, "Entry id");
  reprocess_cmd_->add_flag("--all", c_.all, "Every open entry, oldest first");
  reprocess_cmd_->add_option("--config", c_.config,
                             "serve's configuration, for the senders' clinics (default "
                             "DATA/heartbase.toml)");
}

std::optional<int> QuarantineCommands::RunParsed() const {
  if (list_cmd_->parsed()) return List(c_);
  if (show_cmd_->parsed()) return Show(c_);
  if (reprocess_cmd_->parsed()) return Reprocess(c_);
  return std::nullopt;
}

}  // namespace heartbase::app
