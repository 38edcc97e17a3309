// Administration from the server's command line: `heartbase user add|disable|reset-mfa`,
// `heartbase clinic add`, `heartbase token create` and `heartbase audit verify`. Whoever runs them
// can read the key file, so they act as the system; each change is written to the audit trail as
// "system:cli".
#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "app/commands.h"
#include "app/data_dir.h"
#include "audit/trail.h"
#include "audit/verifier.h"
#include "auth/blocklist.h"
#include "auth/bootstrap.h"
#include "auth/password.h"
#include "auth/policy.h"
#include "auth/tokens.h"
#include "auth/users.h"
#include "crypto/signing_key.h"

namespace heartbase::app {
namespace {

int Fail(std::string_view command, const base::Error& e) {
  std::fprintf(stderr, "heartbase: %.*s: %s\n", static_cast<int>(command.size()), command.data(),
               e.Describe().c_str());
  return 1;
}

// One line from stdin; without echo when stdin is a terminal.
std::string ReadSecretLine(const char* prompt) {
  const bool tty = ::isatty(STDIN_FILENO) != 0;
  termios old{};
  if (tty) {
    std::fputs(prompt, stderr);
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::fputc('\n', stderr);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

base::Status AuditCli(store::Transaction& tx, std::string_view action, std::int64_t object_id,
                      std::string_view detail, std::string_view object_type) {
  audit::Event e;
  e.time_us = NowUs();
  e.user_name = "system:cli";
  e.role = "system";
  e.address = "local";
  e.action = std::string(action);
  e.object_type = std::string(object_type);
  e.object_id = std::to_string(object_id);
  e.detail = std::string(detail);
  return audit::Append(tx, e);
}

int RunUserAdd(const UserAddCommand& c) {
  auto opened = OpenDataDir({.root = c.data, .key_file = c.key_file});
  if (!opened) return Fail("user add", opened.error());
  auto role = auth::ParseRole(c.role);
  if (!role) {
    return Fail("user add",
                base::MakeError(base::ErrorCode::kInvalidArgument, "unknown role " + c.role));
  }
  auto name = auth::NormalizeUserName(c.name);
  if (!name) return Fail("user add", name.error());
  const bool mfa = c.mfa_required || *role == auth::Role::kAdministrator;
  std::optional<auth::PreparedPassword> password;
  if (!c.no_password) {
    auto blocklist = auth::Blocklist::Load({});
    if (!blocklist) return Fail("user add", blocklist.error());
    const std::string first = ReadSecretLine("password: ");
    if (::isatty(STDIN_FILENO) != 0 && ReadSecretLine("again: ") != first) {
      return Fail("user add",
                  base::MakeError(base::ErrorCode::kInvalidArgument, "the passwords differ"));
    }
    auto prepared = auth::PreparePassword(first, {.user_name = *name, .mfa_enforced = mfa},
                                          *blocklist, auth::PasswordOptions{});
    if (!prepared) return Fail("user add", prepared.error());
    password = std::move(*prepared);
  }
  auth::NewUser user{.name = *name,
                     .display_name = c.display_name.empty() ? *name : c.display_name,
                     .role = *role,
                     .mfa_required = mfa};
  for (std::int64_t clinic : c.clinics) user.clinics.push_back(auth::ClinicId{clinic});
  std::int64_t id = 0;
  auto s = store::RunUnitOfWork(*opened->db, store::Access::kWrite, [&](store::Transaction& tx) {
    base::Result<std::int64_t> created = 0;
    if (!c.bootstrap_token.empty()) {
      if (!password) {
        return base::Status(base::MakeError(base::ErrorCode::kInvalidArgument,
                                            "the first administrator needs a password"));
      }
      created = auth::CreateFirstAdministrator(tx, *opened->keys, c.bootstrap_token, user,
                                               *password, NowUs());
    } else {
      created = auth::CreateUser(tx, user, password ? &*password : nullptr, NowUs());
    }
    if (!created) return base::Status(created.error());
    id = *created;
    return AuditCli(tx, "user.create", id, fmt::format("role={}", auth::RoleName(*role)));
  });
  if (!s) return Fail("user add", s.error());
  std::printf("user %s (id %lld, %s) created%s\n", name->c_str(), static_cast<long long>(id),
              std::string(auth::RoleName(*role)).c_str(),
              mfa ? "; the first sign-in asks to enrol an authenticator app" : "");
  return 0;
}

int RunUserChange(const UserChangeCommand& c) {
  auto opened = OpenDataDir({.root = c.data, .key_file = c.key_file});
  if (!opened) return Fail("user", opened.error());
  auto s = store::RunUnitOfWork(*opened->db, store::Access::kWrite, [&](store::Transaction& tx) {
    auto user = auth::FindUserByName(tx, c.name);
    if (!user) return base::Status(user.error());
    base::Status done;
    if (c.action == "disable") {
      done = auth::DisableUser(tx, user->id, NowUs());
    } else if (c.action == "enable") {
      done = auth::EnableUser(tx, user->id, NowUs());
    } else {
      done = auth::ResetMfa(tx, user->id, NowUs());
    }
    if (!done) return done;
    return AuditCli(tx, "user." + c.action, user->id, "");
  });
  if (!s) return Fail("user", s.error());
  std::printf("user %s: %s done; their sessions are revoked\n", c.name.c_str(), c.action.c_str());
  return 0;
}

int RunClinicAdd(const ClinicAddCommand& c) {
  auto opened = OpenDataDir({.root = c.data, .key_file = c.key_file});
  if (!opened) return Fail("clinic add", opened.error());
  std::int64_t id = 0;
  auto s = store::RunUnitOfWork(*opened->db, store::Access::kWrite, [&](store::Transaction& tx) {
    auto created = auth::CreateClinic(tx, c.name, NowUs());
    if (!created) return base::Status(created.error());
    id = static_cast<std::int64_t>(*created);
    return AuditCli(tx, "clinic.create", id, "", "clinic");
  });
  if (!s) return Fail("clinic add", s.error());
  // The id alone on stdout, for scripts (user add --clinic ID).
  std::fprintf(stderr, "clinic %lld created\n", static_cast<long long>(id));
  std::printf("%lld\n", static_cast<long long>(id));
  return 0;
}

int RunTokenCreate(const TokenCreateCommand& c) {
  auto opened = OpenDataDir({.root = c.data, .key_file = c.key_file});
  if (!opened) return Fail("token create", opened.error());
  auto scopes = auth::ParseScopes(c.scopes);
  if (!scopes) return Fail("token create", scopes.error());
  auth::NewToken token;
  auto s = store::RunUnitOfWork(*opened->db, store::Access::kWrite, [&](store::Transaction& tx) {
    auto user = auth::FindUserByName(tx, c.user);
    if (!user) return base::Status(user.error());
    auto t = auth::CreateToken(
        tx, *opened->keys,
        {.user_id = user->id, .label = c.label, .scopes = *scopes, .lifetime_s = c.days * 86400LL},
        auth::TokenOptions{}, NowUs());
    if (!t) return base::Status(t.error());
    token = std::move(*t);
    return AuditCli(tx, "token.create", user->id, fmt::format("token={}", token.id));
  });
  if (!s) return Fail("token create", s.error());
  // The token itself goes to stdout alone, for scripts; everything else to stderr.
  std::fprintf(stderr, "token %lld for %s (scopes %s); it is shown only now\n",
               static_cast<long long>(token.id), c.user.c_str(), c.scopes.c_str());
  std::printf("%s\n", token.token.c_str());
  return 0;
}

int RunAuditVerify(const AuditVerifyCommand& c) {
  const DataDirOptions o{.root = c.data, .key_file = c.key_file};
  auto opened = OpenDataDir(o);
  if (!opened) return Fail("audit verify", opened.error());
  auto key = crypto::SigningKey::Load(c.signing_key.empty() ? AuditKeyPath(o) : c.signing_key);
  if (!key) return Fail("audit verify", key.error());
  auto report = audit::Verify(*opened->db, key->public_key());
  if (!report) return Fail("audit verify", report.error());
  std::printf("%s: %lld events, %lld signed checkpoints, last event %lld, last checkpoint %lld\n",
              report->ok ? "intact" : "TAMPERED", static_cast<long long>(report->events),
              static_cast<long long>(report->checkpoints), static_cast<long long>(report->last_seq),
              static_cast<long long>(report->last_checkpoint_seq));
  if (!report->ok) {
    std::printf("first inconsistent event: %lld (%s)\n",
                static_cast<long long>(report->first_bad_seq), report->reason.c_str());
    return 1;
  }
  return 0;
}

}  // namespace heartbase::app
