// The outbox job table (migration 0008). Leasing sets next_attempt_us to the lease expiry, so one
// index on (next_attempt_us, id) over open jobs finds both due pending jobs and expired leases.
#include "store/outbox.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace heartbase::store {
namespace {

using base::ErrorCode;

constexpr std::string_view kTable = "outbox_job";
constexpr std::int64_t kMaxBackoffMs = 3'600'000;  // retries of a failing job are at most 1 h apart

base::Error Invalid(std::string message) {
  return base::MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

std::optional<OutboxKind> KindFromString(std::string_view s) {
  for (auto k :
       {OutboxKind::kAlert, OutboxKind::kSignoff, OutboxKind::kReport, OutboxKind::kTest}) {
    if (ToString(k) == s) return k;
  }
  return std::nullopt;
}
std::optional<OutboxChannel> ChannelFromString(std::string_view s) {
  for (auto c : {OutboxChannel::kEmail, OutboxChannel::kPager, OutboxChannel::kFax}) {
    if (ToString(c) == s) return c;
  }
  return std::nullopt;
}
std::optional<OutboxState> StateFromString(std::string_view s) {
  for (auto st :
       {OutboxState::kPending, OutboxState::kLeased, OutboxState::kSent, OutboxState::kDead}) {
    if (ToString(st) == s) return st;
  }
  return std::nullopt;
}

base::Status CheckLength(std::string_view field, std::string_view value, std::size_t max) {
  if (value.size() > max) {
    return Invalid(fmt::format("outbox {} is {} bytes; the limit is {}", field, value.size(), max));
  }
  return {};
}

// Operational text kept for administrators: bounded, one line.
std::string CleanError(std::string_view error) {
  std::string out(error.substr(0, OutboxLimits::kMaxError));
  for (char& c : out) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) c = ' ';
  }
  return out;
}

std::int64_t Backoff(std::int64_t first_ms, std::int64_t max_ms, int attempt) {
  std::int64_t ms = first_ms;
  for (int i = 1; i < attempt && ms < max_ms; ++i) ms *= 2;
  return std::min(ms, max_ms) * 1000;
}

base::Result<std::string> OpenField(const crypto::KeyRing& keys, const Row& r, std::size_t col,
                                    std::string_view column, std::int64_t id) {
  return keys.Open(r.Blob(col), {kTable, column, id});
}

base::Result<OutboxJobSummary> ReadSummary(const Row& r) {
  OutboxJobSummary s;
  s.id = r.Int(0);
  s.idempotency_key = std::string(r.Text(1));
  const auto kind = KindFromString(r.Text(2));
  const auto channel = ChannelFromString(r.Text(3));
  const auto state = StateFromString(r.Text(4));
  if (!kind || !channel || !state) {
    return base::MakeError(ErrorCode::kDataLoss, fmt::format("outbox job {}: bad enum", s.id));
  }
  s.kind = *kind;
  s.channel = *channel;
  s.state = *state;
  s.attempts = static_cast<int>(r.Int(5));
  s.max_attempts = static_cast<int>(r.Int(6));
  s.next_attempt_us = r.Int(7);
  s.last_error = std::string(r.Text(8));
  s.created_us = r.Int(9);
  s.updated_us = r.Int(10);
  if (!r.IsNull(11)) s.sent_us = r.Int(11);
  return s;
}

constexpr std::string_view kSummaryColumns =
    "id, idempotency_key, kind, channel, state, attempts, max_attempts, next_attempt_us, "
    "last_error, created_us, updated_us, sent_us";

// The job's row if `holder` holds its lease number `attempt`; kNotFound otherwise.
base::Result<Row> CurrentLease(Transaction& tx, std::int64_t id, std::string_view holder,
                               int attempt) {
  const Param p[] = {{"id", id}, {"holder", std::string(holder)}, {"attempt", attempt}};
  auto rows = tx.Query(
      "SELECT attempts, max_attempts, first_backoff_ms FROM outbox_job "
      "WHERE id = :id AND state = 'leased' AND lease_holder = :holder AND attempts = :attempt",
      p);
  if (!rows) return rows.error();
  if (rows->empty()) {
    return base::MakeError(
        ErrorCode::kNotFound,
        fmt::format("outbox job {} attempt {} is not leased by {}", id, attempt, holder));
  }
  return std::move(rows->front());
}

}  // namespace

