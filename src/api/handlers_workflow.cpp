// The clinic's work: the triage queue, assignment, review, physician sign-off (with a fresh
// re-authentication), attachments, and resolving unmatched interrogations. Every handler
// authorizes the object by its clinic and writes one audit record in the request's transaction.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "api/internal/context.h"
#include "api/json_body.h"
#include "ingest/readback.h"
#include "store/alerts.h"
#include "store/blobs.h"
#include "store/clinical_reads.h"
#include "store/outbox.h"
#include "store/patients.h"
#include "store/results.h"
#include "store/review.h"

namespace heartbase::api::internal {
namespace {

using auth::Permission;

constexpr std::string_view kSeverityNames[] = {"none", "info", "yellow", "red"};

std::string_view SeverityName(int s) {
  return kSeverityNames[static_cast<std::size_t>(std::clamp(s, 0, store::kMaxSeverity))];
}

void OptionalInt(base::JsonWriter& w, std::string_view key, const std::optional<std::int64_t>& v) {
  w.Key(key);
  if (v) {
    w.Int(*v);
  } else {
    w.Null();
  }
}

void OptionalString(base::JsonWriter& w, std::string_view key,
                    const std::optional<std::string>& v) {
  w.Key(key);
  if (v) {
    w.String(*v);
  } else {
    w.Null();
  }
}

// A refused state change: 409 for a locked interrogation; other errors roll the transaction
// back.
base::Result<net::HttpResponse> Refusal(Context& ctx, const base::Error& e) {
  if (e.code == base::ErrorCode::kAlreadyExists) {
    return ErrorResponse(ctx, 409, "locked", "the interrogation is signed and locked");
  }
  return e;
}

base::Result<net::HttpResponse> ReviewResponse(Context& ctx, store::Transaction& tx,
                                               std::int64_t id) {
  auto review = store::GetReview(tx, ctx.services.keys, id);
  if (!review) return review.error();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("review");
  WriteReview(w, *review);
  w.EndObject();
  return JsonResponse(200, std::move(out));
}

}  // namespace

base::Result<std::optional<store::InterrogationRow>> AuthorizedInterrogation(
    Context& ctx, store::Transaction& tx, Permission permission, std::string_view action,
    std::optional<net::HttpResponse>* refused) {
  const auto id = ParseId(ctx.path_params.at(0));
  if (!id) {
    *refused = ErrorResponse(ctx, 404, "not_found", "no such resource");
    return std::optional<store::InterrogationRow>{};
  }
  auto row = store::GetInterrogation(tx, *id);
  if (!row) {
    if (row.error().code != base::ErrorCode::kNotFound) return row.error();
    *refused = ErrorResponse(ctx, 404, "not_found", "no such resource");
    return std::optional<store::InterrogationRow>{};
  }
  auto decision = AuthorizeObject(ctx, tx, permission, row->clinic_id, action, "interrogation",
                                  std::to_string(*id), row->patient_id);
  if (!decision) return decision.error();
  if (*decision) {
    *refused = std::move(*decision);
    return std::optional<store::InterrogationRow>{};
  }
  return std::optional<store::InterrogationRow>{std::move(*row)};
}

base::Result<std::vector<std::string>> ListAlertReasons(Context& ctx, store::Transaction& tx,
                                                        std::int64_t interrogation_id) {
  auto alerts = store::ListAlerts(tx, ctx.services.keys, interrogation_id);
  if (!alerts) return alerts.error();
  std::vector<std::string> out;
  out.reserve(alerts->size());
  for (const store::AlertRecord& a : *alerts) out.push_back(a.alert.reason);
  return out;
}

void WriteReview(base::JsonWriter& w, const store::Review& r) {
  w.BeginObject();
  w.Field("state", store::ReviewStateName(r.state));
  w.Field("severity", SeverityName(r.severity));
  OptionalInt(w, "due_us", r.due_us);
  w.Field("received_us", r.received_us);
  OptionalString(w, "assigned_to", r.assigned_to);
  OptionalString(w, "reviewed_by", r.reviewed_by);
  OptionalInt(w, "reviewed_us", r.reviewed_us);
  OptionalString(w, "signed_by", r.signed_by);
  OptionalInt(w, "signed_us", r.signed_us);
  w.Key("notes");
  w.BeginArray();
  for (const store::ReviewNote& n : r.notes) {
    w.BeginObject();
    w.Field("author", n.author);
    w.Field("kind", n.kind);
    w.Field("time_us", n.time_us);
    w.Field("text", n.text);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

base::Result<net::HttpResponse> ListQueue(Context& ctx, store::Transaction* tx) {
  store::ReviewQueueFilter filter;
  filter.clinics = VisibleClinics(ctx);
  if (auto v = ctx.Query("clinic")) {
    filter.clinic = ParseId(*v);
    if (!filter.clinic) return ErrorResponse(ctx, 400, "bad_request", "clinic= is an id");
  }
  if (auto v = ctx.Query("manufacturer")) filter.manufacturer = *v;
  if (auto v = ctx.Query("device_type")) filter.device_type = *v;
  if (auto v = ctx.Query("session_type")) filter.session_type = *v;
  if (auto v = ctx.Query("assigned")) {
    if (*v != "me") return ErrorResponse(ctx, 400, "bad_request", "assigned= takes 'me'");
    filter.assigned_to = ctx.caller->subject.user_id;
  }
  std::optional<store::QueueCursor> after;
  if (auto v = ctx.Query("cursor")) {
    after = store::ParseQueueCursor(*v);
    if (!after) return ErrorResponse(ctx, 400, "bad_request", "bad cursor");
  }
  const int limit = PageSize(ctx);
  auto rows = store::ListQueue(*tx, filter, limit + 1, after);
  if (!rows) return rows.error();
  const bool more = static_cast<int>(rows->size()) > limit;
  if (more) rows->pop_back();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("items");
  w.BeginArray();
  for (const store::ReviewQueueItem& q : *rows) {
    auto patient = store::GetPatient(*tx, ctx.services.keys, q.patient_id);
    if (!patient) return patient.error();
    auto alerts = ListAlertReasons(ctx, *tx, q.interrogation_id);
    if (!alerts) return alerts.error();
    w.BeginObject();
    w.Field("interrogation_id", q.interrogation_id);
    w.Field("patient_id", q.patient_id);
    w.Field("patient_name", patient->family_name.empty()
                                ? patient->given_name
                                : patient->family_name + ", " + patient->given_name);
    w.Field("clinic_id", q.clinic_id);
    w.Field("manufacturer", q.manufacturer);
    w.Field("device_type", q.device_type);
    w.Field("session_type", q.session_type);
    w.Field("state", store::ReviewStateName(q.state));
    w.Field("received_us", q.received_us);
    w.Field("severity", SeverityName(q.severity));
    w.Key("reasons");
    w.BeginArray();
    for (const std::string& r : *alerts) w.String(r);
    w.EndArray();
    OptionalString(w, "assigned_to", q.assigned_to);
    OptionalInt(w, "due_us", q.due_us);
    w.Field("overdue", q.due_us.has_value() && ctx.now_us > *q.due_us);
    w.EndObject();
  }
  w.EndArray();
  w.Key("next_cursor");
  if (more) {
    const store::ReviewQueueItem& last = rows->back();
    w.String(store::FormatQueueCursor({last.severity, last.received_us, last.interrogation_id}));
  } else {
    w.Null();
  }
  w.EndObject();
  if (auto s = Audit(ctx, *tx, "queue.read", "interrogation", "", std::nullopt, "success",
                     fmt::format("results={}", rows->size()));
      !s) {
    return s.error();
  }
  return JsonResponse(200, std::move(out));
}

base::Result<net::HttpResponse> AssignInterrogation(Context& ctx, store::Transaction* tx) {
  auto body = JsonBody::Parse(ctx.request.body, {.max_bytes = 1024, .max_depth = 2});
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  std::optional<std::int64_t> assignee;
  if (body->String("assignee") == std::optional<std::string>("me")) {
    assignee = ctx.caller->subject.user_id;
  } else if (!body->IsNull("assignee")) {
    return ErrorResponse(ctx, 400, "bad_request", "assignee is \"me\" or null");
  }
  std::optional<net::HttpResponse> refused;
  auto row = AuthorizedInterrogation(ctx, *tx, Permission::kInterrogationReview,
                                     "interrogation.assign", &refused);
  if (!row) return row.error();
  if (refused) return std::move(*refused);
  const std::int64_t id = (*row)->id;
  if (auto s = store::Assign(*tx, id, assignee); !s) return Refusal(ctx, s.error());
  if (auto s = Audit(ctx, *tx, "interrogation.assign", "interrogation", std::to_string(id),
                     (*row)->patient_id, "success", assignee ? "assignee=self" : "assignee=none");
      !s) {
    return s.error();
  }
  return ReviewResponse(ctx, *tx, id);
}

base::Result<net::HttpResponse> ReviewInterrogation(Context& ctx, store::Transaction* tx) {
  auto body = JsonBody::Parse(ctx.request.body, {.max_bytes = 16u << 10, .max_depth = 2});
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  const std::string note = body->String("note").value_or("");
  if (note.size() > store::kMaxNoteBytes)
    return ErrorResponse(ctx, 400, "bad_request", "note too long");
  std::optional<net::HttpResponse> refused;
  auto row = AuthorizedInterrogation(ctx, *tx, Permission::kInterrogationReview,
                                     "interrogation.review", &refused);
  if (!row) return row.error();
  if (refused) return std::move(*refused);
  const std::int64_t id = (*row)->id;
  if (auto s = store::MarkReviewed(*tx, ctx.services.keys, id, ctx.caller->subject.user_id, note,
                                   ctx.now_us);
      !s) {
    return Refusal(ctx, s.error());
  }
  if (auto s = Audit(ctx, *tx, "interrogation.review", "interrogation", std::to_string(id),
                     (*row)->patient_id, "success", note.empty() ? "note=none" : "note=given");
      !s) {
    return s.error();
  }
  return ReviewResponse(ctx, *tx, id);
}

namespace {

store::OutboxMessage SignoffNotice(std::int64_t interrogation_id,
                                   const ApiOptions::SignoffRecipient& to) {
  store::OutboxMessage m;
  m.kind = store::OutboxKind::kSignoff;
  m.channel = to.channel;
  m.recipient = to.recipient;
  m.idempotency_key =
      fmt::format("signoff:{}:{}:{}", interrogation_id, store::ToString(to.channel), to.recipient);
  m.ticket = fmt::format("HB-{:06}", interrogation_id);
  m.link = fmt::format("/#/interrogation/{}", interrogation_id);
  m.subject = fmt::format("heartbase: ticket {} signed off", m.ticket);
  m.body = fmt::format(
      "A device interrogation was signed off by a physician in heartbase (ticket {}).\n"
      "Sign in to see it: {}\n",
      m.ticket, m.link);
  return m;
}

}  // namespace

// Sign-off re-asks for the password (and TOTP code): the route runs outside a transaction, so
// the re-authentication (Argon2id) never holds the write lock; the sign-off then commits with
// its audit record.
base::Result<net::HttpResponse> SignOffInterrogation(Context& ctx, store::Transaction*) {
  auto body = JsonBody::Parse(ctx.request.body, {.max_bytes = 16u << 10, .max_depth = 2});
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  const std::string note = body->String("note").value_or("");
  if (note.size() > store::kMaxNoteBytes)
    return ErrorResponse(ctx, 400, "bad_request", "note too long");
  if (auto r = StepUp(ctx, *body); !r) {
    return r.error();
  } else if (*r) {
    return std::move(**r);
  }
  net::HttpResponse response;
  auto status = ctx.services.commit.Run([&](store::Transaction& tx) -> base::Status {
    std::optional<net::HttpResponse> refused;
    auto row = AuthorizedInterrogation(ctx, tx, Permission::kInterrogationSignoff,
                                       "interrogation.signoff", &refused);
    if (!row) return row.error();
    if (refused) {
      response = std::move(*refused);
      return {};
    }
    const std::int64_t id = (*row)->id;
    if (auto s = store::SignOff(tx, ctx.services.keys, id, ctx.caller->subject.user_id, note,
                                ctx.now_us);
        !s) {
      auto r = Refusal(ctx, s.error());
      if (!r) return r.error();
      response = std::move(*r);
      return {};
    }
    if (auto s = Audit(ctx, tx, "interrogation.signoff", "interrogation", std::to_string(id),
                       (*row)->patient_id, "success", note.empty() ? "note=none" : "note=given");
        !s) {
      return s;
    }
    // The notices commit with the sign-off or not at all; each names a ticket, never the patient.
    for (const ApiOptions::SignoffRecipient& r : ctx.services.options.signoff_recipients) {
      if (auto e = store::EnqueueJob(tx, ctx.services.keys, SignoffNotice(id, r), ctx.now_us); !e) {
        return e.error();
      }
    }
    // The result for each EHR destination commits with the sign-off (sent after it).
    if (const auto& destinations = ctx.services.options.result_destinations;
        !destinations.empty()) {
      if (auto e = store::EnqueueResults(tx, id, (*row)->patient_id, destinations, ctx.now_us);
          !e) {
        return e.error();
      }
    }
    auto r = ReviewResponse(ctx, tx, id);
    if (!r) return r.error();
    response = std::move(*r);
    return {};
  });
  if (!status) return status.error();
  if (response.status == 200 && ctx.services.options.report_signed) {
    ctx.services.options.report_signed();
  }
  if (response.status == 200 && ctx.services.options.results_queued) {
    ctx.services.options.results_queued();
  }
  return response;
}

// Attachment bytes (EGM, PDF report). The media type came from the message: only types a browser
// shows safely are passed on; anything else is a download.
base::Result<net::HttpResponse> GetAttachment(Context& ctx, store::Transaction* tx) {
  std::optional<net::HttpResponse> refused;
  auto row = AuthorizedInterrogation(ctx, *tx, Permission::kInterrogationRead, "attachment.read",
                                     &refused);
  if (!row) return row.error();
  if (refused) return std::move(*refused);
  // The position in the message, from 0 (GET /interrogations/{id} lists them).
  const std::string& text = ctx.path_params.at(1);
  std::int64_t index = -1;
  if (auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), index);
      ec != std::errc() || end != text.data() + text.size() || index < 0) {
    index = -1;
  }
  const store::Param p[] = {{"id", (*row)->id}, {"skip", std::max<std::int64_t>(index, 0)}};
  auto rows = tx->Query(
      "SELECT media_type, blob_id, segment FROM attachment WHERE interrogation_id = :id "
      "ORDER BY id LIMIT 1 OFFSET :skip",
      p);
  if (!rows) return rows.error();
  if (index < 0 || rows->empty() || (rows->front().IsNull(1) && rows->front().IsNull(2))) {
    // An attempt at patient data is recorded even when there was nothing to give.
    if (auto s = Audit(ctx, *tx, "attachment.read", "interrogation", std::to_string((*row)->id),
                       (*row)->patient_id, "failed", fmt::format("attachment={} absent", index));
        !s) {
      return s.error();
    }
    return ErrorResponse(ctx, 404, "not_found", "no such resource");
  }
  // Since schema version 9 a document is read out of the raw message that carried it; earlier
  // rows point at a blob of their own.
  base::Result<std::string> bytes = std::string();
  if (!rows->front().IsNull(1)) {
    bytes = store::GetBlob(*tx, ctx.services.keys, rows->front().Int(1));
  } else {
    auto raw = store::GetBlob(*tx, ctx.services.keys, (*row)->raw_blob_id);
    if (!raw) return raw.error();
    bytes = ingest::StoredAttachment(*raw, static_cast<std::uint32_t>(rows->front().Int(2)));
    // The row was written from this message: a document missing from it is damage, not absence.
    if (!bytes && bytes.error().code == base::ErrorCode::kNotFound) {
      return base::MakeError(base::ErrorCode::kDataLoss, "attachment missing from its message");
    }
  }
  if (!bytes) return bytes.error();
  const std::string_view declared = rows->front().Text(0);
  static constexpr std::string_view kShown[] = {"application/pdf", "image/png", "image/jpeg"};
  const bool shown = std::find(std::begin(kShown), std::end(kShown), declared) != std::end(kShown);
  if (auto s = Audit(ctx, *tx, "attachment.read", "interrogation", std::to_string((*row)->id),
                     (*row)->patient_id, "success", fmt::format("attachment={}", index));
      !s) {
    return s.error();
  }
  net::HttpResponse r;
  r.status = 200;
  r.body = std::move(*bytes);
  r.Set("Content-Type", shown ? std::string(declared) : "application/octet-stream");
  r.Set("Content-Disposition",
        fmt::format("{}; filename=\"attachment-{}\"", shown ? "inline" : "attachment", index));
  return r;
}

namespace {

// The unmatched patient `from` (of `clinic`, already authorized) is linked to the patient the
// body names, or accepted as a patient of its clinic; audited as unmatched.resolve on
// `object_type` `object_id`. Linking never moves a patient between clinics.
base::Result<net::HttpResponse> ResolveUnmatched(Context& ctx, store::Transaction& tx,
                                                 const JsonBody& body, std::int64_t from,
                                                 std::int64_t clinic, std::string_view object_type,
                                                 const std::string& object_id) {
  const auto target = body.Int("patient_id");
  // Linking and accepting keep the patient in its clinic (the clinic of the feed that delivered
  // it); moving a patient between clinics is an administrator's act of its own.
  if (auto c = body.Int("clinic_id"); c && *c != clinic) {
    return ErrorResponse(ctx, 400, "bad_request",
                         "linking does not move patients between clinics; an administrator "
                         "moves the patient (POST /api/v1/admin/patients/{id}/move)");
  }
  std::int64_t into = from;
  if (target) {
    auto target_clinic = store::GetPatientClinic(tx, *target);
    if (!target_clinic) {
      if (target_clinic.error().code != base::ErrorCode::kNotFound) return target_clinic.error();
      return ErrorResponse(ctx, 404, "not_found", "no such patient");
    }
    auto allowed =
        AuthorizeObject(ctx, tx, Permission::kPatientWrite, *target_clinic, "unmatched.resolve",
                        "patient", std::to_string(*target), *target);
    if (!allowed) return allowed.error();
    if (*allowed) return std::move(**allowed);
    if (*target_clinic != clinic) {
      return ErrorResponse(ctx, 409, "conflict",
                           "the patients belong to different clinics; an administrator moves a "
                           "patient between clinics first");
    }
    into = *target;
  }
  const base::Status s = target ? store::LinkUnmatchedPatient(tx, ctx.services.keys, from, into)
                                : store::AcceptUnmatchedPatient(tx, into);
  if (!s) {
    if (s.error().code == base::ErrorCode::kAlreadyExists) {
      return ErrorResponse(ctx, 409, "conflict",
                           target && *target == from ? "a patient cannot be linked to itself"
                                                     : "the patient is already matched");
    }
    return s.error();
  }
  if (auto a =
          Audit(ctx, tx, "unmatched.resolve", object_type, object_id, into, "success",
                target ? fmt::format("linked_from_patient={}", from) : std::string("accepted"));
      !a) {
    return a.error();
  }
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("patient_id", into);
  w.EndObject();
  return JsonResponse(200, std::move(out));
}

base::Result<JsonBody> ParseLinkBody(Context& ctx) {
  return JsonBody::Parse(ctx.request.body, {.max_bytes = 1024, .max_depth = 2});
}

// The 400 for a link body that does not parse or names neither or both of its choices.
std::optional<net::HttpResponse> RefuseLinkBody(Context& ctx, const base::Result<JsonBody>& body) {
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  if (body->Int("patient_id").has_value() == body->Bool("create").value_or(false)) {
    return ErrorResponse(ctx, 400, "bad_request", "give patient_id or create: true");
  }
  return std::nullopt;
}

}  // namespace

// An unmatched interrogation's patient is linked to an existing patient, or accepted as a new
// patient of one of the caller's clinics.
base::Result<net::HttpResponse> LinkInterrogation(Context& ctx, store::Transaction* tx) {
  const auto body = ParseLinkBody(ctx);
  if (auto refused = RefuseLinkBody(ctx, body)) return std::move(*refused);
  const auto id = ParseId(ctx.path_params.at(0));
  if (!id) return ErrorResponse(ctx, 404, "not_found", "no such resource");
  auto row = store::GetInterrogation(*tx, *id);
  if (!row) {
    if (row.error().code != base::ErrorCode::kNotFound) return row.error();
    return ErrorResponse(ctx, 404, "not_found", "no such resource");
  }
  // Authorization before any state: another clinic's interrogation is 404 whether it is
  // unmatched, matched or missing, so ids cannot be enumerated through this route.
  auto decision =
      AuthorizeObject(ctx, *tx, Permission::kPatientWrite, row->clinic_id, "unmatched.resolve",
                      "interrogation", std::to_string(*id), row->patient_id);
  if (!decision) return decision.error();
  if (*decision) return std::move(**decision);
  if (!row->unmatched) {
    return ErrorResponse(ctx, 409, "conflict", "the interrogation is already matched");
  }
  return ResolveUnmatched(ctx, *tx, *body, row->patient_id, row->clinic_id, "interrogation",
                          std::to_string(*id));
}

// An unmatched patient record with no interrogation (the hospital's ADT updated an MRN nobody had
// registered) is linked to an existing patient, or accepted as a patient of its clinic.
base::Result<net::HttpResponse> LinkPatient(Context& ctx, store::Transaction* tx) {
  const auto body = ParseLinkBody(ctx);
  if (auto refused = RefuseLinkBody(ctx, body)) return std::move(*refused);
  const auto id = ParseId(ctx.path_params.at(0));
  if (!id) return ErrorResponse(ctx, 404, "not_found", "no such resource");
  auto p = store::GetPatient(*tx, ctx.services.keys, *id);
  if (!p) {
    if (p.error().code != base::ErrorCode::kNotFound) return p.error();
    return ErrorResponse(ctx, 404, "not_found", "no such resource");
  }
  auto decision = AuthorizeObject(ctx, *tx, Permission::kPatientWrite, p->clinic_id,
                                  "unmatched.resolve", "patient", std::to_string(*id), *id);
  if (!decision) return decision.error();
  if (*decision) return std::move(**decision);
  if (!p->unmatched) return ErrorResponse(ctx, 409, "conflict", "the patient is already matched");
  return ResolveUnmatched(ctx, *tx, *body, *id, p->clinic_id, "patient", std::to_string(*id));
}

// An HL7 file from an integration: the same pipeline and guarantees as MLLP and `import`. The
// pipeline commits on its own; the audit record follows in its own transaction.
base::Result<net::HttpResponse> UploadHl7(Context& ctx, store::Transaction*) {
  if (!ctx.services.options.upload) {
    return ErrorResponse(ctx, 503, "unavailable", "uploads are not enabled on this server");
  }
  if (ctx.request.body.empty()) return ErrorResponse(ctx, 400, "bad_request", "the body is empty");
  // The caller's own clinics (not a break-glass widening): what an upload may write to.
  std::vector<std::int64_t> clinics;
  for (auth::ClinicId c : ctx.caller->subject.clinics) {
    clinics.push_back(static_cast<std::int64_t>(c));
  }
  const UploadTally t = ctx.services.options.upload(ctx.request.body, clinics);
  auto status = ctx.services.commit.Run([&](store::Transaction& tx) -> base::Status {
    return Audit(ctx, tx, "hl7.upload", "interrogation", "", std::nullopt,
                 t.failed == 0 ? "success" : "failure",
                 fmt::format("stored={} duplicate={} control_id_reused={} quarantined={} "
                             "failed={}",
                             t.stored, t.duplicate, t.control_id_reused, t.quarantined, t.failed));
  });
  if (!status) return status.error();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("stored", static_cast<std::int64_t>(t.stored));
  w.Field("duplicate", static_cast<std::int64_t>(t.duplicate));
  w.Field("control_id_reused", static_cast<std::int64_t>(t.control_id_reused));
  w.Field("quarantined", static_cast<std::int64_t>(t.quarantined));
  w.Field("failed", static_cast<std::int64_t>(t.failed));
  w.EndObject();
  net::HttpResponse r = JsonResponse(t.failed == 0 ? 200 : 503, std::move(out));
  if (t.failed != 0) r.Set("Retry-After", "5");
  return r;
}

}  // namespace heartbase::api::internal
