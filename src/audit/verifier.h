// Verify: walks the whole audit trail offline, recomputing the hash chain and checking every
// signed checkpoint, and reports the first place where the stored trail was altered.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "base/result.h"
#include "crypto/signing_key.h"
#include "store/database.h"

namespace heartbase::audit {

struct VerifyReport {
  bool ok = true;
  std::int64_t events = 0;       // events whose hash was recomputed and found linked
  std::int64_t checkpoints = 0;  // checkpoints whose signature and hash were found good
  std::int64_t last_seq = 0;     // the last event's seq
  // The seq of the newest good checkpoint. Events after it are chained but not yet signed: their
  // truncation or wholesale replacement cannot be detected from the database alone.
  std::int64_t last_checkpoint_seq = 0;
  // When !ok: the first seq at which the trail is known to be inconsistent, and why. A record
  // rewritten together with every later hash is found only at the next checkpoint, so the
  // alteration lies after the previous good checkpoint and at or before first_bad_seq.
  std::int64_t first_bad_seq = 0;
  std::string reason;
};

// Rows read per query: the walk holds one page of events and one of checkpoints at a time.
inline constexpr std::int64_t kVerifyPageRows = 512;

// Checks, in seq order: seq runs 1, 2, 3, … without gaps; each event's prev_hash is the previous
// event's hash (zeros for the first) and its hash matches the canonical encoding of its columns;
// each checkpoint's seq exists, its hash equals that event's hash, its prev_seq names the
// previous checkpoint, its key_id is the fingerprint of one of `trusted` and its signature
// verifies; no checkpoint lies beyond the last event (truncation).
//
// Tampering yields a report with ok = false (not an error). Errors are the store's (kIo,
// kDataLoss, …). `trusted` lists every public key that ever signed (old keys after a rotation).
// Runs in one read transaction (a consistent snapshot); appends may continue meanwhile.
base::Result<VerifyReport> Verify(store::Database& db,
                                  std::span<const crypto::SigningPublicKey> trusted);
base::Result<VerifyReport> Verify(store::Database& db, const crypto::SigningPublicKey& trusted);
// The same inside a transaction the caller holds (and sees its uncommitted changes).
base::Result<VerifyReport> Verify(store::Transaction& tx,
                                  std::span<const crypto::SigningPublicKey> trusted);

}  // namespace heartbase::audit
