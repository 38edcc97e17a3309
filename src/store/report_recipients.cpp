// Report recipients. The row is inserted with an empty address and sealed once its id is known,
// as the outbox does, so the associated data binds the address to its row.
#include "store/report_recipients.h"

#include <fmt/format.h>

#include "base/address.h"

namespace heartbase::store {
namespace {

using base::ErrorCode;

constexpr std::string_view kTable = "report_recipient";
constexpr std::string_view kColumns = "id, clinic_id, name, channel, address, created_us, disabled";

// As clinical_reads: one parameter per clinic, so the statement text depends only on the count.
constexpr std::string_view kClinicNames[] = {"c0", "c1", "c2",  "c3",  "c4",  "c5",  "c6",  "c7",
                                             "c8", "c9", "c10", "c11", "c12", "c13", "c14", "c15"};

base::Error Invalid(std::string message) {
  return base::MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

bool HasControlCharacter(std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

base::Result<ReportRecipient> Read(const crypto::KeyRing& keys, const Row& r) {
  ReportRecipient out;
  out.id = r.Int(0);
  out.clinic_id = r.Int(1);
  out.name = std::string(r.Text(2));
  if (r.Text(3) == "email") {
    out.channel = OutboxChannel::kEmail;
  } else if (r.Text(3) == "fax") {
    out.channel = OutboxChannel::kFax;
  } else {
    return base::MakeError(ErrorCode::kDataLoss,
                           fmt::format("report recipient {}: bad channel", out.id));
  }
  auto address = keys.Open(r.Blob(4), {kTable, "address", out.id});
  if (!address) return address.error();
  out.address = std::move(*address);
  out.created_us = r.Int(5);
  out.disabled = r.Int(6) != 0;
  return out;
}

}  // namespace

base::Result<std::int64_t> AddReportRecipient(Transaction& tx, const crypto::KeyRing& keys,
                                              std::int64_t clinic_id, std::string_view name,
                                              OutboxChannel channel, std::string_view address,
                                              std::int64_t now_us) {
  if (name.empty() || name.size() > kMaxRecipientNameBytes || HasControlCharacter(name)) {
    return Invalid(fmt::format("recipient name must be 1..{} bytes without control characters",
                               kMaxRecipientNameBytes));
  }
  switch (channel) {
    case OutboxChannel::kEmail:
      if (!base::IsEmailAddress(address)) return Invalid("not a valid email address");
      break;
    case OutboxChannel::kFax:
      if (!base::IsFaxNumber(address)) {
        return Invalid("not a valid fax number (+ and 3..20 digits, no spaces)");
      }
      break;
    case OutboxChannel::kPager:
      return Invalid("a report recipient is reached by email or fax");
  }
  {
    const Param p[] = {{"clinic", clinic_id}};
    auto rows = tx.Query("SELECT 1 FROM clinic WHERE id = :clinic", p);
    if (!rows) return rows.error();
    if (rows->empty()) {
      return base::MakeError(ErrorCode::kNotFound, fmt::format("no clinic {}", clinic_id));
    }
  }
  const Param p[] = {{"clinic", clinic_id},
                     {"name", std::string(name)},
                     {"channel", std::string(ToString(channel))},
                     {"now", now_us}};
  auto rows = tx.Query(
      "INSERT INTO report_recipient (clinic_id, name, channel, address, created_us) "
      "VALUES (:clinic, :name, :channel, x'', :now) RETURNING id",
      p);
  if (!rows) return rows.error();
  const std::int64_t id = rows->front().Int(0);
  const Param seal[] = {{"id", id},
                        {"address", Bytes{keys.Seal(address, {kTable, "address", id})}}};
  if (auto r = tx.Execute("UPDATE report_recipient SET address = :address WHERE id = :id", seal);
      !r) {
    return r.error();
  }
  return id;
}

base::Result<std::vector<ReportRecipient>> ListReportRecipients(
    Transaction& tx, const crypto::KeyRing& keys, const std::vector<std::int64_t>& clinics,
    bool include_disabled) {
  if (clinics.size() > std::size(kClinicNames)) {
    return base::MakeError(ErrorCode::kLimitExceeded, "more than 16 clinics in one query");
  }
  std::vector<Param> params;
  std::string names;
  for (std::size_t i = 0; i < clinics.size(); ++i) {
    names += fmt::format("{}:{}", i == 0 ? "" : ", ", kClinicNames[i]);
    params.push_back({kClinicNames[i], clinics[i]});
  }
  const std::string sql =
      fmt::format("SELECT {} FROM report_recipient WHERE 1 = 1{}{} ORDER BY clinic_id, name, id",
                  kColumns, clinics.empty() ? "" : fmt::format(" AND clinic_id IN ({})", names),
                  include_disabled ? "" : " AND disabled = 0");
  auto rows = tx.Query(sql, params);
  if (!rows) return rows.error();
  std::vector<ReportRecipient> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) {
    auto recipient = Read(keys, r);
    if (!recipient) return recipient.error();
    out.push_back(std::move(*recipient));
  }
  return out;
}

base::Result<ReportRecipient> GetReportRecipient(Transaction& tx, const crypto::KeyRing& keys,
                                                 std::int64_t id) {
  const Param p[] = {{"id", id}};
  auto rows = tx.Query(fmt::format("SELECT {} FROM report_recipient WHERE id = :id", kColumns), p);
  if (!rows) return rows.error();
  if (rows->empty()) {
    return base::MakeError(ErrorCode::kNotFound, fmt::format("no report recipient {}", id));
  }
  return Read(keys, rows->front());
}

base::Status DisableReportRecipient(Transaction& tx, std::int64_t id) {
  const Param p[] = {{"id", id}};
  auto rows = tx.Query("UPDATE report_recipient SET disabled = 1 WHERE id = :id RETURNING id", p);
  if (!rows) return rows.error();
  if (rows->empty()) {
    return base::MakeError(ErrorCode::kNotFound, fmt::format("no report recipient {}", id));
  }
  return {};
}

}  // namespace heartbase::store
