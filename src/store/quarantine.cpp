// Quarantine records point at a sealed blob of the bytes as received.
#include "store/quarantine.h"

#include <fmt/format.h>

#include "store/blobs.h"

namespace heartbase::store {
namespace {

constexpr std::string_view kColumns =
    "q.id, q.received_us, q.source, q.sender, q.code, q.reason, q.segment, q.field, "
    "q.byte_offset, q.blob_id, b.size, q.resolved_us, coalesce(q.resolution, ''), "
    "q.interrogation_id, q.adt_message_id";

std::optional<std::int64_t> OptionalInt(const Row& r, std::size_t i) {
  if (r.IsNull(i)) return std::nullopt;
  return r.Int(i);
}

QuarantineEntry EntryOf(const Row& r) {
  QuarantineEntry e;
  e.id = r.Int(0);
  e.received_us = r.Int(1);
  e.source = r.Text(2);
  e.sender = r.Text(3);
  e.code = r.Text(4);
  e.reason = r.Text(5);
  e.segment = r.Text(6);
  e.field = OptionalInt(r, 7);
  e.byte_offset = OptionalInt(r, 8);
  e.blob_id = r.Int(9);
  e.bytes = r.Int(10);
  e.resolved_us = OptionalInt(r, 11);
  e.resolution = r.Text(12);
  e.interrogation_id = OptionalInt(r, 13);
  e.adt_message_id = OptionalInt(r, 14);
  return e;
}

std::string_view StateWhere(QuarantineState state) {
  switch (state) {
    case QuarantineState::kOpen:
      return "q.resolved_us IS NULL";
    case QuarantineState::kResolved:
      return "q.resolved_us IS NOT NULL";
    case QuarantineState::kAll:
      break;
  }
  return "1";
}

}  // namespace

base::Result<std::int64_t> Quarantine(Transaction& tx, const crypto::KeyRing& keys,
                                      std::string_view bytes, std::string_view source,
                                      std::string_view sender, const base::Error& why,
                                      std::int64_t now_us) {
  auto blob = PutBlob(tx, keys, "quarantine", bytes, now_us);
  if (!blob) return blob.error();
  const base::Position& at = why.position;
  Value field, offset;
  if (at.field != 0) field = static_cast<std::int64_t>(at.field);
  if (at.offset != SIZE_MAX) offset = static_cast<std::int64_t>(at.offset);
  const Param p[] = {
      {"now", now_us},
      {"source", std::string(source)},
      {"sender", std::string(sender.substr(0, 200))},
      {"code", std::string(base::ErrorCodeName(why.code))},
      {"reason", why.Describe()},
      {"segment", std::string(at.segment, strnlen(at.segment, sizeof at.segment))},
      {"field", field},
      {"offset", offset},
      {"blob", *blob},
  };
  auto rows = tx.Query(
      "INSERT INTO quarantine (received_us, source, sender, code, reason, segment, field, "
      "byte_offset, blob_id) VALUES (:now, :source, :sender, :code, :reason, :segment, :field, "
      ":offset, :blob) RETURNING id",
      p);
  if (!rows) return rows.error();
  return rows->front().Int(0);
}

base::Result<std::vector<QuarantineEntry>> ListQuarantine(Transaction& tx, QuarantineState state,
                                                          std::int64_t limit,
                                                          std::int64_t before_id) {
  const Param p[] = {{"limit", limit}, {"before", before_id}};
  auto rows = tx.Query(fmt::format("SELECT {} FROM quarantine q JOIN blob b ON b.id = q.blob_id "
                                   "WHERE {} AND (:before = 0 OR q.id < :before) "
                                   "ORDER BY q.id DESC LIMIT :limit",
                                   kColumns, StateWhere(state)),
                       p);
  if (!rows) return rows.error();
  std::vector<QuarantineEntry> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.push_back(EntryOf(r));
  return out;
}

base::Result<std::int64_t> CountQuarantine(Transaction& tx, QuarantineState state) {
  auto rows =
      tx.Query(fmt::format("SELECT count(*) FROM quarantine q WHERE {}", StateWhere(state)), {});
  if (!rows) return rows.error();
  return rows->front().Int(0);
}

base::Result<QuarantineEntry> GetQuarantine(Transaction& tx, std::int64_t id) {
  const Param p[] = {{"id", id}};
  auto rows = tx.Query(fmt::format("SELECT {} FROM quarantine q JOIN blob b ON b.id = q.blob_id "
                                   "WHERE q.id = :id",
                                   kColumns),
                       p);
  if (!rows) return rows.error();
  if (rows->empty()) {
    return base::MakeError(base::ErrorCode::kNotFound,
                           fmt::format("there is no quarantine entry {}", id));
  }
  return EntryOf(rows->front());
}

base::Result<std::string> QuarantinedBytes(Transaction& tx, const crypto::KeyRing& keys,
                                           const QuarantineEntry& entry) {
  return GetBlob(tx, keys, entry.blob_id);
}

base::Status ResolveQuarantine(Transaction& tx, std::int64_t id, const QuarantineResolution& r,
                               std::int64_t now_us) {
  auto opt = [](const std::optional<std::int64_t>& v) { return v ? Value(*v) : Value(); };
  const Param p[] = {
      {"id", id},
      {"now", now_us},
      {"resolution", std::string(r.resolution)},
      {"interrogation", opt(r.interrogation_id)},
      {"adt", opt(r.adt_message_id)},
      {"user", opt(r.user_id)},
  };
  auto changed = tx.Execute(
      "UPDATE quarantine SET resolved_us = :now, resolution = :resolution, "
      "interrogation_id = :interrogation, adt_message_id = :adt, resolved_by = :user "
      "WHERE id = :id AND resolved_us IS NULL",
      p);
  if (!changed) return changed.error();
  if (*changed == 0) {
    auto entry = GetQuarantine(tx, id);
    if (!entry) return entry.error();
    return base::MakeError(base::ErrorCode::kAlreadyExists,
                           fmt::format("quarantine entry {} was already {}", id,
                                       entry->resolution.empty() ? "resolved" : entry->resolution));
  }
  return {};
}

}  // namespace heartbase::store
