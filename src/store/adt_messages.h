// The ADT messages applied (ingest/adt.h): their identity, so that a sender's retry is
// acknowledged again without being applied twice.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/database.h"

namespace heartbase::store {

struct StoredAdtMessage {
  std::int64_t id = 0;
  std::int64_t raw_blob_id = 0;
  std::int64_t patient_id = 0;
};

// The applied ADT messages of a sender ("MSH-3|MSH-4") under a control id (MSH-10), oldest first.
base::Result<std::vector<StoredAdtMessage>> ListAdtByControlId(Transaction& tx,
                                                               std::string_view sender,
                                                               std::string_view control_id);

// Records an applied ADT message (its raw bytes are the blob `raw_blob_id`). Returns its id.
base::Result<std::int64_t> RecordAdtMessage(Transaction& tx, std::string_view sender,
                                            std::string_view control_id, std::string_view event,
                                            std::int64_t raw_blob_id, std::int64_t patient_id,
                                            std::int64_t now_us);

}  // namespace heartbase::store
