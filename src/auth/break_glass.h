// Break-glass: a clinician reaches a patient outside their clinics in an emergency. It needs a
// written reason, lasts a limited time, and the API layer audits every grant and use loudly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::auth {

struct BreakGlassOptions {
  std::int64_t duration_s = 60 * 60;  // at most one hour (security.md Z2)
  std::size_t min_reason_chars = 10;  // a sentence, not "x"
  std::size_t max_reason_bytes = 2000;
};

// kInvalidArgument naming the key if a value is out of range.
base::Status Validate(const BreakGlassOptions& options);

struct BreakGlassGrant {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::int64_t started_us = 0;
  std::int64_t expires_us = 0;
};

// Opens a grant for `user_id` until now + duration. The reason may name a patient, so it is
// sealed. kInvalidArgument for a missing, too short or too long reason; kPermissionDenied if the
// user's role may not break the glass or the user is disabled; kNotFound if there is no such user.
base::Result<BreakGlassGrant> StartBreakGlass(store::Transaction& tx, const crypto::KeyRing& keys,
                                              std::int64_t user_id, std::string_view reason,
                                              const BreakGlassOptions& options,
                                              std::int64_t now_us);

// The end of the user's latest grant (in the past once it has expired), 0 if none ever.
base::Result<std::int64_t> BreakGlassUntil(store::Transaction& tx, std::int64_t user_id);

// Ends the user's active grants now (the clinician is done).
base::Status EndBreakGlass(store::Transaction& tx, std::int64_t user_id, std::int64_t now_us);

// The reason of a grant, for the review report. kNotFound if absent; kDataLoss if altered.
base::Result<std::string> BreakGlassReason(store::Transaction& tx, const crypto::KeyRing& keys,
                                           std::int64_t grant_id);

}  // namespace heartbase::auth
