// Monitoring plans, booked visits and the work list's facts. SQL text is fixed; values are bound.
#include "store/followup.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "base/time.h"
#include "store/internal/sql.h"

namespace heartbase::store {
namespace {

using base::ErrorCode;
using internal::InList;

constexpr std::string_view kPlanColumns =
    "id, scope, clinic_id, patient_id, device_type, remote_days, in_clinic_days, payer, "
    "ordering_physician, version, set_by, set_us";

std::optional<PlanScope> ScopeFrom(std::string_view s) {
  if (s == "default") return PlanScope::kDefault;
  if (s == "clinic") return PlanScope::kClinic;
  if (s == "patient") return PlanScope::kPatient;
  return std::nullopt;
}

base::Result<PlanRow> ReadPlan(const Row& r) {
  const auto scope = ScopeFrom(r.Text(1));
  if (!scope) return base::MakeError(ErrorCode::kDataLoss, "monitoring_plan: bad scope");
  PlanRow p{.id = r.Int(0),
            .scope = *scope,
            .clinic_id = r.Int(2),
            .patient_id = r.Int(3),
            .device_type = std::string(r.Text(4))};
  if (!r.IsNull(5)) p.remote_days = static_cast<int>(r.Int(5));
  if (!r.IsNull(6)) p.in_clinic_days = static_cast<int>(r.Int(6));
  if (!r.IsNull(7)) p.payer = std::string(r.Text(7));
  if (!r.IsNull(8)) p.ordering_physician = std::string(r.Text(8));
  p.version = static_cast<int>(r.Int(9));
  if (!r.IsNull(10)) p.set_by = r.Int(10);
  p.set_us = r.Int(11);
  return p;
}

base::Result<std::vector<PlanRow>> QueryPlans(Transaction& tx, std::string_view where,
                                              std::span<const Param> params) {
  auto rows = tx.Query(
      fmt::format("SELECT {} FROM monitoring_plan {} ORDER BY scope, id", kPlanColumns, where),
      params);
  if (!rows) return rows.error();
  std::vector<PlanRow> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) {
    auto p = ReadPlan(r);
    if (!p) return p.error();
    out.push_back(std::move(*p));
  }
  return out;
}

Value OptionalInt(const std::optional<int>& v) { return v ? Value(std::int64_t{*v}) : Value(); }
Value OptionalText(const std::optional<std::string>& v) { return v ? Value(*v) : Value(); }

std::optional<VisitState> VisitStateFrom(std::string_view s) {
  if (s == "booked") return VisitState::kBooked;
  if (s == "done") return VisitState::kDone;
  if (s == "cancelled") return VisitState::kCancelled;
  return std::nullopt;
}

constexpr std::string_view kVisitColumns =
    "id, patient_id, clinic_id, day, state, interrogation_id, booked_us, closed_us";

base::Result<std::vector<VisitRow>> QueryVisits(Transaction& tx, std::string_view sql,
                                                std::span<const Param> params) {
  auto rows = tx.Query(sql, params);
  if (!rows) return rows.error();
  std::vector<VisitRow> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) {
    const auto state = VisitStateFrom(r.Text(4));
    if (!state) return base::MakeError(ErrorCode::kDataLoss, "clinic_visit: bad state");
    VisitRow v{.id = r.Int(0),
               .patient_id = r.Int(1),
               .clinic_id = r.Int(2),
               .day = std::string(r.Text(3)),
               .state = *state};
    if (!r.IsNull(5)) v.interrogation_id = r.Int(5);
    v.booked_us = r.Int(6);
    if (!r.IsNull(7)) v.closed_us = r.Int(7);
    out.push_back(std::move(v));
  }
  return out;
}

// "a IN (…)" over a list of ids (integers, formatted here: never input text).
}  // namespace

std::string_view ToString(PlanScope scope) {
  switch (scope) {
    case PlanScope::kClinic:
      return "clinic";
    case PlanScope::kPatient:
      return "patient";
    case PlanScope::kDefault:
      break;
  }
  return "default";
}

std::string_view ToString(VisitState state) {
  switch (state) {
    case VisitState::kDone:
      return "done";
    case VisitState::kCancelled:
      return "cancelled";
    case VisitState::kBooked:
      break;
  }
  return "booked";
}

base::Result<std::vector<PlanRow>> ListPlans(Transaction& tx) { return QueryPlans(tx, "", {}); }

base::Result<std::vector<PlanRow>> ListPlansFor(Transaction& tx, std::int64_t clinic_id,
                                                std::int64_t patient_id) {
  const Param params[] = {{"clinic", clinic_id}, {"patient", patient_id}};
  return QueryPlans(tx,
                    "WHERE scope = 'default' OR (scope = 'clinic' AND clinic_id = :clinic) OR "
                    "(scope = 'patient' AND patient_id = :patient)",
                    params);
}

