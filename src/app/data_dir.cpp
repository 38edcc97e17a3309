// Data directory set-up. The key file defaults to DIR/keyring; operators who back up the data
// directory should move it elsewhere (--key-file) so that a stolen backup is unreadable.
#include "app/data_dir.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "app/config.h"
#include "auth/bootstrap.h"
#include "base/log.h"
#include "crypto/key_check.h"
#include "crypto/signing_key.h"
#include "ingest/readback.h"
#include "net/self_signed.h"
#include "store/alerts.h"
#include "store/migrations.h"
#include "store/postgres/postgres_database.h"
#include "store/rekey.h"
#include "store/sqlite/sqlite_database.h"

namespace heartbase::app {

std::int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace fs = std::filesystem;

std::string DatabasePath(const DataDirOptions& o) {
  return (fs::path(o.root) / "heartbase.db").string();
}
std::string KeyFilePath(const DataDirOptions& o) {
  return o.key_file.empty() ? (fs::path(o.root) / "keyring").string() : o.key_file;
}

std::string AuditKeyPath(const DataDirOptions& o) {
  return (fs::path(o.root) / "audit-signing.key").string();
}
std::string TlsCertificatePath(const DataDirOptions& o) {
  return (fs::path(o.root) / "tls" / "cert.pem").string();
}
std::string TlsKeyPath(const DataDirOptions& o) {
  return (fs::path(o.root) / "tls" / "key.pem").string();
}
std::string KeyCheckPath(const DataDirOptions& o) {
  return (fs::path(o.root) / "key-check").string();
}
std::string NotifyKeyPath(const std::string& data_root) {
  return (fs::path(data_root) / "notify.key").string();
}

base::Status ResolveStore(DataDirOptions& o) {
  if (o.store_driver.empty()) {
    ServeCommand config;
    const std::string path = ConfigPathIn(o.root);
    std::error_code ec;
    if (!o.root.empty() && fs::exists(path, ec)) {
      if (auto s = ApplyConfigFile(path, config); !s) return s;
    }
    o.store_driver = config.store_driver;
    o.postgres = config.postgres;
    o.postgres_connections = static_cast<std::size_t>(config.postgres_connections);
  }
  if (o.store_driver == "sqlite") return {};
  if (o.store_driver != "postgres") {
    return base::MakeError(
        base::ErrorCode::kInvalidArgument,
        fmt::format("store.driver must be \"sqlite\" or \"postgres\", not \"{}\"", o.store_driver));
  }
  if (o.postgres.empty()) {
    return base::MakeError(base::ErrorCode::kInvalidArgument,
                           "store.driver is \"postgres\" but store.postgres (--postgres) names no "
                           "server");
  }
  return store::CheckPostgresConninfo(o.postgres);
}

bool UsesPostgres(const DataDirOptions& o) { return o.store_driver == "postgres"; }

namespace {

base::Result<std::unique_ptr<store::Database>> OpenDatabase(const DataDirOptions& o, bool create) {
  if (UsesPostgres(o)) {
    return store::OpenPostgres({.conninfo = o.postgres, .max_connections = o.postgres_connections});
  }
  return store::OpenSqlite({.path = DatabasePath(o), .create = create});
}

std::span<const store::Migration> MigrationsOf(const DataDirOptions& o) {
  return UsesPostgres(o) ? store::PostgresMigrations() : store::SqliteMigrations();
}

}  // namespace

base::Status RecordKeyCheck(const DataDirOptions& o, const crypto::KeyRing& keys) {
  return crypto::SaveKeyCheck(KeyCheckPath(o), keys.Check());
}

base::Result<std::string> InitDataDir(const DataDirOptions& options) {
  if (options.root.empty())
    return base::MakeError(base::ErrorCode::kInvalidArgument, "--data is required");
  DataDirOptions o = options;
  if (o.store_driver.empty()) o.store_driver = "sqlite";
  if (auto s = ResolveStore(o); !s) return s.error();
  std::error_code ec;
  if (fs::exists(DatabasePath(o), ec)) {
    return base::MakeError(base::ErrorCode::kAlreadyExists,
                           fmt::format("{} already holds a heartbase database", o.root));
  }
  std::unique_ptr<store::Database> postgres;
  if (UsesPostgres(o)) {
    // The server must be reachable and hold no heartbase schema yet: init never writes over data.
    auto db = OpenDatabase(o, true);
    if (!db) return db.error();
    auto version = store::SchemaVersion(**db);
    if (!version) return version.error();
    if (*version != 0) {
      return base::MakeError(
          base::ErrorCode::kAlreadyExists,
          fmt::format("the PostgreSQL database already holds a heartbase schema (version {}); a "
                      "further node uses a copy of the first node's data directory instead "
                      "(docs/postgres.md)",
                      *version));
    }
    postgres = std::move(*db);
  }
  fs::create_directories(o.root, ec);
  if (ec || ::chmod(o.root.c_str(), 0700) != 0) {
    return base::MakeError(base::ErrorCode::kIo, fmt::format("cannot create {}", o.root));
  }
  if (fs::exists(KeyFilePath(o), ec)) {
    return base::MakeError(base::ErrorCode::kAlreadyExists,
                           fmt::format("key file {} already exists", KeyFilePath(o)));
  }
  auto keys = crypto::KeyRing::Generate();
  if (!keys) return keys.error();
  if (auto s = keys->Save(KeyFilePath(o)); !s) return s.error();
  // Before the database exists, so that no database here is ever without its key check (one
  // left by an earlier, failed init is replaced).
  if (auto s = RecordKeyCheck(o, *keys); !s) return s.error();
  base::Result<std::unique_ptr<store::Database>> db =
      postgres ? std::move(postgres) : OpenDatabase(o, true);
  if (!db) return db.error();
  auto v = store::Migrate(**db, MigrationsOf(o), false);
  if (!v) return v.error();
  if (!UsesPostgres(o)) ::chmod(DatabasePath(o).c_str(), 0600);
  auto signing = crypto::SigningKey::Generate();
  if (!signing) return signing.error();
  if (auto s = signing->Save(AuditKeyPath(o)); !s) return s.error();
  if (auto report_key = LoadOrCreateReportKey(o); !report_key) return report_key.error();
  fs::create_directories(fs::path(o.root) / "tls", ec);
  if (ec) return base::MakeError(base::ErrorCode::kIo, "cannot create the tls folder");
  if (auto s = net::WriteSelfSignedCertificate(TlsCertificatePath(o), TlsKeyPath(o)); !s) {
    return s.error();
  }
  std::string token;
  auto s = store::RunUnitOfWork(**db, store::Access::kWrite, [&](store::Transaction& tx) {
    auto t = auth::CreateBootstrapToken(tx, *keys, {}, NowUs());
    if (!t) return base::Status(t.error());
    token = std::move(*t);
    return base::Status();
  });
  if (!s) return s.error();
  return token;
}

base::Result<OpenStore> OpenDataDir(const DataDirOptions& options) {
  if (options.root.empty())
    return base::MakeError(base::ErrorCode::kInvalidArgument, "--data is required");
  DataDirOptions o = options;
  if (auto s = ResolveStore(o); !s) return s.error();
  OpenStore out;
  auto keys = crypto::KeyRing::Load(KeyFilePath(o));
  if (!keys) return keys.error();
  out.keys = std::make_unique<crypto::KeyRing>(std::move(*keys));
  std::error_code ec;
  if (!UsesPostgres(o) && !fs::exists(DatabasePath(o), ec)) {
    return base::MakeError(
        base::ErrorCode::kNotFound,
        fmt::format("no database in {}; run heartbase init --data {} first", o.root, o.root));
  }
  const crypto::KeyCheck ring = out.keys->Check();
  auto recorded = crypto::LoadKeyCheck(KeyCheckPath(o));
  if (!recorded) return recorded.error();
  if (*recorded) {
    if (auto s = crypto::VerifyKeyCheck(**recorded, ring); !s) {
      return base::MakeError(s.error().code,
                             fmt::format("key file {} does not belong to data directory {}: {}; "
                                         "nothing was read or written",
                                         KeyFilePath(o), o.root, s.error().message));
    }
    // Verified, so every recorded key is in the ring: more keys means a rotation saved the ring
    // but stopped before recording it. Record it now, before anything is sealed under them.
    if (ring.data.size() > (**recorded).data.size()) {
      if (auto s = RecordKeyCheck(o, *out.keys); !s) return s.error();
      base::log::Info("key_check.recorded", {{"fingerprint", crypto::Fingerprint(ring)},
                                             {"data_keys", ring.data.size()}});
    }
  }
  auto db = OpenDatabase(o, false);
  if (!db) return db.error();
  out.db = std::move(*db);
  if (UsesPostgres(o)) {
    auto version = store::SchemaVersion(*out.db);
    if (!version) return version.error();
    if (*version == 0) {
      return base::MakeError(base::ErrorCode::kNotFound,
                             fmt::format("the PostgreSQL database holds no heartbase schema; run "
                                         "heartbase init --data {} --store-driver postgres first",
                                         o.root));
    }
  }
  if (!*recorded) {
    // A directory from before key checks: the stored values are the only witness of its ring.
    // Sampling them reads but writes nothing, and runs before Migrate may upgrade anything.
    auto sampled = store::OpenSample(*out.db, *out.keys);
    if (!sampled) {
      return base::MakeError(
          sampled.error().code,
          fmt::format("key file {} (key ring {}) cannot open the data in {} ({}), and the "
                      "directory has no key check to name its own ring; nothing was written",
                      KeyFilePath(o), crypto::Fingerprint(ring), o.root, sampled.error().message));
    }
    if (auto s = RecordKeyCheck(o, *out.keys); !s) return s.error();
    base::log::Info("key_check.recorded",
                    {{"fingerprint", crypto::Fingerprint(ring)}, {"values_opened", *sampled}});
  }
  auto v = store::Migrate(*out.db, MigrationsOf(o), o.allow_upgrade);
  if (!v) return v.error();
  return out;
}

base::Result<std::shared_ptr<rules::RuleBook>> LoadRuleBook(store::Database& db) {
  auto tx = db.Begin(store::Access::kRead);
  if (!tx) return tx.error();
  auto active = store::GetActiveRuleSet(**tx);
  if (!active) return active.error();
  auto parsed = rules::ParseRuleSet(*active ? (*active)->source : std::string_view{});
  if (!parsed) return parsed.error();
  return std::make_shared<rules::RuleBook>(std::move(*parsed), *active ? (*active)->version : 0);
}

base::Result<std::string> ReadSmallFile(const std::string& path, std::size_t max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return base::MakeError(base::ErrorCode::kNotFound, fmt::format("cannot read {}", path));
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > max) {
    return base::MakeError(
        base::ErrorCode::kLimitExceeded,
        fmt::format("{} is {} bytes, more than the limit of {}", path, size, max));
  }
  // Read at most one byte beyond the limit: a file that grew after the size check is refused too.
  std::string bytes(std::min<std::uint64_t>(ec ? max + 1 : size + 1, max + 1), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  if (bytes.size() > max) {
    return base::MakeError(base::ErrorCode::kLimitExceeded,
                           fmt::format("{} is larger than the limit of {} bytes", path, max));
  }
  return bytes;
}

base::Status WriteFileAtomically(const std::string& path, std::string_view bytes, mode_t mode) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) return base::MakeError(base::ErrorCode::kIo, fmt::format("cannot write {}", path));
  }
  ::chmod(tmp.c_str(), mode);
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return base::MakeError(base::ErrorCode::kIo, fmt::format("cannot write {}", path));
  return {};
}

