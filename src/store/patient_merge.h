// Merging two patient records into one (the hospital's ADT A40/A39/A18, or a person linking an
// unmatched record), with the history of merges.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::store {

// Who asked for a merge: the ADT message's sender ("MSH-3|MSH-4") and MSH-10.
struct MergeSource {
  std::string sender;
  std::string control_id;
};

// Moves everything of patient `from` into `into`: devices, leads, interrogations, trend points,
// episodes, alerts, result deliveries, charges, booked visits, the monitoring plan (unless `into`
// has its own) and identifiers (opened and sealed again for `into`, so that they are found under
// it); `from` is then deleted, its name kept nowhere, and one patient_merge row records the merge.
// Future messages from `from`'s devices match `into`. The survivor keeps its own name, birth date,
// sex and work-list flag.
// Errors, before anything is written: kAlreadyExists if `from` is `into`; kNotFound if either is
// absent ("unknown prior patient" for `from`); kPermissionDenied if they belong to different
// clinics (a merge never moves data between clinics: MovePatient first).
base::Status MergePatients(Transaction& tx, const crypto::KeyRing& keys, std::int64_t from,
                           std::int64_t into, const MergeSource& source, std::int64_t now_us);

struct MergeRecord {
  std::int64_t merged_from = 0, merged_into = 0, clinic_id = 0, merged_us = 0;
  std::string sender, control_id;
};
// The merges into `patient`, oldest first.
base::Result<std::vector<MergeRecord>> ListMergesInto(Transaction& tx, std::int64_t patient);

}  // namespace heartbase::store
