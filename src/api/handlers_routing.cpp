// Routing patients between clinics: the unassigned pool (what senders configured with no clinic
// delivered) and the administrator's move of a patient to another clinic. Both are
// administration (user.admin, a fresh step-up) and audited; linking never moves a patient.
#include <fmt/format.h>

#include "api/internal/context.h"
#include "api/json_body.h"
#include "store/clinical_reads.h"
#include "store/patients.h"

namespace heartbase::api::internal {
namespace {

constexpr std::size_t kMaxReasonBytes = 1000;

}  // namespace

// The unassigned pool, newest first: ids, sender and times only (routing needs no name; the
// administrator looks the patient up after moving it to a clinic they may read, if they may).
base::Result<net::HttpResponse> ListUnassigned(Context& ctx, store::Transaction* tx) {
  store::InterrogationFilter filter;
  filter.clinics = {store::kUnassignedClinic};
  const std::int64_t before = ParseId(ctx.Query("cursor").value_or("")).value_or(0);
  const int limit = PageSize(ctx);
  auto rows = store::ListInterrogations(*tx, filter, limit + 1, before);
  if (!rows) return rows.error();
  const bool more = static_cast<int>(rows->size()) > limit;
  if (more) rows->pop_back();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("items");
  w.BeginArray();
  for (const store::InterrogationRow& r : *rows) {
    w.BeginObject();
    w.Field("id", r.id);
    w.Field("patient_id", r.patient_id);
    w.Field("sender", r.sender);
    w.Field("received_us", r.received_us);
    if (r.session_us) w.Field("session_us", *r.session_us);
    w.EndObject();
  }
  w.EndArray();
  w.Key("next_cursor");
  if (more && !rows->empty()) {
    w.String(std::to_string(rows->back().id));
  } else {
    w.Null();
  }
  w.EndObject();
  if (auto s = Audit(ctx, *tx, "unassigned.read", "interrogation", "", std::nullopt, "success");
      !s) {
    return s.error();
  }
  return JsonResponse(200, std::move(out));
}

// {"clinic_id": N, "reason": "..."}: the patient, with everything that hangs off it, belongs to
// clinic N from now on. The reason is required and sealed in the audit record.
base::Result<net::HttpResponse> MovePatient(Context& ctx, store::Transaction* tx) {
  auto body = JsonBody::Parse(ctx.request.body, {.max_bytes = 4096, .max_depth = 2});
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  const auto clinic = body->Int("clinic_id");
  const std::string reason = body->String("reason").value_or("");
  if (!clinic || *clinic <= 0)
    return ErrorResponse(ctx, 400, "bad_request", "clinic_id is required");
  if (reason.empty() || reason.size() > kMaxReasonBytes) {
    return ErrorResponse(ctx, 400, "bad_request", "a reason (1-1000 bytes) is required");
  }
  const auto id = ParseId(ctx.path_params.at(0));
  if (!id) return ErrorResponse(ctx, 404, "not_found", "no such resource");
  auto from = store::GetPatientClinic(*tx, *id);
  if (!from) {
    if (from.error().code != base::ErrorCode::kNotFound) return from.error();
    return ErrorResponse(ctx, 404, "not_found", "no such resource");
  }
  const store::Param p[] = {{"id", *clinic}};
  auto exists = tx->Query("SELECT 1 FROM clinic WHERE id = :id", p);
  if (!exists) return exists.error();
  if (exists->empty()) return ErrorResponse(ctx, 400, "bad_request", "no such clinic");
  if (auto s = store::MovePatient(*tx, *id, *clinic); !s) return s.error();
  if (auto s = Audit(ctx, *tx, "patient.move", "patient", std::to_string(*id), *id, "success",
                     fmt::format("from_clinic={} to_clinic={}", *from, *clinic), reason);
      !s) {
    return s.error();
  }
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("patient_id", *id);
  w.Field("clinic_id", *clinic);
  w.EndObject();
  return JsonResponse(200, std::move(out));
}

}  // namespace heartbase::api::internal
