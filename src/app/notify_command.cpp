// `heartbase notify` and `heartbase outbox …`. notify loads its TOML configuration and the notify
// key, builds the configured senders and runs the delivery worker until SIGINT/SIGTERM; it never
// opens the database (it is given no path to it).
#include "app/notify_command.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <thread>

#include "app/data_dir.h"
#include "base/json_writer.h"
#include "base/log.h"
#include "notify/config.h"
#include "notify/https_sender.h"
#include "notify/mac_key.h"
#include "notify/smtp_sender.h"
#include "notify/worker.h"
#include "store/outbox.h"

namespace heartbase::app {
namespace {

namespace log = base::log;

int Fail(std::string_view what, const base::Error& e) {
  std::fprintf(stderr, "heartbase: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
               e.Describe().c_str());
  return 1;
}

}  // namespace

int RunNotify(const NotifyCommand& command) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto config = notify::LoadNotifyConfig(command.config);
  if (!config) return Fail("notify", config.error());
  auto key = notify::MacKey::Load(config->key_file);
  if (!key) return Fail("notify", key.error());
  if (::geteuid() == 0) {
    log::Warn("notify.running_as_root",
              {{"advice", "run heartbase notify as its own unprivileged user (docs/notify.md)"}});
  }

  std::unique_ptr<notify::SmtpSender> smtp;
  std::unique_ptr<notify::HttpsSender> pager, fax_https;
  std::unique_ptr<notify::SmtpSender> fax_email;
  notify::Senders senders;
  std::string channels;
  if (config->smtp) {
    smtp = std::make_unique<notify::SmtpSender>(*config->smtp);
    senders.email = smtp.get();
    channels += "email";
  }
  if (config->pager) {
    pager = std::make_unique<notify::HttpsSender>(*config->pager);
    senders.pager = pager.get();
    channels += channels.empty() ? "pager" : ",pager";
  }
  if (config->fax) {
    fax_https = std::make_unique<notify::HttpsSender>(*config->fax);
    senders.fax = fax_https.get();
  } else if (!config->fax_email_domain.empty()) {
    fax_email = std::make_unique<notify::SmtpSender>(*config->smtp, config->fax_email_domain);
    senders.fax = fax_email.get();
  }
  if (senders.fax != nullptr) channels += channels.empty() ? "fax" : ",fax";

  notify::Worker worker({.socket = config->socket,
                         .holder = config->holder,
                         .batch = config->batch,
                         .poll_interval = std::chrono::milliseconds(config->poll_interval_ms),
                         .lease_seconds = config->lease_seconds},
                        *key, senders);
  std::atomic<bool> stop{false};
  std::thread waiter([&] {
    int received = 0;
    sigwait(&signals, &received);
    log::Info("notify.stopping", {{"signal", received}});
    stop = true;
  });
  log::Info("notify.started", {{"socket", config->socket},
                               {"holder", config->holder},
                               {"channels", channels.empty() ? "none" : channels}});
  worker.Run(stop);
  waiter.join();
  return 0;
}

