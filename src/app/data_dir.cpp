// Data directory set-up. The key file defaults to DIR/keyring; operators who back up the data
// directory should move it elsewhere (--key-file) so that a stolen backup is unreadable.
#include "app/data_dir.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>

#include "auth/bootstrap.h"
#include "crypto/signing_key.h"
#include "net/self_signed.h"
#include "store/alerts.h"
#include "store/migrations.h"
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

base::Result<std::string> InitDataDir(const DataDirOptions& o) {
  if (o.root.empty())
    return base::MakeError(base::ErrorCode::kInvalidArgument, "--data is required");
  std::error_code ec;
  if (fs::exists(DatabasePath(o), ec)) {
    return base::MakeError(base::ErrorCode::kAlreadyExists,
                           fmt::format("{} already holds a heartbase database", o.root));
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
  auto db = store::OpenSqlite({.path = DatabasePath(o), .create = true});
  if (!db) return db.error();
  auto v = store::Migrate(**db, store::SqliteMigrations(), false);
  if (!v) return v.error();
  ::chmod(DatabasePath(o).c_str(), 0600);
  auto signing = crypto::SigningKey::Generate();
  if (!signing) return signing.error();
  if (auto s = signing->Save(AuditKeyPath(o)); !s) return s.error();
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

base::Result<OpenStore> OpenDataDir(const DataDirOptions& o) {
  if (o.root.empty())
    return base::MakeError(base::ErrorCode::kInvalidArgument, "--data is required");
  OpenStore out;
  auto keys = crypto::KeyRing::Load(KeyFilePath(o));
  if (!keys) return keys.error();
  out.keys = std::make_unique<crypto::KeyRing>(std::move(*keys));
  std::error_code ec;
  if (!fs::exists(DatabasePath(o), ec)) {
    return base::MakeError(
        base::ErrorCode::kNotFound,
        fmt::format("no database in {}; run heartbase init --data {} first", o.root, o.root));
  }
  auto db = store::OpenSqlite({.path = DatabasePath(o)});
  if (!db) return db.error();
  out.db = std::move(*db);
  auto v = store::Migrate(*out.db, store::SqliteMigrations(), o.allow_upgrade);
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

}  // namespace heartbase::app
