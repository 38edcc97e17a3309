// Verification of a stored database: its structure, every sealed value, every blob's content
// address and every reference. Reports damage by table, column and row id, never by content.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::store {

struct VerifyOptions {
  // The structural check: the thorough one (every index entry) or the quick one (pages and
  // records), as the driver's dialect names them.
  bool thorough = true;
  // Rows read per read transaction: bounds memory, and lets writers checkpoint in between.
  int batch = 200;
  // Called between batches; returning false stops the walk (the report says it is incomplete).
  std::function<bool()> keep_going;
};

struct Damage {
  std::string where;  // "patient.family_name id=12", "structure", "reference"
  std::string what;   // the check that failed, from SQLite or the key ring (no patient data)
};

struct VerifyReport {
  bool complete = true;  // false when keep_going stopped the walk
  std::int64_t structure_problems = 0;
  std::int64_t sealed_values = 0;  // examined
  std::int64_t blobs = 0;          // examined (decrypted, decoded and re-addressed)
  std::int64_t references = 0;     // dangling references found
  std::vector<Damage> damage;      // the first kMaxListed problems; counts above cover all
  bool ok() const { return damage.empty(); }
};

inline constexpr std::size_t kMaxListed = 1000;

// Runs every check on read transactions (a server may keep writing meanwhile). An error is
// returned only when the checks cannot run at all (the file cannot be opened or read); damage
// found is in the report. Structural damage also marks the database damaged
// (Database::MarkDamaged), which stops its writes.
base::Result<VerifyReport> Verify(Database& db, const crypto::KeyRing& keys,
                                  const VerifyOptions& options = {});

// The structural check alone (see VerifyOptions::thorough): the problems it names, none if ok.
base::Result<std::vector<std::string>> CheckStructure(Database& db, bool thorough);

}  // namespace heartbase::store
