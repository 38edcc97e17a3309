// Re-encryption of every sealed value under the key ring's active data key (key rotation).
#pragma once

#include <cstdint>
#include <functional>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::store {

struct RekeyProgress {
  std::int64_t examined = 0;
  std::int64_t resealed = 0;
};

// Re-seals, in transactions of at most `batch` rows, every sealed value that is not under the
// active data key. Each value records its key id, so an interrupted run is resumed by running
// again: values already re-sealed are skipped. Blind indexes are unaffected (separate key).
// `progress` (optional) is called after each batch.
base::Result<RekeyProgress> Rekey(Database& db, const crypto::KeyRing& keys, int batch = 500,
                                  const std::function<void(const RekeyProgress&)>& progress = {});

// Opens the first and the last value (by id) of every sealed column the schema has, to tell
// whether `keys` can read this database without walking it: a data directory made before key
// checks were recorded is tested this way once. Returns how many values were opened (0 for an
// empty database); kDataLoss naming the table and column when one does not open. Reads only.
base::Result<std::int64_t> OpenSample(Database& db, const crypto::KeyRing& keys);

// Sealed values not yet under the active key (0 when a rotation is complete).
base::Result<std::int64_t> CountStale(Database& db, const crypto::KeyRing& keys);

}  // namespace heartbase::store
