// Pipeline: bytes → parse → map → match patient → one transaction → acknowledgment.
// Nothing is acknowledged that is not durably stored, and nothing received is dropped.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "hl7/ack.h"
#include "hl7/message.h"
#include "idco/mapper.h"
#include "rules/rule_book.h"
#include "store/blobs.h"
#include "store/database.h"
#include "store/group_commit.h"
#include "store/interrogations.h"
#include "store/outbox.h"
#include "store/patients.h"

namespace heartbase::ingest {

enum class Disposition : std::uint8_t { kStored, kDuplicate, kQuarantined };
std::string_view ToString(Disposition d);

struct IngestOptions {
  hl7::ParseOptions parse;
  idco::MapOptions map;
  // Messages arriving together share one durable commit (see store::GroupCommit).
  store::GroupCommitOptions commit;
  std::string receiving_application = "heartbase";  // MSH-3 of our ACKs
  std::string receiving_facility;                   // MSH-4 of our ACKs
  // Acknowledgment mode per sender ("MSH-3|MSH-4"), overriding what MSH-15/16 ask for: many
  // gateways expect AA whatever they send. Senders not listed get the mode MSH-15/16 select.
  std::map<std::string, hl7::AckMode> ack_modes;
  // The alert rules in force: every stored interrogation is evaluated in its own transaction and
  // gets its alerts and triage queue position. nullptr = no evaluation (tools, tests).
  std::shared_ptr<const rules::RuleBook> rules;
  // Who is told when an interrogation arrives with alerts of at least `min_severity` (1 info,
  // 2 yellow, 3 red): an outbox job in the storing transaction, delivered by `heartbase notify`.
  // The text names a ticket and a link, never the patient.
  struct AlertRecipient {
    store::OutboxChannel channel = store::OutboxChannel::kEmail;
    std::string recipient;
    int min_severity = 3;
  };
  std::vector<AlertRecipient> alert_recipients;
  // Microseconds since the epoch; injectable for tests.
  std::function<std::int64_t()> now_us;
  // Called once for each message Ingest handled (metrics, app/metrics.h): the sender it claims
  // ("MSH-3|MSH-4", first components; empty when unreadable), its disposition, or nullopt when
  // it could not be stored (the caller answers AE), and the time from its bytes to its
  // acknowledgment. Must be quick and thread-safe.
  std::function<void(std::string_view sender, std::optional<Disposition> disposition,
                     std::chrono::nanoseconds elapsed)>
      observe;
};

struct Outcome {
  Disposition disposition = Disposition::kStored;
  // The interrogation (stored, duplicate), the applied ADT message (ADT in: store/adt_messages.h)
  // or the quarantine entry.
  std::int64_t id = 0;
  bool new_patient = false;
  // ADT in: the patient the message created, updated or merged into.
  std::optional<std::int64_t> adt_patient;
  std::optional<std::int64_t> supersedes;
  // Stored although the sender had sent other bytes under the same MSH-10: a reused control id
  // (the ACK is still AA/CA, since the message is stored; the flag is kept on the row).
  bool control_id_reused = false;
  std::optional<base::Error> reason;  // why it was quarantined
  std::string ack;                    // the acknowledgment, empty if the sender asked for none
};

// Thread-safe: Ingest may be called from many connections at once; parsing and mapping run in
// parallel, and the writes of messages that arrive together share one commit. The key ring and
// database must outlive the pipeline.
class Pipeline {
 public:
  Pipeline(store::Database& db, const crypto::KeyRing& keys, IngestOptions options = {});

  // Ingests one message (the bytes of one frame or file entry): an IDCO observation (ORU) or an
  // ADT message from the hospital (ingest/adt.h: register, update, merge patients). When it returns
  // an Outcome the message, or its quarantine record, is committed durably; the ACK says AA/CA
  // (stored or already stored) or AE/AR with an ERR segment (quarantined). When it returns an error
  // nothing was stored (database unavailable, disk full, damaged): answer with NegativeAck so that
  // the sender retries. `source` names the channel for the quarantine list ("file",
  // "mllp 10.1.2.3"), no patient data. `feed` is the clinic scope of the channel the message came
  // by (store::ClinicScope): matches outside it, including a copy of a message stored for another
  // clinic, are not applied but quarantined (AR), with one reason whatever the other clinic holds.
  base::Result<Outcome> Ingest(std::string_view bytes, std::string_view source,
                               const store::ClinicScope& feed);
  // As the system (trusted, new patients in clinic 1): tools and tests.
  base::Result<Outcome> Ingest(std::string_view bytes, std::string_view source) {
    return Ingest(bytes, source, store::ClinicScope{.clinics = {1}, .any = true});
  }

