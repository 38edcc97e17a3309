// The ingest pipeline. Parsing and mapping happen before the write transaction, in the caller's
// thread, so the writer lock is held only for the inserts; the inserts of concurrent messages share
// a commit.
#include "ingest/pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "base/time.h"
#include "ingest/adt.h"
#include "store/adt_messages.h"
#include "store/alerts.h"
#include "store/blobs.h"
#include "store/interrogations.h"
#include "store/patients.h"
#include "store/quarantine.h"
#include "store/review.h"

namespace heartbase::ingest {
namespace {

std::int64_t SystemNow() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The next non-empty line of `rest` (CR, LF or CRLF terminated), consumed; empty at the end.
std::string_view NextLine(std::string_view& rest) {
  const std::size_t start = rest.find_first_not_of("\r\n");
  if (start == std::string_view::npos) {
    rest = {};
    return {};
  }
  rest.remove_prefix(start);
  const std::size_t end = std::min(rest.find_first_of("\r\n"), rest.size());
  const std::string_view line = rest.substr(0, end);
  rest.remove_prefix(end);
  return line;
}

// Whether two messages have the same segments, whatever their terminators (CR, LF or CRLF) and
// blank lines: the same message read from a file and received over MLLP is one message.
bool SameSegments(std::string_view a, std::string_view b) {
  for (;;) {
    const std::string_view x = NextLine(a), y = NextLine(b);
    if (x != y) return false;
    if (x.empty()) return true;
  }
}

// "MSH-3|MSH-4" (first components) as the message claims it; empty when its MSH was unreadable.
std::string SenderOf(const hl7::AckContext& c) {
  if (c.sending_application.empty() && c.sending_facility.empty()) return {};
  const char sep = c.delimiters.component;
  return fmt::format("{}|{}", hl7::NthPiece(c.sending_application, sep, 1),
                     hl7::NthPiece(c.sending_facility, sep, 1));
}

// Errors of the store rather than of the message: nothing is stored and the sender retries (AE);
// errors about the message itself quarantine it.
bool IsStoreFailure(base::ErrorCode code) {
  return code == base::ErrorCode::kUnavailable || code == base::ErrorCode::kIo ||
         code == base::ErrorCode::kConflict || code == base::ErrorCode::kDataLoss ||
         code == base::ErrorCode::kInternal;
}

}  // namespace

std::string_view ToString(Disposition d) {
  switch (d) {
    case Disposition::kStored:
      return "stored";
    case Disposition::kDuplicate:
      return "duplicate";
    case Disposition::kQuarantined:
      return "quarantined";
  }
  return "unknown";
}

Pipeline::Pipeline(store::Database& db, const crypto::KeyRing& keys, IngestOptions options)
    : db_(db), keys_(keys), options_(std::move(options)), commit_(db, options_.commit) {
  if (!options_.now_us) options_.now_us = SystemNow;
}

std::string Pipeline::Ack(const hl7::AckContext& context, hl7::AckOutcome outcome,
                          const std::optional<base::Error>& error) {
  hl7::AckRequest r;
  r.outcome = outcome;
  if (!options_.ack_modes.empty()) {
    const char sep = context.delimiters.component;
    const std::string sender = std::string(hl7::NthPiece(context.sending_application, sep, 1)) +
                               "|" + std::string(hl7::NthPiece(context.sending_facility, sep, 1));
    if (auto it = options_.ack_modes.find(sender); it != options_.ack_modes.end()) {
      r.mode = it->second;
    }
  }
  r.sending_application = options_.receiving_application;
  r.sending_facility = options_.receiving_facility;
  const std::int64_t now = options_.now_us();
  r.timestamp = base::Hl7Utc(now);
  r.control_id = fmt::format("HB{}{}", now, ack_counter_.fetch_add(1) % 1000);
  if (error) r.errors.push_back(hl7::AckErrorFrom(*error));
  // An overridden mode answers every message; otherwise MSH-15 decides whether to answer.
  if (!r.mode && !hl7::AckRequested(context, outcome)) return {};
  return hl7::BuildAck(context, r);
}

std::string Pipeline::NegativeAck(std::string_view bytes, const base::Error& error) {
  base::Error e = error;
  e.message = "message not stored, please resend: " + e.message;
  return Ack(hl7::AckContextFromBytes(bytes), hl7::AckOutcome::kError, e);
}

base::Result<Pipeline::Seen> Pipeline::FindSame(store::Transaction& tx,
                                                const domain::Interrogation& in,
                                                const store::SealedBlob& raw,
                                                std::string_view bytes) const {
  Seen seen;
  auto stored = store::ListByControlId(tx, store::SenderOf(in), in.control_id);
  if (!stored) return stored.error();
  if (stored->empty()) return seen;
  // The sender's retry of the same bytes: the same content address, so the same blob.
  auto blob = store::FindBlob(tx, raw.lookup);
  if (!blob) return blob.error();
  for (const store::StoredMessage& m : *stored) {
    if (*blob && m.raw_blob_id == **blob) {
      seen.same_message = m.interrogation_id;
      return seen;
    }
  }
  // The same message with other line ends (a file of what MLLP delivered): read the stored
  // messages under this id (rare: a reused id or such a copy) and compare their segments.
  for (const store::StoredMessage& m : *stored) {
    auto earlier = store::GetBlob(tx, keys_, m.raw_blob_id);
    if (!earlier) return earlier.error();
    if (SameSegments(*earlier, bytes)) {
      seen.same_message = m.interrogation_id;
      return seen;
    }
  }
  seen.reused = true;
  return seen;
}

base::Result<Pipeline::Seen> Pipeline::SeenBefore(store::Transaction& tx,
                                                  const domain::Interrogation& in,
                                                  const store::SealedBlob& raw,
                                                  std::string_view bytes,
                                                  const store::ClinicScope& feed) const {
  auto seen = FindSame(tx, in, raw, bytes);
  if (!seen || !seen->same_message || feed.any) return seen;
  // "Duplicate" would tell a feed that another clinic holds this message: such a copy is refused
  // with the same reason as any other write outside the feed's clinics.
  auto clinic = store::GetInterrogationClinic(tx, *seen->same_message);
  if (!clinic) return clinic.error();
  if (!feed.Allows(*clinic)) {
    return base::MakeError(base::ErrorCode::kPermissionDenied,
                           "the message's device or leads belong to a patient outside the clinics "
                           "this feed delivers for; not applied");
  }
  return seen;
}

base::Status Pipeline::Damaged() const {
  // A damaged file may lose what is written next: nothing is acknowledged that may not be
  // readable. The sender keeps the message and retries (AE) until the store is restored.
  if (auto d = db_.damage()) {
    return base::MakeError(
        base::ErrorCode::kDataLoss,
        "the database is damaged; ingest is stopped until it is restored (" + d->message + ")");
  }
  return {};
}

base::Result<Outcome> Pipeline::Quarantine(std::string_view bytes, std::string_view source,
                                           const hl7::AckContext& context, base::Error reason,
                                           std::int64_t now, Reprocessing* re) {
  if (auto damaged = Damaged(); !damaged) return damaged.error();
  Outcome out;
  out.disposition = Disposition::kQuarantined;
  if (re != nullptr) {  // still refused: the entry stays as it is, with today's reason reported
    out.id = re->quarantine_id;
    out.reason = std::move(reason);
    return out;
  }
  const std::string sender = SenderOf(context);
  auto s = commit_.Run([&](store::Transaction& tx) -> base::Status {
    auto id = store::Quarantine(tx, keys_, bytes, source, sender, reason, now);
    if (!id) return id.error();
    out.id = *id;
    return {};
  });
  if (!s) return s.error();
  const bool reject = base::Hl7AckCode(reason.code) == "AR";
  out.ack = Ack(context, reject ? hl7::AckOutcome::kReject : hl7::AckOutcome::kError, reason);
  out.reason = std::move(reason);
  return out;
}

base::Result<Outcome> Pipeline::QuarantineBytes(std::string_view bytes, std::string_view source,
                                                base::Error reason) {
  return Quarantine(bytes, source, hl7::AckContextFromBytes(bytes), std::move(reason),
                    options_.now_us());
}

base::Status Pipeline::Evaluate(store::Transaction& tx, const domain::Interrogation& in,
                                const store::InsertedInterrogation& inserted,
                                std::int64_t patient_id, std::int64_t now) {
  auto clinic = store::GetPatientClinic(tx, patient_id);
  if (!clinic) return clinic.error();
  const std::shared_ptr<const rules::Evaluator> evaluator = options_.rules->Current();
  auto evaluation = evaluator->Evaluate(tx, in, {inserted.id, patient_id, *clinic}, now);
  if (!evaluation) return evaluation.error();
  if (auto s = store::InsertAlerts(tx, keys_, inserted.id, patient_id, evaluation->alerts, now);
      !s) {
    return s;
  }
  const int severity = evaluation->triage.QueueSeverity();
  if (auto s = store::SetPriority(tx, inserted.id, severity, evaluation->triage.due_us); !s) {
    return s;
  }
  // Notifications commit with their cause, or not at all; a retried message enqueues nothing twice
  // (idempotency key). The text says where to look, never who the patient is.
  static constexpr std::string_view kSeverityNames[] = {"", "info", "yellow", "red"};
  for (const IngestOptions::AlertRecipient& r : options_.alert_recipients) {
    if (severity == 0 || severity < r.min_severity) continue;
    store::OutboxMessage m;
    m.kind = store::OutboxKind::kAlert;
    m.channel = r.channel;
    m.recipient = r.recipient;
    m.idempotency_key =
        fmt::format("alert:{}:{}:{}", inserted.id, store::ToString(r.channel), r.recipient);
    m.ticket = fmt::format("HB-{:06}", inserted.id);
    m.link = fmt::format("/#/interrogation/{}", inserted.id);
    const std::string_view level = kSeverityNames[std::clamp(severity, 1, 3)];
    m.subject = fmt::format("heartbase: {} alert, ticket {}", level, m.ticket);
    m.body = fmt::format(
        "A device transmission with a {} alert is waiting in the heartbase triage queue "
        "(ticket {}).\nSign in to review it: {}\n",
        level, m.ticket, m.link);
    if (auto e = store::EnqueueJob(tx, keys_, m, now); !e) return e.error();
  }
  return {};
}

base::Result<Outcome> Pipeline::Ingest(std::string_view bytes, std::string_view source,
                                       const store::ClinicScope& feed) {
  if (!options_.observe) return IngestMessage(bytes, source, feed, nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  auto out = IngestMessage(bytes, source, feed, nullptr);
  options_.observe(SenderOf(hl7::AckContextFromBytes(bytes)),
                   out ? std::optional(out->disposition) : std::nullopt,
                   std::chrono::steady_clock::now() - t0);
  return out;
}

base::Result<Outcome> Pipeline::Reprocess(
    std::int64_t quarantine_id, std::optional<std::int64_t> user_id,
    const std::function<store::ClinicScope(std::string_view bytes)>& scope_of) {
  store::QuarantineEntry entry;
  std::string bytes;
  auto read = store::RunUnitOfWork(db_, store::Access::kRead, [&](store::Transaction& tx) {
    auto e = store::GetQuarantine(tx, quarantine_id);
    if (!e) return base::Status(e.error());
    entry = std::move(*e);
    auto b = store::QuarantinedBytes(tx, keys_, entry);
    if (!b) return base::Status(b.error());
    bytes = std::move(*b);
    return base::Status();
  });
  if (!read) return read.error();
  if (entry.resolved_us) {
    return base::MakeError(
        base::ErrorCode::kAlreadyExists,
        fmt::format("quarantine entry {} was already {}", quarantine_id, entry.resolution));
  }
  if (entry.code == base::ErrorCodeName(base::ErrorCode::kPermissionDenied)) {
    return base::MakeError(base::ErrorCode::kInvalidArgument,
                           fmt::format("quarantine entry {} was refused by its channel's clinic "
                                       "scope; it is not re-processed (have the sender send it "
                                       "again by a channel that delivers for its clinic)",
                                       quarantine_id));
  }
  Reprocessing re{.quarantine_id = quarantine_id, .user_id = user_id};
  auto out = IngestMessage(bytes, fmt::format("reprocess of quarantine {}", quarantine_id),
                           scope_of(bytes), &re);
  if (!out && re.already_resolved) {
    return base::MakeError(base::ErrorCode::kAlreadyExists,
                           fmt::format("quarantine entry {} was re-processed at the same time by "
                                       "another request; it is stored once",
                                       quarantine_id));
  }
  return out;
}

base::Status Pipeline::Resolve(store::Transaction& tx, Reprocessing* re, const Outcome& out,
                               bool adt) const {
  if (re == nullptr) return {};
  store::QuarantineResolution r{.resolution = "reprocessed", .user_id = re->user_id};
  (adt ? r.adt_message_id : r.interrogation_id) = out.id;
  auto s = store::ResolveQuarantine(tx, re->quarantine_id, r, options_.now_us());
  if (!s && s.error().code == base::ErrorCode::kAlreadyExists) re->already_resolved = true;
  return s;
}

base::Result<Outcome> Pipeline::IngestMessage(std::string_view bytes, std::string_view source,
                                              const store::ClinicScope& feed, Reprocessing* re) {
  const std::int64_t now = options_.now_us();
  hl7::Message message;
  if (auto s = message.Reset(bytes, options_.parse); !s) {
    return Quarantine(bytes, source, hl7::AckContextFromBytes(bytes), s.error(), now, re);
  }
  const hl7::AckContext context = hl7::AckContextFrom(message);
  if (IsAdt(message)) return IngestAdt(message, bytes, source, feed, context, now, re);
  auto mapped = idco::Map(message, options_.map);
  if (!mapped) return Quarantine(bytes, source, context, mapped.error(), now, re);
  const domain::Interrogation& in = *mapped;

  // Hashing and sealing the message (with its documents) needs no database: done here, in
  // parallel with other messages, not under the write lock.
  const store::SealedBlob raw_blob = store::SealBlob(keys_, "hl7", bytes);
  if (auto damaged = Damaged(); !damaged) return damaged.error();
  Outcome out;
  auto s = commit_.Run([&](store::Transaction& tx) -> base::Status {
    out = Outcome{};
    auto seen = SeenBefore(tx, in, raw_blob, bytes, feed);
    if (!seen) return seen.error();
    if (seen->same_message) {
      out.disposition = Disposition::kDuplicate;
      out.id = *seen->same_message;
      return Resolve(tx, re, out, false);
    }
    out.control_id_reused = seen->reused;
    auto raw = store::PutSealedBlob(tx, raw_blob, now);
    if (!raw) return raw.error();
    auto match = store::MatchPatient(tx, keys_, in, feed, now);
    if (!match) return match.error();
    auto inserted = store::InsertInterrogation(tx, keys_, in, *match, *raw, now, seen->reused);
    if (!inserted) return inserted.error();
    out.id = inserted->id;
    out.new_patient = match->new_patient;
    out.supersedes = inserted->supersedes;
    // The alert rules, in the same transaction: an interrogation is never stored without its
    // alerts and queue position. A version outranked by a stored one is history, not work.
    if (options_.rules && !inserted->superseded_by) {
      if (auto e = Evaluate(tx, in, *inserted, match->patient_id, now); !e) return e;
    }
    return Resolve(tx, re, out, false);
  });
  if (!s) {
    // A database that cannot take the message is not the message's fault: nothing is stored and
    // the caller answers AE so the sender retries. Errors about the message itself quarantine it.
    if (IsStoreFailure(s.error().code) || (re != nullptr && re->already_resolved)) {
      return s.error();
    }
    return Quarantine(bytes, source, context, s.error(), now, re);
  }
  out.ack = Ack(context, hl7::AckOutcome::kAccept, std::nullopt);
  return out;
}

base::Result<Outcome> Pipeline::IngestAdt(const hl7::Message& message, std::string_view bytes,
                                          std::string_view source, const store::ClinicScope& feed,
                                          const hl7::AckContext& context, std::int64_t now,
                                          Reprocessing* re) {
  auto adt = ReadAdt(message);
  if (!adt) return Quarantine(bytes, source, context, adt.error(), now, re);
  const store::SealedBlob raw_blob = store::SealBlob(keys_, "hl7", bytes);
  if (auto damaged = Damaged(); !damaged) return damaged.error();
  Outcome out;
  auto s = commit_.Run([&](store::Transaction& tx) -> base::Status {
    out = Outcome{};
    // A retry (the same sender, MSH-10 and bytes, or the same segments with other line ends) is
    // answered again and applied once, as for interrogations. Other bytes under a known MSH-10
    // are a new message.
    auto stored = store::ListAdtByControlId(tx, adt->sender, adt->control_id);
    if (!stored) return stored.error();
    if (!stored->empty()) {
      auto blob = store::FindBlob(tx, raw_blob.lookup);
      if (!blob) return blob.error();
      for (const store::StoredAdtMessage& m : *stored) {
        bool same = *blob && m.raw_blob_id == **blob;
        if (!same) {
          auto earlier = store::GetBlob(tx, keys_, m.raw_blob_id);
          if (!earlier) return earlier.error();
          same = SameSegments(*earlier, bytes);
        }
        if (same) {
          out.disposition = Disposition::kDuplicate;
          out.id = m.id;
          out.adt_patient = m.patient_id;
          return Resolve(tx, re, out, true);
        }
      }
      out.control_id_reused = true;
    }
    auto raw = store::PutSealedBlob(tx, raw_blob, now);
    if (!raw) return raw.error();
    auto applied = ApplyAdt(tx, keys_, *adt, feed, source, now);
    if (!applied) return applied.error();
    auto id = store::RecordAdtMessage(tx, adt->sender, adt->control_id, adt->event, *raw,
                                      applied->patient_id, now);
    if (!id) return id.error();
    out.id = *id;
    out.new_patient = applied->created;
    out.adt_patient = applied->patient_id;
    return Resolve(tx, re, out, true);
  });
  if (!s) {
    if (IsStoreFailure(s.error().code) || (re != nullptr && re->already_resolved)) {
      return s.error();
    }
    return Quarantine(bytes, source, context, s.error(), now, re);
  }
  out.ack = Ack(context, hl7::AckOutcome::kAccept, std::nullopt);
  return out;
}

}  // namespace heartbase::ingest
