// Results out to the EHR (src/ehr): the work list of results not delivered, and the resend.
#include <fmt/format.h>

#include "api/internal/context.h"
#include "store/results.h"

namespace heartbase::api::internal {

// GET /api/v1/results?state=dead|pending|sent: the caller's clinics' results, newest first. The
// receiver's text may name the patient; it is shown to the clinic's staff only.
base::Result<net::HttpResponse> ListResults(Context& ctx, store::Transaction* tx) {
  const std::string state_text = ctx.Query("state").value_or("dead");
  store::ResultState state = store::ResultState::kDead;
  if (state_text == "pending") {
    state = store::ResultState::kPending;
  } else if (state_text == "sent") {
    state = store::ResultState::kSent;
  } else if (state_text != "dead") {
    return ErrorResponse(ctx, 400, "bad_request", "state= is dead, pending or sent");
  }
  auto rows = store::ListResults(*tx, ctx.services.keys, state, VisibleClinics(ctx), PageSize(ctx));
  if (!rows) return rows.error();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("items");
  w.BeginArray();
  for (const auto& r : *rows) {
    w.BeginObject();
    w.Field("id", r.id);
    w.Field("interrogation_id", r.interrogation_id);
    w.Field("patient_id", r.patient_id);
    w.Field("clinic_id", r.clinic_id);
    w.Field("destination", r.destination);
    w.Field("control_id", r.control_id);
    w.Field("state", store::ToString(r.state));
    w.Field("attempts", r.attempts);
    w.Field("ack_code", r.ack_code);
    w.Field("error", r.last_error);
    w.Field("updated_us", r.updated_us);
    w.Field("resent_as", r.resent_as);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  if (auto s = Audit(ctx, *tx, "result.list", "result", "", std::nullopt, "success",
                     fmt::format("state={} results={}", state_text, rows->size()));
      !s) {
    return s.error();
  }
  return JsonResponse(200, std::move(out));
}

// POST /api/v1/results/{id}/resend: the result again, as a new message (a new control id).
// The body names why: {"reason": "MRN corrected in the EHR"} (sealed in the audit record).
base::Result<net::HttpResponse> ResendResult(Context& ctx, store::Transaction* tx) {
  auto body = JsonBody::Parse(ctx.request.body, {.max_bytes = 2048, .max_depth = 2});
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  const std::string reason = body->String("reason").value_or("");
  if (reason.empty() || reason.size() > 500) {
    return ErrorResponse(ctx, 400, "bad_request", "reason is 1 to 500 characters");
  }
  const auto id = ParseId(ctx.path_params.at(0));
  auto row = id ? store::GetResult(*tx, ctx.services.keys, *id)
                : base::Result<store::ResultDeliveryRow>(
                      base::MakeError(base::ErrorCode::kNotFound, "bad id"));
  if (!row) {
    if (row.error().code != base::ErrorCode::kNotFound) return row.error();
    if (auto s = Audit(ctx, *tx, "result.resend", "result", ctx.path_params.at(0), std::nullopt,
                       "failed", "absent");
        !s) {
      return s.error();
    }
    return ErrorResponse(ctx, 404, "not_found", "no such resource");
  }
  auto decision = AuthorizeObject(ctx, *tx, auth::Permission::kInterrogationReview, row->clinic_id,
                                  "result.resend", "result", std::to_string(*id), row->patient_id);
  if (!decision) return decision.error();
  if (*decision) return std::move(**decision);
  auto again = store::ResendResult(*tx, *id, ctx.now_us);
  if (!again) {
    if (again.error().code == base::ErrorCode::kInvalidArgument) {
      return ErrorResponse(ctx, 409, "pending", "the result is still being delivered");
    }
    if (again.error().code == base::ErrorCode::kAlreadyExists) {
      return ErrorResponse(ctx, 409, "already_resent", again.error().message);
    }
    return again.error();
  }
  if (auto s =
          Audit(ctx, *tx, "result.resend", "result", std::to_string(*id), row->patient_id,
                "success", fmt::format("new={} destination={}", *again, row->destination), reason);
      !s) {
    return s.error();
  }
  if (ctx.services.options.results_queued) ctx.services.options.results_queued();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("id", *again);
  w.EndObject();
  return JsonResponse(200, std::move(out));
}

}  // namespace heartbase::api::internal
