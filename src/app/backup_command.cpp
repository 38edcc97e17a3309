// The backup commands. backup copies the database under one read transaction of its own
// connection (store/sqlite/online_backup.h), so serve goes on ingesting; restore writes a new
// data directory and never touches one that holds a database. Logs and audit records name sizes,
// versions and hashes, never content.
#include "app/backup_command.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "app/data_dir.h"
#include "backup/file.h"
#include "base/log.h"
#include "crypto/key_check.h"
#include "store/sqlite/online_backup.h"
#include "store/sqlite/sqlite_database.h"

namespace heartbase::app {

using backup::BackupFileEntry;
using backup::BackupFileNames;
using backup::BackupHeader;
using backup::BackupInfo;
using backup::CheckBackupHash;
using backup::kMaxBackupFileBytes;
using backup::ReadBackupHeader;
using backup::RenameNoReplace;
using backup::WriteBackupFile;
namespace {

namespace fs = std::filesystem;
using base::ErrorCode;
using base::MakeError;

int Fail(std::string_view command, const base::Error& e) {
  std::fprintf(stderr, "heartbase %.*s: %s\n", static_cast<int>(command.size()), command.data(),
               e.Describe().c_str());
  return 1;
}

int NewestSchema() { return store::SqliteMigrations().back().version; }

std::string Utc(std::int64_t us) {
  return fmt::format("{:%Y-%m-%d %H:%M:%S} UTC",
                     fmt::gmtime(static_cast<std::time_t>(us / 1'000'000)));
}

// A small non-secret file of the data directory, or nothing if it is not there.
base::Result<std::optional<std::string>> ReadDirectoryFile(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::optional<std::string>();
  auto text = ReadSmallFile(path, kMaxBackupFileBytes);
  if (!text) return text.error();
  return std::optional<std::string>(std::move(*text));
}

base::Result<crypto::KeyCheck> KeyCheckOf(const BackupHeader& h) {
  for (const BackupFileEntry& f : h.files) {
    if (f.name == "key-check") return crypto::ParseKeyCheck(f.content);
  }
  return MakeError(ErrorCode::kMalformed, "the backup holds no key check");
}

// ---- backup ----

// The key ring against the directory's recorded key check, as OpenDataDir does first.
base::Status CheckRingOf(const DataDirOptions& o) {
  auto keys = crypto::KeyRing::Load(KeyFilePath(o));
  if (!keys) return keys.error();
  auto recorded = crypto::LoadKeyCheck(KeyCheckPath(o));
  if (!recorded) return recorded.error();
  if (!*recorded) {
    return MakeError(
        ErrorCode::kNotFound,
        fmt::format("{} has no key check, so the key ring cannot be confirmed", o.root));
  }
  if (auto s = crypto::VerifyKeyCheck(**recorded, keys->Check()); !s) {
    return MakeError(s.error().code, fmt::format("key file {} does not belong to {}: {}",
                                                 KeyFilePath(o), o.root, s.error().message));
  }
  return {};
}

int Backup(const BackupCommand& c) {
  if (c.data.empty() || c.out.empty()) {
    return Fail("backup", MakeError(ErrorCode::kInvalidArgument,
                                    "backup needs --data DIR and --out FILE (or: backup verify "
                                    "FILE)"));
  }
  std::error_code ec;
  if (fs::exists(c.out, ec)) {
    return Fail("backup", MakeError(ErrorCode::kAlreadyExists,
                                    fmt::format("{} already exists; a backup never replaces a "
                                                "file",
                                                c.out)));
  }
  const auto started = std::chrono::steady_clock::now();
  DataDirOptions o{.root = c.data, .key_file = c.key_file};
  if (auto s = ResolveStore(o); !s) return Fail("backup", s.error());
  if (UsesPostgres(o)) {
    return Fail("backup",
                base::MakeError(ErrorCode::kUnsupported,
                                "this data directory's database is on PostgreSQL: back it up with "
                                "the server's tools (pg_dump, or base backups with WAL archiving "
                                "for point-in-time recovery; docs/postgres.md), and keep a copy "
                                "of this directory's keys apart"));
  }
  // Opened as every command does: the key ring must belong to the directory (and its key check
  // is recorded), so the backup names the ring that opens it.
  auto opened = OpenDataDir(o);
  if (!opened && opened.error().code != ErrorCode::kUnsupported) {
    return Fail("backup", opened.error());
  }
  if (!opened) {
    // The schema gate: a database older than this binary is backed up before `serve --upgrade`
    // (the gate's own message asks for that), so the ring is checked here instead, and the
    // backup is not audited (the audit trail may not have this binary's shape yet).
    if (auto s = CheckRingOf(o); !s) return Fail("backup", s.error());
  }
  BackupHeader header;
  for (std::string_view name : BackupFileNames()) {
    auto text = ReadDirectoryFile((fs::path(c.data) / name).string());
    if (!text) return Fail("backup", text.error());
    if (*text) header.files.push_back({.name = std::string(name), .content = std::move(**text)});
  }
  auto check = KeyCheckOf(header);
  if (!check) return Fail("backup", check.error());
  const std::string image = c.out + ".image-partial";
  auto snapshot = store::CopySqliteSnapshot(DatabasePath(o), image);
  if (!snapshot) return Fail("backup", snapshot.error());
  header.schema_version = snapshot->schema_version;
  header.created_us = NowUs();
  header.image_bytes = static_cast<std::uint64_t>(snapshot->bytes);
  auto hash = WriteBackupFile(c.out, header, image);
  fs::remove(image, ec);
  if (!hash) return Fail("backup", hash.error());
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  const std::uint64_t file_bytes = fs::file_size(c.out, ec);
  const std::string fingerprint = crypto::Fingerprint(*check);
  base::log::Info("store.backup", {{"bytes", file_bytes},
                                   {"schema", snapshot->schema_version},
                                   {"blake2b", hash->substr(0, 16)},
                                   {"ms", static_cast<std::int64_t>(ms)}});
  std::printf(
      "backup %s: schema version %d, %llu bytes (database image %llu), key ring %s, created "
      "%s, %lld ms\nBLAKE2b-256 %s\nThe key ring and the signing keys are not in it: keep them "
      "apart (docs/recovery.md).\n",
      c.out.c_str(), snapshot->schema_version, static_cast<unsigned long long>(file_bytes),
      static_cast<unsigned long long>(header.image_bytes), fingerprint.c_str(),
      Utc(header.created_us).c_str(), static_cast<long long>(ms), hash->c_str());
  if (!opened) {
    std::printf("Not recorded in the audit trail: %s\n", opened.error().message.c_str());
    return 0;
  }
  auto audited =
      store::RunUnitOfWork(*opened->db, store::Access::kWrite, [&](store::Transaction& tx) {
        return AuditCli(tx, "store.backup", 0,
                        fmt::format("bytes={} schema={} blake2b={}", file_bytes,
                                    snapshot->schema_version, hash->substr(0, 16)),
                        "store");
      });
  if (!audited) {
    std::fprintf(stderr,
                 "heartbase backup: %s is complete, but its audit record could not be written: "
                 "%s\n",
                 c.out.c_str(), audited.error().Describe().c_str());
    return 1;
  }
  return 0;
}

// ---- verify ----

// Header, hash, then the image itself (integrity_check on a private copy) and its schema version.
base::Result<store::ImageCheck> CheckBackup(const std::string& file, const BackupInfo& info,
                                            const std::string& image) {
  if (auto s = CheckBackupHash(file, info, image); !s) return s.error();
  auto check = store::CheckSqliteImage(image);
  if (!check) return check.error();
  if (!check->problems.empty()) {
    return MakeError(ErrorCode::kDataLoss,
                     fmt::format("{}: the database image fails integrity_check ({}{})", file,
                                 check->problems.front(), check->problems.size() > 1 ? ", …" : ""));
  }
  if (check->schema_version != info.header.schema_version) {
    return MakeError(ErrorCode::kDataLoss,
                     fmt::format("{}: the header says schema version {}, the image holds {}", file,
                                 info.header.schema_version, check->schema_version));
  }
  return check;
}

int Verify(const BackupCommand& c) {
  auto info = ReadBackupHeader(c.file);
  if (!info) return Fail("backup verify", info.error());
  std::string image = (fs::temp_directory_path() / "hb-backup-verify-XXXXXX").string();
  const int fd = ::mkstemp(image.data());
  if (fd < 0) {
    return Fail("backup verify",
                MakeError(ErrorCode::kIo, "cannot create a temporary file for the image"));
  }
  ::close(fd);
  std::error_code ec;
  fs::remove(image, ec);  // CheckBackupHash creates it exclusively
  auto check = CheckBackup(c.file, *info, image);
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) fs::remove(image + suffix, ec);
  if (!check) return Fail("backup verify", check.error());
  auto key_check = KeyCheckOf(info->header);
  if (!key_check) return Fail("backup verify", key_check.error());
  const int newest = NewestSchema();
  if (info->header.schema_version > newest) {
    return Fail("backup verify",
                MakeError(ErrorCode::kUnsupported,
                          fmt::format("{} holds schema version {}, newer than this heartbase "
                                      "({}); verify and restore it with a newer heartbase",
                                      c.file, info->header.schema_version, newest)));
  }
  std::printf(
      "%s: intact\n  schema version %d%s\n  %llu bytes (database image %llu)\n  created %s\n  "
      "key ring %s (restore needs this ring)\n",
      c.file.c_str(), info->header.schema_version,
      info->header.schema_version < newest
          ? fmt::format(" (older than this heartbase's {}: serve --upgrade migrates it)", newest)
                .c_str()
          : "",
      static_cast<unsigned long long>(info->file_bytes),
      static_cast<unsigned long long>(info->header.image_bytes),
      Utc(info->header.created_us).c_str(), crypto::Fingerprint(*key_check).c_str());
  return 0;
}

// ---- restore ----

// What restore created, removed again if it fails.
class Undo {
 public:
  void File(std::string path) { files_.push_back(std::move(path)); }
  void Directory(std::string path) { dirs_.push_back(std::move(path)); }
  void Keep() { keep_ = true; }
  Undo() = default;
  Undo(const Undo&) = delete;
  Undo& operator=(const Undo&) = delete;
  ~Undo() {
    if (keep_) return;
    std::error_code ec;
    for (const std::string& f : files_) fs::remove(f, ec);
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) fs::remove(*it, ec);  // if empty
  }

