// heartbase: one binary, subcommands (shared/design/architecture.md, "One binary, a few
// processes").
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "app/backup_command.h"
#include "app/billing_command.h"
#include "app/commands.h"
#include "app/config.h"
#include "app/notify_command.h"
#include "app/quarantine_command.h"
#include "app/recipient_command.h"
#include "app/report_command.h"

namespace {

int Run(int argc, char** argv) {
  using namespace heartbase::app;
  CLI::App app{"heartbase — an open, secure device-clinic server for cardiac implantable devices"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "heartbase 0.1.0");

  ParseCommand hl7_parse;
  auto* hl7 = app.add_subcommand("hl7", "HL7 v2 tools");
  hl7->require_subcommand(1);
  auto* hl7_p = hl7->add_subcommand(
      "parse",
      "Print each message's structure as JSON Lines (segments, fields, repetitions, "
      "components, sub-components, unescaped)");
  hl7_p
      ->add_option("files", hl7_parse.files, "HL7 files (single messages, batches, concatenations)")
      ->required();
  hl7_p->add_flag("--summary", hl7_parse.summary, "One short text line per message");
  hl7_p->add_option("--max-file-bytes", hl7_parse.max_file_bytes, "Refuse larger files");

  ParseCommand idco_parse;
  auto* idco = app.add_subcommand("idco", "IHE IDCO tools");
  idco->require_subcommand(1);
  auto* idco_p = idco->add_subcommand(
      "parse", "Print each message's normalized interrogation as JSON Lines (docs/idco-json.md)");
  idco_p->add_option("files", idco_parse.files, "HL7 files")->required();
  idco_p->add_flag("--summary", idco_parse.summary, "One short text line per message");
  idco_p->add_option("--attachments", idco_parse.attachments_dir,
                     "Also write each decoded attachment (PDF, EGM) to this directory");
  idco_p->add_option("--max-file-bytes", idco_parse.max_file_bytes, "Refuse larger files");

  DemoDataCommand demo;
  auto* demo_cmd = app.add_subcommand("demo-data", "Synthetic clinic data");
  demo_cmd->require_subcommand(1);
  auto* gen = demo_cmd->add_subcommand(
      "generate", "Write deterministic synthetic IDCO messages for all manufacturers and devices");
  gen->add_option("--patients", demo.patients, "Number of patients")->capture_default_str();
  gen->add_option("--years", demo.years, "Years of follow-up history")->capture_default_str();
  gen->add_option("--seed", demo.seed, "Random seed")->capture_default_str();
  gen->add_option("--end-date", demo.end_date,
                  "YYYYMMDD of the last follow-up (default: a fixed date, so output does not "
                  "depend on the clock)");
  gen->add_flag("--pdf", demo.pdf, "Attach generated PDF reports and EGM strips");
  gen->add_option("--out", demo.out, "Output directory")->required();
  gen->add_flag("--bench", demo.bench, "Fixed-shape benchmark corpus instead of a clinic");
  gen->add_option("--count", demo.count, "--bench: number of messages")->capture_default_str();
  gen->add_option("--obx", demo.obx, "--bench: OBX segments per message")->capture_default_str();
  gen->add_option("--pdf-kb", demo.pdf_kb, "--bench: size of an ED PDF per message (0 = none)")
      ->capture_default_str();

  InitCommand init;
  auto* init_cmd = app.add_subcommand(
      "init", "Create a data directory: encrypted database and key file (mode 0400)");
  init_cmd->add_option("--data", init.data, "Data directory")->required();
  init_cmd->add_option("--key-file", init.key_file, "Key file (default DATA/keyring)");
  init_cmd
      ->add_option("--store-driver", init.store_driver,
                   "Where the database lives: sqlite (DATA/heartbase.db) or postgres")
      ->capture_default_str();
  init_cmd->add_option("--postgres", init.postgres,
                       "With --store-driver postgres: the libpq connection string or "
                       "service=NAME (no password: use a password file)");

  ImportCommand import;
  auto* import_cmd = app.add_subcommand(
      "import", "Import HL7 files or folders (recursive): single messages, batches, MLLP streams");
  import_cmd->add_option("--data", import.data, "Data directory")->required();
  import_cmd->add_option("--key-file", import.key_file, "Key file (default DATA/keyring)");
  import_cmd->add_option("paths", import.paths, "Files or folders")->required();
  import_cmd->add_option("--max-file-bytes", import.max_file_bytes, "Refuse larger files");
  import_cmd->add_option("--history-before", import.history_before,
                         "YYYY-MM-DD: sessions before this date were reviewed and signed in the "
                         "previous system; they do not enter the triage queue");
  import_cmd->add_flag("--known-patients", import.known_patients,
                       "Migration: patients first seen in these files are the clinic's own, not "
                       "unmatched");
  import_cmd
      ->add_option("--clinic", import.clinic,
                   "The clinic new patients land in (messages for known devices go to their "
                   "patient, in whatever clinic)")
      ->capture_default_str();

  ServeCommand serve;
  auto* serve_cmd = app.add_subcommand("serve", "Run the server: MLLP ingest and the HTTPS API");
  serve_cmd->add_option("--data", serve.data,
                        "Data directory (required here or as [store] data in the configuration)");
  serve_cmd->add_option("--config", serve.config,
                        "The configuration file (TOML; default DATA/heartbase.toml if it exists). "
                        "A flag given here overrides the key it names; repeatable flags add to "
                        "the file's lists");
  serve_cmd->add_flag("--print-default-config", serve.print_default_config,
                      "Print every configuration key with its default and a comment, then exit");
  serve_cmd->add_flag("--check-config", serve.check_config,
                      "Read the configuration and the flags, report the first problem (file, "
                      "line, key) or \"ok\", then exit");
  serve_cmd->add_option("--key-file", serve.key_file, "Key file (default DATA/keyring)");
  serve_cmd->add_option("--store-driver", serve.store_driver, "sqlite or postgres")
      ->capture_default_str();
  serve_cmd->add_option("--postgres", serve.postgres,
                        "libpq connection string or service=NAME (no password)");
  serve_cmd
      ->add_option("--postgres-connections", serve.postgres_connections,
                   "Connections to PostgreSQL at most")
      ->capture_default_str();
  serve_cmd
      ->add_option("--mllp-listen", serve.mllp_listen,
                   "MLLP address HOST:PORT (plaintext on loopback only; port 0 = any)")
      ->capture_default_str();
  serve_cmd->add_option("--mllp-tls-cert", serve.mllp_tls_cert,
                        "PEM certificate chain: MLLP over TLS with client certificates");
  serve_cmd->add_option("--mllp-tls-key", serve.mllp_tls_key, "PEM private key");
  serve_cmd->add_option("--mllp-client-ca", serve.mllp_client_ca,
                        "PEM CA bundle that issues sender certificates");
  serve_cmd->add_option(
      "--mllp-sender", serve.mllp_senders,
      "Allow certificate CN to send as MSH-3|MSH-4: CN=APP|FACILITY (repeatable)");
  serve_cmd->add_option(
      "--feed", serve.feeds,
      "The clinics a sender delivers for: MSH3|MSH4=CLINIC[,CLINIC…] (new patients land in the "
      "first), or *=CLINIC for every sender not named (repeatable). A sender not mapped "
      "delivers into the unassigned pool, which an administrator routes");
  serve_cmd->add_option(
      "--ack-mode", serve.ack_modes,
      "Acknowledgment mode for a sender: MSH3|MSH4=original|enhanced (repeatable)");
  serve_cmd
      ->add_option("--https-listen", serve.https_listen,
                   "HTTPS address HOST:PORT (port 0 = any; none = off). Beyond loopback only "
                   "with TLS material and an administrator")
      ->capture_default_str();
  serve_cmd->add_option("--https-cert", serve.https_cert,
                        "PEM certificate chain (default DATA/tls/cert.pem, self-signed by init); "
                        "none = plain HTTP, loopback only");
  serve_cmd->add_option("--https-key", serve.https_key,
                        "PEM private key (default DATA/tls/key.pem)");
  serve_cmd->add_option("--web-root", serve.web_root,
                        "The built web application (web/dist) to serve beside the API; "
                        "default: API only");
  serve_cmd
      ->add_option("--missed-scan-interval-s", serve.missed_scan_interval_s,
                   "How often every patient is checked for a missed transmission")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  serve_cmd
      ->add_option("--first-scan-s", serve.first_scan_s,
                   "The first missed-transmission check and billing close, this long after "
                   "start-up")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{86400}))
      ->capture_default_str();
  serve_cmd->add_option(
      "--notify-alert", serve.notify_alerts,
      "Tell RECIPIENT when a transmission arrives with an alert of at least "
      "SEVERITY: SEVERITY:CHANNEL:RECIPIENT, e.g. red:email:oncall@clinic.example "
      "(repeatable; delivered by heartbase notify; no patient data in the text)");
  serve_cmd->add_option(
      "--notify-signoff", serve.notify_signoffs,
      "Tell RECIPIENT when a physician signs an interrogation off: CHANNEL:RECIPIENT, e.g. "
      "email:billing@clinic.example (repeatable; a ticket and a link, no patient data)");
  serve_cmd->add_option(
      "--ehr-destination", serve.ehr_destinations,
      "Send each signed result to a hospital EHR over MLLP: name=N,host=H,port=P,authority=A"
      "[,type=oru|mdm][,pv1=1][,ca=FILE][,server-name=S][,cert=FILE,key=FILE]"
      "[,receiving-app=X][,receiving-facility=Y][,attempts=N][,backoff-ms=MS][,ack-timeout-ms=MS]"
      " (repeatable; TLS unless the host is a loopback address; docs/ehr.md)");
  serve_cmd->add_option("--billing-codes", serve.billing_codes,
                        "The billing code table (TOML; `heartbase billing codes` prints the "
                        "built-in 2026 table to start from); a bad key stops start-up");
  serve_cmd->add_option("--billing-facility", serve.billing_facility,
                        "MSH-4 (sending facility) of exported DFT^P03 charge messages");
  serve_cmd->add_option("--billing-receiver", serve.billing_receiver,
                        "APP|FACILITY: MSH-5 and MSH-6 of exported DFT^P03 charge messages");
  serve_cmd->add_flag("--upgrade", serve.upgrade, "Upgrade an older database schema");
  serve_cmd->add_option("--watch", serve.watch_dir,
                        "Drop folder: import files placed here, then move them to done/ or "
                        "failed/ (off by default)");
  serve_cmd
      ->add_option("--watch-interval-ms", serve.watch_interval_ms,
                   "How often the drop folder is scanned")
      ->check(CLI::Range(50, 600000));

  serve_cmd->add_option("--metrics-listen", serve.metrics_listen,
                        "Prometheus metrics (/metrics) and readiness (/ready) on HOST:PORT, plain "
                        "HTTP on loopback only (off by default; docs/operations.md)");
  serve_cmd->add_option("--notify-socket", serve.notify_socket,
                        "Unix socket for heartbase notify, e.g. DATA/notify/notify.sock (off by "
                        "default; its key is DATA/notify.key)");
  serve_cmd->add_option("--notify-uid", serve.notify_uid,
                        "The only uid allowed on --notify-socket (default: this user)");
  serve_cmd
      ->add_option("--verify-interval-s", serve.verify_interval_s,
                   "Verify the whole store in the background (as `heartbase store verify`, at "
                   "the lowest CPU priority) this often; 0 = never")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{366} * 24 * 3600));
  serve_cmd
      ->add_option("--verify-first-s", serve.verify_first_s,
                   "The first background verification, this long after start-up")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{366} * 24 * 3600));
  serve_cmd
      ->add_option("--startup-check-ms", serve.startup_check_ms,
                   "Time allowed to the structural check (quick_check) at start-up; what it "
                   "does not reach is left to the background verification")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{3600} * 1000));
  // Connection limits an operator may need to tune (issue 17); defaults from the net options.
  serve_cmd
      ->add_option("--mllp-max-connections", serve.mllp_limits.max_connections,
                   "MLLP connections at most; at the cap the idle, then the slowest make room")
      ->capture_default_str();
  serve_cmd
      ->add_option("--mllp-max-per-address", serve.mllp_limits.max_connections_per_address,
                   "MLLP connections at most from one address")
      ->capture_default_str();
  serve_cmd
      ->add_option("--mllp-reserved-connections", serve.mllp_limits.reserved_connections,
                   "Of --mllp-max-connections, kept for identified senders: certificates named "
                   "by --mllp-sender, or --mllp-reserve-address in plaintext")
      ->capture_default_str();
  serve_cmd->add_option("--mllp-reserve-address", serve.mllp_limits.reserved_addresses,
                        "Plaintext (loopback) sender address that may use the reserved "
                        "connections, e.g. the local interface engine's (repeatable)");
  serve_cmd
      ->add_option("--mllp-min-rate", serve.mllp_limits.min_bytes_per_second,
                   "Bytes per second a frame in progress must keep receiving, measured over "
                   "--mllp-rate-window-ms (0 = no minimum)")
      ->capture_default_str();
  serve_cmd
      ->add_option("--mllp-rate-window-ms", serve.mllp_rate_window_ms,
                   "Window over which --mllp-min-rate is measured")
      ->check(CLI::Range(std::int64_t{50}, std::int64_t{600'000}))
      ->capture_default_str();
  serve_cmd
      ->add_option("--https-max-connections", serve.https_limits.max_connections,
                   "HTTPS connections at most; at the cap the idle, then the slowest make room")
      ->capture_default_str();
  serve_cmd
      ->add_option("--https-max-per-address", serve.https_limits.max_connections_per_address,
                   "HTTPS connections at most from one address")
      ->capture_default_str();
  serve_cmd
      ->add_option("--https-min-rate", serve.https_limits.min_bytes_per_second,
                   "Bytes per second a request head or body in progress must keep receiving, "
                   "measured over --https-rate-window-ms (0 = no minimum)")
      ->capture_default_str();
  serve_cmd
      ->add_option("--https-rate-window-ms", serve.https_rate_window_ms,
                   "Window over which --https-min-rate is measured")
      ->check(CLI::Range(std::int64_t{50}, std::int64_t{600'000}))
      ->capture_default_str();
  NotifyCommands notify_commands(app);
  RecipientCommands recipient_commands(app);

  KeyRotateCommand rotate;
  auto* key_cmd = app.add_subcommand("key", "Key management");
  key_cmd->require_subcommand(1);
  auto* rotate_cmd = key_cmd->add_subcommand(
      "rotate", "Add a data key and re-seal every value under it (stop the server first)");
  rotate_cmd->add_option("--data", rotate.data, "Data directory")->required();
  rotate_cmd->add_option("--key-file", rotate.key_file, "Key file (default DATA/keyring)");
  rotate_cmd->add_flag("--resume", rotate.resume, "Finish an interrupted rotation");

  UserAddCommand user_add;
  UserChangeCommand user_change;
  auto* user_cmd = app.add_subcommand("user", "User accounts (run on the server)");
  user_cmd->require_subcommand(1);
  auto* add_cmd =
      user_cmd->add_subcommand("add", "Create a user; the password is read from standard input");
  add_cmd->add_option("--data", user_add.data, "Data directory")->required();
  add_cmd->add_option("--key-file", user_add.key_file, "Key file (default DATA/keyring)");
  add_cmd->add_option("--name", user_add.name, "Sign-in name")->required();
  add_cmd->add_option("--display-name", user_add.display_name, "Name shown in the application");
  add_cmd
      ->add_option("--role", user_add.role,
                   "administrator, physician, device_clinician, biller, viewer, auditor, "
                   "integration")
      ->required();
  add_cmd->add_option("--clinic", user_add.clinics, "Clinic id (repeatable)")
      ->capture_default_str();
  add_cmd->add_option("--bootstrap-token", user_add.bootstrap_token,
                      "The one-time token from init: creates the first administrator");
  add_cmd->add_flag("--mfa-required", user_add.mfa_required,
                    "Require an authenticator app (always for administrators)");
  add_cmd->add_flag("--no-password", user_add.no_password,
                    "No password (integration accounts sign in with tokens)");
  std::vector<CLI::App*> change_cmds;
  for (const char* action : {"disable", "enable", "reset-mfa"}) {
    auto* c =
        user_cmd->add_subcommand(action, fmt::format("{} a user (revokes their sessions)", action));
    c->add_option("--data", user_change.data, "Data directory")->required();
    c->add_option("--key-file", user_change.key_file, "Key file (default DATA/keyring)");
    c->add_option("--name", user_change.name, "Sign-in name")->required();
    change_cmds.push_back(c);
  }

  ClinicAddCommand clinic_add;
  auto* clinic_cmd = app.add_subcommand("clinic", "Clinics (sites; run on the server)");
  clinic_cmd->require_subcommand(1);
  auto* clinic_add_cmd =
      clinic_cmd->add_subcommand("add", "Create a clinic; prints its id (for user add --clinic)");
  clinic_add_cmd->add_option("--data", clinic_add.data, "Data directory")->required();
  clinic_add_cmd->add_option("--key-file", clinic_add.key_file, "Key file (default DATA/keyring)");
  clinic_add_cmd->add_option("--name", clinic_add.name, "Clinic name (unique)")->required();
  ReportCommands report_commands(app, *clinic_cmd);
  BillingCommands billing_commands(app);
  QuarantineCommands quarantine_commands(app);
  BackupCommands backup_commands(app);

  TokenCreateCommand token_create;
  auto* token_cmd = app.add_subcommand("token", "API tokens for integrations");
  token_cmd->require_subcommand(1);
  auto* create_cmd = token_cmd->add_subcommand("create", "Create a token (printed once)");
  create_cmd->add_option("--data", token_create.data, "Data directory")->required();
  create_cmd->add_option("--key-file", token_create.key_file, "Key file (default DATA/keyring)");
  create_cmd->add_option("--user", token_create.user, "The account it acts as")->required();
  create_cmd
      ->add_option("--scope", token_create.scopes,
                   "Comma-separated permissions, e.g. patient.read,trend.read")
      ->required();
  create_cmd->add_option("--label", token_create.label, "What it is for");
  create_cmd->add_option("--days", token_create.days, "Lifetime")->capture_default_str();

  AuditVerifyCommand audit_verify;
  auto* audit_cmd = app.add_subcommand("audit", "The audit trail");
  audit_cmd->require_subcommand(1);
  auto* verify_cmd = audit_cmd->add_subcommand(
      "verify", "Check the hash chain and signed checkpoints; exit 1 if anything was altered");
  verify_cmd->add_option("--data", audit_verify.data, "Data directory")->required();
  verify_cmd->add_option("--key-file", audit_verify.key_file, "Key file (default DATA/keyring)");
  verify_cmd->add_option("--signing-key", audit_verify.signing_key,
                         "Audit signing key (default DATA/audit-signing.key)");

  StoreVerifyCommand store_verify;
  auto* store_cmd = app.add_subcommand("store", "The database");
  store_cmd->require_subcommand(1);
  auto* store_verify_cmd = store_cmd->add_subcommand(
      "verify",
      "Check the database's structure, every sealed value, every blob's content address and "
      "every reference; exit 1 naming what is damaged (ids, never content)");
  store_verify_cmd->add_option("--data", store_verify.data, "Data directory")->required();
  store_verify_cmd->add_option("--key-file", store_verify.key_file,
                               "Key file (default DATA/keyring)");
  StoreCopyCommand store_copy;
  auto* store_copy_cmd = store_cmd->add_subcommand(
      "copy",
      "Copy a data directory's SQLite database to an empty (or partly copied) PostgreSQL "
      "database, then compare every table's row count and hash; run it again to resume");
  store_copy_cmd->add_option("--from", store_copy.from, "sqlite:DIR (stop serve first)")
      ->required();
  store_copy_cmd->add_option("--to", store_copy.to, "postgres:CONNINFO (no password in it)")
      ->required();
  store_copy_cmd->add_option("--key-file", store_copy.key_file, "Key file (default DIR/keyring)");
  store_copy_cmd->add_option("--batch", store_copy.batch, "Rows per PostgreSQL transaction")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  store_verify_cmd->add_flag("--quick", store_verify.quick,
                             "Structure: quick_check (pages and records) instead of "
                             "integrity_check (also every index entry)");

  CLI11_PARSE(app, argc, argv);
  if (serve_cmd->parsed()) {
    // The configuration file first, then the flags over it: the command line is parsed again
    // onto what the file set (CLI11 writes only the options given).
    std::string config = serve.config;
    if (config.empty() && !serve.data.empty() && !serve.print_default_config &&
        std::filesystem::exists(ConfigPathIn(serve.data))) {
      config = ConfigPathIn(serve.data);
    }
    if (!config.empty() && !serve.print_default_config) {
      ServeCommand from_file;
      if (auto s = ApplyConfigFile(config, from_file); !s) {
        std::fprintf(stderr, "heartbase: serve: %s\n", s.error().Describe().c_str());
        return 1;
      }
      const ServeCommand file_lists = from_file;
      serve = std::move(from_file);
      CLI11_PARSE(app, argc, argv);
      serve.config = config;
      // Repeatable flags add to the file's lists instead of replacing them.
      auto keep = [](std::vector<std::string>& now, const std::vector<std::string>& before,
                     const CLI::Option* flag) {
        if (flag->count() > 0) now.insert(now.begin(), before.begin(), before.end());
      };
      keep(serve.mllp_senders, file_lists.mllp_senders, serve_cmd->get_option("--mllp-sender"));
      keep(serve.feeds, file_lists.feeds, serve_cmd->get_option("--feed"));
      keep(serve.ack_modes, file_lists.ack_modes, serve_cmd->get_option("--ack-mode"));
      keep(serve.notify_alerts, file_lists.notify_alerts, serve_cmd->get_option("--notify-alert"));
      keep(serve.notify_signoffs, file_lists.notify_signoffs,
           serve_cmd->get_option("--notify-signoff"));
      keep(serve.ehr_destinations, file_lists.ehr_destinations,
           serve_cmd->get_option("--ehr-destination"));
      keep(serve.mllp_limits.reserved_addresses, file_lists.mllp_limits.reserved_addresses,
           serve_cmd->get_option("--mllp-reserve-address"));
    }
  }
  if (auto rc = notify_commands.RunParsed()) return *rc;
  if (auto rc = report_commands.RunParsed()) return *rc;
  if (auto rc = billing_commands.RunParsed()) return *rc;
  if (auto rc = quarantine_commands.RunParsed()) return *rc;
  if (auto rc = backup_commands.RunParsed()) return *rc;
  if (auto rc = recipient_commands.RunParsed()) return *rc;
  if (add_cmd->parsed()) return RunUserAdd(user_add);
  for (CLI::App* c : change_cmds) {
    if (c->parsed()) {
      user_change.action = c->get_name();
      return RunUserChange(user_change);
    }
  }
  if (clinic_add_cmd->parsed()) return RunClinicAdd(clinic_add);
  if (create_cmd->parsed()) return RunTokenCreate(token_create);
  if (verify_cmd->parsed()) return RunAuditVerify(audit_verify);
  if (store_verify_cmd->parsed()) return RunStoreVerify(store_verify);
  if (store_copy_cmd->parsed()) return RunStoreCopy(store_copy);
  if (rotate_cmd->parsed()) return RunKeyRotate(rotate);
  if (serve_cmd->parsed()) return RunServe(serve);
  if (init_cmd->parsed()) return RunInit(init);
  if (import_cmd->parsed()) return RunImport(import);
  if (hl7_p->parsed()) return RunHl7Parse(hl7_parse);
  if (idco_p->parsed()) return RunIdcoParse(idco_parse);
  if (gen->parsed()) return RunDemoDataGenerate(demo);
  return 2;
}

}  // namespace

// Fontconfig and Pango keep caches for the life of the process (freed only by FcFini, which
// nothing calls); LeakSanitizer in the debug build would report them at exit. Same list as
// tools/lsan.supp for the tests.
// NOLINTNEXTLINE(bugprone-reserved-identifier,readability-identifier-naming): LSan's hook name
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libfontconfig.so\nleak:libpango-1.0.so\nleak:libpangoft2-1.0.so\n"
         "leak:libpangocairo-1.0.so\n";
}

int main(int argc, char** argv) {
  // Library exceptions (CLI11, the standard library) stop at this boundary with a message.
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "heartbase: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "heartbase: unexpected error\n");
  }
  return 70;  // EX_SOFTWARE
}
