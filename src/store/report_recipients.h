// The configured recipients of signed reports (migration 0013): referring physicians a clinic
// sends follow-up reports to, by email or fax. A report goes only to one of these, chosen by id;
// nobody types an address at the moment of sending. The address is sealed with the key ring
// (associated data: "report_recipient", "address", row id); the name is a display name, not
// patient data. Recipients are disabled, never deleted (audit records and outbox jobs name them).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "store/database.h"
#include "store/outbox.h"

namespace heartbase::store {

inline constexpr std::size_t kMaxRecipientNameBytes = 200;

struct ReportRecipient {
  std::int64_t id = 0;
  std::int64_t clinic_id = 0;
  std::string name;                               // "Dr. A. Referrer"
  OutboxChannel channel = OutboxChannel::kEmail;  // kEmail or kFax
  std::string address;                            // addr-spec or +digits, opened
  std::int64_t created_us = 0;
  bool disabled = false;
};

// Adds an enabled recipient of `clinic_id`; returns its id. kInvalidArgument for an empty name,
// one over kMaxRecipientNameBytes or holding control characters, a channel other than email/fax,
// or an address that is not a valid one for the channel (base/address.h: the rules notify
// applies); kNotFound when there is no such clinic. Error messages never repeat the address.
base::Result<std::int64_t> AddReportRecipient(Transaction& tx, const crypto::KeyRing& keys,
                                              std::int64_t clinic_id, std::string_view name,
                                              OutboxChannel channel, std::string_view address,
                                              std::int64_t now_us);

// The recipients of `clinics` (empty = every clinic), by clinic then name then id; disabled ones
// only with `include_disabled`. kLimitExceeded for more than 16 clinics; kDataLoss when an
// address does not open.
base::Result<std::vector<ReportRecipient>> ListReportRecipients(
    Transaction& tx, const crypto::KeyRing& keys, const std::vector<std::int64_t>& clinics,
    bool include_disabled);

// One recipient, enabled or not. kNotFound if absent; kDataLoss when its address does not open.
base::Result<ReportRecipient> GetReportRecipient(Transaction& tx, const crypto::KeyRing& keys,
                                                 std::int64_t id);

// Disables a recipient (no further sends; queued jobs keep their own copy of the address).
// Disabling a disabled recipient changes nothing. kNotFound if absent.
base::Status DisableReportRecipient(Transaction& tx, std::int64_t id);

}  // namespace heartbase::store