std::string_view ToString(OutboxKind k) {
  switch (k) {
    case OutboxKind::kAlert:
      return "alert";
    case OutboxKind::kSignoff:
      return "signoff";
    case OutboxKind::kReport:
      return "report";
    case OutboxKind::kTest:
      break;
  }
  return "test";
}

std::string_view ToString(OutboxChannel c) {
  switch (c) {
    case OutboxChannel::kEmail:
      return "email";
    case OutboxChannel::kPager:
      return "pager";
    case OutboxChannel::kFax:
      break;
  }
  return "fax";
}

std::string_view ToString(OutboxState s) {
  switch (s) {
    case OutboxState::kPending:
      return "pending";
    case OutboxState::kLeased:
      return "leased";
    case OutboxState::kSent:
      return "sent";
    case OutboxState::kDead:
      break;
  }
  return "dead";
}

base::Result<EnqueueResult> EnqueueJob(Transaction& tx, const crypto::KeyRing& keys,
                                       const OutboxMessage& m, std::int64_t now_us) {
  using L = OutboxLimits;
  if (m.idempotency_key.empty()) return Invalid("outbox idempotency key is empty");
  if (m.recipient.empty()) return Invalid("outbox recipient is empty");
  for (auto [field, value, max] :
       std::array<std::tuple<std::string_view, std::string_view, std::size_t>, 7>{{
           {"idempotency key", m.idempotency_key, L::kMaxKey},
           {"recipient", m.recipient, L::kMaxRecipient},
           {"subject", m.subject, L::kMaxSubject},
           {"body", m.body, L::kMaxBody},
           {"ticket", m.ticket, L::kMaxTicket},
           {"link", m.link, L::kMaxLink},
           {"attachment", m.attachment, L::kMaxAttachment},
       }}) {
    if (auto s = CheckLength(field, value, max); !s) return s.error();
  }
  if (m.max_attempts < 1 || m.max_attempts > L::kMaxAttempts) {
    return Invalid(fmt::format("outbox max_attempts must be 1..{}", L::kMaxAttempts));
  }
  if (m.first_backoff_ms < 0 || m.first_backoff_ms > kMaxBackoffMs) {
    return Invalid("outbox first_backoff_ms must be 0..3600000");
  }
  if (m.report_id) {
    if (m.kind != OutboxKind::kReport || m.channel == OutboxChannel::kPager) {
      return Invalid("outbox report_id is for report jobs by email or fax");
    }
    if (!m.attachment.empty()) return Invalid("outbox job has both a report_id and an attachment");
  }
  {
    const Param p[] = {{"key", m.idempotency_key}};
    auto rows = tx.Query("SELECT id FROM outbox_job WHERE idempotency_key = :key", p);
    if (!rows) return rows.error();
    if (!rows->empty()) return EnqueueResult{.id = rows->front().Int(0), .created = false};
  }
  // Sealed fields carry the row id in their associated data, so the row is inserted with
  // placeholders and the sealed values written once the id is known.
  const Param p[] = {
      {"key", m.idempotency_key},
      {"kind", std::string(ToString(m.kind))},
      {"channel", std::string(ToString(m.channel))},
      {"ticket", m.ticket},
      {"link", m.link},
      {"max_attempts", m.max_attempts},
      {"first_backoff_ms", m.first_backoff_ms},
      {"now", now_us},
      {"report", m.report_id ? Value(*m.report_id) : Value()},
  };
  auto rows = tx.Query(
      "INSERT INTO outbox_job (idempotency_key, kind, channel, recipient, subject, body, ticket, "
      "link, state, max_attempts, first_backoff_ms, next_attempt_us, created_us, updated_us, "
      "report_id) "
      "VALUES (:key, :kind, :channel, x'', x'', x'', :ticket, :link, 'pending', :max_attempts, "
      ":first_backoff_ms, :now, :now, :now, :report) RETURNING id",
      p);
  if (!rows) return rows.error();
  const std::int64_t id = rows->front().Int(0);
  const Param seal[] = {
      {"id", id},
      {"recipient", Bytes{keys.Seal(m.recipient, {kTable, "recipient", id})}},
      {"subject", Bytes{keys.Seal(m.subject, {kTable, "subject", id})}},
      {"body", Bytes{keys.Seal(m.body, {kTable, "body", id})}},
      {"attachment", m.attachment.empty()
                         ? Value()
                         : Value(Bytes{keys.Seal(m.attachment, {kTable, "attachment", id})})},
  };
  if (auto r = tx.Execute(
          "UPDATE outbox_job SET recipient = :recipient, subject = :subject, body = :body, "
          "attachment = :attachment WHERE id = :id",
          seal);
      !r) {
    return r.error();
  }
  return EnqueueResult{.id = id, .created = true};
}

