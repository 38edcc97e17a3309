// Quarantine: input that could not be parsed or mapped, kept sealed for an administrator, who can
// read it, re-process it after an upgrade of the mapping, or discard it with a reason
// (docs/quarantine.md).
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

struct QuarantineEntry {
  std::int64_t id = 0;
  std::int64_t received_us = 0;
  std::string source;   // "file", "mllp 127.0.0.1" … (no patient data)
  std::string sender;   // the MSH-3|MSH-4 it claims; empty when unreadable
  std::string code;     // error code name, e.g. "malformed"
  std::string reason;   // the parser's or mapper's message (no patient data by their contract)
  std::string segment;  // where it stopped: segment id ("OBX"), may be empty
  std::optional<std::int64_t> field;        // HL7 field number
  std::optional<std::int64_t> byte_offset;  // from the start of the input
  std::int64_t blob_id = 0;
  std::int64_t bytes = 0;  // size of the input
  std::optional<std::int64_t> resolved_us;
  std::string resolution;                        // "", "reprocessed" or "discarded"
  std::optional<std::int64_t> interrogation_id;  // re-processed into this interrogation
  std::optional<std::int64_t> adt_message_id;    // … or this applied ADT message
};

// Stores the raw bytes as a blob and records why they were refused. Returns the entry id.
base::Result<std::int64_t> Quarantine(Transaction& tx, const crypto::KeyRing& keys,
                                      std::string_view bytes, std::string_view source,
                                      std::string_view sender, const base::Error& why,
                                      std::int64_t now_us);

enum class QuarantineState : std::uint8_t { kOpen, kResolved, kAll };

// Entries newest first, at most `limit`, with ids below `before_id` (0 = from the newest).
base::Result<std::vector<QuarantineEntry>> ListQuarantine(Transaction& tx, QuarantineState state,
                                                          std::int64_t limit,
                                                          std::int64_t before_id = 0);
// Unresolved entries, newest first (the feeds panel).
inline base::Result<std::vector<QuarantineEntry>> ListQuarantine(Transaction& tx,
                                                                 std::int64_t limit) {
  return ListQuarantine(tx, QuarantineState::kOpen, limit);
}
base::Result<std::int64_t> CountQuarantine(Transaction& tx, QuarantineState state);

// kNotFound when there is no such entry.
base::Result<QuarantineEntry> GetQuarantine(Transaction& tx, std::int64_t id);
// The bytes as received (opened from their sealed blob).
base::Result<std::string> QuarantinedBytes(Transaction& tx, const crypto::KeyRing& keys,
                                           const QuarantineEntry& entry);

// Resolves an open entry: re-processed into an interrogation or an ADT message (one of the two
// ids), or discarded (neither). kAlreadyExists when it was already resolved, so that two
// administrators re-processing the same entry at once resolve it once.
struct QuarantineResolution {
  std::string_view resolution;  // "reprocessed" or "discarded"
  std::optional<std::int64_t> interrogation_id, adt_message_id, user_id;
};
base::Status ResolveQuarantine(Transaction& tx, std::int64_t id, const QuarantineResolution& r,
                               std::int64_t now_us);

}  // namespace heartbase::store
