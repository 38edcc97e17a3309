// The outbox: notification and document-delivery jobs written in the same transaction as their
// cause (an alert, a sign-off, a "send report" action), leased by the delivery worker (through
// `heartbase serve`; `heartbase notify` never opens the database), retried with exponential
// backoff and dead-lettered after a bounded number of attempts. docs/notify.md.
//
// State machine:  pending --Lease--> leased --Complete--> sent
//                    ^                 |  \--Fail (attempts < max)--> pending (after backoff)
//                    |                 \----Fail (attempts = max, or permanent)--> dead
//                    \-- a lease that expires is taken again by Lease (it counted as an attempt;
//                        after the last attempt it goes to dead instead)
// A "send report" job names its report (report_id) instead of carrying the PDF.
// Recipient, subject, body and attachment are sealed with the key ring (associated data:
// "outbox_job", column, row id). Notification texts carry no patient data by default (a ticket
// number and a link); the sealing covers the cases where a clinic configures otherwise and the
// signed reports that are faxed. last_error must never carry message content.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::store {

enum class OutboxKind : std::uint8_t { kAlert, kSignoff, kReport, kTest };
enum class OutboxChannel : std::uint8_t { kEmail, kPager, kFax };
enum class OutboxState : std::uint8_t { kPending, kLeased, kSent, kDead };

std::string_view ToString(OutboxKind k);     // "alert", "signoff", "report", "test"
std::string_view ToString(OutboxChannel c);  // "email", "pager", "fax"
std::string_view ToString(OutboxState s);    // "pending", "leased", "sent", "dead"

// Limits of a job's fields, checked by Enqueue (the wire format of src/notify has the same ones).
struct OutboxLimits {
  static constexpr std::size_t kMaxKey = 128;
  static constexpr std::size_t kMaxRecipient = 254;
  static constexpr std::size_t kMaxSubject = 200;
  static constexpr std::size_t kMaxBody = 4000;
  static constexpr std::size_t kMaxTicket = 64;
  static constexpr std::size_t kMaxLink = 512;
  static constexpr std::size_t kMaxAttachment = 2u << 20;
  static constexpr std::size_t kMaxError = 200;
  static constexpr int kMaxAttempts = 100;
  static constexpr int kMaxLeaseBatch = 64;
};

// What the producer asks to be delivered. Fixed schema: there is no free-form payload.
struct OutboxMessage {
  OutboxKind kind = OutboxKind::kAlert;
  OutboxChannel channel = OutboxChannel::kEmail;
  std::string idempotency_key;  // unique per intended delivery, e.g. "alert:42:email:oncall"
  std::string recipient;        // address, pager id or fax number (a configured recipient)
  std::string subject;
  std::string body;
  std::string ticket;      // e.g. "HB-000042": no patient data
  std::string link;        // e.g. "/queue/42": no patient data
  std::string attachment;  // PDF bytes carried in the job itself; empty = none
  // A signed report (store/reports.h) to deliver as the attachment: the job holds the reference,
  // never a copy; serve reads the PDF when it leases the job (kind kReport, email or fax only,
  // and then `attachment` stays empty).
  std::optional<std::int64_t> report_id;
  int max_attempts = 3;
  std::int64_t first_backoff_ms = 30'000;  // doubles after each failed attempt, up to an hour
};

struct EnqueueResult {
  std::int64_t id = 0;
  bool created = false;  // false: a job with this idempotency key already existed (unchanged)
};

// Inserts a pending job due at `now_us`, in the caller's transaction. Idempotent: when the key
// exists, returns the existing job's id with created = false and changes nothing.
// Errors: kInvalidArgument (empty key, field over its OutboxLimits, max_attempts outside
// 1..kMaxAttempts, negative backoff; a report_id on a job that is not a report by email or fax,
// or together with an attachment), and those of Transaction::Execute (a report_id naming no
// report fails its foreign key).
base::Result<EnqueueResult> EnqueueJob(Transaction& tx, const crypto::KeyRing& keys,
                                       const OutboxMessage& message, std::int64_t now_us);

// A leased job, opened, as the delivery worker receives it.
struct LeasedJob {
  std::int64_t id = 0;
  int attempt = 0;  // 1 for the first attempt; identifies this lease in Complete/Fail
  int max_attempts = 0;
  std::int64_t lease_expires_us = 0;
  OutboxMessage message;  // max_attempts/backoff fields as stored
};

// Leases up to `max_jobs` (clamped to 1..kMaxLeaseBatch) jobs that are due at `now_us`: pending
// jobs whose next attempt time has come and leased jobs whose lease has expired, earliest due
// first; jobs under a live lease are skipped, so a job that hangs a worker never blocks the
// jobs behind it. Each lease counts as an attempt; an expired lease on a job that has used its
// last attempt is dead-lettered here instead of being leased again. `holder` names the worker
// (1..64 bytes); `dialect` adds SKIP LOCKED where the backend has it. Errors: kInvalidArgument,
// kDataLoss (a sealed field does not open), and those of Transaction.
base::Result<std::vector<LeasedJob>> LeaseJobs(Transaction& tx, const Dialect& dialect,
                                               const crypto::KeyRing& keys, std::string_view holder,
                                               int max_jobs, std::int64_t lease_us,
                                               std::int64_t now_us);

// Marks the job sent. Only the current lease may: `holder` and `attempt` must match, and the job
// must still be leased (kNotFound otherwise — the lease was lost and the job may have been leased
// again). Completing after the lease expired but before anyone re-leased it is accepted: the
// message did go out.
base::Status CompleteJob(Transaction& tx, std::int64_t id, std::string_view holder, int attempt,
                         std::int64_t now_us);

// Records a failed attempt of the current lease (same matching as CompleteJob). The job goes back
// to pending, due after first_backoff_ms × 2^(attempt-1) (at most an hour), or to dead when
// it has used its last attempt or `permanent` is set. `error` is an operational message (kept
// truncated to kMaxError bytes, control characters replaced). Returns the new state.
base::Result<OutboxState> FailJob(Transaction& tx, std::int64_t id, std::string_view holder,
                                  int attempt, std::string_view error, bool permanent,
                                  std::int64_t now_us);

// For administrators (and the queue-age alarm).
struct OutboxStats {
  std::int64_t pending = 0;
  std::int64_t leased = 0;
  std::int64_t sent = 0;
  std::int64_t dead = 0;
  std::int64_t oldest_open_created_us = 0;  // 0 when nothing is pending or leased
  std::int64_t queue_age_us = 0;            // now - oldest_open_created_us, or 0
};
base::Result<OutboxStats> ReadOutboxStats(Transaction& tx, std::int64_t now_us);

// A job as administrators see it: no sealed field is opened.
struct OutboxJobSummary {
  std::int64_t id = 0;
  std::string idempotency_key;
  OutboxKind kind = OutboxKind::kAlert;
  OutboxChannel channel = OutboxChannel::kEmail;
  OutboxState state = OutboxState::kPending;
  int attempts = 0;
  int max_attempts = 0;
  std::int64_t next_attempt_us = 0;
  std::string last_error;
  std::int64_t created_us = 0;
  std::int64_t updated_us = 0;
  std::optional<std::int64_t> sent_us;
};
// Jobs in `state`, newest first, at most `limit` (clamped to 1..1000).
base::Result<std::vector<OutboxJobSummary>> ListOutboxJobs(Transaction& tx, OutboxState state,
                                                           int limit);
// kNotFound if there is no such job.
base::Result<OutboxJobSummary> GetOutboxJob(Transaction& tx, std::int64_t id);

}  // namespace heartbase::store