 private:
  std::vector<std::string> files_;
  std::vector<std::string> dirs_;
  bool keep_ = false;
};

int Restore(const BackupCommand& c) {
  const DataDirOptions o{.root = c.data, .key_file = c.key_file};
  const std::string db_path = DatabasePath(o);
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    if (fs::exists(db_path + suffix, ec)) {
      return Fail("restore",
                  MakeError(ErrorCode::kAlreadyExists,
                            fmt::format("{} already holds a heartbase database ({}); restore "
                                        "never overwrites one: restore into a new directory, or "
                                        "move {} aside first",
                                        c.data, db_path + suffix, c.data)));
    }
  }
  // Everything that can be checked without writing is checked first: the file, its hash, its
  // schema version, the key ring and the files it would write.
  auto info = ReadBackupHeader(c.file);
  if (!info) return Fail("restore", info.error());
  if (auto s = CheckBackupHash(c.file, *info); !s) return Fail("restore", s.error());
  const int newest = NewestSchema();
  if (info->header.schema_version > newest) {
    return Fail("restore",
                MakeError(ErrorCode::kUnsupported,
                          fmt::format("{} holds schema version {}, newer than this heartbase "
                                      "({}); restore it with a newer heartbase",
                                      c.file, info->header.schema_version, newest)));
  }
  auto recorded = KeyCheckOf(info->header);
  if (!recorded) return Fail("restore", recorded.error());
  const std::string fingerprint = crypto::Fingerprint(*recorded);
  const std::string key_path = KeyFilePath(o);
  if (!fs::exists(key_path, ec)) {
    return Fail("restore",
                MakeError(ErrorCode::kNotFound,
                          fmt::format("no key ring at {}: the backup never holds it. Put the key "
                                      "ring this backup belongs to (fingerprint {}) there, or "
                                      "pass --key-file; nothing was written",
                                      key_path, fingerprint)));
  }
  auto keys = crypto::KeyRing::Load(key_path);
  if (!keys) return Fail("restore", keys.error());
  if (auto s = crypto::VerifyKeyCheck(*recorded, keys->Check()); !s) {
    return Fail("restore",
                MakeError(s.error().code,
                          fmt::format("key file {} does not belong to this backup: {}; nothing "
                                      "was written",
                                      key_path, s.error().message)));
  }
  for (const BackupFileEntry& f : info->header.files) {
    auto existing = ReadDirectoryFile((fs::path(c.data) / f.name).string());
    if (!existing) return Fail("restore", existing.error());
    if (*existing && **existing != f.content) {
      return Fail("restore", MakeError(ErrorCode::kAlreadyExists,
                                       fmt::format("{} already holds another {}; restore writes "
                                                   "it from the backup: move it aside first",
                                                   c.data, f.name)));
    }
  }

  Undo undo;
  if (!fs::exists(c.data, ec)) {
    fs::create_directories(c.data, ec);
    if (ec) {
      return Fail("restore", MakeError(ErrorCode::kIo, fmt::format("cannot create {}", c.data)));
    }
    undo.Directory(c.data);
  }
  ::chmod(c.data.c_str(), 0700);
  const std::string partial = db_path + ".restore-partial";
  undo.File(partial);
  for (const char* suffix : {"-journal", "-wal", "-shm"}) undo.File(partial + suffix);
  auto image = CheckBackup(c.file, *info, partial);
  if (!image) return Fail("restore", image.error());
  for (const BackupFileEntry& f : info->header.files) {
    const fs::path target = fs::path(c.data) / f.name;
    if (fs::exists(target, ec)) continue;  // the same content (checked above)
    if (target.parent_path() != fs::path(c.data) && !fs::exists(target.parent_path(), ec)) {
      fs::create_directory(target.parent_path(), ec);
      ::chmod(target.parent_path().c_str(), 0700);
      undo.Directory(target.parent_path().string());
    }
    undo.File(target.string());
    const base::Status written = f.name == "key-check"
                                     ? crypto::SaveKeyCheck(target.string(), *recorded)
                                     : WriteFileAtomically(target.string(), f.content, 0444);
    if (!written) return Fail("restore", written.error());
  }
  undo.File(db_path);
  undo.File(db_path + "-wal");
  undo.File(db_path + "-shm");
  if (auto s = RenameNoReplace(partial, db_path); !s) return Fail("restore", s.error());

  const int schema = info->header.schema_version;
  if (schema == newest) {
    // The directory is opened as every command opens it (the key check again, the schema gate),
    // and the restore is recorded in its own audit trail.
    auto opened = OpenDataDir(o);
    if (!opened) return Fail("restore", opened.error());
    auto audited =
        store::RunUnitOfWork(*opened->db, store::Access::kWrite, [&](store::Transaction& tx) {
          return AuditCli(tx, "store.restore", 0,
                          fmt::format("backup_created={} schema={} bytes={}",
                                      info->header.created_us, schema, info->file_bytes),
                          "store");
        });
    if (!audited) return Fail("restore", audited.error());
  }
  undo.Keep();
  base::log::Info("store.restore", {{"bytes", info->file_bytes},
                                    {"schema", schema},
                                    {"backup_created_us", info->header.created_us}});
  std::printf("restored %s into %s: schema version %d, backup created %s, key ring %s\n",
              c.file.c_str(), c.data.c_str(), schema, Utc(info->header.created_us).c_str(),
              fingerprint.c_str());
  if (schema < newest) {
    std::printf(
        "The backup's schema version %d is older than this heartbase's %d: start `heartbase "
        "serve --data %s --upgrade` once to migrate it (no audit record was written before "
        "that).\n",
        schema, newest, c.data.c_str());
  }
  std::vector<std::string> missing;
  for (const std::string& p : {AuditKeyPath(o), ReportKeyPath(o), TlsKeyPath(o)}) {
    if (!fs::exists(p, ec)) missing.push_back(p);
  }
  if (!missing.empty()) {
    std::printf(
        "Secret files are never in a backup; put these back from where you keep them "
        "apart before `serve`:\n");
    for (const std::string& p : missing) std::printf("  %s\n", p.c_str());
  }
  std::printf("Then check it: heartbase store verify --data %s; heartbase audit verify --data %s\n",
              c.data.c_str(), c.data.c_str());
  return 0;
}

}  // namespace

