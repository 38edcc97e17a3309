// The audit trail: appending hash-chained events inside the caller's transaction, and signing
// checkpoints of the chain. See src/audit/README.md for the canonical encoding and docs/audit.md.
#pragma once

#include <cstdint>

#include "audit/event.h"
#include "base/result.h"
#include "crypto/key_ring.h"
#include "crypto/signing_key.h"
#include "store/database.h"

namespace heartbase::audit {

// Appends `event` to the trail inside `tx`, so that the audited access and its record commit
// together or not at all. Reads the tail (last seq and hash), assigns seq = last + 1 and
// hash = BLAKE2b-256 of the canonical encoding of every column including seq and prev_hash.
//
// Fail closed: every failure is returned, and the caller must then fail its unit of work (never
// commit the access without its record). Errors: kInvalidArgument (time_us is 0; action is not a
// lower-case code; outcome is not kSuccess/kDenied/kFailed; a note without a key ring),
// kLimitExceeded (a field above kMaxFieldBytes / kMaxNoteBytes), kConflict (a concurrent
// appender took the same seq: the unit of work retries), and the store's errors (kIo,
// kUnavailable, kDataLoss, …).
//
// Thread-safety: as `tx`. Appends are serialised by the write transaction (SQLite); on a backend
// with concurrent writers the losing transaction gets kConflict and RunUnitOfWork retries it.
base::Status Append(store::Transaction& tx, const Event& event);
// The same, sealing `event.note` (if any) with `keys`.
base::Status Append(store::Transaction& tx, const Event& event, const crypto::KeyRing& keys);

// Signs the tail of the chain: inserts a checkpoint (seq and hash of the last event, `now_us`, the
// previous checkpoint's seq) with an Ed25519 signature by `key`. Does nothing when the trail is
// empty or the tail is already covered by a checkpoint. Errors: the store's.
base::Status Checkpoint(store::Transaction& tx, const crypto::SigningKey& key, std::int64_t now_us);

// When the server should sign: after `every_events` events or `every_us` microseconds since the
// last checkpoint, whichever comes first (and as soon as there is an event but no checkpoint).
struct CheckpointPolicy {
  std::int64_t every_events = 1000;
  std::int64_t every_us = 60'000'000;
};

// Writes a checkpoint if `policy` says one is due. Returns whether it wrote one. The server calls
// it in its own short write unit of work, after appends and on a timer.
base::Result<bool> CheckpointIfDue(store::Transaction& tx, const crypto::SigningKey& key,
                                   std::int64_t now_us, const CheckpointPolicy& policy = {});

}  // namespace heartbase::audit
