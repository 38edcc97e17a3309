// Results out (migration 14): the queue of signed results for the hospital's EHR destinations.
// State machine: pending --sent (AA/CA)--> sent
//                pending --retry (timeout, AE/CE, no connection)--> pending (after backoff)
//                pending --dead (AR/CR, no identifier for the destination, attempts used up)-->
//                dead dead/sent --Resend--> pending (a new control id: it is a new message)
// One destination's queue is worked in id order, one message at a time: a result waiting for a
// retry holds the ones behind it, so a patient's results arrive in the order they were signed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::store {

enum class ResultState : std::uint8_t { kPending, kSent, kDead };
std::string_view ToString(ResultState s);  // "pending", "sent", "dead"

struct ResultDeliveryRow {
  std::int64_t id = 0;
  std::int64_t interrogation_id = 0;
  std::int64_t patient_id = 0;
  std::int64_t clinic_id = 0;  // the patient's, for the work list's clinic scope
  std::string destination;
  std::string control_id;
  ResultState state = ResultState::kPending;
  int attempts = 0;
  std::int64_t next_attempt_us = 0;
  std::string last_error;  // opened; may hold the receiver's text
  std::string ack_code;    // AA, AE, AR, CA, CE, CR, or ""
  std::int64_t created_us = 0, updated_us = 0;
  std::optional<std::int64_t> sent_us;
  std::optional<std::int64_t> resent_as;  // the newer row that sent it again
};

// One pending row per destination for the interrogation, in the caller's transaction. The
// control id is "HB<row id>": unique, stable across attempts. Returns the row ids.
base::Result<std::vector<std::int64_t>> EnqueueResults(Transaction& tx,
                                                       std::int64_t interrogation_id,
                                                       std::int64_t patient_id,
                                                       const std::vector<std::string>& destinations,
                                                       std::int64_t now_us);

// The destination's first pending row (by id), if it is due at `now_us`; nullopt when the queue
// is empty or its head waits for a retry.
base::Result<std::optional<ResultDeliveryRow>> NextResult(Transaction& tx,
                                                          const crypto::KeyRing& keys,
                                                          std::string_view destination,
                                                          std::int64_t now_us);

base::Status MarkResultSent(Transaction& tx, std::int64_t id, std::string_view ack_code,
                            std::int64_t now_us);
// Another attempt after `retry_at_us`, or dead when `dead` (error sealed; at most 1,000 bytes).
base::Status MarkResultFailed(Transaction& tx, const crypto::KeyRing& keys, std::int64_t id,
                              std::string_view ack_code, std::string_view error, bool dead,
                              std::int64_t retry_at_us, std::int64_t now_us);

// The work list: rows in `state` of `clinics` (empty = all), newest first, at most `limit`.
base::Result<std::vector<ResultDeliveryRow>> ListResults(Transaction& tx,
                                                         const crypto::KeyRing& keys,
                                                         ResultState state,
                                                         const std::vector<std::int64_t>& clinics,
                                                         int limit);
base::Result<ResultDeliveryRow> GetResult(Transaction& tx, const crypto::KeyRing& keys,
                                          std::int64_t id);
// Sends a dead (or sent) result again: a new pending row with a new control id, queued behind
// the destination's others, and the old row names it (resent_as). Returns its id.
// kInvalidArgument for a pending one; kAlreadyExists for one already sent again.
base::Result<std::int64_t> ResendResult(Transaction& tx, std::int64_t id, std::int64_t now_us);

}  // namespace heartbase::store