BackupCommands::BackupCommands(CLI::App& app) {
  backup_cmd_ = app.add_subcommand(
      "backup",
      "Write one backup file of a data directory's database while serve runs (never the key "
      "ring or signing keys; docs/recovery.md)");
  backup_cmd_->add_option("--data", c_.data, "Data directory");
  backup_cmd_->add_option("--out", c_.out, "Backup file to write (mode 0600; never replaced)");
  backup_cmd_->add_option("--key-file", c_.key_file, "Key file (default DATA/keyring)");
  verify_cmd_ = backup_cmd_->add_subcommand(
      "verify", "Check a backup file offline: format, hash, integrity_check, schema version");
  verify_cmd_->add_option("file", c_.file, "Backup file")->required();
  restore_cmd_ = app.add_subcommand(
      "restore", "Restore a backup file into a new data directory (never over a database)");
  restore_cmd_->add_option("--from", c_.file, "Backup file")->required();
  restore_cmd_->add_option("--data", c_.data, "Data directory to create")->required();
  restore_cmd_->add_option("--key-file", c_.key_file,
                           "The key ring the backup belongs to (default DATA/keyring, put there "
                           "beforehand)");
}

std::optional<int> BackupCommands::RunParsed() const {
  if (verify_cmd_->parsed()) return Verify(c_);
  if (backup_cmd_->parsed()) return Backup(c_);
  if (restore_cmd_->parsed()) return Restore(c_);
  return std::nullopt;
}

}  // namespace heartbase::app
