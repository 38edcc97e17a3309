// The canonical, unambiguous byte encodings that the audit chain hashes and checkpoints sign.
// Changing anything here invalidates every stored trail: add a new version prefix instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/event.h"
#include "store/database.h"

namespace heartbase::audit::internal {

inline constexpr std::size_t kHashBytes = 32;

// The audit_event columns in hashing order (every column but `hash`), as SQL.
inline constexpr std::string_view kHashedColumns =
    "seq, time_us, user_name, user_id, role, clinic_id, address, action, object_type, "
    "object_id, patient_id, outcome, detail, note, prev_hash";
inline constexpr std::size_t kHashedColumnCount = 15;

// The values of a new row in kHashedColumns order.
std::vector<store::Value> EventValues(std::int64_t seq, const Event& event, store::Value note,
                                      std::string prev_hash);

// "hb-audit-event-1" NUL, u64 count, then per value a type tag and its bytes: 0 NULL;
// 1 INTEGER + 8 bytes; 2 REAL + 8 bytes (IEEE 754 bits); 3 TEXT and 4 BLOB + u64 length + bytes.
// Integers big-endian (two's complement). The value's stored type is part of the encoding, so a
// value rewritten as another type no longer matches.
std::string EncodeEvent(std::span<const store::Value> values);
// BLAKE2b-256 (unkeyed) of EncodeEvent(values): kHashBytes bytes.
std::string EventHash(std::span<const store::Value> values);
// The prev_hash of event 1: kHashBytes zero bytes.
std::string GenesisHash();

// What a checkpoint signs: "hb-audit-checkpoint-1" NUL, then seq, the hash's length and bytes,
// time_us and the previous checkpoint's seq, each as 8 bytes big-endian.
std::string CheckpointMessage(std::int64_t seq, std::string_view hash, std::int64_t time_us,
                              std::int64_t prev_seq);

}  // namespace heartbase::audit::internal