  // Re-processes a quarantined input (after an upgrade of the mapping, or once its sender is
  // routed): its bytes are ingested as if they arrived again from `scope_of(bytes)`. Stored, or
  // already stored: the entry is resolved in the same transaction, linked to the interrogation or
  // ADT message (Outcome::id). Still refused: nothing is written, and the Outcome
  // (kQuarantined, id = the entry) carries today's reason. kAlreadyExists when the entry was
  // resolved already (also when another re-processing of it won the race: it is stored once);
  // kNotFound for no such entry; kInvalidArgument for an entry a feed's clinic scope refused,
  // which re-processing must not turn into a stored message.
  base::Result<Outcome> Reprocess(
      std::int64_t quarantine_id, std::optional<std::int64_t> user_id,
      const std::function<store::ClinicScope(std::string_view bytes)>& scope_of);
  // Quarantines bytes that are not a message at all (e.g. lines outside any message in a batch
  // file), with the reason given. Same durability as Ingest.
  base::Result<Outcome> QuarantineBytes(std::string_view bytes, std::string_view source,
                                        base::Error reason);

  // AE with ERR 207 for bytes that could not be stored at all.
  std::string NegativeAck(std::string_view bytes, const base::Error& error);

 private:
  // The quarantine entry being re-processed, if any: failures write nothing, success resolves it.
  struct Reprocessing {
    std::int64_t quarantine_id = 0;
    std::optional<std::int64_t> user_id;
    bool already_resolved = false;  // set when another re-processing resolved it first
  };
  base::Result<Outcome> IngestMessage(std::string_view bytes, std::string_view source,
                                      const store::ClinicScope& feed, Reprocessing* re);
  // Marks the entry re-processed into `out` (in the storing transaction).
  base::Status Resolve(store::Transaction& tx, Reprocessing* re, const Outcome& out,
                       bool adt) const;
  std::string Ack(const hl7::AckContext& context, hl7::AckOutcome outcome,
                  const std::optional<base::Error>& error);
  base::Status Evaluate(store::Transaction& tx, const domain::Interrogation& in,
                        const store::InsertedInterrogation& inserted, std::int64_t patient_id,
                        std::int64_t now);
  // ADT in (ingest/adt.h): the same steps as an interrogation, applied in one transaction.
  base::Result<Outcome> IngestAdt(const hl7::Message& message, std::string_view bytes,
                                  std::string_view source, const store::ClinicScope& feed,
                                  const hl7::AckContext& context, std::int64_t now,
                                  Reprocessing* re);
  base::Result<Outcome> Quarantine(std::string_view bytes, std::string_view source,
                                   const hl7::AckContext& context, base::Error reason,
                                   std::int64_t now, Reprocessing* re = nullptr);

  // kDataLoss while the database is damaged (store::Database::damage).
  base::Status Damaged() const;
  // What the store holds under the message's sender and control id (MSH-10): the same message
  // (the same bytes, or the same segments with other line ends: a duplicate), or only other
  // messages (a reused control id). SeenBefore refuses (kPermissionDenied) a copy of a message
  // stored for a clinic outside the feed.
  struct Seen {
    std::optional<std::int64_t> same_message;
    bool reused = false;
  };
  base::Result<Seen> FindSame(store::Transaction& tx, const domain::Interrogation& in,
                              const store::SealedBlob& raw, std::string_view bytes) const;
  base::Result<Seen> SeenBefore(store::Transaction& tx, const domain::Interrogation& in,
                                const store::SealedBlob& raw, std::string_view bytes,
                                const store::ClinicScope& feed) const;

  store::Database& db_;
  const crypto::KeyRing& keys_;
  IngestOptions options_;
  store::GroupCommit commit_;
  std::atomic<std::uint64_t> ack_counter_{0};
};

}  // namespace heartbase::ingest
