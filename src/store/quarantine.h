// Quarantine: input that could not be parsed or mapped, kept sealed for an administrator.
#pragma once

#include <cstdint>
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
  std::string source;  // "file", "mllp 127.0.0.1" … (no patient data)
  std::string code;    // error code name, e.g. "malformed"
  std::string reason;  // the parser's or mapper's message (no patient data by their contract)
  std::int64_t blob_id = 0;
};

// Stores the raw bytes as a blob and records why they were refused. Returns the entry id.
base::Result<std::int64_t> Quarantine(Transaction& tx, const crypto::KeyRing& keys,
                                      std::string_view bytes, std::string_view source,
                                      const base::Error& why, std::int64_t now_us);

// Unresolved entries, newest first, at most `limit`.
base::Result<std::vector<QuarantineEntry>> ListQuarantine(Transaction& tx, std::int64_t limit);

}  // namespace heartbase::store
