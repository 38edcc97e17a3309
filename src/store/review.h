// The clinic's work on an interrogation: its place in the triage queue, assignment, review notes
// and the physician's sign-off, which locks it. Every stored interrogation gets a review row in the
// transaction that stores it (InsertInterrogation); the alert rules set its severity and due time.
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

enum class ReviewState : std::uint8_t { kNew, kReviewed, kSigned };
std::string_view ReviewStateName(ReviewState state);

// Severity as the queue orders it: 0 none, 1 info, 2 yellow, 3 red.
inline constexpr int kMaxSeverity = 3;

struct ReviewNote {
  std::string author;
  std::string kind;  // "note", "review", "signoff"
  std::int64_t time_us = 0;
  std::string text;
};

struct Review {
  std::int64_t interrogation_id = 0;
  ReviewState state = ReviewState::kNew;
  int severity = 0;
  std::optional<std::int64_t> due_us;
  std::int64_t received_us = 0;
  std::optional<std::string> assigned_to;  // user name
  std::optional<std::string> reviewed_by, signed_by;
  std::optional<std::int64_t> reviewed_us, signed_us;
  std::vector<ReviewNote> notes;  // oldest first
};

// Called by InsertInterrogation, in its transaction: one row per interrogation.
base::Status CreateReview(Transaction& tx, std::int64_t interrogation_id, std::int64_t received_us);

// The queue position from the alert rules. kNotFound if there is no review row.
base::Status SetPriority(Transaction& tx, std::int64_t interrogation_id, int severity,
                         std::optional<std::int64_t> due_us);

// With its notes, decrypted. kNotFound if absent; kDataLoss if a note was altered.
base::Result<Review> GetReview(Transaction& tx, const crypto::KeyRing& keys,
                               std::int64_t interrogation_id);

// Assignment (nullopt = unassigned). kAlreadyExists once signed (locked).
base::Status Assign(Transaction& tx, std::int64_t interrogation_id,
                    std::optional<std::int64_t> user_id);

// A clinician's review, with an optional note (sealed). Reviewing again adds a note.
// kAlreadyExists once signed (locked); kInvalidArgument for a note over kMaxNoteBytes.
inline constexpr std::size_t kMaxNoteBytes = 8000;
base::Status MarkReviewed(Transaction& tx, const crypto::KeyRing& keys,
                          std::int64_t interrogation_id, std::int64_t user_id,
                          std::string_view note, std::int64_t now_us);

// The physician's sign-off: the interrogation is locked (no more notes, assignment or review).
// kAlreadyExists if already signed.
base::Status SignOff(Transaction& tx, const crypto::KeyRing& keys, std::int64_t interrogation_id,
                     std::int64_t user_id, std::string_view note, std::int64_t now_us);

// Migration from a previous system: interrogations whose session is before `before_us` were
// reviewed and signed there. They leave the queue as signed, with no heartbase signer and a note
// saying so. Returns how many.
base::Result<std::int64_t> SignHistory(Transaction& tx, std::int64_t before_us,
                                       std::int64_t now_us);

// Each patient's latest transmission (its session time, else its arrival) and the device that
// sent it, for the missed-transmission check. Patients with a missed-transmission alert raised
// after that transmission are left out (already alerted). Ordered by patient id; at most `limit`
// after `after_patient`.
struct LastTransmission {
  std::int64_t patient_id = 0;
  std::int64_t clinic_id = 0;
  std::string device_type;  // domain::ToString(DeviceType) as stored
  std::int64_t last_us = 0;
};
base::Result<std::vector<LastTransmission>> ListLastTransmissions(Transaction& tx,
                                                                  std::int64_t after_patient,
                                                                  int limit);

struct ReviewQueueFilter {
  std::vector<std::int64_t> clinics;  // the caller's clinics; empty = every clinic (break-glass)
  std::optional<std::int64_t> clinic;
  std::optional<std::string> manufacturer;
  std::optional<std::string> device_type;
  std::optional<std::string> session_type;
  std::optional<std::int64_t> assigned_to;
};

struct ReviewQueueItem {
  std::int64_t interrogation_id = 0;
  std::int64_t patient_id = 0;
  std::int64_t clinic_id = 0;
  ReviewState state = ReviewState::kNew;
  int severity = 0;
  std::optional<std::int64_t> due_us;
  std::int64_t received_us = 0;
  std::optional<std::string> assigned_to;
  std::string manufacturer, device_type, session_type;
  std::int64_t device_id = 0;
};

// The position of the last item of a page; the next page starts after it.
struct QueueCursor {
  int severity = 0;
  std::int64_t received_us = 0;
  std::int64_t interrogation_id = 0;
};
std::string FormatQueueCursor(const QueueCursor& c);
std::optional<QueueCursor> ParseQueueCursor(std::string_view text);

// Open work (not signed, current versions only): most severe first, then oldest first. `limit` is
// clamped to 1..1001 (a page of at most 1,000 and the one row that says another page follows).
base::Result<std::vector<ReviewQueueItem>> ListQueue(Transaction& tx,
                                                     const ReviewQueueFilter& filter, int limit,
                                                     const std::optional<QueueCursor>& after);

// The patient's interrogation before this one (by session time, then arrival), current versions
// only; nullopt for the first.
base::Result<std::optional<std::int64_t>> PreviousInterrogation(Transaction& tx,
                                                                std::int64_t interrogation_id);

}  // namespace heartbase::store