base::Result<PlanRow> PutPlan(Transaction& tx, const PlanRow& plan, std::int64_t user_id,
                              std::int64_t now_us) {
  if (plan.scope == PlanScope::kDefault) {
    return base::MakeError(ErrorCode::kInvalidArgument,
                           "the default plans change with a new version of heartbase");
  }
  if (plan.remote_days && (*plan.remote_days < 1 || *plan.remote_days > 730)) {
    return base::MakeError(ErrorCode::kInvalidArgument, "remote_days is 1 to 730");
  }
  if (plan.in_clinic_days && (*plan.in_clinic_days < 1 || *plan.in_clinic_days > 1100)) {
    return base::MakeError(ErrorCode::kInvalidArgument, "in_clinic_days is 1 to 1100");
  }
  if (plan.payer && (plan.payer->empty() || plan.payer->size() > 40)) {
    return base::MakeError(ErrorCode::kInvalidArgument, "payer is 1 to 40 characters");
  }
  if (plan.ordering_physician && plan.ordering_physician->size() > 120) {
    return base::MakeError(ErrorCode::kInvalidArgument,
                           "ordering_physician is at most 120 characters");
  }
  const std::int64_t clinic = plan.scope == PlanScope::kClinic ? plan.clinic_id : 0;
  const std::int64_t patient = plan.scope == PlanScope::kPatient ? plan.patient_id : 0;
  const std::string device_type = plan.scope == PlanScope::kPatient ? "*" : plan.device_type;
  const Param params[] = {{"scope", std::string(ToString(plan.scope))},
                          {"clinic", clinic},
                          {"patient", patient},
                          {"type", device_type},
                          {"remote", OptionalInt(plan.remote_days)},
                          {"in_clinic", OptionalInt(plan.in_clinic_days)},
                          {"payer", OptionalText(plan.payer)},
                          {"ordering", OptionalText(plan.ordering_physician)},
                          {"by", user_id > 0 ? Value(user_id) : Value()},
                          {"now", now_us}};
  auto done = tx.Execute(
      "INSERT INTO monitoring_plan (scope, clinic_id, patient_id, device_type, remote_days, "
      "in_clinic_days, payer, ordering_physician, version, set_by, set_us) VALUES (:scope, "
      ":clinic, :patient, :type, :remote, :in_clinic, :payer, :ordering, 1, :by, :now) "
      "ON CONFLICT (scope, clinic_id, patient_id, device_type) DO UPDATE SET "
      "remote_days = excluded.remote_days, in_clinic_days = excluded.in_clinic_days, "
      "payer = excluded.payer, ordering_physician = excluded.ordering_physician, "
      "version = monitoring_plan.version + 1, set_by = excluded.set_by, set_us = excluded.set_us",
      params);
  if (!done) return done.error();
  auto rows = QueryPlans(tx,
                         "WHERE scope = :scope AND clinic_id = :clinic AND patient_id = :patient "
                         "AND device_type = :type",
                         std::span(params, 4));
  if (!rows) return rows.error();
  if (rows->size() != 1) return base::MakeError(ErrorCode::kDataLoss, "monitoring_plan: lost");
  return std::move(rows->front());
}

base::Status DeletePlan(Transaction& tx, PlanScope scope, std::int64_t clinic_id,
                        std::int64_t patient_id, std::string_view device_type) {
  if (scope == PlanScope::kDefault) {
    return base::MakeError(ErrorCode::kInvalidArgument, "a default plan cannot be removed");
  }
  const Param params[] = {
      {"scope", std::string(ToString(scope))},
      {"clinic", scope == PlanScope::kClinic ? clinic_id : 0},
      {"patient", scope == PlanScope::kPatient ? patient_id : 0},
      {"type", scope == PlanScope::kPatient ? std::string("*") : std::string(device_type)}};
  auto n = tx.Execute(
      "DELETE FROM monitoring_plan WHERE scope = :scope AND clinic_id = :clinic AND "
      "patient_id = :patient AND device_type = :type",
      params);
  if (!n) return n.error();
  if (*n == 0) return base::MakeError(ErrorCode::kNotFound, "no such plan");
  return {};
}

PlanBook::PlanBook(std::vector<PlanRow> rows) : rows_(std::move(rows)) {
  std::sort(rows_.begin(), rows_.end(), [](const PlanRow& a, const PlanRow& b) {
    return std::tie(a.scope, a.clinic_id, a.patient_id, a.device_type) <
           std::tie(b.scope, b.clinic_id, b.patient_id, b.device_type);
  });
}