std::string ReportKeyPath(const DataDirOptions& o) {
  return (fs::path(o.root) / "report-signing.key").string();
}
std::string ReportPublicKeyPath(const DataDirOptions& o) {
  return (fs::path(o.root) / "report-signing.pub").string();
}

base::Result<crypto::SigningKey> LoadOrCreateReportKey(const DataDirOptions& o) {
  std::error_code ec;
  if (!fs::exists(ReportKeyPath(o), ec)) {
    auto key = crypto::SigningKey::Generate();
    if (!key) return key.error();
    if (auto s = key->Save(ReportKeyPath(o)); !s) return s.error();
  }
  auto key = crypto::SigningKey::Load(ReportKeyPath(o));
  if (!key) return key.error();
  // The public half, for whoever verifies reports offline (readable; it is not a secret).
  if (auto s = WriteFileAtomically(ReportPublicKeyPath(o), key->public_key().ToHex() + "\n", 0444);
      !s) {
    return s.error();
  }
  return key;
}

report::ReportServices ReportServicesOf(store::Database& db, const crypto::KeyRing& keys,
                                        const crypto::SigningKey& signing_key) {
  return report::ReportServices{
      .db = db,
      .keys = keys,
      .signing_key = signing_key,
      .parse = [](std::string_view raw) { return ingest::MapStored(raw); },
      .mapping_version = std::string(ingest::kMappingVersion),
      .write =
          [&db](const std::function<base::Status(store::Transaction&)>& work) {
            return store::RunUnitOfWork(db, store::Access::kWrite, work);
          }};
}

}  // namespace heartbase::app
