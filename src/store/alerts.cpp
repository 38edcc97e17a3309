// Alerts, rule sets and the trend reads of rule evaluation. SQL text is fixed per
// shape; every filter value is a bound parameter.
#include "store/alerts.h"

#include <fmt/format.h>

#include <algorithm>

namespace heartbase::store {
namespace {

using base::ErrorCode;

constexpr std::string_view kTable = "alert";
constexpr std::string_view kReason = "reason";

// Parameter names for IN lists (the statement text stays one of a few fixed shapes).
constexpr std::string_view kNames[] = {
    "p00", "p01", "p02", "p03", "p04", "p05", "p06", "p07", "p08", "p09", "p10", "p11", "p12",
    "p13", "p14", "p15", "p16", "p17", "p18", "p19", "p20", "p21", "p22", "p23", "p24", "p25",
    "p26", "p27", "p28", "p29", "p30", "p31", "p32", "p33", "p34", "p35", "p36", "p37", "p38",
    "p39", "p40", "p41", "p42", "p43", "p44", "p45", "p46", "p47", "p48", "p49", "p50", "p51",
    "p52", "p53", "p54", "p55", "p56", "p57", "p58", "p59", "p60", "p61", "p62", "p63"};
constexpr std::size_t kMaxClinics = 16;

// ", :p00, :p01 …" for `values`, appending their parameters.
std::string InList(std::span<const std::int64_t> values, std::vector<Param>* params) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    out += fmt::format("{}:{}", i == 0 ? "" : ", ", kNames[i]);
    params->push_back({kNames[i], values[i]});
  }
  return out;
}

base::Result<std::vector<AlertRecord>> ReadAlerts(Transaction& tx, const crypto::KeyRing& keys,
                                                  std::string_view where,
                                                  std::span<const Param> params,
                                                  std::string_view order) {
  const std::string sql = fmt::format(
      "SELECT id, interrogation_id, patient_id, rule, severity, reason, created_us, due_us "
      "FROM alert WHERE {} ORDER BY {}",
      where, order);
  auto rows = tx.Query(sql, params);
  if (!rows) return rows.error();
  std::vector<AlertRecord> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) {
    AlertRecord rec;
    rec.id = r.Int(0);
    if (!r.IsNull(1)) rec.interrogation_id = r.Int(1);
    rec.patient_id = r.Int(2);
    rec.alert.rule = std::string(r.Text(3));
    const auto severity = SeverityFromString(r.Text(4));
    if (!severity) {
      return base::MakeError(ErrorCode::kDataLoss, fmt::format("alert {}: bad severity", rec.id));
    }
    rec.alert.severity = *severity;
    auto reason = keys.Open(r.Blob(5), {kTable, kReason, rec.id});
    if (!reason) return reason.error();
    rec.alert.reason = std::move(*reason);
    rec.created_us = r.Int(6);
    rec.alert.due_us = r.Int(7);
    out.push_back(std::move(rec));
  }
  return out;
}

RuleSetRecord ReadRuleSet(const Row& r, bool with_source) {
  RuleSetRecord rec;
  rec.id = r.Int(0);
  rec.version = r.Int(1);
  if (with_source) rec.source = std::string(r.Text(2));
  if (!r.IsNull(3)) rec.created_by = r.Int(3);
  rec.created_us = r.Int(4);
  rec.active = r.Int(5) != 0;
  return rec;
}

}  // namespace

std::string_view ToString(Severity s) {
  switch (s) {
    case Severity::kRed:
      return "red";
    case Severity::kYellow:
      return "yellow";
    case Severity::kInfo:
      break;
  }
  return "info";
}

std::optional<Severity> SeverityFromString(std::string_view s) {
  if (s == "red") return Severity::kRed;
  if (s == "yellow") return Severity::kYellow;
  if (s == "info") return Severity::kInfo;
  return std::nullopt;
}

base::Status InsertAlerts(Transaction& tx, const crypto::KeyRing& keys,
                          std::optional<std::int64_t> interrogation_id, std::int64_t patient_id,
                          std::span<const Alert> alerts, std::int64_t now_us) {
  for (const Alert& a : alerts) {
    // The reason is sealed with the row id as associated data: the id is taken first.
    auto id = tx.NextId(kTable);
    if (!id) return id.error();
    const Param p[] = {
        {"id", *id},
        {"interrogation", interrogation_id ? Value(*interrogation_id) : Value()},
        {"patient", patient_id},
        {"rule", a.rule},
        {"severity", std::string(ToString(a.severity))},
        {"reason", Bytes{keys.Seal(a.reason, {kTable, kReason, *id})}},
        {"now", now_us},
        {"due", a.due_us},
    };
    if (auto r = tx.Execute(
            "INSERT INTO alert (id, interrogation_id, patient_id, rule, severity, reason, "
            "created_us, due_us) VALUES (:id, :interrogation, :patient, :rule, :severity, :reason, "
            ":now, :due)",
            p);
        !r) {
      return r.error();
    }
  }
  return {};
}

