// Feeds: parsing the sender map, and the clinic scope of a message by its channel.
#include "app/feeds.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "hl7/ack.h"
#include "hl7/message.h"

namespace heartbase::app {
namespace {

base::Error BadEntry(std::string_view entry, std::string_view why) {
  return base::MakeError(base::ErrorCode::kInvalidArgument,
                         fmt::format("--feed '{}': {} (expected APP|FACILITY=CLINIC[,CLINIC…] "
                                     "or *=CLINIC)",
                                     entry, why));
}

}  // namespace

std::string ClaimedSender(std::string_view message) {
  const hl7::AckContext c = hl7::AckContextFromBytes(message);
  const char sep = c.delimiters.component;
  return std::string(hl7::NthPiece(c.sending_application, sep, 1)) + "|" +
         std::string(hl7::NthPiece(c.sending_facility, sep, 1));
}

base::Result<FeedMap> FeedMap::Parse(const std::vector<std::string>& entries) {
  FeedMap map;
  for (const std::string& entry : entries) {
    const std::size_t eq = entry.rfind('=');
    if (eq == std::string::npos || eq == 0) return BadEntry(entry, "no sender");
    const std::string sender = entry.substr(0, eq);
    if (sender != "*" && sender.find('|') == std::string::npos) {
      return BadEntry(entry, "the sender is MSH-3|MSH-4");
    }
    std::vector<std::int64_t> clinics;
    std::string_view rest = std::string_view(entry).substr(eq + 1);
    while (!rest.empty()) {
      const std::size_t comma = std::min(rest.find(','), rest.size());
      const std::string_view item = rest.substr(0, comma);
      std::int64_t clinic = 0;
      const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), clinic);
      if (ec != std::errc() || end != item.data() + item.size() || clinic <= 0) {
        return BadEntry(entry, "clinics are positive ids");
      }
      if (std::find(clinics.begin(), clinics.end(), clinic) == clinics.end()) {
        clinics.push_back(clinic);
      }
      rest.remove_prefix(std::min(comma + 1, rest.size()));
    }
    if (clinics.empty()) return BadEntry(entry, "no clinic");
    if (sender == "*") {
      if (!map.fallback_.empty()) return BadEntry(entry, "'*' is given twice");
      map.fallback_ = std::move(clinics);
    } else if (!map.senders_.emplace(sender, std::move(clinics)).second) {
      return BadEntry(entry, "the sender is given twice");
    }
  }
  return map;
}

base::Status FeedMap::Validate(store::Database& db) const {
  auto tx = db.Begin(store::Access::kRead);
  if (!tx) return tx.error();
  const auto check = [&](const std::string& sender,
                         const std::vector<std::int64_t>& clinics) -> base::Status {
    for (std::int64_t c : clinics) {
      const store::Param p[] = {{"id", c}};
      auto rows = (*tx)->Query("SELECT 1 FROM clinic WHERE id = :id", p);
      if (!rows) return rows.error();
      if (rows->empty()) {
        return base::MakeError(base::ErrorCode::kInvalidArgument,
                               fmt::format("--feed {}: there is no clinic {} (heartbase clinic "
                                           "add creates one)",
                                           sender, c));
      }
    }
    return {};
  };
  for (const auto& [sender, clinics] : senders_) {
    if (auto s = check(sender, clinics); !s) return s;
  }
  return check("*", fallback_);
}

store::ClinicScope FeedMap::ForMessage(std::string_view message) const {
  const std::string sender = ClaimedSender(message);
  if (auto it = senders_.find(sender); it != senders_.end()) return {.clinics = it->second};
  return {.clinics = fallback_};  // empty: the unassigned pool
}

base::Result<store::ClinicScope> FeedMap::ForUpload(
    std::string_view message, std::span<const std::int64_t> token_clinics) const {
  const auto it = senders_.find(ClaimedSender(message));
  if (it == senders_.end()) {
    return store::ClinicScope{.clinics = {token_clinics.begin(), token_clinics.end()}};
  }
  store::ClinicScope scope;
  for (std::int64_t c : it->second) {
    if (std::find(token_clinics.begin(), token_clinics.end(), c) != token_clinics.end()) {
      scope.clinics.push_back(c);
    }
  }
  if (scope.clinics.empty()) {
    return base::MakeError(base::ErrorCode::kPermissionDenied,
                           "the message's sender delivers for none of this token's clinics");
  }
  return scope;
}

}  // namespace heartbase::app