base::Result<std::vector<LeasedJob>> LeaseJobs(Transaction& tx, const Dialect& dialect,
                                               const crypto::KeyRing& keys, std::string_view holder,
                                               int max_jobs, std::int64_t lease_us,
                                               std::int64_t now_us) {
  if (holder.empty() || holder.size() > 64) return Invalid("lease holder must be 1..64 bytes");
  if (lease_us <= 0) return Invalid("lease duration must be positive");
  max_jobs = std::clamp(max_jobs, 1, OutboxLimits::kMaxLeaseBatch);

  // Expired leases on jobs that have used their last attempt are dead letters, not work.
  {
    const Param p[] = {{"now", now_us}};
    if (auto r = tx.Execute(
            "UPDATE outbox_job SET state = 'dead', lease_holder = NULL, lease_expires_us = NULL, "
            "last_error = 'lease expired on the last attempt (the worker stopped or hung)', "
            "updated_us = :now "
            "WHERE state = 'leased' AND next_attempt_us <= :now AND attempts >= max_attempts",
            p);
        !r) {
      return r.error();
    }
  }
  const std::string sql = fmt::format(
      "SELECT id, attempts, max_attempts, kind, channel, idempotency_key, recipient, subject, "
      "body, attachment, ticket, link, first_backoff_ms, report_id FROM outbox_job "
      "WHERE state IN ('pending', 'leased') AND next_attempt_us <= :now "
      "ORDER BY next_attempt_us, id LIMIT :limit{}",
      dialect.skip_locked);
  const Param p[] = {{"now", now_us}, {"limit", max_jobs}};
  auto rows = tx.Query(sql, p);
  if (!rows) return rows.error();
  std::vector<LeasedJob> out;
  out.reserve(rows->size());
  const std::int64_t expires = now_us + lease_us;
  for (const Row& r : *rows) {
    LeasedJob job;
    job.id = r.Int(0);
    job.attempt = static_cast<int>(r.Int(1)) + 1;
    job.max_attempts = static_cast<int>(r.Int(2));
    job.lease_expires_us = expires;
    const auto kind = KindFromString(r.Text(3));
    const auto channel = ChannelFromString(r.Text(4));
    if (!kind || !channel) {
      return base::MakeError(ErrorCode::kDataLoss, fmt::format("outbox job {}: bad enum", job.id));
    }
    OutboxMessage& m = job.message;
    m.kind = *kind;
    m.channel = *channel;
    m.idempotency_key = std::string(r.Text(5));
    auto recipient = OpenField(keys, r, 6, "recipient", job.id);
    auto subject = OpenField(keys, r, 7, "subject", job.id);
    auto body = OpenField(keys, r, 8, "body", job.id);
    if (!recipient) return recipient.error();
    if (!subject) return subject.error();
    if (!body) return body.error();
    m.recipient = std::move(*recipient);
    m.subject = std::move(*subject);
    m.body = std::move(*body);
    if (!r.IsNull(9)) {
      auto attachment = OpenField(keys, r, 9, "attachment", job.id);
      if (!attachment) return attachment.error();
      m.attachment = std::move(*attachment);
    }
    m.ticket = std::string(r.Text(10));
    m.link = std::string(r.Text(11));
    m.max_attempts = job.max_attempts;
    m.first_backoff_ms = r.Int(12);
    if (!r.IsNull(13)) m.report_id = r.Int(13);
    const Param u[] = {
        {"id", job.id}, {"holder", std::string(holder)}, {"expires", expires}, {"now", now_us}};
    if (auto x = tx.Execute(
            "UPDATE outbox_job SET state = 'leased', attempts = attempts + 1, "
            "lease_holder = :holder, lease_expires_us = :expires, next_attempt_us = :expires, "
            "updated_us = :now WHERE id = :id",
            u);
        !x) {
      return x.error();
    }
    out.push_back(std::move(job));
  }
  return out;
}

