// The subcommands of the heartbase binary. Each returns the process exit status.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "net/http_server.h"
#include "net/mllp_server.h"

namespace heartbase::app {

struct ParseCommand {
  std::vector<std::string> files;
  bool summary = false;
  std::string attachments_dir;  // idco only: write decoded attachments here
  std::uint64_t max_file_bytes = 256u << 20;
};

int RunHl7Parse(const ParseCommand& command);
int RunIdcoParse(const ParseCommand& command);

struct DemoDataCommand {
  std::uint32_t patients = 50;
  std::uint32_t years = 3;
  std::string end_date;  // YYYYMMDD of the last follow-up; empty = the generator's fixed default
  std::uint64_t seed = 1;
  bool pdf = false;
  std::string out;
  // Benchmark corpus instead of a clinic: fixed-shape messages.
  bool bench = false;
  std::uint32_t count = 1000;
  std::uint32_t obx = 300;
  std::uint32_t pdf_kb = 0;
};

int RunDemoDataGenerate(const DemoDataCommand& command);

struct InitCommand {
  std::string data;
  std::string key_file;
  std::string store_driver = "sqlite";  // or "postgres" (then `postgres` is required)
  std::string postgres;                 // libpq connection string, no password
};
int RunInit(const InitCommand& command);

struct ImportCommand {
  std::string data;
  std::string key_file;
  std::vector<std::string> paths;
  std::uint64_t max_file_bytes = 256u << 20;
  std::size_t max_frame_bytes = 32u << 20;
  std::string history_before;   // YYYY-MM-DD: earlier sessions were signed in a previous system
  bool known_patients = false;  // patients created by the import are known, not unmatched
  std::int64_t clinic = 1;      // where new patients land
};
int RunImport(const ImportCommand& command);

struct ServeCommand {
  std::string data;
  std::string key_file;
  std::string store_driver = "sqlite";     // "sqlite" (DATA/heartbase.db) or "postgres"
  std::string postgres;                    // libpq connection string (no password in it)
  std::int64_t postgres_connections = 16;  // the pool's size
  std::string mllp_listen = "127.0.0.1:2575";
  std::string mllp_tls_cert, mllp_tls_key, mllp_client_ca;
  std::vector<std::string> mllp_senders;  // CERT_CN=MSH3|MSH4
  std::vector<std::string> ack_modes;     // MSH3|MSH4=original|enhanced
  bool upgrade = false;
  std::string https_listen = "127.0.0.1:8443";  // "none" = no HTTPS listener
  std::string https_cert, https_key;            // default DATA/tls/cert.pem, key.pem
  std::string watch_dir;                        // empty = no drop folder
  std::string web_root;                         // web/dist; empty = API only
  int missed_scan_interval_s = 3600;            // the missed-transmission check
  std::int64_t first_scan_s = 60;               // its first run (and the billing close's)
  std::int64_t default_clinic = 0;              // clinic of senders not mapped; 0 = unassigned
  std::string metrics_listen;                   // Prometheus endpoint; empty = off
  std::string config;                           // --config FILE; default DATA/heartbase.toml
  bool print_default_config = false;
  bool check_config = false;
  std::vector<std::string> notify_alerts;     // SEVERITY:CHANNEL:RECIPIENT
  std::vector<std::string> notify_signoffs;   // CHANNEL:RECIPIENT
  std::vector<std::string> ehr_destinations;  // ehr::ParseDestination specs
  std::string billing_codes;                  // a code table (TOML); empty = built in
  std::string billing_facility;               // MSH-4 of the DFT^P03 export
  std::string billing_receiver;               // APP|FACILITY: MSH-5/6 of the DFT^P03 export
  std::vector<std::string> feeds;             // APP|FACILITY=CLINIC[,CLINIC…] or *=CLINIC
  int watch_interval_ms = 1000;
  std::string notify_socket;     // empty = no socket for heartbase notify (docs/notify.md)
  std::int64_t notify_uid = -1;  // the only uid allowed on it; -1 = the uid serve runs as
  std::int64_t verify_interval_s = 24 * 3600;  // the scheduled store verification; 0 = off
  std::int64_t verify_first_s = 600;           // its first run after start-up
  std::int64_t startup_check_ms = 10000;       // budget of the start-up structural check
  // Connection limits of the listeners; the serve flags set some of their fields, the rest
  // (addresses, TLS, reserved identities from --mllp-sender) is filled in by serve.
  net::MllpServerOptions mllp_limits;
  std::int64_t mllp_rate_window_ms = net::MllpServerOptions{}.rate_window.count();
  net::HttpServerOptions https_limits;
  std::int64_t https_rate_window_ms = net::HttpServerOptions{}.rate_window.count();
};
int RunServe(const ServeCommand& command);

struct StoreVerifyCommand {
  std::string data;
  std::string key_file;
  bool quick = false;  // quick_check instead of integrity_check for the structure
};
int RunStoreVerify(const StoreVerifyCommand& command);

// `heartbase store copy --from sqlite:DIR --to postgres:CONNINFO`: moves a data directory's
// database to PostgreSQL (docs/postgres.md).
struct StoreCopyCommand {
  std::string from;  // sqlite:DIR
  std::string to;    // postgres:CONNINFO (no password)
  std::string key_file;
  std::int64_t batch = 500;  // rows per target transaction
};
int RunStoreCopy(const StoreCopyCommand& command);

struct KeyRotateCommand {
  std::string data;
  std::string key_file;
  bool resume = false;
};
int RunKeyRotate(const KeyRotateCommand& command);

struct UserAddCommand {
  std::string data, key_file;
  std::string name, display_name, role;
  std::vector<std::int64_t> clinics = {1};
  std::string bootstrap_token;  // the first administrator
  bool mfa_required = false;    // always for administrators
  bool no_password = false;     // integration accounts use tokens only
};
int RunUserAdd(const UserAddCommand& command);

struct UserChangeCommand {
  std::string data, key_file, name;
  std::string action;  // "disable", "enable", "reset-mfa"
};
int RunUserChange(const UserChangeCommand& command);

struct ClinicAddCommand {
  std::string data, key_file, name;
};
int RunClinicAdd(const ClinicAddCommand& command);

struct TokenCreateCommand {
  std::string data, key_file, user, scopes, label = "integration";
  int days = 90;
};
int RunTokenCreate(const TokenCreateCommand& command);

struct AuditVerifyCommand {
  std::string data, key_file, signing_key;
};
int RunAuditVerify(const AuditVerifyCommand& command);

}  // namespace heartbase::app
