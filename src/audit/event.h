// Event: one audited action (who did what to which object of which patient, when, from where,
// with what outcome), and Record: an event as stored in the trail.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace heartbase::audit {

// Outcome values (Event::outcome).
inline constexpr std::string_view kSuccess = "success";
inline constexpr std::string_view kDenied = "denied";  // refused by policy or authentication
inline constexpr std::string_view kFailed = "failed";  // attempted, failed for another reason

// Limits checked by Append (kLimitExceeded): the trail records facts, not documents.
inline constexpr std::size_t kMaxFieldBytes = 1024;  // each text field
inline constexpr std::size_t kMaxNoteBytes = 4096;   // the sealed free-text note
inline constexpr std::size_t kMaxActionBytes = 64;

// What to record. Text fields are stored as given (no escaping: readers encode for their output)
// and must never carry patient data, with the single exception of `note`, which is sealed.
// Patients are referred to by their internal id only, never by name or MRN.
struct Event {
  std::int64_t time_us = 0;  // UTC microseconds since the epoch; required (non-zero)
  std::string user_name;     // login name, or "system:<component>" for the server itself
  std::optional<std::int64_t> user_id;
  std::string role;  // the role the user acted in ("clinician", "admin", …)
  std::optional<std::int64_t> clinic_id;
  std::string address;  // the client's network address (node), e.g. "10.1.2.3" or "mllp:4.5.6.7"
  // A lower-case code of [a-z0-9._-], e.g. "patient.read", "interrogation.read", "login",
  // "login.failed", "logout", "user.create", "export", "breakglass", "ingest"; required.
  std::string action;
  std::string object_type;                 // "patient", "interrogation", "blob", "user", …
  std::string object_id;                   // the object's internal id or address
  std::optional<std::int64_t> patient_id;  // internal patient id the action touched
  std::string outcome{kSuccess};           // kSuccess, kDenied or kFailed
  // Fixed codes and counts only ("reason=bad-password", "rows=12"); never patient data.
  std::string detail;
  // Free text that may contain patient data (a break-glass justification). Stored sealed with
  // the key ring (associated data "audit_event", "note", seq); the chain covers the sealed bytes,
  // so the trail verifies without the data key. Needs the Append overload that takes a KeyRing.
  std::string note;
};

// An event read back from the trail. `event.note` is empty; the note stays sealed in
// `sealed_note` (open it with OpenNote in queries.h, which a caller must audit in turn).
struct Record {
  std::int64_t seq = 0;  // position in the trail: 1, 2, 3, … without gaps
  Event event;
  std::string sealed_note;  // empty when the event has no note
};

}  // namespace heartbase::audit
