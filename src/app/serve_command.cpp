// `heartbase serve`: the server process: the MLLP ingest listener, the HTTPS API and the optional
// watched drop folder. Operational log lines (base/log.h) go to stderr. Prints
// each bound address ("listening mllp 127.0.0.1:40123") once it accepts connections, and stops
// cleanly on SIGINT or SIGTERM.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>

#include "app/billing_command.h"
#include "app/commands.h"
#include "app/config.h"
#include "app/data_dir.h"
#include "app/feeds.h"
#include "app/folder_watch.h"
#include "app/https_service.h"
#include "app/metrics.h"
#include "app/missed_transmissions.h"
#include "base/log.h"
#include "ehr/delivery.h"
#include "hl7/ack.h"
#include "hl7/message.h"
#include "ingest/pipeline.h"
#include "net/mllp_server.h"
#include "outbox/lease_service.h"
#include "store/monitoring.h"
#include "store/scheduled_verification.h"
#include "store/sqlite/sqlite_database.h"

namespace heartbase::app {
namespace {

base::Status ParseHostPort(const std::string& text, std::string* host, std::uint16_t* port) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return base::MakeError(base::ErrorCode::kInvalidArgument,
                           fmt::format("expected HOST:PORT, got '{}'", text));
  }
  *host = text.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  const std::string p = text.substr(colon + 1);
  unsigned long value = 0;
  try {
    std::size_t used = 0;
    value = std::stoul(p, &used);
    if (used != p.size() || value > 65535) throw std::out_of_range("port");
  } catch (const std::exception&) {
    return base::MakeError(base::ErrorCode::kInvalidArgument,
                           fmt::format("invalid port in '{}'", text));
  }
  *port = static_cast<std::uint16_t>(value);
  return {};
}

// A fault in a memory-mapped file (SQLite's -shm index on a file that became unwritable or was
// truncated) raises SIGBUS, which would end the process without a word. The handler writes one
// line (async-signal-safe) and lets the default action end the process: the state of the shared
// index is unknown, so going on is not safe; the restart recovers from the WAL.
void ReportBusError(int) {
  static constexpr char kLine[] =
      "heartbase: fatal: SIGBUS: a memory-mapped file (the database's -shm index) could not be "
      "read or written; check the data directory's file system, free space and attributes "
      "(lsattr), then restart\n";
  [[maybe_unused]] const auto n = ::write(STDERR_FILENO, kLine, sizeof(kLine) - 1);
  ::signal(SIGBUS, SIG_DFL);
  ::raise(SIGBUS);
}

void InstallBusErrorReport() {
  struct sigaction action {};
  action.sa_handler = &ReportBusError;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;
  ::sigaction(SIGBUS, &action, nullptr);
}

// A write transaction that changes nothing but commits: a data directory that cannot be written
// (read-only mount, permissions, an immutable file) is reported at start-up instead of as an AE
// for every message.
base::Status CheckWritable(store::Database& db) {
  return store::RunUnitOfWork(db, store::Access::kWrite, [](store::Transaction& tx) {
    auto r = tx.Execute("UPDATE schema_version SET version = version");
    return r ? base::Status() : base::Status(r.error());
  });
}

// The start-up structural check: bounded in time, so that a large database does not delay the
// start; what it does not reach is covered by the scheduled verification. Damage found marks the
// database damaged: the server starts, answers reads, and acknowledges nothing (AE).
void CheckStructureAtStart(store::Database& db, const std::string& path,
                           std::chrono::milliseconds budget) {
  if (budget.count() == 0) return;
  const auto started = std::chrono::steady_clock::now();
  auto check = store::CheckSqliteFile(path, false, budget);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  if (!check) {
    base::log::Warn("store.startup_check", {{"ok", "unknown"}, {"reason", check.error()}});
    return;
  }
  if (!check->problems.empty()) {
    for (const std::string& p : check->problems) {
      base::log::Error("store.damage", {{"where", "structure"}, {"what", p}});
    }
    db.MarkDamaged(base::MakeError(
        base::ErrorCode::kDataLoss,
        fmt::format("the start-up check found {} structural problem(s)", check->problems.size())));
    return;
  }
  base::log::Info("store.startup_check",
                  {{"ok", check->finished ? "yes" : "not finished"}, {"ms", ms}});
}

