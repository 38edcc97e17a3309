// Alerts from rule evaluation, versioned rule sets, and the reads that rule evaluation and shadow
// mode need (earlier trend values, a replay of stored interrogations). The rules themselves live
// in src/rules; the queue position they give is review.h's SetPriority. An alert's reason may
// carry clinical values (never identity) and is sealed with the key ring (associated data: table
// "alert", column "reason", the alert's id).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::store {

// Ordered: a higher value is more urgent.
enum class Severity : std::uint8_t { kInfo = 1, kYellow = 2, kRed = 3 };
std::string_view ToString(Severity s);  // "info", "yellow", "red"
std::optional<Severity> SeverityFromString(std::string_view s);

struct Alert {
  std::string rule;  // rule id, e.g. "lead_impedance_range"
  Severity severity = Severity::kInfo;
  std::string reason;       // human-readable, with values and units; no patient identity
  std::int64_t due_us = 0;  // when a clinician should have looked at it (triage target)
  friend bool operator==(const Alert&, const Alert&) = default;
};

struct AlertRecord {
  std::int64_t id = 0;
  std::optional<std::int64_t> interrogation_id;  // absent for patient-level alerts (missed
                                                 // transmission)
  std::int64_t patient_id = 0;
  Alert alert;
  std::int64_t created_us = 0;
};

// Inserts `alerts` in the caller's transaction (the one that stores the interrogation). Errors:
// those of Transaction::Execute (kAlreadyExists when the interrogation or patient does not exist:
// foreign keys).
base::Status InsertAlerts(Transaction& tx, const crypto::KeyRing& keys,
                          std::optional<std::int64_t> interrogation_id, std::int64_t patient_id,
                          std::span<const Alert> alerts, std::int64_t now_us);

// The alerts of one interrogation, most urgent first, then in insertion order. kDataLoss when a
// sealed reason fails to open.
base::Result<std::vector<AlertRecord>> ListAlerts(Transaction& tx, const crypto::KeyRing& keys,
                                                  std::int64_t interrogation_id);
// A patient's alerts created at or after `since_us` (all kinds, including patient-level ones),
// oldest first, at most `limit` (clamped to 1..1000).
base::Result<std::vector<AlertRecord>> ListPatientAlerts(Transaction& tx,
                                                         const crypto::KeyRing& keys,
                                                         std::int64_t patient_id,
                                                         std::int64_t since_us, int limit);

// --- Rule sets: versioned TOML text (docs/rules.md); at most one is active. ---

struct RuleSetRecord {
  std::int64_t id = 0;
  std::int64_t version = 0;                // 1, 2, 3 … in order of storing
  std::string source;                      // the TOML text as written by the administrator
  std::optional<std::int64_t> created_by;  // app_user id; absent for a system-made set
  std::int64_t created_us = 0;
  bool active = false;
};

// Stores a new version, inactive. The caller validates the text first (rules::ParseRuleSet) and
// audits the change.
base::Result<RuleSetRecord> StoreRuleSet(Transaction& tx, std::string_view source,
                                         std::optional<std::int64_t> created_by,
                                         std::int64_t now_us);
// Makes `id` the only active set. kNotFound if there is no such set.
base::Status ActivateRuleSet(Transaction& tx, std::int64_t id, std::int64_t now_us);
// The active set, if any.
base::Result<std::optional<RuleSetRecord>> GetActiveRuleSet(Transaction& tx);
// kNotFound if absent.
base::Result<RuleSetRecord> GetRuleSet(Transaction& tx, std::int64_t id);
// Newest first, without their source text.
base::Result<std::vector<RuleSetRecord>> ListRuleSets(Transaction& tx);

// --- Inputs of rule evaluation. ---

// Numeric values of one term for one patient observed strictly before `before_us`, leaving out
// interrogation `exclude_interrogation_id` (the one being evaluated), newest first, at most
// `limit` (clamped to 0..1000). One backward range scan of the trend table.
base::Result<std::vector<double>> ReadEarlierValues(Transaction& tx, std::int64_t patient_id,
                                                    std::uint32_t code, std::int64_t before_us,
                                                    std::int64_t exclude_interrogation_id,
                                                    int limit);

// A stored interrogation as shadow mode replays it.
struct ReplayInterrogation {
  std::int64_t id = 0;
  std::int64_t patient_id = 0;
  std::int64_t clinic_id = 0;
  std::string device_type;      // domain::ToString(DeviceType) as stored
  std::string session_type;     // domain::ToString(SessionType) as stored
  std::int64_t session_us = 0;  // the session time, else the time it was received
  std::int64_t received_us = 0;
};

struct ReplayFilter {
  std::int64_t from_us = 0;  // session time range, inclusive
  std::int64_t to_us = 0;
  std::vector<std::int64_t> clinics;  // empty = every clinic; at most 16
};

// Position after the last row of a page; default = from the start.
struct ReplayCursor {
  std::int64_t patient_id = 0;
  std::int64_t id = 0;
};

// Current (not superseded) interrogations in the range, ordered by (patient, id), at most
// `limit` (clamped to 1..10000) after `after`.
base::Result<std::vector<ReplayInterrogation>> ListReplayInterrogations(Transaction& tx,
                                                                        const ReplayFilter& filter,
                                                                        const ReplayCursor& after,
                                                                        int limit);

struct TrendRow {
  std::uint32_t code = 0;
  std::uint32_t instance = 0;
  std::int64_t observed_us = 0;
  std::int64_t interrogation_id = 0;
  std::optional<double> number;
  std::string coded;  // value_code (a mnemonic or code), empty if none
};

// A patient's trend rows of `codes` observed at or before `to_us`, ordered by (code, time).
// At most 64 codes (kInvalidArgument otherwise).
base::Result<std::vector<TrendRow>> ReadPatientTrend(Transaction& tx, std::int64_t patient_id,
                                                     std::span<const std::uint32_t> codes,
                                                     std::int64_t to_us);

// The episode types (mnemonics as stored) of one interrogation.
base::Result<std::vector<std::string>> ReadEpisodeTypes(Transaction& tx,
                                                        std::int64_t interrogation_id);

}  // namespace heartbase::store