base::Status CompleteJob(Transaction& tx, std::int64_t id, std::string_view holder, int attempt,
                         std::int64_t now_us) {
  auto lease = CurrentLease(tx, id, holder, attempt);
  if (!lease) return lease.error();
  const Param p[] = {{"id", id}, {"now", now_us}};
  auto r = tx.Execute(
      "UPDATE outbox_job SET state = 'sent', sent_us = :now, updated_us = :now, "
      "lease_holder = NULL, lease_expires_us = NULL, last_error = NULL WHERE id = :id",
      p);
  if (!r) return r.error();
  return {};
}

base::Result<OutboxState> FailJob(Transaction& tx, std::int64_t id, std::string_view holder,
                                  int attempt, std::string_view error, bool permanent,
                                  std::int64_t now_us) {
  auto lease = CurrentLease(tx, id, holder, attempt);
  if (!lease) return lease.error();
  const int attempts = static_cast<int>(lease->Int(0));
  const int max_attempts = static_cast<int>(lease->Int(1));
  const std::int64_t first_backoff_ms = lease->Int(2);
  const bool dead = permanent || attempts >= max_attempts;
  const std::int64_t next =
      dead ? now_us : now_us + Backoff(first_backoff_ms, kMaxBackoffMs, attempts);
  const Param p[] = {{"id", id},
                     {"state", std::string(dead ? "dead" : "pending")},
                     {"next", next},
                     {"error", CleanError(error)},
                     {"now", now_us}};
  auto r = tx.Execute(
      "UPDATE outbox_job SET state = :state, next_attempt_us = :next, last_error = :error, "
      "lease_holder = NULL, lease_expires_us = NULL, updated_us = :now WHERE id = :id",
      p);
  if (!r) return r.error();
  return dead ? OutboxState::kDead : OutboxState::kPending;
}

base::Result<OutboxStats> ReadOutboxStats(Transaction& tx, std::int64_t now_us) {
  auto rows = tx.Query("SELECT state, count(*), min(created_us) FROM outbox_job GROUP BY state");
  if (!rows) return rows.error();
  OutboxStats s;
  for (const Row& r : *rows) {
    const auto state = StateFromString(r.Text(0));
    if (!state) return base::MakeError(ErrorCode::kDataLoss, "outbox job: bad state");
    const std::int64_t n = r.Int(1);
    const std::int64_t oldest = r.Int(2);
    switch (*state) {
      case OutboxState::kPending:
        s.pending = n;
        break;
      case OutboxState::kLeased:
        s.leased = n;
        break;
      case OutboxState::kSent:
        s.sent = n;
        break;
      case OutboxState::kDead:
        s.dead = n;
        break;
    }
    if ((*state == OutboxState::kPending || *state == OutboxState::kLeased) &&
        (s.oldest_open_created_us == 0 || oldest < s.oldest_open_created_us)) {
      s.oldest_open_created_us = oldest;
    }
  }
  if (s.oldest_open_created_us != 0) {
    s.queue_age_us = std::max<std::int64_t>(0, now_us - s.oldest_open_created_us);
  }
  return s;
}

base::Result<std::vector<OutboxJobSummary>> ListOutboxJobs(Transaction& tx, OutboxState state,
                                                           int limit) {
  const Param p[] = {{"state", std::string(ToString(state))},
                     {"limit", std::clamp(limit, 1, 1000)}};
  auto rows = tx.Query(fmt::format("SELECT {} FROM outbox_job WHERE state = :state "
                                   "ORDER BY updated_us DESC, id DESC LIMIT :limit",
                                   kSummaryColumns),
                       p);
  if (!rows) return rows.error();
  std::vector<OutboxJobSummary> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) {
    auto s = ReadSummary(r);
    if (!s) return s.error();
    out.push_back(std::move(*s));
  }
  return out;
}

base::Result<OutboxJobSummary> GetOutboxJob(Transaction& tx, std::int64_t id) {
  const Param p[] = {{"id", id}};
  auto rows = tx.Query(fmt::format("SELECT {} FROM outbox_job WHERE id = :id", kSummaryColumns), p);
  if (!rows) return rows.error();
  if (rows->empty()) {
    return base::MakeError(ErrorCode::kNotFound, fmt::format("no outbox job {}", id));
  }
  return ReadSummary(rows->front());
}

}  // namespace heartbase::store
