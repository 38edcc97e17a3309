// Feeds: which clinics each sender delivers for (`serve --feed APP|FACILITY=CLINIC[,CLINIC…]`),
// and the clinic scope (store::ClinicScope) of every message by the channel it came through.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/database.h"
#include "store/patients.h"

namespace heartbase::app {

// The sender a message claims: "MSH-3.1|MSH-4.1" (what --mllp-sender and --feed name).
std::string ClaimedSender(std::string_view message);

class FeedMap {
 public:
  // Entries "APP|FACILITY=1,2" (the first clinic receives new patients) and at most one "*=N"
  // for every sender not named. kInvalidArgument naming the entry for anything else.
  static base::Result<FeedMap> Parse(const std::vector<std::string>& entries);

  // Every clinic named must exist; kInvalidArgument naming the entry otherwise.
  base::Status Validate(store::Database& db) const;

  bool empty() const { return senders_.empty() && fallback_.empty(); }

  // MLLP and the drop folder: the sender's clinics; a sender not configured (and no "*") delivers
  // into the unassigned pool (store::kUnassignedClinic).
  store::ClinicScope ForMessage(std::string_view message) const;

  // An upload with an integration token: the token's clinics, narrowed to the sender's when the
  // sender is configured. kPermissionDenied when the sender delivers for none of the token's
  // clinics (the message is quarantined with that reason).
  base::Result<store::ClinicScope> ForUpload(std::string_view message,
                                             std::span<const std::int64_t> token_clinics) const;

 private:
  std::map<std::string, std::vector<std::int64_t>, std::less<>> senders_;
  std::vector<std::int64_t> fallback_;  // "*"
};

}  // namespace heartbase::app
