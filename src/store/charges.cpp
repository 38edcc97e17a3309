// Billing sessions, charges and charge exports. SQL text is fixed; values are bound parameters
// (id lists are formatted integers, never input text).
#include "store/charges.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "store/blobs.h"
#include "store/followup.h"
#include "store/internal/sql.h"

namespace heartbase::store {
namespace {

using base::ErrorCode;
using internal::InList;

std::optional<ChargeComponent> ComponentFrom(std::string_view s) {
  if (s == "professional") return ChargeComponent::kProfessional;
  if (s == "technical") return ChargeComponent::kTechnical;
  if (s == "global") return ChargeComponent::kGlobal;
  return std::nullopt;
}

std::vector<std::int64_t> SplitIds(std::string_view text) {
  std::vector<std::int64_t> out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view part = text.substr(0, comma);
    std::int64_t v = 0;
    std::from_chars(part.data(), part.data() + part.size(), v);
    out.push_back(v);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

constexpr std::string_view kChargeColumns =
    "id, patient_id, clinic_id, device_id, period_key, code, modifier, component, period_start, "
    "period_end, service_date, payer, ordering_physician, reading_physician, interrogations, "
    "table_version, created_us, export_id";

base::Result<std::vector<ChargeRow>> QueryCharges(Transaction& tx, const std::string& sql,
                                                  std::span<const Param> params) {
  auto rows = tx.Query(sql, params);
  if (!rows) return rows.error();
  std::vector<ChargeRow> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) {
    const auto component = ComponentFrom(r.Text(7));
    if (!component) return base::MakeError(ErrorCode::kDataLoss, "charge: bad component");
    ChargeRow c{.id = r.Int(0),
                .patient_id = r.Int(1),
                .clinic_id = r.Int(2),
                .device_id = r.Int(3),
                .period_key = std::string(r.Text(4)),
                .code = std::string(r.Text(5)),
                .modifier = std::string(r.Text(6)),
                .component = *component,
                .period_start = std::string(r.Text(8)),
                .period_end = std::string(r.Text(9)),
                .service_date = std::string(r.Text(10)),
                .payer = std::string(r.Text(11)),
                .ordering_physician = std::string(r.Text(12)),
                .reading_physician = std::string(r.Text(13)),
                .interrogations = SplitIds(r.Text(14)),
                .table_version = std::string(r.Text(15)),
                .created_us = r.Int(16)};
    if (!r.IsNull(17)) c.export_id = r.Int(17);
    out.push_back(std::move(c));
  }
  return out;
}

base::Result<std::vector<ChargeExportRow>> QueryExports(Transaction& tx, const std::string& sql,
                                                        std::span<const Param> params) {
  auto rows = tx.Query(sql, params);
  if (!rows) return rows.error();
  std::vector<ChargeExportRow> out;
  for (const Row& r : *rows) {
    ChargeExportRow e{.id = r.Int(0),
                      .format = std::string(r.Text(1)),
                      .charges = r.Int(2),
                      .blob_id = r.Int(3),
                      .sha256 = std::string(r.Text(4))};
    if (!r.IsNull(5)) e.created_by = r.Int(5);
    e.created_us = r.Int(6);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::string_view ToString(ChargeComponent component) {
  switch (component) {
    case ChargeComponent::kProfessional:
      return "professional";
    case ChargeComponent::kTechnical:
      return "technical";
    case ChargeComponent::kGlobal:
      break;
  }
  return "global";
}

base::Result<std::vector<BillingSession>> ListBillingSessions(
    Transaction& tx, const std::vector<std::int64_t>& clinics, std::int64_t after_patient,
    std::int64_t last_patient) {
  const std::string sql = fmt::format(
      "SELECT i.id, i.patient_id, p.clinic_id, i.device_id, d.type, i.session_type, "
      " CASE WHEN i.session_us IS NOT NULL AND i.session_us <= i.received_us + {} "
      "  THEN i.session_us ELSE i.received_us END AS t, "
      " r.state, r.signed_by, r.signed_us, u.display_name, p.unmatched "
      "FROM interrogation i JOIN patient p ON p.id = i.patient_id "
      "JOIN device d ON d.id = i.device_id "
      "LEFT JOIN interrogation_review r ON r.interrogation_id = i.id "
      "LEFT JOIN app_user u ON u.id = r.signed_by "
      "WHERE i.superseded_by IS NULL AND {} {} "
      "ORDER BY i.patient_id, t, i.id",
      kMaxSessionSkewUs, InList("p.clinic_id", clinics),
      last_patient > 0 ? "AND i.patient_id > :after AND i.patient_id <= :last" : "");
  const Param params[] = {{"after", after_patient}, {"last", last_patient}};
  auto rows =
      tx.Query(sql, last_patient > 0 ? std::span<const Param>(params) : std::span<const Param>());
  if (!rows) return rows.error();
  std::vector<BillingSession> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) {
    BillingSession s{.interrogation_id = r.Int(0),
                     .patient_id = r.Int(1),
                     .clinic_id = r.Int(2),
                     .device_id = r.Int(3),
                     .device_type = std::string(r.Text(4)),
                     .session_type = std::string(r.Text(5)),
                     .effective_us = r.Int(6)};
    s.signed_off = r.Text(7) == "signed";
    s.unmatched = r.Int(11) != 0;
    s.history = s.signed_off && r.IsNull(8);
    if (s.signed_off && !s.history) {
      s.signer = std::string(r.Text(10));
      s.signed_us = r.Int(9);
    }
    out.push_back(std::move(s));
  }
  return out;
}

base::Result<std::int64_t> LastPatientId(Transaction& tx) {
  auto rows = tx.Query("SELECT COALESCE(MAX(id), 0) FROM patient");
  if (!rows) return rows.error();
  return rows->front().Int(0);
}

base::Result<std::optional<std::int64_t>> InsertCharge(Transaction& tx, const ChargeRow& c,
                                                       std::int64_t now_us) {
  auto id = tx.NextId("charge");
  if (!id) return id.error();
  const Param params[] = {{"id", *id},
                          {"patient", c.patient_id},
                          {"clinic", c.clinic_id},
                          {"device", c.device_id},
                          {"key", c.period_key},
                          {"code", c.code},
                          {"modifier", c.modifier},
                          {"component", std::string(ToString(c.component))},
                          {"start", c.period_start},
                          {"end", c.period_end},
                          {"service", c.service_date},
                          {"payer", c.payer},
                          {"ordering", c.ordering_physician},
                          {"reading", c.reading_physician},
                          {"interrogations", fmt::format("{}", fmt::join(c.interrogations, ","))},
                          {"version", c.table_version},
                          {"now", now_us}};
  auto n = tx.Execute(
      "INSERT INTO charge (id, patient_id, clinic_id, device_id, period_key, code, modifier, "
      "component, period_start, period_end, service_date, payer, ordering_physician, "
      "reading_physician, interrogations, table_version, created_us) VALUES (:id, :patient, "
      ":clinic, :device, :key, :code, :modifier, :component, :start, :end, :service, :payer, "
      ":ordering, :reading, :interrogations, :version, :now) "
      "ON CONFLICT (period_key, code, modifier) DO NOTHING",
      params);
  if (!n) return n.error();
  if (*n == 0) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(*id);
}

base::Result<std::vector<ChargeRow>> ListCharges(Transaction& tx, const ChargeFilter& f,
                                                 int limit) {
  std::string where = InList("clinic_id", f.clinics);
  std::vector<Param> params;
  if (f.clinic) {
    where += " AND clinic_id = :clinic";
    params.push_back({"clinic", *f.clinic});
  }
  if (f.patient) {
    where += " AND patient_id = :patient";
    params.push_back({"patient", *f.patient});
  }
  if (f.export_id) {
    where += " AND export_id = :export";
    params.push_back({"export", *f.export_id});
  }
  if (f.exported) where += *f.exported ? " AND export_id IS NOT NULL" : " AND export_id IS NULL";
  if (f.from) {
    where += " AND service_date >= :from";
    params.push_back({"from", *f.from});
  }
  if (f.to) {
    where += " AND service_date <= :to";
    params.push_back({"to", *f.to});
  }
  return QueryCharges(tx,
                      fmt::format("SELECT {} FROM charge WHERE {} ORDER BY service_date DESC, id "
                                  "DESC LIMIT {}",
                                  kChargeColumns, where, std::max(1, limit)),
                      params);
}

base::Result<std::vector<ChargeKey>> ListChargeKeys(Transaction& tx, std::int64_t after_id,
                                                    int limit) {
  const Param params[] = {{"after", after_id}, {"limit", std::int64_t{std::max(1, limit)}}};
  auto rows = tx.Query(
      "SELECT id, patient_id, period_key, code, modifier, period_start, period_end FROM charge "
      "WHERE id > :after ORDER BY id LIMIT :limit",
      params);
  if (!rows) return rows.error();
  std::vector<ChargeKey> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) {
    out.push_back({.id = r.Int(0),
                   .patient_id = r.Int(1),
                   .period_key = std::string(r.Text(2)),
                   .code = std::string(r.Text(3)),
                   .modifier = std::string(r.Text(4)),
                   .period_start = std::string(r.Text(5)),
                   .period_end = std::string(r.Text(6))});
  }
  return out;
}

base::Status RecordChargeExport(Transaction& tx, const crypto::KeyRing& keys,
                                std::int64_t export_id, std::string_view format,
                                const std::vector<std::int64_t>& charge_ids, std::string_view file,
                                std::string_view sha256, std::int64_t user_id,
                                std::int64_t now_us) {
  auto blob = PutBlob(tx, keys, "charge_export", file, now_us);
  if (!blob) return blob.error();
  const Param params[] = {{"id", export_id},
                          {"format", std::string(format)},
                          {"charges", static_cast<std::int64_t>(charge_ids.size())},
                          {"blob", *blob},
                          {"sha", std::string(sha256)},
                          {"by", user_id > 0 ? Value(user_id) : Value()},
                          {"now", now_us}};
  auto n = tx.Execute(
      "INSERT INTO charge_export (id, format, charges, blob_id, sha256, created_by, created_us) "
      "VALUES (:id, :format, :charges, :blob, :sha, :by, :now)",
      params);
  if (!n) return n.error();
  for (std::int64_t charge : charge_ids) {
    const Param update[] = {{"export", export_id}, {"charge", charge}};
    auto changed = tx.Execute(
        "UPDATE charge SET export_id = :export WHERE id = :charge AND export_id IS NULL", update);
    if (!changed) return changed.error();
    if (*changed != 1) {
      return base::MakeError(ErrorCode::kAlreadyExists,
                             fmt::format("charge {} is exported already or absent", charge));
    }
  }
  return {};
}

base::Result<ChargeExportRow> GetChargeExport(Transaction& tx, std::int64_t export_id) {
  const Param params[] = {{"id", export_id}};
  auto rows = QueryExports(tx,
                           "SELECT id, format, charges, blob_id, sha256, created_by, created_us "
                           "FROM charge_export WHERE id = :id",
                           params);
  if (!rows) return rows.error();
  if (rows->empty()) return base::MakeError(ErrorCode::kNotFound, "no such export");
  return std::move(rows->front());
}

base::Result<std::vector<ChargeExportRow>> ListChargeExports(
    Transaction& tx, const std::vector<std::int64_t>& clinics, int limit) {
  const std::string others =
      clinics.empty() ? std::string()
                      : fmt::format(
                            "WHERE NOT EXISTS (SELECT 1 FROM charge c WHERE c.export_id = "
                            "e.id AND NOT ({}))",
                            InList("c.clinic_id", clinics));
  return QueryExports(tx,
                      fmt::format("SELECT id, format, charges, blob_id, sha256, created_by, "
                                  "created_us FROM charge_export e {} ORDER BY id DESC LIMIT {}",
                                  others, std::max(1, limit)),
                      {});
}

}  // namespace heartbase::store