base::Result<std::vector<AlertRecord>> ListAlerts(Transaction& tx, const crypto::KeyRing& keys,
                                                  std::int64_t interrogation_id) {
  const Param p[] = {{"id", interrogation_id}};
  return ReadAlerts(tx, keys, "interrogation_id = :id", p,
                    "CASE severity WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 ELSE 2 END, id");
}

base::Result<std::vector<AlertRecord>> ListPatientAlerts(Transaction& tx,
                                                         const crypto::KeyRing& keys,
                                                         std::int64_t patient_id,
                                                         std::int64_t since_us, int limit) {
  const Param p[] = {{"patient", patient_id},
                     {"since", since_us},
                     {"limit", static_cast<std::int64_t>(std::clamp(limit, 1, 1000))}};
  return ReadAlerts(tx, keys, "patient_id = :patient AND created_us >= :since", p,
                    "created_us, id LIMIT :limit");
}

base::Result<RuleSetRecord> StoreRuleSet(Transaction& tx, std::string_view source,
                                         std::optional<std::int64_t> created_by,
                                         std::int64_t now_us) {
  const Param p[] = {{"source", std::string(source)},
                     {"by", created_by ? Value(*created_by) : Value()},
                     {"now", now_us}};
  auto rows = tx.Query(
      "INSERT INTO rule_set (version, source, created_by, created_us, active) "
      "VALUES ((SELECT COALESCE(MAX(version), 0) + 1 FROM rule_set), :source, :by, :now, 0) "
      "RETURNING id, version, source, created_by, created_us, active",
      p);
  if (!rows) return rows.error();
  return ReadRuleSet(rows->front(), true);
}

base::Status ActivateRuleSet(Transaction& tx, std::int64_t id, std::int64_t now_us) {
  const Param exists[] = {{"id", id}};
  auto rows = tx.Query("SELECT 1 FROM rule_set WHERE id = :id", exists);
  if (!rows) return rows.error();
  if (rows->empty()) {
    return base::MakeError(ErrorCode::kNotFound, fmt::format("no rule set {}", id));
  }
  // Deactivate first: the unique partial index allows one active row at any moment.
  if (auto r = tx.Execute("UPDATE rule_set SET active = 0 WHERE active = 1 AND id <> :id", exists);
      !r) {
    return r.error();
  }
  const Param p[] = {{"id", id}, {"now", now_us}};
  auto r = tx.Execute(
      "UPDATE rule_set SET active = 1, activated_us = :now WHERE id = :id AND active = 0", p);
  if (!r) return r.error();
  return {};
}

base::Result<std::optional<RuleSetRecord>> GetActiveRuleSet(Transaction& tx) {
  auto rows = tx.Query(
      "SELECT id, version, source, created_by, created_us, active FROM rule_set "
      "WHERE active = 1");
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<RuleSetRecord>{};
  return std::optional<RuleSetRecord>{ReadRuleSet(rows->front(), true)};
}

base::Result<RuleSetRecord> GetRuleSet(Transaction& tx, std::int64_t id) {
  const Param p[] = {{"id", id}};
  auto rows = tx.Query(
      "SELECT id, version, source, created_by, created_us, active FROM rule_set WHERE id = :id", p);
  if (!rows) return rows.error();
  if (rows->empty()) {
    return base::MakeError(ErrorCode::kNotFound, fmt::format("no rule set {}", id));
  }
  return ReadRuleSet(rows->front(), true);
}

base::Result<std::vector<RuleSetRecord>> ListRuleSets(Transaction& tx) {
  auto rows = tx.Query(
      "SELECT id, version, NULL, created_by, created_us, active FROM rule_set "
      "ORDER BY version DESC");
  if (!rows) return rows.error();
  std::vector<RuleSetRecord> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.push_back(ReadRuleSet(r, false));
  return out;
}

