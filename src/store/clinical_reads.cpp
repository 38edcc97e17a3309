// Read-side queries. Filters are bound parameters only; the SQL text is fixed per shape.
#include "store/clinical_reads.h"

#include <fmt/format.h>

#include <algorithm>

namespace heartbase::store {
namespace {

using base::ErrorCode;

std::string OpenOr(const crypto::KeyRing& keys, const Row& r, std::size_t i, std::string_view table,
                   std::string_view column, std::int64_t row, base::Status* status) {
  if (r.IsNull(i) || r.Blob(i).empty()) return {};
  auto opened = keys.Open(r.Blob(i), {table, column, row});
  if (!opened) {
    *status = opened.error();
    return {};
  }
  return std::move(*opened);
}

InterrogationRow ReadInterrogation(const Row& r) {
  InterrogationRow out;
  out.id = r.Int(0);
  out.patient_id = r.Int(1);
  out.clinic_id = r.Int(2);
  out.device_id = r.Int(3);
  out.sender = std::string(r.Text(4));
  out.session_type = std::string(r.Text(5));
  if (!r.IsNull(6)) out.session_us = r.Int(6);
  out.result_status = std::string(r.Text(7));
  if (!r.IsNull(8)) out.superseded_by = r.Int(8);
  out.raw_blob_id = r.Int(9);
  out.received_us = r.Int(10);
  out.observation_count = r.Int(11);
  out.warning_count = r.Int(12);
  out.unmatched = r.Int(13) != 0;
  return out;
}

// Clinic filters bind one parameter per clinic (":c0, :c1 …"), so the statement text depends only
// on how many there are (a user belongs to a handful), never on input.
constexpr std::string_view kClinicNames[] = {"c0", "c1", "c2",  "c3",  "c4",  "c5",  "c6",  "c7",
                                             "c8", "c9", "c10", "c11", "c12", "c13", "c14", "c15"};

// "AND <column> IN (:c0, …)" for `clinics`, their parameters appended to `params`; "" for none.
base::Result<std::string> ClinicCondition(std::string_view column,
                                          const std::vector<std::int64_t>& clinics,
                                          std::vector<Param>* params) {
  if (clinics.size() > std::size(kClinicNames)) {
    return base::MakeError(ErrorCode::kLimitExceeded, "more than 16 clinics in one query");
  }
  if (clinics.empty()) return std::string();
  std::string names;
  for (std::size_t i = 0; i < clinics.size(); ++i) {
    names += fmt::format("{}:{}", i == 0 ? "" : ", ", kClinicNames[i]);
    params->push_back({kClinicNames[i], clinics[i]});
  }
  return fmt::format("AND {} IN ({})", column, names);
}

constexpr std::string_view kInterrogationColumns =
    "i.id, i.patient_id, p.clinic_id, i.device_id, i.sender, i.session_type, i.session_us, "
    "i.result_status, i.superseded_by, i.raw_blob_id, i.received_us, i.observation_count, "
    "i.warning_count, p.unmatched";

}  // namespace

base::Result<std::vector<IdentifierRecord>> ListIdentifiers(Transaction& tx,
                                                            const crypto::KeyRing& keys,
                                                            std::int64_t patient_id) {
  const Param p[] = {{"patient", patient_id}};
  auto rows = tx.Query(
      "SELECT kind, value FROM patient_identifier WHERE patient_id = :patient ORDER BY id", p);
  if (!rows) return rows.error();
  std::vector<IdentifierRecord> out;
  base::Status status;
  for (const Row& r : *rows) {
    const std::string value =
        OpenOr(keys, r, 1, "patient_identifier", "value", patient_id, &status);
    const std::size_t caret = value.find('^');
    out.push_back({std::string(r.Text(0)), value.substr(0, caret),
                   caret == std::string::npos ? "" : value.substr(caret + 1)});
  }
  if (!status) return status.error();
  return out;
}

base::Result<std::vector<DeviceRecord>> ListDevices(Transaction& tx, const crypto::KeyRing& keys,
                                                    std::int64_t patient_id) {
  const Param p[] = {{"patient", patient_id}};
  auto rows = tx.Query(
      "SELECT id, manufacturer, type, model, serial, implant_date, first_seen_us, last_seen_us "
      "FROM device WHERE patient_id = :patient ORDER BY first_seen_us, id",
      p);
  if (!rows) return rows.error();
  std::vector<DeviceRecord> out;
  base::Status status;
  for (const Row& r : *rows) {
    DeviceRecord d;
    d.id = r.Int(0);
    d.manufacturer = std::string(r.Text(1));
    d.type = std::string(r.Text(2));
    d.model = OpenOr(keys, r, 3, "device", "model", d.id, &status);
    d.serial = OpenOr(keys, r, 4, "device", "serial", d.id, &status);
    d.implant_date = std::string(r.Text(5));
    d.first_seen_us = r.Int(6);
    d.last_seen_us = r.Int(7);
    out.push_back(std::move(d));
  }
  if (!status) return status.error();
  return out;
}

base::Result<std::vector<LeadRecord>> ListLeads(Transaction& tx, const crypto::KeyRing& keys,
                                                std::int64_t patient_id) {
  const Param p[] = {{"patient", patient_id}};
  auto rows = tx.Query(
      "SELECT id, device_id, instance, manufacturer, location, model, serial, implant_date, "
      "first_seen_us, last_seen_us FROM lead WHERE patient_id = :patient "
      "ORDER BY first_seen_us, id",
      p);
  if (!rows) return rows.error();
  std::vector<LeadRecord> out;
  base::Status status;
  for (const Row& r : *rows) {
    LeadRecord l;
    l.id = r.Int(0);
    l.device_id = r.Int(1);
    l.instance = r.Int(2);
    l.manufacturer = std::string(r.Text(3));
    l.location = std::string(r.Text(4));
    l.model = OpenOr(keys, r, 5, "lead", "model", l.id, &status);
    l.serial = OpenOr(keys, r, 6, "lead", "serial", l.id, &status);
    l.implant_date = std::string(r.Text(7));
    l.first_seen_us = r.Int(8);
    l.last_seen_us = r.Int(9);
    out.push_back(std::move(l));
  }
  if (!status) return status.error();
  return out;
}

base::Result<std::vector<InterrogationRow>> ListInterrogations(Transaction& tx,
                                                               const InterrogationFilter& filter,
                                                               int limit, std::int64_t before_id) {
  limit = std::clamp(limit, 1, kMaxPage + 1);
  // Optional filters are written as "(col = :x OR :x IS NULL)", so the statement text is one
  // fixed string (cached, never built from input). Clinics are at most a handful per user.
  std::vector<Param> params = {
      {"before", before_id > 0 ? Value(before_id) : Value()},
      {"patient", filter.patient_id ? Value(*filter.patient_id) : Value()},
      {"status", filter.result_status ? Value(*filter.result_status) : Value()},
      {"unmatched",
       filter.unmatched ? Value(static_cast<std::int64_t>(*filter.unmatched)) : Value()},
      {"current", static_cast<std::int64_t>(filter.current_only)},
      {"limit", static_cast<std::int64_t>(limit)},
  };
  auto clinics = ClinicCondition("p.clinic_id", filter.clinics, &params);
  if (!clinics) return clinics.error();
  // One patient's interrogations come from the (patient_id, session_us) index; a catch-all
  // "(:patient IS NULL OR …)" would make SQLite scan the whole clinic instead.
  const std::string sql = fmt::format(
      "SELECT {} FROM interrogation i JOIN patient p ON p.id = i.patient_id "
      "WHERE {} (i.id < :before OR :before IS NULL) "
      "AND (i.result_status = :status OR :status IS NULL) "
      "AND (p.unmatched = :unmatched OR :unmatched IS NULL) "
      "AND (:current = 0 OR i.superseded_by IS NULL) {} "
      "ORDER BY i.id DESC LIMIT :limit",
      kInterrogationColumns, filter.patient_id ? "i.patient_id = :patient AND" : "", *clinics);
  if (!filter.patient_id) {
    params.erase(std::find_if(params.begin(), params.end(),
                              [](const Param& p) { return p.name == "patient"; }));
  }
  auto rows = tx.Query(sql, params);
  if (!rows) return rows.error();
  std::vector<InterrogationRow> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.push_back(ReadInterrogation(r));
  return out;
}

namespace {

base::Result<std::vector<std::int64_t>> PatientIds(Transaction& tx,
                                                   const std::vector<std::int64_t>& clinics,
                                                   int limit, std::int64_t before_id,
                                                   bool unconfirmed_only) {
  limit = std::clamp(limit, 1, kMaxPage + 1);
  std::vector<Param> params = {
      {"before", before_id > 0 ? Value(before_id) : Value()},
      {"limit", static_cast<std::int64_t>(limit)},
  };
  auto condition = ClinicCondition("clinic_id", clinics, &params);
  if (!condition) return condition.error();
  // The clinic is filtered here, before LIMIT: filtering the page afterwards had left pages short
  // and let other clinics' newest patients use up the caller's limit. patient_clinic is
  // (clinic_id, id), so each clinic is one range walked in id order.
  const std::string_view unconfirmed =
      unconfirmed_only ? " AND unmatched = 1 AND NOT EXISTS (SELECT 1 FROM interrogation i WHERE "
                         "i.patient_id = patient.id)"
                       : "";
  auto rows = tx.Query(fmt::format("SELECT id FROM patient WHERE (id < :before OR :before IS NULL) "
                                   "{}{} ORDER BY id DESC LIMIT :limit",
                                   *condition, unconfirmed),
                       params);
  if (!rows) return rows.error();
  std::vector<std::int64_t> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.push_back(r.Int(0));
  return out;
}

}  // namespace

base::Result<std::vector<std::int64_t>> ListPatientIds(Transaction& tx,
                                                       const std::vector<std::int64_t>& clinics,
                                                       int limit, std::int64_t before_id) {
  return PatientIds(tx, clinics, limit, before_id, false);
}

base::Result<std::vector<std::int64_t>> ListUnconfirmedPatientIds(
    Transaction& tx, const std::vector<std::int64_t>& clinics, int limit, std::int64_t before_id) {
  return PatientIds(tx, clinics, limit, before_id, true);
}

base::Result<InterrogationRow> GetInterrogation(Transaction& tx, std::int64_t id) {
  const Param p[] = {{"id", id}};
  auto rows = tx.Query(fmt::format("SELECT {} FROM interrogation i JOIN patient p ON p.id = "
                                   "i.patient_id WHERE i.id = :id",
                                   kInterrogationColumns),
                       p);
  if (!rows) return rows.error();
  if (rows->empty()) return base::MakeError(ErrorCode::kNotFound, "no such interrogation");
  return ReadInterrogation(rows->front());
}

}  // namespace heartbase::store