const PlanRow* PlanBook::Find(PlanScope scope, std::int64_t clinic, std::int64_t patient,
                              std::string_view device_type) const {
  const auto key = std::make_tuple(scope, clinic, patient, device_type);
  auto it = std::lower_bound(rows_.begin(), rows_.end(), key, [](const PlanRow& r, const auto& k) {
    return std::make_tuple(r.scope, r.clinic_id, r.patient_id, std::string_view(r.device_type)) < k;
  });
  if (it == rows_.end() || std::make_tuple(it->scope, it->clinic_id, it->patient_id,
                                           std::string_view(it->device_type)) != key) {
    return nullptr;
  }
  return &*it;
}

ResolvedPlan PlanBook::Resolve(std::int64_t clinic_id, std::int64_t patient_id,
                               std::string_view device_type) const {
  // Most specific first; each field takes the first row that sets it.
  const PlanRow* chain[] = {Find(PlanScope::kPatient, 0, patient_id, "*"),
                            Find(PlanScope::kClinic, clinic_id, 0, device_type),
                            Find(PlanScope::kDefault, 0, 0, device_type),
                            Find(PlanScope::kDefault, 0, 0, "unknown")};
  ResolvedPlan out;
  bool remote = false, in_clinic = false, payer = false, ordering = false;
  for (const PlanRow* row : chain) {
    if (row == nullptr) continue;
    // A row is a whole plan for its scope: its days apply together (NULL in a default row means
    // "no such follow-up"; in a clinic or patient row it means "not set here").
    if (!remote && (row->remote_days || row->scope == PlanScope::kDefault)) {
      out.remote_days = row->remote_days;
      out.remote_from = row->scope;
      remote = true;
    }
    if (!in_clinic && (row->in_clinic_days || row->scope == PlanScope::kDefault)) {
      out.in_clinic_days = row->in_clinic_days;
      out.in_clinic_from = row->scope;
      in_clinic = true;
    }
    if (!payer && row->payer) {
      out.payer = *row->payer;
      payer = true;
    }
    if (!ordering && row->ordering_physician) {
      out.ordering_physician = *row->ordering_physician;
      ordering = true;
    }
  }
  return out;
}

base::Result<std::int64_t> BookVisit(Transaction& tx, std::int64_t patient_id,
                                     std::int64_t clinic_id, std::string_view day,
                                     std::int64_t user_id, std::int64_t now_us) {
  const auto days = base::ParseIsoDay(day);
  if (!days) return base::MakeError(ErrorCode::kInvalidArgument, "day is a date YYYY-MM-DD");
  auto id = tx.NextId("clinic_visit");
  if (!id) return id.error();
  const Param params[] = {{"id", *id},
                          {"patient", patient_id},
                          {"clinic", clinic_id},
                          {"day", base::FormatIsoDay(*days)},
                          {"by", user_id > 0 ? Value(user_id) : Value()},
                          {"now", now_us}};
  auto n = tx.Execute(
      "INSERT INTO clinic_visit (id, patient_id, clinic_id, day, state, booked_by, booked_us) "
      "VALUES (:id, :patient, :clinic, :day, 'booked', :by, :now)",
      params);
  if (!n) return n.error();
  return *id;
}

base::Result<VisitRow> GetVisit(Transaction& tx, std::int64_t visit_id) {
  const Param params[] = {{"id", visit_id}};
  auto rows = QueryVisits(
      tx, fmt::format("SELECT {} FROM clinic_visit WHERE id = :id", kVisitColumns), params);
  if (!rows) return rows.error();
  if (rows->empty()) return base::MakeError(ErrorCode::kNotFound, "no such visit");
  return std::move(rows->front());
}

base::Status CancelVisit(Transaction& tx, std::int64_t visit_id, std::int64_t now_us) {
  auto visit = GetVisit(tx, visit_id);
  if (!visit) return visit.error();
  if (visit->state != VisitState::kBooked) {
    return base::MakeError(ErrorCode::kAlreadyExists,
                           fmt::format("the visit is {}", ToString(visit->state)));
  }
  const Param params[] = {{"id", visit_id}, {"now", now_us}};
  auto n = tx.Execute(
      "UPDATE clinic_visit SET state = 'cancelled', closed_us = :now WHERE id = :id AND "
      "state = 'booked'",
      params);
  if (!n) return n.error();
  return {};
}

base::Result<std::vector<VisitRow>> ListVisits(Transaction& tx, std::int64_t patient_id) {
  const Param params[] = {{"patient", patient_id}};
  return QueryVisits(tx,
                     fmt::format("SELECT {} FROM clinic_visit WHERE patient_id = :patient "
                                 "ORDER BY day DESC, id DESC",
                                 kVisitColumns),
                     params);
}

