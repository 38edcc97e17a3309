// `heartbase init` and `heartbase import`: files or folders (recursive) of HL7 — one message per
// file, concatenations, batch envelopes or MLLP-framed streams — through the ingest pipeline.
// Exit status 1 when anything was quarantined, not stored or unreadable; each is named on stderr.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include "app/commands.h"
#include "app/config.h"
#include "app/data_dir.h"
#include "app/file_import.h"
#include "audit/trail.h"
#include "crypto/key_check.h"
#include "ingest/pipeline.h"
#include "store/patients.h"
#include "store/review.h"

namespace heartbase::app {
namespace {

namespace fs = std::filesystem;

struct Tally {
  std::size_t files = 0, stored = 0, duplicate = 0, quarantined = 0, failed = 0, unreadable = 0;
  std::size_t control_id_reused = 0;  // of `stored`
};

}  // namespace

int RunInit(const InitCommand& command) {
  DataDirOptions o{.root = command.data,
                   .key_file = command.key_file,
                   .store_driver = command.store_driver,
                   .postgres = command.postgres};
  auto token = InitDataDir(o);
  if (!token) {
    std::fprintf(stderr, "heartbase: init: %s\n", token.error().Describe().c_str());
    return 1;
  }
  // The configuration with every key at its default, for the operator to edit; serve reads it.
  const std::string config = ConfigPathIn(o.root);
  std::string text = DefaultConfigText();
  if (command.store_driver == "postgres") {
    // This directory's database is on the server: every command run on it reads these two keys.
    const auto set = [&text](std::string_view line, const std::string& value) {
      const std::size_t at = text.find(line);
      if (at != std::string::npos) text.replace(at, line.size(), value);
    };
    set("\ndriver = \"sqlite\"\n", "\ndriver = \"postgres\"\n");
    set("\npostgres = \"\"\n", "\npostgres = " + TomlString(command.postgres) + "\n");
  }
  if (auto s = WriteFileAtomically(config, text, 0600); !s) {
    std::fprintf(stderr, "heartbase: init: %s: %s\n", config.c_str(), s.error().Describe().c_str());
    return 1;
  }
  auto keys = crypto::KeyRing::Load(KeyFilePath(o));
  const std::string fingerprint = keys ? crypto::Fingerprint(keys->Check()) : "unreadable";
  std::printf(
      "initialized %s\n  database: %s\n  key file: %s (mode 0400)\n  key ring fingerprint: %s "
      "(only this ring opens %s)\n  audit signing key: %s (mode 0400)\n  TLS certificate "
      "(self-signed, for localhost): %s\n  configuration (every key at its default; serve reads "
      "it): %s\n",
      o.root.c_str(),
      command.store_driver == "postgres" ? ("PostgreSQL: " + command.postgres).c_str()
                                         : DatabasePath(o).c_str(),
      KeyFilePath(o).c_str(), fingerprint.c_str(), o.root.c_str(), AuditKeyPath(o).c_str(),
      TlsCertificatePath(o).c_str(), config.c_str());
  std::printf(
      "Keep a copy of the key file apart from backups of the data: without it the\n"
      "patient data cannot be read, and with it a stolen backup can.\n\n"
      "There are no accounts yet. Create the first administrator within 24 hours with\n"
      "  heartbase user add --data %s --name NAME --role administrator \\\n"
      "      --bootstrap-token %s\n"
      "This token works once and is not shown again.\n",
      o.root.c_str(), token->c_str());
  return 0;
}

namespace {

// The audit record of a change the import makes on the operator's behalf.
base::Status AuditImport(store::Transaction& tx, std::string_view action,
                         std::string_view object_type, std::string detail) {
  audit::Event e;
  e.time_us = NowUs();
  e.user_name = "system:cli";
  e.role = "system";
  e.address = "local";
  e.action = std::string(action);
  e.object_type = std::string(object_type);
  e.detail = std::move(detail);
  return audit::Append(tx, e);
}

}  // namespace

int RunImport(const ImportCommand& command) {
  DataDirOptions o{.root = command.data, .key_file = command.key_file};
  auto opened = OpenDataDir(o);
  if (!opened) {
    std::fprintf(stderr, "heartbase: import: %s\n", opened.error().Describe().c_str());
    return 1;
  }
  std::optional<std::int64_t> history_before;
  if (!command.history_before.empty()) {
    const std::string& t = command.history_before;
    auto field = [&](std::size_t at, std::size_t n) -> std::optional<unsigned> {
      unsigned v = 0;
      const char* first = t.data() + at;
      auto [end, ec] = std::from_chars(first, first + n, v);
      if (ec != std::errc() || end != first + n) return std::nullopt;
      return v;
    };
    const bool shaped = t.size() == 10 && t[4] == '-' && t[7] == '-';
    const auto y = shaped ? field(0, 4) : std::nullopt;
    const auto m = shaped ? field(5, 2) : std::nullopt;
    const auto d = shaped ? field(8, 2) : std::nullopt;
    if (!y || !m || !d || *m < 1 || *m > 12 || *d < 1 || *d > 31) {
      std::fprintf(stderr, "heartbase: import: --history-before must be YYYY-MM-DD\n");
      return 1;
    }
    history_before = base::DaysFromCivil(*y, *m, *d) * 86'400'000'000LL;
  }
  auto rule_book = LoadRuleBook(*opened->db);
  if (!rule_book) {
    std::fprintf(stderr, "heartbase: import: alert rules: %s\n",
                 rule_book.error().Describe().c_str());
    return 1;
  }
  // The import acts as the system (whoever runs it holds the key file): messages for known
  // devices go to their patient in whatever clinic, new patients land in --clinic.
  const store::ClinicScope feed{.clinics = {command.clinic}, .any = true};
  {
    auto tx = opened->db->Begin(store::Access::kRead);
    if (!tx) {
      std::fprintf(stderr, "heartbase: import: %s\n", tx.error().Describe().c_str());
      return 1;
    }
    const store::Param p[] = {{"id", command.clinic}};
    auto rows = (*tx)->Query("SELECT 1 FROM clinic WHERE id = :id", p);
    if (!rows || rows->empty()) {
      std::fprintf(stderr, "heartbase: import: --clinic %lld: no such clinic\n",
                   static_cast<long long>(command.clinic));
      return 1;
    }
  }
  ingest::Pipeline pipeline(*opened->db, *opened->keys, {.rules = *rule_book});
  const std::int64_t started_us = NowUs();
  std::vector<fs::path> files;
  Tally t;
  for (const std::string& p : command.paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (auto it = fs::recursive_directory_iterator(p, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file()) files.push_back(it->path());
      }
    } else if (fs::is_regular_file(p, ec)) {
      files.emplace_back(p);
    } else {
      std::fprintf(stderr, "heartbase: %s: not a file or folder\n", p.c_str());
      ++t.unreadable;
    }
  }
  std::sort(files.begin(), files.end());
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  for (const fs::path& f : files) {
    ++t.files;
    std::error_code ec;
    const auto size = fs::file_size(f, ec);
    if (ec || size > command.max_file_bytes) {
      std::fprintf(stderr, "heartbase: %s: %s\n", f.c_str(),
                   ec ? ec.message().c_str() : "file larger than --max-file-bytes");
      ++t.unreadable;
      continue;
    }
    std::ifstream in(f, std::ios::binary);
    std::string bytes(size, '\0');
    if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) {
      std::fprintf(stderr, "heartbase: %s: cannot read\n", f.c_str());
      ++t.unreadable;
      continue;
    }
    const FileTally ft =
        ImportFileBytes(pipeline, bytes, "file", command.max_frame_bytes,
                        [&](std::string_view) -> base::Result<store::ClinicScope> { return feed; });
    t.stored += ft.stored;
    t.duplicate += ft.duplicate;
    t.control_id_reused += ft.control_id_reused;
    t.quarantined += ft.quarantined;
    t.failed += ft.failed;
    // Quarantined input is kept, not lost, but it is not in the record either: the operator must
    // hear of it, by name, and the exit status says so too.
    for (const QuarantinedPart& q : ft.quarantined_parts) {
      const std::string where =
          q.message == 0 ? std::string("the whole file")
          : q.offset == SIZE_MAX
              ? fmt::format("message {}", q.message)
              : fmt::format("message {} (byte {} of the file)", q.message, q.offset);
      std::fprintf(stderr, "%sheartbase: import: %s: %s quarantined (%s): %s\n", tty ? "\n" : "",
                   f.c_str(), where.c_str(),
                   std::string(base::ErrorCodeName(q.reason.code)).c_str(),
                   q.reason.Describe().c_str());
    }
    if (ft.quarantined > ft.quarantined_parts.size()) {
      std::fprintf(stderr, "heartbase: import: %s: %zu more quarantined\n", f.c_str(),
                   ft.quarantined - ft.quarantined_parts.size());
    }
    if (ft.last_failure) {
      std::fprintf(stderr, "\nheartbase: %s: %zu message(s) not stored: %s\n", f.c_str(), ft.failed,
                   ft.last_failure->Describe().c_str());
    }
    if (tty) {
      std::fprintf(stderr, "\r[%zu/%zu files] stored %zu, duplicate %zu, quarantined %zu", t.files,
                   files.size(), t.stored, t.duplicate, t.quarantined);
    }
  }
  if (tty) std::fputc('\n', stderr);
  if (command.known_patients) {
    std::int64_t accepted = 0;
    auto s = store::RunUnitOfWork(*opened->db, store::Access::kWrite, [&](store::Transaction& tx) {
      auto n = store::AcceptPatientsCreatedSince(tx, started_us);
      if (!n) return base::Status(n.error());
      accepted = *n;
      return AuditImport(tx, "import.patients_accepted", "patient", fmt::format("count={}", *n));
    });
    if (!s) {
      std::fprintf(stderr, "heartbase: import: --known-patients: %s\n",
                   s.error().Describe().c_str());
      return 1;
    }
    std::printf("%lld new patients accepted as the clinic's own\n",
                static_cast<long long>(accepted));
  }
  if (history_before) {
    std::int64_t signed_count = 0;
    auto s = store::RunUnitOfWork(*opened->db, store::Access::kWrite, [&](store::Transaction& tx) {
      auto n = store::SignHistory(tx, *history_before, NowUs());
      if (!n) return base::Status(n.error());
      signed_count = *n;
      return AuditImport(tx, "import.history_signed", "interrogation",
                         fmt::format("before={} count={}", command.history_before, *n));
    });
    if (!s) {
      std::fprintf(stderr, "heartbase: import: --history-before: %s\n",
                   s.error().Describe().c_str());
      return 1;
    }
    std::printf("%lld earlier interrogations marked as signed in the previous system\n",
                static_cast<long long>(signed_count));
  }
  std::printf(
      "imported %zu files: %zu stored, %zu duplicate, %zu quarantined, %zu failed, "
      "%zu unreadable\n",
      t.files, t.stored, t.duplicate, t.quarantined, t.failed, t.unreadable);
  if (t.control_id_reused > 0) {
    // Stored, not duplicates: the sender had used these control ids (MSH-10) for other bytes.
    std::printf("%zu of the stored messages with a reused control id\n", t.control_id_reused);
  }
  if (t.quarantined > 0) {
    std::fprintf(stderr,
                 "heartbase: import: %zu message(s) or file(s) quarantined (kept in the database, "
                 "not in the record); exit status 1\n",
                 t.quarantined);
  }
  return t.failed == 0 && t.unreadable == 0 && t.quarantined == 0 ? 0 : 1;
}

}  // namespace heartbase::app