int RunOutboxStatus(const OutboxStatusCommand& command) {
  auto opened = OpenDataDir({.root = command.data, .key_file = command.key_file});
  if (!opened) return Fail("outbox status", opened.error());
  store::OutboxStats stats;
  std::vector<store::OutboxJobSummary> dead;
  auto s = store::RunUnitOfWork(*opened->db, store::Access::kRead, [&](store::Transaction& tx) {
    auto r = store::ReadOutboxStats(tx, NowUs());
    if (!r) return base::Status(r.error());
    stats = *r;
    auto d = store::ListOutboxJobs(tx, store::OutboxState::kDead, command.dead_limit);
    if (!d) return base::Status(d.error());
    dead = std::move(*d);
    return base::Status();
  });
  if (!s) return Fail("outbox status", s.error());
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("pending", stats.pending);
  w.Field("leased", stats.leased);
  w.Field("sent", stats.sent);
  w.Field("dead", stats.dead);
  w.Field("queue_age_seconds", stats.queue_age_us / 1'000'000);
  w.Key("dead_letters");
  w.BeginArray();
  for (const auto& j : dead) {
    w.BeginObject();
    w.Field("id", j.id);
    w.Field("idempotency_key", j.idempotency_key);
    w.Field("kind", store::ToString(j.kind));
    w.Field("channel", store::ToString(j.channel));
    w.Field("attempts", j.attempts);
    w.Field("last_error", j.last_error);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  std::printf("%s\n", out.c_str());
  return 0;
}

int RunOutboxEnqueueTest(const OutboxEnqueueTestCommand& command) {
  auto opened = OpenDataDir({.root = command.data, .key_file = command.key_file});
  if (!opened) return Fail("outbox enqueue-test", opened.error());
  store::OutboxMessage m;
  m.kind = store::OutboxKind::kTest;
  if (command.channel == "email") {
    m.channel = store::OutboxChannel::kEmail;
  } else if (command.channel == "pager") {
    m.channel = store::OutboxChannel::kPager;
  } else if (command.channel == "fax") {
    m.channel = store::OutboxChannel::kFax;
  } else {
    std::fprintf(stderr, "heartbase: outbox enqueue-test: --channel is email, pager or fax\n");
    return 2;
  }
  const std::int64_t now = NowUs();
  m.idempotency_key = command.idempotency_key.empty()
                          ? fmt::format("test:{}:{}", command.channel, now)
                          : command.idempotency_key;
  m.recipient = command.to;
  m.ticket = command.ticket;
  m.subject = fmt::format("heartbase test notification {}", command.ticket);
  m.body =
      fmt::format("This is a test message from heartbase. It carries no patient data.\nTicket: {}",
                  command.ticket);
  m.max_attempts = command.max_attempts;
  m.first_backoff_ms = command.backoff_ms;
  store::EnqueueResult result;
  auto s = store::RunUnitOfWork(*opened->db, store::Access::kWrite, [&](store::Transaction& tx) {
    auto r = store::EnqueueJob(tx, *opened->keys, m, now);
    if (!r) return base::Status(r.error());
    result = *r;
    return base::Status();
  });
  if (!s) return Fail("outbox enqueue-test", s.error());
  std::printf("{\"id\":%lld,\"created\":%s}\n", static_cast<long long>(result.id),
              result.created ? "true" : "false");
  return 0;
}

NotifyCommands::NotifyCommands(CLI::App& app) {
  notify_cmd_ = app.add_subcommand(
      "notify",
      "Run the messaging service (email, pager, fax): leases jobs from heartbase serve over its "
      "--notify-socket; no database access. Off unless started; run it as its own user");
  notify_cmd_->add_option("--config", notify_.config, "TOML configuration (docs/notify.md)")
      ->required();

  auto* outbox = app.add_subcommand("outbox", "The notification outbox (run on the server)");
  outbox->require_subcommand(1);
  status_cmd_ = outbox->add_subcommand(
      "status", "Print queue counts, queue age and the newest dead letters as JSON");
  status_cmd_->add_option("--data", status_.data, "Data directory")->required();
  status_cmd_->add_option("--key-file", status_.key_file, "Key file (default DATA/keyring)");
  status_cmd_->add_option("--dead-limit", status_.dead_limit, "Dead letters listed")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();

  enqueue_cmd_ = outbox->add_subcommand("enqueue-test",
                                        "Queue a test notification (fixed text, no patient data)");
  enqueue_cmd_->add_option("--data", enqueue_.data, "Data directory")->required();
  enqueue_cmd_->add_option("--key-file", enqueue_.key_file, "Key file (default DATA/keyring)");
  enqueue_cmd_->add_option("--channel", enqueue_.channel, "email, pager or fax")
      ->capture_default_str();
  enqueue_cmd_->add_option("--to", enqueue_.to, "Recipient address, pager id or fax number")
      ->required();
  enqueue_cmd_->add_option("--idempotency-key", enqueue_.idempotency_key,
                           "Unique key (a second enqueue with it changes nothing)");
  enqueue_cmd_->add_option("--ticket", enqueue_.ticket, "Ticket number shown in the message")
      ->capture_default_str();
  enqueue_cmd_->add_option("--max-attempts", enqueue_.max_attempts, "Attempts before dead letter")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  enqueue_cmd_
      ->add_option("--backoff-ms", enqueue_.backoff_ms,
                   "Wait after the first failure (doubles each time)")
      ->check(CLI::Range(static_cast<std::int64_t>(0), static_cast<std::int64_t>(3'600'000)))
      ->capture_default_str();
}

std::optional<int> NotifyCommands::RunParsed() const {
  if (notify_cmd_->parsed()) return RunNotify(notify_);
  if (status_cmd_->parsed()) return RunOutboxStatus(status_);
  if (enqueue_cmd_->parsed()) return RunOutboxEnqueueTest(enqueue_);
  return std::nullopt;
}

}  // namespace heartbase::app