base::Result<std::vector<VisitRow>> ListBookedVisits(Transaction& tx,
                                                     const std::vector<std::int64_t>& clinics) {
  return QueryVisits(tx,
                     fmt::format("SELECT {} FROM clinic_visit WHERE state = 'booked' AND {} "
                                 "ORDER BY day, id",
                                 kVisitColumns, InList("clinic_id", clinics)),
                     {});
}

base::Result<std::optional<std::int64_t>> CloseVisitFor(Transaction& tx, std::int64_t patient_id,
                                                        std::int64_t interrogation_id,
                                                        std::int64_t session_us,
                                                        std::int64_t now_us) {
  constexpr std::int64_t kDayUs = 86'400'000'000LL;
  const std::int64_t day =
      session_us >= 0 ? session_us / kDayUs : -((-session_us - 1) / kDayUs) - 1;
  const Param params[] = {{"patient", patient_id},
                          {"from", base::FormatIsoDay(day - 1)},
                          {"to", base::FormatIsoDay(day + 1)}};
  auto rows = tx.Query(
      "SELECT id FROM clinic_visit WHERE patient_id = :patient AND state = 'booked' AND "
      "day BETWEEN :from AND :to ORDER BY day, id LIMIT 1",
      params);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<std::int64_t>();
  const std::int64_t visit = rows->front().Int(0);
  const Param update[] = {{"id", visit}, {"interrogation", interrogation_id}, {"now", now_us}};
  auto n = tx.Execute(
      "UPDATE clinic_visit SET state = 'done', interrogation_id = :interrogation, "
      "closed_us = :now WHERE id = :id",
      update);
  if (!n) return n.error();
  return std::optional<std::int64_t>(visit);
}

std::int64_t EffectiveSessionUs(std::optional<std::int64_t> session_us, std::int64_t received_us) {
  if (!session_us || *session_us > received_us + kMaxSessionSkewUs) return received_us;
  return *session_us;
}

base::Result<std::vector<FollowUpFacts>> ListFollowUpFacts(Transaction& tx,
                                                           const std::vector<std::int64_t>& clinics,
                                                           std::int64_t after_patient, int limit) {
  // One pass over the current interrogations, grouped by patient; the effective time is the
  // session time unless missing or more than a day after arrival (EffectiveSessionUs).
  const std::string effective = fmt::format(
      "CASE WHEN i.session_us IS NOT NULL AND i.session_us <= i.received_us + {} "
      "THEN i.session_us ELSE i.received_us END",
      kMaxSessionSkewUs);
  const std::string sql = fmt::format(
      "SELECT p.id, p.clinic_id, "
      " (SELECT d.type FROM device d WHERE d.patient_id = p.id "
      "  ORDER BY d.last_seen_us DESC, d.id DESC LIMIT 1), "
      " (SELECT MIN(d.first_seen_us) FROM device d WHERE d.patient_id = p.id), "
      " MAX(CASE WHEN i.session_type LIKE 'Remote%' THEN {0} END), "
      " MAX(CASE WHEN i.session_type IN ('InClinic', 'Implant') THEN {0} END), p.created_us "
      "FROM patient p "
      "LEFT JOIN interrogation i ON i.patient_id = p.id AND i.superseded_by IS NULL "
      "WHERE p.id > :after AND {1} "
      "GROUP BY p.id ORDER BY p.id {2}",
      effective, InList("p.clinic_id", clinics),
      limit > 0 ? fmt::format("LIMIT {}", limit) : std::string());
  const Param params[] = {{"after", after_patient}};
  auto rows = tx.Query(sql, params);
  if (!rows) return rows.error();
  std::vector<FollowUpFacts> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) {
    FollowUpFacts f{.patient_id = r.Int(0), .clinic_id = r.Int(1)};
    f.device_type = r.IsNull(2) ? "unknown" : std::string(r.Text(2));
    f.first_seen_us = r.IsNull(3) ? r.Int(6) : r.Int(3);
    if (!r.IsNull(4)) f.last_remote_us = r.Int(4);
    if (!r.IsNull(5)) f.last_in_clinic_us = r.Int(5);
    out.push_back(std::move(f));
  }
  return out;
}

base::Result<std::vector<std::pair<std::int64_t, std::string>>> ListClinicTimeZones(
    Transaction& tx) {
  auto rows = tx.Query("SELECT id, time_zone FROM clinic ORDER BY id");
  if (!rows) return rows.error();
  std::vector<std::pair<std::int64_t, std::string>> out;
  for (const Row& r : *rows) out.emplace_back(r.Int(0), std::string(r.Text(1)));
  return out;
}

}  // namespace heartbase::store
