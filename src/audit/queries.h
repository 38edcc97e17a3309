// Reading the audit trail: who accessed a patient, and filtered listings for review, a bounded
// page at a time in seq order. Reading the trail is itself an action the caller must audit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/event.h"
#include "base/result.h"
#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::audit {

// The hard cap on records per page; larger limits are reduced to it.
inline constexpr std::size_t kMaxPageSize = 1000;

struct Page {
  std::vector<Record> records;  // ascending seq
  // Pass as `after_seq` to get the next page; 0 when there are no more records.
  std::int64_t next_after_seq = 0;
};

// Events that touched patient `patient_id` (reads, writes, exports, break-glass …) with seq >
// `after_seq`, at most `limit` (clamped to 1 … kMaxPageSize). Served by the (patient_id, seq)
// index. Errors: the store's.
base::Result<Page> WhoAccessedPatient(store::Transaction& tx, std::int64_t patient_id,
                                      std::size_t limit, std::int64_t after_seq = 0);

// Conditions that all must hold; an absent one matches everything.
struct Filter {
  std::optional<std::string> user_name;
  std::optional<std::int64_t> user_id;
  std::optional<std::string> action;
  std::optional<std::int64_t> from_us;  // time_us >= from_us
  std::optional<std::int64_t> to_us;    // time_us < to_us
  std::optional<std::int64_t> patient_id;
};

// Events matching `filter` with seq > `after_seq`, at most `limit` (clamped to 1 …
// kMaxPageSize). Indexed by patient_id and user_id; other conditions filter a scan in seq order
// (time ranges are not indexed: times are the clock's, seq is the order of record).
// Errors: the store's.
base::Result<Page> List(store::Transaction& tx, const Filter& filter, std::size_t limit,
                        std::int64_t after_seq = 0);

// Opens a record's sealed note. kNotFound if it has none; kDataLoss if it was altered or moved.
base::Result<std::string> OpenNote(const crypto::KeyRing& keys, const Record& record);

}  // namespace heartbase::audit
