#include "ehr/delivery.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "base/log.h"
#include "base/time.h"
#include "hl7/escape.h"
#include "hl7/message.h"
#include "store/results.h"

namespace heartbase::ehr {
namespace {

using base::ErrorCode;

std::int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Plaintext only to a loopback IP literal (the client refuses anything else without TLS).
bool IsLoopback(std::string_view host) { return host == "::1" || host.starts_with("127."); }

struct Ack {
  std::string code;     // MSA-1
  std::string control;  // MSA-2
  std::string text;     // MSA-3 and ERR-8 (the receiver's words)
};

base::Result<Ack> ReadAck(std::string_view bytes) {
  auto m = hl7::Message::Parse(bytes);
  if (!m) return m.error();
  auto msa = m->Find("MSA");
  if (!msa) return base::MakeError(ErrorCode::kMalformed, "the answer has no MSA segment");
  Ack a;
  std::string scratch;
  a.code = std::string(msa->Field(1));
  a.control = std::string(hl7::Unescape(msa->Field(2), m->delimiters(), &scratch));
  a.text = std::string(hl7::Unescape(msa->Field(3), m->delimiters(), &scratch));
  if (auto err = m->Find("ERR")) {
    const std::string_view detail = hl7::Unescape(err->Field(8), m->delimiters(), &scratch);
    if (!detail.empty()) a.text += (a.text.empty() ? "" : "; ") + std::string(detail);
  }
  return a;
}

}  // namespace

base::Result<Destination> ParseDestination(std::string_view spec) {
  Destination d;
  std::string host;
  std::string_view rest = spec;
  bool have_ca = false;
  auto bad = [](std::string_view what) {
    return base::MakeError(ErrorCode::kInvalidArgument, fmt::format("--ehr-destination: {}", what));
  };
  auto number = [](std::string_view v, std::int64_t* out) {
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
    return ec == std::errc() && p == v.data() + v.size() && *out >= 0;
  };
  while (!rest.empty()) {
    const std::size_t comma = std::min(rest.find(','), rest.size());
    const std::string_view item = rest.substr(0, comma);
    rest.remove_prefix(std::min(comma + 1, rest.size()));
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) return bad(fmt::format("'{}' is not key=value", item));
    const std::string_view key = item.substr(0, eq);
    const std::string value(item.substr(eq + 1));
    std::int64_t n = 0;
    if (key == "name") {
      d.message.name = value;
    } else if (key == "host") {
      host = value;
    } else if (key == "port") {
      if (!number(value, &n) || n == 0 || n > 65535) return bad("port is 1..65535");
      d.connection.port = static_cast<std::uint16_t>(n);
    } else if (key == "authority") {
      d.message.assigning_authority = value;
    } else if (key == "type") {
      if (value == "oru") {
        d.message.type = report::ResultMessageType::kOruR01;
      } else if (value == "mdm") {
        d.message.type = report::ResultMessageType::kMdmT02;
      } else {
        return bad("type is oru or mdm");
      }
    } else if (key == "pv1") {
      d.message.pv1 = value == "1" || value == "true";
    } else if (key == "ca") {
      d.connection.ca_file = value;
      have_ca = true;
    } else if (key == "server-name") {
      d.connection.server_name = value;
    } else if (key == "cert") {
      d.connection.client_certificate = value;
    } else if (key == "key") {
      d.connection.client_private_key = value;
    } else if (key == "receiving-app") {
      d.message.receiving_application = value;
    } else if (key == "receiving-facility") {
      d.message.receiving_facility = value;
    } else if (key == "sending-facility") {
      d.message.sending_facility = value;
    } else if (key == "attempts") {
      if (!number(value, &n) || n < 1 || n > 100) return bad("attempts is 1..100");
      d.max_attempts = static_cast<int>(n);
    } else if (key == "backoff-ms") {
      if (!number(value, &n)) return bad("backoff-ms is a number");
      d.first_backoff = std::chrono::milliseconds(n);
    } else if (key == "ack-timeout-ms") {
      if (!number(value, &n) || n == 0) return bad("ack-timeout-ms is a positive number");
      d.connection.ack_timeout = std::chrono::milliseconds(n);
    } else {
      return bad(fmt::format("unknown key {}", key));
    }
  }
  if (d.message.name.empty() || d.message.name.size() > 64) return bad("name= is required");
  if (host.empty() || d.connection.port == 0) return bad("host= and port= are required");
  if (d.message.assigning_authority.empty()) return bad("authority= is required");
  d.connection.host = host;
  // Any TLS setting asks for TLS, even to loopback (a local TLS proxy, a test receiver).
  d.connection.tls = have_ca || !d.connection.server_name.empty() ||
                     !d.connection.client_certificate.empty() || !IsLoopback(host);
  // The TLS material is read now, so that a bad file stops serve at start-up.
  if (auto client = net::MllpClient::Create(d.connection); !client) return client.error();
  return d;
}

struct ResultDelivery::Worker {
  Destination destination;
  std::optional<net::MllpClient> client;  // checked by ParseDestination
  std::thread thread;
};

ResultDelivery::ResultDelivery(store::Database& db, const crypto::KeyRing& keys,
                               report::ReportServices reports,
                               std::vector<Destination> destinations)
    : db_(db), keys_(keys), reports_(std::move(reports)) {
  for (Destination& d : destinations) {
    auto w = std::make_unique<Worker>();
    if (auto client = net::MllpClient::Create(d.connection)) w->client.emplace(std::move(*client));
    w->destination = std::move(d);
    workers_.push_back(std::move(w));
  }
  for (auto& w : workers_) w->thread = std::thread([this, worker = w.get()] { Run(*worker); });
}