std::function<std::optional<api::VerificationStatus>()> LastVerification(
    const store::ScheduledVerification* verification) {
  if (verification == nullptr) return {};
  return [verification]() -> std::optional<api::VerificationStatus> {
    const std::optional<store::VerificationSummary> last = verification->last();
    if (!last) return std::nullopt;
    return api::VerificationStatus{.finished_us = last->finished_us,
                                   .complete = last->complete,
                                   .problems = last->problems,
                                   .first_problem = last->first_problem};
  };
}

// One line per message: what happened to it, never what it said.
void LogOutcome(const ingest::Outcome& out, const std::string& source, const std::string& sender,
                std::size_t bytes, double ms) {
  const std::string_view disposition = ingest::ToString(out.disposition);
  if (out.disposition == ingest::Disposition::kQuarantined) {
    base::log::Warn("ingest", {{"disposition", disposition},
                               {"quarantine_id", out.id},
                               {"source", source},
                               {"sender", sender},
                               {"bytes", static_cast<std::uint64_t>(bytes)},
                               {"reason", *out.reason}});
    return;
  }
  base::log::Info("ingest", {{"disposition", disposition},
                             {"interrogation_id", out.id},
                             {"new_patient", out.new_patient ? "yes" : "no"},
                             {"control_id_reused", out.control_id_reused ? "yes" : "no"},
                             {"source", source},
                             {"sender", sender},
                             {"bytes", static_cast<std::uint64_t>(bytes)},
                             {"ms", ms}});
}

net::HttpServerOptions HttpLimitsOf(const ServeCommand& command) {
  net::HttpServerOptions http = command.https_limits;
  http.rate_window = std::chrono::milliseconds(command.https_rate_window_ms);
  return http;
}

// --check-config: what can be checked without the data directory.
int CheckConfig(const ServeCommand& command) {
  auto fail = [](std::string_view what, const base::Error& e) {
    std::fprintf(stderr, "heartbase: serve: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
                 e.Describe().c_str());
    return 1;
  };
  std::string host;
  std::uint16_t port = 0;
  if (auto s = ParseHostPort(command.mllp_listen, &host, &port); !s) {
    return fail("mllp.listen", s.error());
  }
  if (command.https_listen != "none") {
    if (auto s = ParseHostPort(command.https_listen, &host, &port); !s) {
      return fail("https.listen", s.error());
    }
  }
  if (auto feeds = FeedMap::Parse(command.feeds); !feeds) return fail("senders", feeds.error());
  DataDirOptions store{
      .root = command.data, .store_driver = command.store_driver, .postgres = command.postgres};
  if (auto s = ResolveStore(store); !s) return fail("store", s.error());
  for (const std::string& spec : command.ehr_destinations) {
    if (auto d = ehr::ParseDestination(spec); !d) return fail("ehr.destination", d.error());
  }
  if (auto table = LoadCodeTable(command.billing_codes); !table) {
    return fail("billing.codes", table.error());
  }
  std::printf("configuration ok (%s)\n",
              command.config.empty() ? "defaults and flags" : command.config.c_str());
  return 0;
}

}  // namespace

