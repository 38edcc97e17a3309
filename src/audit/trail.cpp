// Appending to the hash chain and signing checkpoints. Both run inside the caller's transaction:
// the chain's tail is read and extended under the same write lock as the audited change.
#include "audit/trail.h"

#include <fmt/format.h>

#include <array>
#include <utility>

#include "audit/internal/canonical.h"

namespace heartbase::audit {
namespace {

using base::ErrorCode;
using base::MakeError;

bool IsActionCode(std::string_view action) {
  if (action.empty() || action.size() > kMaxActionBytes) return false;
  for (char c : action) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Messages name the field, never its content (which reaches logs).
base::Status Validate(const Event& e, bool can_seal) {
  if (e.time_us == 0) return MakeError(ErrorCode::kInvalidArgument, "audit event without a time");
  if (!IsActionCode(e.action)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "audit action must be a lower-case code of [a-z0-9._-], at most 64 bytes");
  }
  if (e.outcome != kSuccess && e.outcome != kDenied && e.outcome != kFailed) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "audit outcome must be \"success\", \"denied\" or \"failed\"");
  }
  const std::pair<std::string_view, const std::string*> fields[] = {
      {"user_name", &e.user_name},     {"role", &e.role},           {"address", &e.address},
      {"object_type", &e.object_type}, {"object_id", &e.object_id}, {"detail", &e.detail},
  };
  for (const auto& [name, value] : fields) {
    if (value->size() > kMaxFieldBytes) {
      return MakeError(ErrorCode::kLimitExceeded,
                       fmt::format("audit field {} is longer than {} bytes", name, kMaxFieldBytes));
    }
  }
  if (e.note.size() > kMaxNoteBytes) {
    return MakeError(ErrorCode::kLimitExceeded,
                     fmt::format("audit note is longer than {} bytes", kMaxNoteBytes));
  }
  if (!e.note.empty() && !can_seal) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "an audit note may hold patient data and needs the key ring to be sealed");
  }
  return {};
}

struct Tail {
  std::int64_t seq = 0;
  std::string hash;
};

base::Result<Tail> ReadTail(store::Transaction& tx) {
  auto rows = tx.Query("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1");
  if (!rows) return rows.error();
  if (rows->empty()) return Tail{0, internal::GenesisHash()};
  // A damaged tail is linked to as it is: Verify reports it, and appends go on (refusing would
  // let one altered row stop every audited access of the clinic).
  return Tail{rows->front().Int(0), std::string(rows->front().Blob(1))};
}

struct LastCheckpoint {
  std::int64_t seq = 0;  // 0 = none
  std::int64_t time_us = 0;
};

base::Result<LastCheckpoint> ReadLastCheckpoint(store::Transaction& tx) {
  auto rows = tx.Query("SELECT seq, time_us FROM audit_checkpoint ORDER BY seq DESC LIMIT 1");
  if (!rows) return rows.error();
  if (rows->empty()) return LastCheckpoint{};
  return LastCheckpoint{rows->front().Int(0), rows->front().Int(1)};
}

base::Status AppendEvent(store::Transaction& tx, const Event& event, const crypto::KeyRing* keys) {
  if (auto s = Validate(event, keys != nullptr); !s) return s;
  auto tail = ReadTail(tx);
  if (!tail) return tail.error();
  const std::int64_t seq = tail->seq + 1;
  store::Value note = std::monostate{};
  if (!event.note.empty())
    note = store::Bytes{keys->Seal(event.note, {"audit_event", "note", seq})};
  std::vector<store::Value> values =
      internal::EventValues(seq, event, std::move(note), std::move(tail->hash));
  std::string hash = internal::EventHash(values);
  static constexpr std::array<std::string_view, internal::kHashedColumnCount> kNames = {
      "seq",        "time_us", "user_name", "user_id",     "role",
      "clinic_id",  "address", "action",    "object_type", "object_id",
      "patient_id", "outcome", "detail",    "note",        "prev_hash"};
  std::vector<store::Param> params;
  params.reserve(values.size() + 1);
  for (std::size_t i = 0; i < values.size(); ++i)
    params.push_back({kNames[i], std::move(values[i])});
  params.push_back({"hash", store::Bytes{std::move(hash)}});
  auto inserted = tx.Execute(
      "INSERT INTO audit_event (seq, time_us, user_name, user_id, role, clinic_id, address, "
      "action, object_type, object_id, patient_id, outcome, detail, note, prev_hash, hash) "
      "VALUES (:seq, :time_us, :user_name, :user_id, :role, :clinic_id, :address, :action, "
      ":object_type, :object_id, :patient_id, :outcome, :detail, :note, :prev_hash, :hash)",
      params);
  if (!inserted) {
    if (inserted.error().code == ErrorCode::kAlreadyExists) {
      // Another writer appended seq first (possible only where writers run concurrently).
      return MakeError(ErrorCode::kConflict, "the audit trail's tail moved; retry");
    }
    return inserted.error();
  }
  return {};
}

base::Status WriteCheckpoint(store::Transaction& tx, const crypto::SigningKey& key,
                             std::int64_t now_us, const Tail& tail, std::int64_t prev_seq) {
  const std::string message = internal::CheckpointMessage(tail.seq, tail.hash, now_us, prev_seq);
  const store::Param params[] = {
      {"seq", tail.seq},
      {"hash", store::Bytes{tail.hash}},
      {"time_us", now_us},
      {"prev_seq", prev_seq},
      {"key_id", key.public_key().Fingerprint()},
      {"signature", store::Bytes{key.Sign(message)}},
  };
  auto inserted = tx.Execute(
      "INSERT INTO audit_checkpoint (seq, hash, time_us, prev_seq, key_id, signature) "
      "VALUES (:seq, :hash, :time_us, :prev_seq, :key_id, :signature)",
      params);
  if (!inserted) return inserted.error();
  return {};
}

}  // namespace

base::Status Append(store::Transaction& tx, const Event& event) {
  return AppendEvent(tx, event, nullptr);
}

base::Status Append(store::Transaction& tx, const Event& event, const crypto::KeyRing& keys) {
  return AppendEvent(tx, event, &keys);
}

base::Status Checkpoint(store::Transaction& tx, const crypto::SigningKey& key,
                        std::int64_t now_us) {
  auto tail = ReadTail(tx);
  if (!tail) return tail.error();
  auto last = ReadLastCheckpoint(tx);
  if (!last) return last.error();
  if (tail->seq == 0 || last->seq >= tail->seq) return {};
  return WriteCheckpoint(tx, key, now_us, *tail, last->seq);
}

base::Result<bool> CheckpointIfDue(store::Transaction& tx, const crypto::SigningKey& key,
                                   std::int64_t now_us, const CheckpointPolicy& policy) {
  auto tail = ReadTail(tx);
  if (!tail) return tail.error();
  auto last = ReadLastCheckpoint(tx);
  if (!last) return last.error();
  if (tail->seq == 0 || last->seq >= tail->seq) return false;
  const bool due = last->seq == 0 || tail->seq - last->seq >= policy.every_events ||
                   now_us - last->time_us >= policy.every_us;
  if (!due) return false;
  if (auto s = WriteCheckpoint(tx, key, now_us, *tail, last->seq); !s) return s.error();
  return true;
}

}  // namespace heartbase::audit