base::Result<std::vector<double>> ReadEarlierValues(Transaction& tx, std::int64_t patient_id,
                                                    std::uint32_t code, std::int64_t before_us,
                                                    std::int64_t exclude_interrogation_id,
                                                    int limit) {
  limit = std::clamp(limit, 0, 1000);
  if (limit == 0) return std::vector<double>{};
  const Param p[] = {{"patient", patient_id},
                     {"code", static_cast<std::int64_t>(code)},
                     {"before", before_us},
                     {"exclude", exclude_interrogation_id},
                     {"limit", static_cast<std::int64_t>(limit)}};
  auto rows = tx.Query(
      "SELECT value_num FROM trend WHERE patient_id = :patient AND code = :code "
      "AND observed_us < :before AND interrogation_id <> :exclude AND value_num IS NOT NULL "
      "ORDER BY observed_us DESC LIMIT :limit",
      p);
  if (!rows) return rows.error();
  std::vector<double> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.push_back(r.Real(0));
  return out;
}

base::Result<std::vector<ReplayInterrogation>> ListReplayInterrogations(Transaction& tx,
                                                                        const ReplayFilter& filter,
                                                                        const ReplayCursor& after,
                                                                        int limit) {
  if (filter.clinics.size() > kMaxClinics) {
    return base::MakeError(ErrorCode::kLimitExceeded, "more than 16 clinics in one query");
  }
  std::vector<Param> params = {
      {"from", filter.from_us},
      {"to", filter.to_us},
      {"after_patient", after.patient_id},
      {"after_id", after.id},
      {"limit", static_cast<std::int64_t>(std::clamp(limit, 1, 10000))},
  };
  const std::string clinics = InList(filter.clinics, &params);
  const std::string sql = fmt::format(
      "SELECT i.id, i.patient_id, p.clinic_id, d.type, i.session_type, "
      "COALESCE(i.session_us, i.received_us), i.received_us "
      "FROM interrogation i JOIN patient p ON p.id = i.patient_id "
      "JOIN device d ON d.id = i.device_id "
      "WHERE i.superseded_by IS NULL "
      "AND COALESCE(i.session_us, i.received_us) BETWEEN :from AND :to "
      "AND (i.patient_id > :after_patient OR (i.patient_id = :after_patient AND i.id > :after_id)) "
      "{} ORDER BY i.patient_id, i.id LIMIT :limit",
      clinics.empty() ? "" : "AND p.clinic_id IN (" + clinics + ")");
  auto rows = tx.Query(sql, params);
  if (!rows) return rows.error();
  std::vector<ReplayInterrogation> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) {
    out.push_back({.id = r.Int(0),
                   .patient_id = r.Int(1),
                   .clinic_id = r.Int(2),
                   .device_type = std::string(r.Text(3)),
                   .session_type = std::string(r.Text(4)),
                   .session_us = r.Int(5),
                   .received_us = r.Int(6)});
  }
  return out;
}

base::Result<std::vector<TrendRow>> ReadPatientTrend(Transaction& tx, std::int64_t patient_id,
                                                     std::span<const std::uint32_t> codes,
                                                     std::int64_t to_us) {
  if (codes.empty()) return std::vector<TrendRow>{};
  if (codes.size() > std::size(kNames)) {
    return base::MakeError(ErrorCode::kInvalidArgument, "more than 64 terms in one trend read");
  }
  std::vector<std::int64_t> values(codes.begin(), codes.end());
  std::vector<Param> params = {{"patient", patient_id}, {"to", to_us}};
  const std::string in = InList(values, &params);
  const std::string sql = fmt::format(
      "SELECT code, instance, observed_us, interrogation_id, value_num, value_code FROM trend "
      "WHERE patient_id = :patient AND code IN ({}) AND observed_us <= :to "
      "ORDER BY code, observed_us, interrogation_id, seq",
      in);
  auto rows = tx.Query(sql, params);
  if (!rows) return rows.error();
  std::vector<TrendRow> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) {
    TrendRow t{.code = static_cast<std::uint32_t>(r.Int(0)),
               .instance = static_cast<std::uint32_t>(r.Int(1)),
               .observed_us = r.Int(2),
               .interrogation_id = r.Int(3)};
    if (!r.IsNull(4)) t.number = r.Real(4);
    t.coded = std::string(r.Text(5));
    out.push_back(std::move(t));
  }
  return out;
}

base::Result<std::vector<std::string>> ReadEpisodeTypes(Transaction& tx,
                                                        std::int64_t interrogation_id) {
  const Param p[] = {{"id", interrogation_id}};
  auto rows = tx.Query(
      "SELECT type FROM episode WHERE interrogation_id = :id AND type IS NOT NULL ORDER BY "
      "instance",
      p);
  if (!rows) return rows.error();
  std::vector<std::string> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.emplace_back(r.Text(0));
  return out;
}

}  // namespace heartbase::store
