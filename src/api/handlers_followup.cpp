// Follow-up scheduling (src/billing, docs/billing.md): the work list of due, overdue and missed
// follow-ups, each patient's monitoring plan and booked visits, and the clinics' plans.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "api/internal/context.h"
#include "billing/rules.h"
#include "billing/service.h"
#include "store/followup.h"
#include "store/patients.h"

namespace heartbase::api::internal {
namespace {

using auth::Permission;

std::optional<billing::FollowUpStatus> StatusFrom(std::string_view s) {
  using S = billing::FollowUpStatus;
  for (S status : {S::kUpcoming, S::kDue, S::kOverdue, S::kMissed, S::kBooked}) {
    if (billing::ToString(status) == s) return status;
  }
  return std::nullopt;
}

std::optional<std::int64_t> ParseInt(std::string_view text) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

void WriteItem(base::JsonWriter& w, const billing::WorkItem& item) {
  w.Field("patient_id", item.patient_id);
  w.Field("clinic_id", item.clinic_id);
  w.Field("device_type", item.device_type);
  w.Field("kind", billing::ToString(item.kind));
  w.Field("status", billing::ToString(item.status));
  w.Field("due", billing::FormatDay(item.due_day));
  w.Field("days_overdue", item.days_overdue);
  w.Field("last", item.last_day ? std::optional(billing::FormatDay(*item.last_day)) : std::nullopt);
  w.Field("visit_id", item.visit_id);
  w.Field("interval_days", item.interval_days);
}

void WritePlanRow(base::JsonWriter& w, const store::PlanRow& p) {
  w.BeginObject();
  w.Field("scope", store::ToString(p.scope));
  w.Field("clinic_id", p.clinic_id);
  w.Field("device_type", p.device_type);
  w.Field("remote_days", p.remote_days);
  w.Field("in_clinic_days", p.in_clinic_days);
  w.Field("payer", p.payer);
  w.Field("ordering_physician", p.ordering_physician);
  w.Field("version", std::int64_t{p.version});
  w.Field("set_us", p.set_us);
  w.EndObject();
}

// Reads {"remote_days", "in_clinic_days", "payer", "ordering_physician"} (each optional; null
// or absent = not set at this scope). The error message on a bad body.
std::optional<std::string> ReadPlanBody(const JsonBody& body, store::PlanRow* plan,
                                        bool with_billing) {
  for (std::string_view key :
       {std::string_view("remote_days"), std::string_view("in_clinic_days")}) {
    if (!body.Has(key) || body.IsNull(key)) continue;
    const auto v = body.Int(key);
    if (!v) return fmt::format("{} is a whole number of days", key);
    if (*v < 1 || *v > 1100) return fmt::format("{} is out of range", key);
    (key == "remote_days" ? plan->remote_days : plan->in_clinic_days) = static_cast<int>(*v);
  }
  if (!with_billing) {
    if (body.Has("payer") || body.Has("ordering_physician")) {
      return "a clinic's plan has no payer or ordering physician (set them per patient)";
    }
    return std::nullopt;
  }
  for (std::string_view key : {std::string_view("payer"), std::string_view("ordering_physician")}) {
    if (!body.Has(key) || body.IsNull(key)) continue;
    auto v = body.String(key);
    if (!v) return fmt::format("{} is a string", key);
    (key == "payer" ? plan->payer : plan->ordering_physician) = std::move(*v);
  }
  return std::nullopt;
}

}  // namespace

// GET /api/v1/followups?clinic=&device_type=&status=due,overdue,missed,booked,upcoming
// &min_overdue=DAYS&limit=N: the follow-up work list of the caller's clinics, most overdue first.
base::Result<net::HttpResponse> ListFollowUps(Context& ctx, store::Transaction* tx) {
  billing::WorkListFilter filter{.clinics = VisibleClinics(ctx)};
  if (auto c = ctx.Query("clinic")) {
    filter.clinic = ParseId(*c);
    if (!filter.clinic) return ErrorResponse(ctx, 400, "bad_request", "clinic= is an id");
  }
  if (auto t = ctx.Query("device_type"); t && !t->empty()) filter.device_type = *t;
  if (auto s = ctx.Query("status"); s && !s->empty()) {
    std::string_view rest = *s;
    while (!rest.empty()) {
      const std::size_t comma = std::min(rest.find(','), rest.size());
      const auto status = StatusFrom(rest.substr(0, comma));
      if (!status) {
        return ErrorResponse(ctx, 400, "bad_request",
                             "status= is a list of upcoming, due, overdue, missed, booked");
      }
      filter.statuses.push_back(*status);
      rest.remove_prefix(std::min(comma + 1, rest.size()));
    }
  }
  if (auto m = ctx.Query("min_overdue")) {
    filter.min_days_overdue = ParseInt(*m);
    if (!filter.min_days_overdue) {
      return ErrorResponse(ctx, 400, "bad_request", "min_overdue= is a number of days");
    }
  }
  filter.limit = std::min(PageSize(ctx), 500);
  auto list = billing::BuildWorkList(*tx, filter, ctx.now_us);
  if (!list) return list.error();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("total", list->total);
  w.Key("counts");
  w.BeginObject();
  for (const auto& [status, n] : list->counts) w.Field(billing::ToString(status), n);
  w.EndObject();
  w.Key("items");
  w.BeginArray();
  for (const billing::WorkItem& item : list->items) {
    auto p = store::GetPatient(*tx, ctx.services.keys, item.patient_id);
    if (!p) return p.error();
    w.BeginObject();
    WriteItem(w, item);
    w.Field("family_name", p->family_name);
    w.Field("given_name", p->given_name);
    w.Field("birth_date", p->birth_date);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  if (auto s = Audit(ctx, *tx, "followup.list", "patient", "", std::nullopt, "success",
                     fmt::format("items={} total={}", list->items.size(), list->total));
      !s) {
    return s.error();
  }
  return JsonResponse(200, std::move(out));
}

// GET /api/v1/patients/{id}/plan: the plan in force (and where each value comes from), the
// patient's own plan, their next follow-ups and their visits.
base::Result<net::HttpResponse> GetPatientPlan(Context& ctx, store::Transaction* tx) {
  std::optional<net::HttpResponse> refused;
  auto p = AuthorizedPatientId(ctx, *tx, Permission::kPatientRead, "plan.read", &refused);
  if (!p) return p.error();
  if (refused) return std::move(*refused);
  const std::int64_t id = **p;
  auto clinic = store::GetPatientClinic(*tx, id);
  if (!clinic) return clinic.error();
  auto rows = store::ListPlansFor(*tx, *clinic, id);
  if (!rows) return rows.error();
  std::optional<store::PlanRow> own;
  for (const auto& r : *rows) {
    if (r.scope == store::PlanScope::kPatient) own = r;
  }
  auto followups = billing::PatientFollowUps(*tx, id, ctx.now_us);
  if (!followups) return followups.error();
  auto visits = store::ListVisits(*tx, id);
  if (!visits) return visits.error();
  // The device type the plan resolves for: the current device's (the work list's first item
  // carries it), else "unknown".
  const std::string device_type =
      followups->empty() ? std::string("unknown") : followups->front().device_type;
  const store::ResolvedPlan resolved =
      store::PlanBook(std::move(*rows)).Resolve(*clinic, id, device_type);

  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("patient_id", id);
  w.Field("device_type", device_type);
  w.Key("resolved");
  w.BeginObject();
  w.Field("remote_days", resolved.remote_days);
  w.Field("in_clinic_days", resolved.in_clinic_days);
  w.Field("remote_from", store::ToString(resolved.remote_from));
  w.Field("in_clinic_from", store::ToString(resolved.in_clinic_from));
  w.Field("payer", resolved.payer);
  w.Field("ordering_physician", resolved.ordering_physician);
  w.EndObject();
  w.Key("own");
  if (own) {
    WritePlanRow(w, *own);
  } else {
    w.Null();
  }
  w.Key("followups");
  w.BeginArray();
  for (const auto& item : *followups) {
    w.BeginObject();
    WriteItem(w, item);
    w.EndObject();
  }
  w.EndArray();
  w.Key("visits");
  w.BeginArray();
  for (const auto& v : *visits) {
    w.BeginObject();
    w.Field("id", v.id);
    w.Field("day", v.day);
    w.Field("state", store::ToString(v.state));
    w.Field("clinic_id", v.clinic_id);
    w.Field("interrogation_id", v.interrogation_id);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  if (auto s = Audit(ctx, *tx, "plan.read", "patient", std::to_string(id), id, "success"); !s) {
    return s.error();
  }
  return JsonResponse(200, std::move(out));
}

// PUT /api/v1/patients/{id}/plan {"remote_days", "in_clinic_days", "payer",
// "ordering_physician"}: the patient's own plan (each value overrides the clinic's and the
// default; null = not set here). DELETE removes it.
base::Result<net::HttpResponse> PutPatientPlan(Context& ctx, store::Transaction* tx) {
  auto body = JsonBody::Parse(ctx.request.body, {.max_bytes = 2048, .max_depth = 2});
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  std::optional<net::HttpResponse> refused;
  auto p = AuthorizedPatientId(ctx, *tx, Permission::kPatientWrite, "plan.update", &refused);
  if (!p) return p.error();
  if (refused) return std::move(*refused);
  store::PlanRow plan{.scope = store::PlanScope::kPatient, .patient_id = **p, .device_type = "*"};
  if (auto bad = ReadPlanBody(*body, &plan, true))
    return ErrorResponse(ctx, 400, "bad_request", *bad);
  auto stored = store::PutPlan(*tx, plan, ctx.caller->subject.user_id, ctx.now_us);
  if (!stored) {
    if (stored.error().code == base::ErrorCode::kInvalidArgument) {
      return ErrorResponse(ctx, 400, "bad_request", stored.error().message);
    }
    return stored.error();
  }
  if (auto s =
          Audit(ctx, *tx, "plan.update", "patient", std::to_string(**p), **p, "success",
                fmt::format("remote_days={} in_clinic_days={} version={}",
                            stored->remote_days ? std::to_string(*stored->remote_days) : "-",
                            stored->in_clinic_days ? std::to_string(*stored->in_clinic_days) : "-",
                            stored->version));
      !s) {
    return s.error();
  }
  std::string out;
  base::JsonWriter w(&out);
  WritePlanRow(w, *stored);
  return JsonResponse(200, std::move(out));
}

base::Result<net::HttpResponse> DeletePatientPlan(Context& ctx, store::Transaction* tx) {
  std::optional<net::HttpResponse> refused;
  auto p = AuthorizedPatientId(ctx, *tx, Permission::kPatientWrite, "plan.delete", &refused);
  if (!p) return p.error();
  if (refused) return std::move(*refused);
  auto s = store::DeletePlan(*tx, store::PlanScope::kPatient, 0, **p, "*");
  if (!s) {
    if (s.error().code == base::ErrorCode::kNotFound) {
      if (auto a = Audit(ctx, *tx, "plan.delete", "patient", std::to_string(**p), **p, "failed",
                         "no plan of their own");
          !a) {
        return a.error();
      }
      return ErrorResponse(ctx, 404, "not_found", "the patient has no plan of their own");
    }
    return s.error();
  }
  if (auto a = Audit(ctx, *tx, "plan.delete", "patient", std::to_string(**p), **p, "success"); !a) {
    return a.error();
  }
  return JsonResponse(200, "{}");
}

// GET /api/v1/plans: the default plans and every clinic's (configuration, not patient data).
base::Result<net::HttpResponse> ListPlans(Context& ctx, store::Transaction* tx) {
  auto rows = store::ListPlans(*tx);
  if (!rows) return rows.error();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("items");
  w.BeginArray();
  for (const auto& r : *rows) {
    if (r.scope != store::PlanScope::kPatient) WritePlanRow(w, r);
  }
  w.EndArray();
  w.EndObject();
  (void)ctx;
  return JsonResponse(200, std::move(out));
}

// PUT /api/v1/clinics/{id}/plans/{device_type} {"remote_days", "in_clinic_days"}: a clinic's plan
// for a device type (administrators, step-up). DELETE goes back to the default.
base::Result<net::HttpResponse> PutClinicPlan(Context& ctx, store::Transaction* tx) {
  const auto clinic = ParseId(ctx.path_params.at(0));
  const std::string& type = ctx.path_params.at(1);
  if (!clinic) return ErrorResponse(ctx, 404, "not_found", "no such resource");
  if (type.empty() || type.size() > 40 || type == "*") {
    return ErrorResponse(ctx, 400, "bad_request", "device type is 1 to 40 characters");
  }
  auto clinics = store::ListClinicTimeZones(*tx);
  if (!clinics) return clinics.error();
  if (std::none_of(clinics->begin(), clinics->end(),
                   [&](const auto& c) { return c.first == *clinic; })) {
    return ErrorResponse(ctx, 404, "not_found", "no such clinic");
  }
  const bool remove = ctx.request.method == "DELETE";
  store::PlanRow plan{
      .scope = store::PlanScope::kClinic, .clinic_id = *clinic, .device_type = type};
  std::string detail;
  if (remove) {
    auto s = store::DeletePlan(*tx, store::PlanScope::kClinic, *clinic, 0, type);
    if (!s) {
      if (s.error().code == base::ErrorCode::kNotFound) {
        return ErrorResponse(ctx, 404, "not_found", "the clinic has no plan for this device type");
      }
      return s.error();
    }
    detail = fmt::format("clinic={} device_type={} removed", *clinic, type);
  } else {
    auto body = JsonBody::Parse(ctx.request.body, {.max_bytes = 1024, .max_depth = 2});
    if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
    if (auto bad = ReadPlanBody(*body, &plan, false)) {
      return ErrorResponse(ctx, 400, "bad_request", *bad);
    }
    auto stored = store::PutPlan(*tx, plan, ctx.caller->subject.user_id, ctx.now_us);
    if (!stored) {
      if (stored.error().code == base::ErrorCode::kInvalidArgument) {
        return ErrorResponse(ctx, 400, "bad_request", stored.error().message);
      }
      return stored.error();
    }
    detail = fmt::format(
        "clinic={} device_type={} remote_days={} in_clinic_days={} version={}", *clinic, type,
        stored->remote_days ? std::to_string(*stored->remote_days) : "-",
        stored->in_clinic_days ? std::to_string(*stored->in_clinic_days) : "-", stored->version);
  }
  if (auto s = Audit(ctx, *tx, remove ? "plan.clinic.delete" : "plan.clinic.update", "clinic",
                     std::to_string(*clinic), std::nullopt, "success", detail);
      !s) {
    return s.error();
  }
  return JsonResponse(200, "{}");
}

// POST /api/v1/patients/{id}/visits {"day": "YYYY-MM-DD", "clinic": id?}: books an in-clinic
// visit (at the patient's clinic unless another of the caller's clinics is named).
base::Result<net::HttpResponse> BookVisit(Context& ctx, store::Transaction* tx) {
  auto body = JsonBody::Parse(ctx.request.body, {.max_bytes = 1024, .max_depth = 2});
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  const auto day = body->String("day");
  if (!day || !billing::ParseDay(*day)) {
    return ErrorResponse(ctx, 400, "bad_request", "day is a date YYYY-MM-DD");
  }
  std::optional<net::HttpResponse> refused;
  auto p = AuthorizedPatientId(ctx, *tx, Permission::kPatientWrite, "visit.book", &refused);
  if (!p) return p.error();
  if (refused) return std::move(*refused);
  auto clinic = store::GetPatientClinic(*tx, **p);
  if (!clinic) return clinic.error();
  std::int64_t at = *clinic;
  if (body->Has("clinic")) {
    const auto other = body->Int("clinic");
    if (!other) return ErrorResponse(ctx, 400, "bad_request", "clinic is an id");
    const auto decision =
        auth::Authorize(ctx.caller->subject, Permission::kPatientWrite, auth::ClinicId{*other});
    if (!decision.allowed) return ErrorResponse(ctx, 400, "bad_request", "not one of your clinics");
    at = *other;
  }
  auto id = store::BookVisit(*tx, **p, at, *day, ctx.caller->subject.user_id, ctx.now_us);
  if (!id) {
    if (id.error().code == base::ErrorCode::kInvalidArgument) {
      return ErrorResponse(ctx, 400, "bad_request", id.error().message);
    }
    return id.error();
  }
  if (auto s = Audit(ctx, *tx, "visit.book", "visit", std::to_string(*id), **p, "success",
                     fmt::format("clinic={}", at));
      !s) {
    return s.error();
  }
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("id", *id);
  w.EndObject();
  return JsonResponse(201, std::move(out));
}

// POST /api/v1/visits/{id}/cancel {"reason": "…"}: a booked visit is cancelled, the reason
// sealed in the audit record (409 once done or cancelled).
base::Result<net::HttpResponse> CancelVisit(Context& ctx, store::Transaction* tx) {
  auto body = JsonBody::Parse(ctx.request.body, {.max_bytes = 2048, .max_depth = 2});
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  const std::string reason = body->String("reason").value_or("");
  if (reason.empty() || reason.size() > 500) {
    return ErrorResponse(ctx, 400, "bad_request", "reason is 1 to 500 characters");
  }
  const auto id = ParseId(ctx.path_params.at(0));
  auto visit = id ? store::GetVisit(*tx, *id)
                  : base::Result<store::VisitRow>(base::MakeError(base::ErrorCode::kNotFound, ""));
  if (!visit) {
    if (visit.error().code != base::ErrorCode::kNotFound) return visit.error();
    if (auto s = Audit(ctx, *tx, "visit.cancel", "visit", ctx.path_params.at(0), std::nullopt,
                       "failed", "absent");
        !s) {
      return s.error();
    }
    return ErrorResponse(ctx, 404, "not_found", "no such resource");
  }
  auto clinic = store::GetPatientClinic(*tx, visit->patient_id);
  if (!clinic) return clinic.error();
  auto decision = AuthorizeObject(ctx, *tx, Permission::kPatientWrite, *clinic, "visit.cancel",
                                  "visit", std::to_string(*id), visit->patient_id);
  if (!decision) return decision.error();
  if (*decision) return std::move(**decision);
  if (auto s = store::CancelVisit(*tx, *id, ctx.now_us); !s) {
    if (s.error().code == base::ErrorCode::kAlreadyExists) {
      return ErrorResponse(ctx, 409, "not_booked", s.error().message);
    }
    return s.error();
  }
  if (auto s = Audit(ctx, *tx, "visit.cancel", "visit", std::to_string(*id), visit->patient_id,
                     "success", "", reason);
      !s) {
    return s.error();
  }
  return JsonResponse(200, "{}");
}

}  // namespace heartbase::api::internal