ResultDelivery::~ResultDelivery() {
  {
    std::lock_guard<std::mutex> g(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

void ResultDelivery::Poke() {
  {
    std::lock_guard<std::mutex> g(mutex_);
    ++generation_;
  }
  wake_.notify_all();
}

DeliveryCounts ResultDelivery::counts() const {
  std::lock_guard<std::mutex> g(mutex_);
  return counts_;
}

std::vector<std::string> ResultDelivery::names() const {
  std::vector<std::string> out;
  for (const auto& w : workers_) out.push_back(w->destination.message.name);
  return out;
}

void ResultDelivery::Run(Worker& worker) {
  // A retry's time comes without a poke: look again at least this often.
  constexpr auto kTick = std::chrono::milliseconds(250);
  std::uint64_t seen = 0;
  // Several serve nodes on one PostgreSQL server: one of them sends to a destination, in order;
  // if it dies, the server frees its lock and another node's worker takes over within a tick.
  std::unique_ptr<store::ExclusiveLock> sender;
  for (;;) {
    {
      std::unique_lock<std::mutex> g(mutex_);
      wake_.wait_for(g, kTick, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
    }
    if (sender && !sender->Valid()) sender.reset();  // its server failed over or was fenced
    if (!sender) {
      auto lock = db_.TryExclusive("heartbase.ehr-delivery." + worker.destination.message.name);
      if (!lock || !*lock) continue;
      sender = std::move(*lock);
    }
    while (DeliverNext(worker)) {
      std::lock_guard<std::mutex> g(mutex_);
      if (stopping_) return;
    }
  }
}

bool ResultDelivery::DeliverNext(Worker& worker) {
  const Destination& d = worker.destination;
  if (!worker.client) return false;
  const std::int64_t now = NowUs();
  std::optional<store::ResultDeliveryRow> row;
  {
    auto tx = db_.Begin(store::Access::kRead);
    if (!tx) return false;
    auto next = store::NextResult(**tx, keys_, d.message.name, now);
    if (!next || !*next) return false;
    row = std::move(**next);
  }
  auto fail = [&](std::string_view ack, std::string_view error, bool dead) {
    const bool last = row->attempts + 1 >= d.max_attempts;
    const auto backoff = std::min<std::int64_t>(
        d.max_backoff.count(), d.first_backoff.count() << std::min(row->attempts, 20));  // ms
    auto s = store::RunUnitOfWork(db_, store::Access::kWrite, [&](store::Transaction& tx) {
      return store::MarkResultFailed(tx, keys_, row->id, ack, error, dead || last,
                                     now + backoff * 1000, NowUs());
    });
    std::lock_guard<std::mutex> g(mutex_);
    ++(dead || last ? counts_.dead : counts_.retried);
    // Ids, codes and the outcome only: the receiver's text may name the patient.
    base::log::Warn(dead || last ? "ehr.result_dead" : "ehr.result_retry",
                    {{"destination", d.message.name},
                     {"result", row->id},
                     {"ack", std::string(ack)},
                     {"attempt", row->attempts + 1},
                     {"stored", s ? "yes" : "no"}});
    return s.ok();  // a failed write would find the same row again at once: stop until a tick
  };

  // The message: the signed report must be stored (the background renderer may not have reached
  // it yet; then it is rendered here, once).
  base::Result<report::ResultInput> input = base::MakeError(ErrorCode::kInternal, "unset");
  for (int pass = 0; pass < 2; ++pass) {
    auto tx = db_.Begin(store::Access::kRead);
    if (!tx) return false;
    input = report::PrepareResult(**tx, keys_, row->interrogation_id, reports_.parse);
    tx->reset();
    if (input || input.error().code != ErrorCode::kNotFound || pass == 1) break;
    if (auto produced = report::Produce(reports_, row->interrogation_id, {.now_us = now});
        !produced) {
      input = produced.error();
      break;
    }
  }
  if (!input) {
    return fail(
        "", fmt::format("cannot prepare the result: {}", base::ErrorCodeName(input.error().code)),
        false);
  }
  input->control_id = row->control_id;
  input->message_time = base::Hl7Utc(now);
  auto message = report::BuildResultMessage(d.message, *input);
  if (!message) {
    // No identifier of this destination's authority: a person must fix the patient's record.
    return fail("", message.error().message, true);
  }
  auto answer = worker.client->Send(*message);
  if (!answer) {
    return fail(
        "", fmt::format("{}: {}", base::ErrorCodeName(answer.error().code), answer.error().message),
        false);
  }
  auto ack = ReadAck(*answer);
  if (!ack) {
    return fail("", "the answer is not an HL7 acknowledgment", false);
  }
  if (ack->control != row->control_id) {
    return fail(ack->code, "the acknowledgment names another message (MSA-2)", false);
  }
  if (ack->code == "AA" || ack->code == "CA") {
    auto s = store::RunUnitOfWork(db_, store::Access::kWrite, [&](store::Transaction& tx) {
      return store::MarkResultSent(tx, row->id, ack->code, NowUs());
    });
    std::lock_guard<std::mutex> g(mutex_);
    ++counts_.sent;
    base::log::Info(
        "ehr.result_sent",
        {{"destination", d.message.name}, {"result", row->id}, {"stored", s ? "yes" : "no"}});
    return s.ok();
  }
  const bool rejected = ack->code == "AR" || ack->code == "CR";
  return fail(ack->code, ack->text.empty() ? fmt::format("{} without text", ack->code) : ack->text,
              rejected);
}

}  // namespace heartbase::ehr
