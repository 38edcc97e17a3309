// The missed-transmission rule runs on a clock, not on a message: every patient whose latest
// transmission is older than their monitoring plan's remote interval plus grace (docs/rules.md)
// gets one patient-level alert, once per silence.
#pragma once

#include <cstdint>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "rules/rule_book.h"
#include "store/database.h"

namespace heartbase::ingest {

// One pass over every patient, in batches (a read, then one write per batch with alerts). Returns
// the number of alerts raised.
base::Result<std::int64_t> ScanMissedTransmissions(store::Database& db, const crypto::KeyRing& keys,
                                                   const rules::RuleBook& rules,
                                                   std::int64_t now_us);

}  // namespace heartbase::ingest
