// The result delivery queue. SQL text is fixed; values are bound parameters.
#include "store/results.h"

#include <fmt/format.h>

namespace heartbase::store {
namespace {

using base::ErrorCode;

constexpr std::string_view kTable = "result_delivery";
constexpr std::string_view kError = "last_error";
constexpr std::size_t kMaxErrorBytes = 1000;

constexpr std::string_view kColumns =
    "r.id, r.interrogation_id, r.patient_id, p.clinic_id, r.destination, r.control_id, r.state, "
    "r.attempts, r.next_attempt_us, r.last_error, r.ack_code, r.created_us, r.updated_us, "
    "r.sent_us, r.resent_as";

std::optional<ResultState> StateFrom(std::string_view s) {
  if (s == "pending") return ResultState::kPending;
  if (s == "sent") return ResultState::kSent;
  if (s == "dead") return ResultState::kDead;
  return std::nullopt;
}

base::Result<ResultDeliveryRow> Read(const Row& r, const crypto::KeyRing& keys) {
  ResultDeliveryRow out{.id = r.Int(0),
                        .interrogation_id = r.Int(1),
                        .patient_id = r.Int(2),
                        .clinic_id = r.Int(3),
                        .destination = std::string(r.Text(4)),
                        .control_id = std::string(r.Text(5))};
  const auto state = StateFrom(r.Text(6));
  if (!state) {
    return base::MakeError(ErrorCode::kDataLoss, fmt::format("result {}: bad state", out.id));
  }
  out.state = *state;
  out.attempts = static_cast<int>(r.Int(7));
  out.next_attempt_us = r.Int(8);
  if (!r.IsNull(9)) {
    auto opened = keys.Open(r.Blob(9), {kTable, kError, out.id});
    if (!opened) return opened.error();
    out.last_error = std::move(*opened);
  }
  out.ack_code = std::string(r.Text(10));
  out.created_us = r.Int(11);
  out.updated_us = r.Int(12);
  if (!r.IsNull(13)) out.sent_us = r.Int(13);
  if (!r.IsNull(14)) out.resent_as = r.Int(14);
  return out;
}

}  // namespace

std::string_view ToString(ResultState s) {
  switch (s) {
    case ResultState::kPending:
      return "pending";
    case ResultState::kSent:
      return "sent";
    case ResultState::kDead:
      return "dead";
  }
  return "pending";
}

base::Result<std::vector<std::int64_t>> EnqueueResults(Transaction& tx,
                                                       std::int64_t interrogation_id,
                                                       std::int64_t patient_id,
                                                       const std::vector<std::string>& destinations,
                                                       std::int64_t now_us) {
  std::vector<std::int64_t> ids;
  for (const std::string& d : destinations) {
    auto id = tx.NextId(kTable);
    if (!id) return id.error();
    const Param p[] = {
        {"id", *id},        {"interrogation", interrogation_id},   {"patient", patient_id},
        {"destination", d}, {"control", fmt::format("HB{}", *id)}, {"now", now_us}};
    auto r = tx.Execute(
        "INSERT INTO result_delivery (id, interrogation_id, patient_id, destination, control_id, "
        "state, next_attempt_us, created_us, updated_us) VALUES (:id, :interrogation, :patient, "
        ":destination, :control, 'pending', :now, :now, :now)",
        p);
    if (!r) return r.error();
    ids.push_back(*id);
  }
  return ids;
}

base::Result<std::optional<ResultDeliveryRow>> NextResult(Transaction& tx,
                                                          const crypto::KeyRing& keys,
                                                          std::string_view destination,
                                                          std::int64_t now_us) {
  const Param p[] = {{"destination", std::string(destination)}};
  auto rows =
      tx.Query(fmt::format("SELECT {} FROM result_delivery r JOIN patient p ON p.id = r.patient_id "
                           "WHERE r.destination = :destination AND r.state = 'pending' "
                           "ORDER BY r.id LIMIT 1",
                           kColumns),
               p);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<ResultDeliveryRow>();
  auto row = Read(rows->front(), keys);
  if (!row) return row.error();
  if (row->next_attempt_us > now_us) return std::optional<ResultDeliveryRow>();
  return std::optional<ResultDeliveryRow>(std::move(*row));
}

base::Status MarkResultSent(Transaction& tx, std::int64_t id, std::string_view ack_code,
                            std::int64_t now_us) {
  const Param p[] = {{"id", id}, {"ack", std::string(ack_code)}, {"now", now_us}};
  auto r = tx.Execute(
      "UPDATE result_delivery SET state = 'sent', attempts = attempts + 1, ack_code = :ack, "
      "last_error = NULL, sent_us = :now, updated_us = :now WHERE id = :id AND state = 'pending'",
      p);
  if (!r) return r.error();
  if (*r == 0)
    return base::MakeError(ErrorCode::kNotFound, fmt::format("no pending result {}", id));
  return {};
}

base::Status MarkResultFailed(Transaction& tx, const crypto::KeyRing& keys, std::int64_t id,
                              std::string_view ack_code, std::string_view error, bool dead,
                              std::int64_t retry_at_us, std::int64_t now_us) {
  const std::string sealed =
      keys.Seal(error.substr(0, std::min(error.size(), kMaxErrorBytes)), {kTable, kError, id});
  const Param p[] = {{"id", id},
                     {"ack", std::string(ack_code)},
                     {"error", BytesView{sealed}},
                     {"state", std::string(dead ? "dead" : "pending")},
                     {"retry", retry_at_us},
                     {"now", now_us}};
  auto r = tx.Execute(
      "UPDATE result_delivery SET state = :state, attempts = attempts + 1, ack_code = :ack, "
      "last_error = :error, next_attempt_us = :retry, updated_us = :now "
      "WHERE id = :id AND state = 'pending'",
      p);
  if (!r) return r.error();
  if (*r == 0)
    return base::MakeError(ErrorCode::kNotFound, fmt::format("no pending result {}", id));
  return {};
}

base::Result<std::vector<ResultDeliveryRow>> ListResults(Transaction& tx,
                                                         const crypto::KeyRing& keys,
                                                         ResultState state,
                                                         const std::vector<std::int64_t>& clinics,
                                                         int limit) {
  std::vector<Param> p = {{"state", std::string(ToString(state))},
                          {"limit", static_cast<std::int64_t>(std::clamp(limit, 1, 1000))}};
  std::string in;
  static constexpr std::string_view kNames[] = {"c0",  "c1",  "c2",  "c3", "c4",  "c5",
                                                "c6",  "c7",  "c8",  "c9", "c10", "c11",
                                                "c12", "c13", "c14", "c15"};
  if (clinics.size() > std::size(kNames)) {
    return base::MakeError(ErrorCode::kLimitExceeded, "more than 16 clinics");
  }
  for (std::size_t i = 0; i < clinics.size(); ++i) {
    in += fmt::format("{}:{}", i == 0 ? "" : ", ", kNames[i]);
    p.push_back({kNames[i], clinics[i]});
  }
  auto rows = tx.Query(
      fmt::format("SELECT {} FROM result_delivery r JOIN patient p ON p.id = r.patient_id "
                  "WHERE r.state = :state {} ORDER BY r.id DESC LIMIT :limit",
                  kColumns, clinics.empty() ? "" : fmt::format("AND p.clinic_id IN ({})", in)),
      p);
  if (!rows) return rows.error();
  std::vector<ResultDeliveryRow> out;
  for (const Row& r : *rows) {
    auto row = Read(r, keys);
    if (!row) return row.error();
    out.push_back(std::move(*row));
  }
  return out;
}

base::Result<ResultDeliveryRow> GetResult(Transaction& tx, const crypto::KeyRing& keys,
                                          std::int64_t id) {
  const Param p[] = {{"id", id}};
  auto rows = tx.Query(fmt::format("SELECT {} FROM result_delivery r JOIN patient p ON "
                                   "p.id = r.patient_id WHERE r.id = :id",
                                   kColumns),
                       p);
  if (!rows) return rows.error();
  if (rows->empty()) return base::MakeError(ErrorCode::kNotFound, fmt::format("no result {}", id));
  return Read(rows->front(), keys);
}

base::Result<std::int64_t> ResendResult(Transaction& tx, std::int64_t id, std::int64_t now_us) {
  const Param p[] = {{"id", id}};
  auto rows = tx.Query(
      "SELECT interrogation_id, patient_id, destination, state, resent_as FROM result_delivery "
      "WHERE id = :id",
      p);
  if (!rows) return rows.error();
  if (rows->empty()) return base::MakeError(ErrorCode::kNotFound, fmt::format("no result {}", id));
  const Row& r = rows->front();
  if (r.Text(3) == "pending") {
    return base::MakeError(ErrorCode::kInvalidArgument, "the result is still being delivered");
  }
  if (!r.IsNull(4)) {
    return base::MakeError(ErrorCode::kAlreadyExists,
                           fmt::format("result {} was already sent again as {}", id, r.Int(4)));
  }
  auto ids = EnqueueResults(tx, r.Int(0), r.Int(1), {std::string(r.Text(2))}, now_us);
  if (!ids) return ids.error();
  const Param link[] = {{"id", id}, {"new", ids->front()}, {"now", now_us}};
  auto updated = tx.Execute(
      "UPDATE result_delivery SET resent_as = :new, updated_us = :now WHERE id = :id", link);
  if (!updated) return updated.error();
  return ids->front();
}

}  // namespace heartbase::store