int RunServe(const ServeCommand& command) {
  if (command.print_default_config) {
    const std::string text = DefaultConfigText();
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  if (command.check_config) return CheckConfig(command);
  if (command.data.empty()) {
    std::fprintf(stderr,
                 "heartbase: serve: no data directory: give --data DIR or [store] data in the "
                 "configuration file\n");
    return 2;
  }
  // Block the stop signals in every thread; this thread waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  DataDirOptions o{.root = command.data,
                   .key_file = command.key_file,
                   .allow_upgrade = command.upgrade,
                   .store_driver = command.store_driver,
                   .postgres = command.postgres,
                   .postgres_connections = static_cast<std::size_t>(command.postgres_connections)};
  InstallBusErrorReport();
  auto opened = OpenDataDir(o);
  if (!opened) {
    std::fprintf(stderr, "heartbase: serve: %s\n", opened.error().Describe().c_str());
    return 1;
  }
  if (auto s = CheckWritable(*opened->db); !s) {
    std::fprintf(stderr,
                 "heartbase: serve: the database cannot be written (%s): check that the data "
                 "directory and its files are writable by this user and the file system is "
                 "mounted read-write and not full\n",
                 s.error().Describe().c_str());
    return 1;
  }
  // PostgreSQL checks its own files (page checksums, WAL CRCs); the scheduled verification reads
  // every sealed value on both drivers.
  if (!UsesPostgres(o)) {
    CheckStructureAtStart(*opened->db, DatabasePath(o),
                          std::chrono::milliseconds(command.startup_check_ms));
  }
  ingest::IngestOptions ingest_options;
  for (const std::string& entry : command.ack_modes) {
    const std::size_t eq = entry.rfind('=');
    const std::string mode = eq == std::string::npos ? "" : entry.substr(eq + 1);
    if (eq == std::string::npos || entry.find('|') > eq ||
        (mode != "original" && mode != "enhanced")) {
      std::fprintf(stderr,
                   "heartbase: serve: --ack-mode must be MSH3|MSH4=original|enhanced, got '%s'\n",
                   entry.c_str());
      return 1;
    }
    ingest_options.ack_modes[entry.substr(0, eq)] =
        mode == "original" ? hl7::AckMode::kOriginal : hl7::AckMode::kEnhanced;
  }
  for (const std::string& entry : command.notify_alerts) {
    const std::size_t a = entry.find(':');
    const std::size_t b = a == std::string::npos ? a : entry.find(':', a + 1);
    const std::string level = entry.substr(0, a);
    const std::string channel = a == std::string::npos ? "" : entry.substr(a + 1, b - a - 1);
    ingest::IngestOptions::AlertRecipient r;
    r.min_severity = level == "red" ? 3 : level == "yellow" ? 2 : level == "info" ? 1 : 0;
    r.recipient = b == std::string::npos ? "" : entry.substr(b + 1);
    const bool email = channel == "email", pager = channel == "pager";
    if (r.min_severity == 0 || (!email && !pager) || r.recipient.empty()) {
      std::fprintf(
          stderr,
          "heartbase: serve: --notify-alert must be red|yellow|info:email|pager:RECIPIENT, "
          "got '%s'\n",
          entry.c_str());
      return 1;
    }
    r.channel = email ? store::OutboxChannel::kEmail : store::OutboxChannel::kPager;
    ingest_options.alert_recipients.push_back(std::move(r));
  }
  std::vector<api::ApiOptions::SignoffRecipient> signoff_recipients;
  for (const std::string& entry : command.notify_signoffs) {
    const std::size_t colon = entry.find(':');
    const std::string channel = entry.substr(0, colon);
    api::ApiOptions::SignoffRecipient r;
    r.recipient = colon == std::string::npos ? "" : entry.substr(colon + 1);
    if ((channel != "email" && channel != "pager") || r.recipient.empty()) {
      std::fprintf(stderr,
                   "heartbase: serve: --notify-signoff must be email|pager:RECIPIENT, got '%s'\n",
                   entry.c_str());
      return 1;
    }
    r.channel = channel == "email" ? store::OutboxChannel::kEmail : store::OutboxChannel::kPager;
    signoff_recipients.push_back(std::move(r));
  }
  std::vector<ehr::Destination> ehr_destinations;
  for (const std::string& spec : command.ehr_destinations) {
    auto d = ehr::ParseDestination(spec);
    if (!d) {
      std::fprintf(stderr, "heartbase: serve: %s\n", d.error().Describe().c_str());
      return 1;
    }
    for (const ehr::Destination& other : ehr_destinations) {
      if (other.message.name == d->message.name) {
        std::fprintf(stderr, "heartbase: serve: --ehr-destination: name %s given twice\n",
                     d->message.name.c_str());
        return 1;
      }
    }
    ehr_destinations.push_back(std::move(*d));
  }
  if (!ehr_destinations.empty() && command.https_listen == "none") {
    std::fprintf(stderr,
                 "heartbase: serve: --ehr-destination needs the HTTPS service (sign-off)\n");
    return 1;
  }
  auto billing_codes = LoadCodeTable(command.billing_codes);
  if (!billing_codes) {
    std::fprintf(stderr, "heartbase: serve: --billing-codes: %s\n",
                 billing_codes.error().Describe().c_str());
    return 1;
  }
  billing::DftOptions charge_dft{.sending_facility = command.billing_facility};
  {
    const std::size_t bar = command.billing_receiver.find('|');
    charge_dft.receiving_application = command.billing_receiver.substr(0, bar);
    if (bar != std::string::npos) {
      charge_dft.receiving_facility = command.billing_receiver.substr(bar + 1);
    }
  }
  auto rule_book = LoadRuleBook(*opened->db);
  if (!rule_book) {
    std::fprintf(stderr, "heartbase: serve: alert rules: %s\n",
                 rule_book.error().Describe().c_str());
    return 1;
  }
  ingest_options.rules = *rule_book;
  Metrics metrics;
  ingest_options.observe = [&metrics](std::string_view sender,
                                      std::optional<ingest::Disposition> disposition,
                                      std::chrono::nanoseconds elapsed) {
    metrics.Ingested(sender, disposition, elapsed, NowUs());
  };
  ingest::Pipeline pipeline(*opened->db, *opened->keys, ingest_options);
  net::MllpServerOptions mllp = command.mllp_limits;
  mllp.rate_window = std::chrono::milliseconds(command.mllp_rate_window_ms);
  if (auto s = ParseHostPort(command.mllp_listen, &mllp.host, &mllp.port); !s) {
    std::fprintf(stderr, "heartbase: serve: --mllp-listen: %s\n", s.error().Describe().c_str());
    return 1;
  }
  mllp.tls_certificate = command.mllp_tls_cert;
  mllp.tls_private_key = command.mllp_tls_key;
  mllp.tls_client_ca = command.mllp_client_ca;
  // identity -> allowed "MSH-3|MSH-4" values
  std::multimap<std::string, std::string> allowed;
  for (const std::string& entry : command.mllp_senders) {
    const std::size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0 || entry.find('|', eq) == std::string::npos) {
      std::fprintf(stderr, "heartbase: serve: --mllp-sender must be CERT_CN=MSH3|MSH4, got '%s'\n",
                   entry.c_str());
      return 1;
    }
    allowed.emplace(entry.substr(0, eq), entry.substr(eq + 1));
    mllp.reserved_identities.push_back(entry.substr(0, eq));  // configured senders: the reserve
  }
  if (!mllp.tls_certificate.empty() && allowed.empty()) {
    std::fprintf(stderr, "heartbase: serve: MLLP over TLS needs at least one --mllp-sender\n");
    return 1;
  }
  // Every feed belongs to a clinic: senders are mapped with --feed; one not mapped delivers into
  // the unassigned pool, which only an administrator routes.
  std::vector<std::string> feed_entries = command.feeds;
  if (command.default_clinic > 0 &&
      std::none_of(feed_entries.begin(), feed_entries.end(),
                   [](const std::string& f) { return f.starts_with("*="); })) {
    feed_entries.push_back(fmt::format("*={}", command.default_clinic));
  }
  auto parsed_feeds = FeedMap::Parse(feed_entries);
  if (!parsed_feeds) {
    std::fprintf(stderr, "heartbase: serve: %s\n", parsed_feeds.error().Describe().c_str());
    return 1;
  }
  const FeedMap feeds = std::move(*parsed_feeds);
  if (auto s = feeds.Validate(*opened->db); !s) {
    std::fprintf(stderr, "heartbase: serve: %s\n", s.error().Describe().c_str());
    return 1;
  }
  if (feeds.empty()) {
    base::log::Warn("serve.no_feeds", {{"unassigned", "every sender"},
                                       {"next", "map senders to clinics with --feed"}});
  }
  auto server = net::MllpServer::Start(mllp, [&](std::string_view frame,
                                                 const net::MllpPeer& peer) {
    const std::string source = peer.identity.empty()
                                   ? fmt::format("mllp {}", peer.address)
                                   : fmt::format("mllp {} ({})", peer.address, peer.identity);
    if (!mllp.tls_certificate.empty()) {
      // A certificate vouches only for the senders it is allowed to speak for.
      const std::string claimed = ClaimedSender(frame);
      bool ok = false;
      for (auto [it, end] = allowed.equal_range(peer.identity); it != end; ++it) {
        ok |= it->second == claimed;
      }
      if (!ok) {
        base::log::Warn("mllp.sender_refused", {{"source", source}, {"sender", claimed}});
        auto q = pipeline.QuarantineBytes(
            frame, source,
            base::MakeError(base::ErrorCode::kPermissionDenied,
                            fmt::format("sender {} is not allowed for certificate {}", claimed,
                                        peer.identity)));
        return q ? q->ack : pipeline.NegativeAck(frame, q.error());
      }
    }
    const auto t0 = std::chrono::steady_clock::now();
    auto out = pipeline.Ingest(frame, source, feeds.ForMessage(frame));
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!out) {
      base::log::Error("ingest.not_stored", {{"source", source},
                                             {"sender", ClaimedSender(frame)},
                                             {"reason", out.error()},
                                             {"ack", "AE (resend)"}});
      return pipeline.NegativeAck(frame, out.error());
    }
    LogOutcome(*out, source, ClaimedSender(frame), frame.size(), ms);
    return out->ack;
  });
  if (!server) {
    std::fprintf(stderr, "heartbase: serve: %s\n", server.error().Describe().c_str());
    return 1;
  }
  std::unique_ptr<FolderWatch> watch;
  if (!command.watch_dir.empty()) {
    auto started = FolderWatch::Start(
        {.dir = command.watch_dir,
         .interval = std::chrono::milliseconds(command.watch_interval_ms),
         .feed_of = [&feeds](std::string_view message) -> base::Result<store::ClinicScope> {
           return feeds.ForMessage(message);
         }},
        pipeline);
    if (!started) {
      std::fprintf(stderr, "heartbase: serve: --watch: %s\n", started.error().Describe().c_str());
      return 1;
    }
    watch = std::move(*started);
  }
  std::unique_ptr<store::ScheduledVerification> verification;
  if (command.verify_interval_s > 0) {
    verification = std::make_unique<store::ScheduledVerification>(
        *opened->db, *opened->keys,
        store::ScheduledVerificationOptions{
            .interval = std::chrono::seconds(command.verify_interval_s),
            .first_after = std::chrono::seconds(command.verify_first_s)});
  }
  std::unique_ptr<HttpsService> https;
  if (command.https_listen != "none") {
    auto started = HttpsService::Start({.listen = command.https_listen,
                                        .certificate = command.https_cert,
                                        .private_key = command.https_key,
                                        .web_root = command.web_root,
                                        .pipeline = &pipeline,
                                        .feeds = &feeds,
                                        .max_frame_bytes = mllp.max_frame_bytes,
                                        .rules = *rule_book,
                                        .signoff_recipients = signoff_recipients,
                                        .ehr_destinations = std::move(ehr_destinations),
                                        .billing_codes = &*billing_codes,
                                        .charge_dft = charge_dft,
                                        .last_verification = LastVerification(verification.get()),
                                        .http_limits = HttpLimitsOf(command),
                                        .metrics = &metrics},
                                       o, *opened);
    if (!started) {
      std::fprintf(stderr, "heartbase: serve: --https-listen: %s\n",
                   started.error().Describe().c_str());
      return 1;
    }
    https = std::move(*started);
  }
  std::unique_ptr<outbox::LeaseService> outbox;
  if (!command.notify_socket.empty()) {
    auto started = outbox::LeaseService::Start(
        {.socket_path = command.notify_socket,
         .key_file = NotifyKeyPath(command.data),
         .notify_uid =
             command.notify_uid < 0 ? ::geteuid() : static_cast<uid_t>(command.notify_uid)},
        *opened->db, *opened->keys);
    if (!started) {
      std::fprintf(stderr, "heartbase: serve: --notify-socket: %s\n",
                   started.error().Describe().c_str());
      return 1;
    }
    outbox = std::move(*started);
  }
  std::unique_ptr<MetricsService> metrics_service;
  if (!command.metrics_listen.empty()) {
    // A feed that went silent before this start shows its last message too (one scan, here).
    auto seen =
        store::RunUnitOfWork(*opened->db, store::Access::kRead, [&](store::Transaction& tx) {
          auto last = store::ReadLastMessagePerSender(tx, Metrics::kMaxSenders);
          if (!last) return base::Status(last.error());
          for (const store::SenderLastMessage& l : *last) metrics.SeenBefore(l.sender, l.last_us);
          return base::Status();
        });
    if (!seen) base::log::Warn("metrics.senders_unread", {{"reason", seen.error()}});
    std::string host;
    std::uint16_t port = 0;
    if (auto s = ParseHostPort(command.metrics_listen, &host, &port); !s) {
      std::fprintf(stderr, "heartbase: serve: --metrics-listen: %s\n",
                   s.error().Describe().c_str());
      return 1;
    }
    auto started = MetricsService::Start(host, port, metrics,
                                         {.db = opened->db.get(),
                                          .database_path = UsesPostgres(o) ? "" : DatabasePath(o),
                                          .last_verification = LastVerification(verification.get()),
                                          .now_us = NowUs},
                                         [db = opened->db.get()] { return CheckWritable(*db); });
    if (!started) {
      std::fprintf(stderr, "heartbase: serve: --metrics-listen: %s\n",
                   started.error().Describe().c_str());
      return 1;
    }
    metrics_service = std::move(*started);
  }
  std::printf("listening mllp %s\n", (*server)->local_address().c_str());
  if (metrics_service)
    std::printf("listening metrics %s\n", metrics_service->local_address().c_str());
  if (outbox) std::printf("listening notify %s\n", outbox->socket_path().c_str());
  if (https) {
    std::printf("listening %s %s\n", https->tls() ? "https" : "http",
                https->local_address().c_str());
  }
  std::fflush(stdout);
  base::log::Info("serve.started", {{"mllp", (*server)->local_address()},
                                    {"tls", mllp.tls_certificate.empty() ? "no" : "mutual"},
                                    {"https", https ? https->local_address() : "off"},
                                    {"watch", command.watch_dir.empty() ? "off" : "on"}});
  MissedTransmissionScheduler missed(*opened->db, *opened->keys, *rule_book, *billing_codes,
                                     std::chrono::seconds(command.missed_scan_interval_s),
                                     std::chrono::seconds(command.first_scan_s));
  int received = 0;
  sigwait(&signals, &received);
  base::log::Info("serve.stopping", {{"signal", received}});
  watch.reset();
  outbox.reset();
  https.reset();
  (*server)->Stop();
  return 0;
}

}  // namespace heartbase::app
