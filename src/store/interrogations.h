// Interrogations with their observations, episodes and attachments; de-duplication, versioning of
// corrected results, and trend reads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "domain/interrogation.h"
#include "store/database.h"
#include "store/patients.h"

namespace heartbase::store {

// The id of an interrogation stored for this sender (MSH-3|MSH-4) and MSH-10, if any (the first,
// when the sender reused the control id).
base::Result<std::optional<std::int64_t>> FindByControlId(Transaction& tx, std::string_view sender,
                                                          std::string_view control_id);

// The interrogations stored under a sender's control id, with their raw messages (blob ids):
// more than one when the sender reused the id for other messages. The caller decides what is a
// duplicate (the same message again) and what is a new message under a reused id.
struct StoredMessage {
  std::int64_t interrogation_id = 0;
  std::int64_t raw_blob_id = 0;
};
base::Result<std::vector<StoredMessage>> ListByControlId(Transaction& tx, std::string_view sender,
                                                         std::string_view control_id);

// The clinic of an interrogation's patient, without decrypting anything. kNotFound if absent.
base::Result<std::int64_t> GetInterrogationClinic(Transaction& tx, std::int64_t interrogation_id);

std::string SenderOf(const domain::Interrogation& interrogation);

struct InsertedInterrogation {
  std::int64_t id = 0;
  std::optional<std::int64_t> supersedes;     // the earlier version this one replaced
  std::optional<std::int64_t> superseded_by;  // set when a final result outranks this one
};

// Stores the interrogation, the trend points of its measurements and statistics (numeric and
// coded values; everything else is read back from the raw message), its episodes and its
// attachments (rows pointing at their OBX in the raw message, which holds their bytes). A message
// for the same session (device, OBR-3, session time) as a stored one becomes the current version
// when its status ranks at least as high (corrected > final > preliminary/stored); the other
// version is kept as history. Trend points of non-current versions leave the trend table.
// `control_id_reused` flags a message whose sender had used its MSH-10 for other bytes.
base::Result<InsertedInterrogation> InsertInterrogation(
    Transaction& tx, const crypto::KeyRing& keys, const domain::Interrogation& interrogation,
    const PatientMatch& match, std::int64_t raw_blob_id, std::int64_t now_us,
    bool control_id_reused = false);

// Messages stored although their sender had used the control id for other bytes, per sender.
struct ControlIdReuse {
  std::string sender;  // MSH-3.1|MSH-4.1 as sent: application names, not patient data
  std::int64_t count = 0;
  std::int64_t last_interrogation_id = 0;
  std::int64_t last_received_us = 0;
};
base::Result<std::vector<ControlIdReuse>> ListControlIdReuse(Transaction& tx);

struct TrendPoint {
  std::int64_t time_us;
  double value;
};

// Numeric values of one term for one patient in [from_us, to_us], oldest first, current versions
// only. One range scan of the trend table, which is clustered by (patient, term, time).
base::Result<std::vector<TrendPoint>> ReadTrend(Transaction& tx, std::int64_t patient_id,
                                                std::uint32_t code, std::int64_t from_us,
                                                std::int64_t to_us);

}  // namespace heartbase::store
