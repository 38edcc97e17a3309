// Patients, trends and interrogations. Each handler authorizes the object by its clinic and writes
// exactly one audit record in the request's transaction.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "api/internal/context.h"
#include "ingest/readback.h"
#include "store/alerts.h"
#include "store/blobs.h"
#include "store/clinical_reads.h"
#include "store/interrogations.h"
#include "store/patient_merge.h"
#include "store/patients.h"
#include "store/review.h"

namespace heartbase::api::internal {
namespace {

using auth::Permission;

constexpr int kMaxTrendCodes = 16;

void WritePatient(base::JsonWriter& w, const store::PatientRecord& p) {
  w.Field("id", p.id);
  w.Field("clinic_id", p.clinic_id);
  w.Field("unmatched", p.unmatched);
  w.Field("family_name", p.family_name);
  w.Field("given_name", p.given_name);
  w.Field("birth_date", p.birth_date);
  w.Field("sex", p.sex);
}

void WriteInterrogationRow(base::JsonWriter& w, const store::InterrogationRow& i) {
  w.Field("id", i.id);
  w.Field("patient_id", i.patient_id);
  w.Field("clinic_id", i.clinic_id);
  w.Field("device_id", i.device_id);
  w.Field("sender", i.sender);
  w.Field("session_type", i.session_type);
  w.Key("session_us");
  if (i.session_us) {
    w.Int(*i.session_us);
  } else {
    w.Null();
  }
  w.Field("result_status", i.result_status);
  w.Key("superseded_by");
  if (i.superseded_by) {
    w.Int(*i.superseded_by);
  } else {
    w.Null();
  }
  w.Field("received_us", i.received_us);
  w.Field("observation_count", i.observation_count);
  w.Field("warning_count", i.warning_count);
  w.Field("unmatched", i.unmatched);
}

// The patient named by path parameter 0, authorized for `permission`. On refusal `*refused` is
// the response to send.
base::Result<std::optional<store::PatientRecord>> AuthorizedPatient(
    Context& ctx, store::Transaction& tx, Permission permission, std::string_view action,
    std::optional<net::HttpResponse>* refused) {
  const auto id = ParseId(ctx.path_params.at(0));
  if (!id) {
    *refused = ErrorResponse(ctx, 404, "not_found", "no such resource");
    return std::optional<store::PatientRecord>{};
  }
  auto p = store::GetPatient(tx, ctx.services.keys, *id);
  if (!p) {
    if (p.error().code != base::ErrorCode::kNotFound) return p.error();
    *refused = ErrorResponse(ctx, 404, "not_found", "no such resource");
    return std::optional<store::PatientRecord>{};
  }
  auto decision = AuthorizeObject(ctx, tx, permission, p->clinic_id, action, "patient",
                                  std::to_string(*id), *id);
  if (!decision) return decision.error();
  if (*decision) {
    *refused = std::move(*decision);
    return std::optional<store::PatientRecord>{};
  }
  return std::optional<store::PatientRecord>{std::move(*p)};
}

}  // namespace

// The patient id of path parameter 0, authorized for `permission`, without decrypting the record
// (trend reads need only the clinic). nullopt with `*refused` set on refusal.
base::Result<std::optional<std::int64_t>> AuthorizedPatientId(
    Context& ctx, store::Transaction& tx, Permission permission, std::string_view action,
    std::optional<net::HttpResponse>* refused) {
  const auto id = ParseId(ctx.path_params.at(0));
  auto clinic = id ? store::GetPatientClinic(tx, *id)
                   : base::Result<std::int64_t>(base::MakeError(base::ErrorCode::kNotFound, ""));
  if (!clinic) {
    if (clinic.error().code != base::ErrorCode::kNotFound) return clinic.error();
    *refused = ErrorResponse(ctx, 404, "not_found", "no such resource");
    return std::optional<std::int64_t>{};
  }
  auto decision =
      AuthorizeObject(ctx, tx, permission, *clinic, action, "patient", std::to_string(*id), *id);
  if (!decision) return decision.error();
  if (*decision) {
    *refused = std::move(*decision);
    return std::optional<std::int64_t>{};
  }
  return std::optional<std::int64_t>{*id};
}

base::Result<net::HttpResponse> SearchPatients(Context& ctx, store::Transaction* tx) {
  const std::string q = ctx.Query("q").value_or("");
  const int limit = PageSize(ctx);
  std::int64_t before = 0;
  if (auto c = ctx.Query("cursor")) {
    // A cursor that does not parse must not silently restart the list from the top.
    const auto id = ParseId(*c);
    if (!id) return ErrorResponse(ctx, 400, "bad_request", "bad cursor");
    before = *id;
  }
  const std::vector<std::int64_t> clinics = VisibleClinics(ctx);
  // The caller's patients only, newest first, one more than a page: whether it is there says
  // whether another page follows. Other clinics' patients are left out before counting.
  std::vector<std::int64_t> ids;
  const auto wanted = static_cast<std::size_t>(limit) + 1;
  // unconfirmed=true: the records the hospital's ADT created for an MRN nobody had registered
  // (the unmatched work list resolves them: POST /patients/{id}/link).
  const std::string flag = ctx.Query("unconfirmed").value_or("");
  const bool unconfirmed = flag == "true" || flag == "1";
  if (unconfirmed && !q.empty()) {
    return ErrorResponse(ctx, 400, "bad_request", "unconfirmed= lists; it does not search (q=)");
  }
  if (unconfirmed) {
    auto page = store::ListUnconfirmedPatientIds(*tx, clinics, limit + 1, before);
    if (!page) return page.error();
    ids = std::move(*page);
  } else if (q.empty()) {
    auto page = store::ListPatientIds(*tx, clinics, limit + 1, before);
    if (!page) return page.error();
    ids = std::move(*page);
  } else {
    // Name tokens, an identifier under any authority, or a device/lead serial: the union.
    std::set<std::int64_t> found;
    for (auto&& r : {store::FindPatientsByName(*tx, ctx.services.keys, q),
                     store::FindPatientsByIdentifier(*tx, ctx.services.keys, q, ""),
                     store::FindPatientsBySerial(*tx, ctx.services.keys, q)}) {
      if (!r) return r.error();
      found.insert(r->begin(), r->end());
    }
    for (auto it = found.rbegin(); it != found.rend() && ids.size() < wanted; ++it) {
      if (before != 0 && *it >= before) continue;
      if (!clinics.empty()) {
        auto clinic = store::GetPatientClinic(*tx, *it);
        if (!clinic) return clinic.error();
        if (std::find(clinics.begin(), clinics.end(), *clinic) == clinics.end()) continue;
      }
      ids.push_back(*it);
    }
  }
  const bool more = ids.size() > static_cast<std::size_t>(limit);
  if (more) ids.pop_back();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("items");
  w.BeginArray();
  for (std::int64_t id : ids) {
    auto p = store::GetPatient(*tx, ctx.services.keys, id);
    if (!p) return p.error();
    w.BeginObject();
    WritePatient(w, *p);
    w.EndObject();
  }
  w.EndArray();
  w.Key("next_cursor");
  if (more) {
    w.String(std::to_string(ids.back()));
  } else {
    w.Null();
  }
  w.EndObject();
  // The query may be a name: the record says what kind of search it was, never its text.
  if (auto s = Audit(
          ctx, *tx, "patient.search", "patient", "", std::nullopt, "success",
          fmt::format("query={} results={}",
                      unconfirmed ? "unconfirmed" : (q.empty() ? "none" : "given"), ids.size()));
      !s) {
    return s.error();
  }
  return JsonResponse(200, std::move(out));
}

base::Result<net::HttpResponse> GetPatient(Context& ctx, store::Transaction* tx) {
  std::optional<net::HttpResponse> refused;
  auto p = AuthorizedPatient(ctx, *tx, Permission::kPatientRead, "patient.read", &refused);
  if (!p) return p.error();
  if (refused) return std::move(*refused);
  const std::int64_t id = (*p)->id;
  auto identifiers = store::ListIdentifiers(*tx, ctx.services.keys, id);
  if (!identifiers) return identifiers.error();
  auto devices = store::ListDevices(*tx, ctx.services.keys, id);
  if (!devices) return devices.error();
  auto leads = store::ListLeads(*tx, ctx.services.keys, id);
  if (!leads) return leads.error();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  WritePatient(w, **p);
  w.Key("identifiers");
  w.BeginArray();
  for (const auto& i : *identifiers) {
    w.BeginObject();
    w.Field("kind", i.kind);
    w.Field("id", i.id);
    w.Field("authority", i.authority);
    w.EndObject();
  }
  w.EndArray();
  w.Key("devices");
  w.BeginArray();
  for (const auto& d : *devices) {
    w.BeginObject();
    w.Field("id", d.id);
    w.Field("manufacturer", d.manufacturer);
    w.Field("type", d.type);
    w.Field("model", d.model);
    w.Field("serial", d.serial);
    w.Field("implant_date", d.implant_date);
    w.Field("first_seen_us", d.first_seen_us);
    w.Field("last_seen_us", d.last_seen_us);
    w.EndObject();
  }
  w.EndArray();
  w.Key("leads");
  w.BeginArray();
  for (const auto& l : *leads) {
    w.BeginObject();
    w.Field("id", l.id);
    w.Field("device_id", l.device_id);
    w.Field("instance", l.instance);
    w.Field("manufacturer", l.manufacturer);
    w.Field("location", l.location);
    w.Field("model", l.model);
    w.Field("serial", l.serial);
    w.Field("implant_date", l.implant_date);
    w.Field("first_seen_us", l.first_seen_us);
    w.Field("last_seen_us", l.last_seen_us);
    w.EndObject();
  }
  w.EndArray();
  // Alerts about the patient rather than one interrogation (a missed transmission), newest last.
  auto alerts = store::ListPatientAlerts(*tx, ctx.services.keys, id, 0, 100);
  if (!alerts) return alerts.error();
  w.Key("patient_alerts");
  w.BeginArray();
  for (const store::AlertRecord& a : *alerts) {
    if (a.interrogation_id) continue;
    w.BeginObject();
    w.Field("rule", a.alert.rule);
    w.Field("severity", store::ToString(a.alert.severity));
    w.Field("reason", a.alert.reason);
    w.Field("created_us", a.created_us);
    w.Field("due_us", a.alert.due_us);
    w.EndObject();
  }
  w.EndArray();
  // The records merged into this one (ADT A40/A39/A18), oldest first: which message asked.
  auto merges = store::ListMergesInto(*tx, id);
  if (!merges) return merges.error();
  w.Key("merged");
  w.BeginArray();
  for (const store::MergeRecord& m : *merges) {
    w.BeginObject();
    w.Field("merged_from", m.merged_from);
    w.Field("merged_us", m.merged_us);
    w.Field("sender", m.sender);
    w.Field("control_id", m.control_id);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  if (auto s = Audit(ctx, *tx, "patient.read", "patient", std::to_string(id), id, "success"); !s) {
    return s.error();
  }
  return JsonResponse(200, std::move(out));
}

base::Result<net::HttpResponse> GetTrends(Context& ctx, store::Transaction* tx) {
  std::optional<net::HttpResponse> refused;
  auto p = AuthorizedPatientId(ctx, *tx, Permission::kTrendRead, "trend.read", &refused);
  if (!p) return p.error();
  if (refused) return std::move(*refused);
  const std::int64_t id = **p;
  const std::string codes = ctx.Query("code").value_or("");
  std::vector<std::uint32_t> terms;
  std::string_view rest = codes;
  while (!rest.empty()) {
    const std::size_t comma = std::min(rest.find(','), rest.size());
    const auto term = ingest::TermCode(rest.substr(0, comma));
    if (!term) return ErrorResponse(ctx, 400, "bad_request", "unknown term in code=");
    terms.push_back(*term);
    rest.remove_prefix(std::min(comma + 1, rest.size()));
  }
  if (terms.empty() || terms.size() > kMaxTrendCodes) {
    return ErrorResponse(ctx, 400, "bad_request", "give 1 to 16 terms in code=");
  }
  auto bound = [&](const char* key, std::int64_t fallback) -> std::optional<std::int64_t> {
    const auto v = ctx.Query(key);
    if (!v) return fallback;
    std::int64_t n = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || ptr != v->data() + v->size()) return std::nullopt;
    return n;
  };
  const auto from = bound("from", INT64_MIN), to = bound("to", INT64_MAX);
  if (!from || !to) return ErrorResponse(ctx, 400, "bad_request", "from= and to= are microseconds");
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("patient_id", id);
  w.Key("series");
  w.BeginArray();
  for (std::uint32_t term : terms) {
    auto points = store::ReadTrend(*tx, id, term, *from, *to);
    if (!points) return points.error();
    w.BeginObject();
    w.Field("code", term);
    w.Key("points");
    w.BeginArray();
    for (const auto& pt : *points) {
      w.BeginArray();
      w.Int(pt.time_us);
      w.Double(pt.value);
      w.EndArray();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  if (auto s = Audit(ctx, *tx, "trend.read", "patient", std::to_string(id), id, "success",
                     fmt::format("terms={}", terms.size()));
      !s) {
    return s.error();
  }
  return JsonResponse(200, std::move(out));
}

base::Result<net::HttpResponse> ListInterrogations(Context& ctx, store::Transaction* tx) {
  store::InterrogationFilter filter;
  filter.clinics = VisibleClinics(ctx);
  if (auto v = ctx.Query("patient")) {
    filter.patient_id = ParseId(*v);
    if (!filter.patient_id) return ErrorResponse(ctx, 400, "bad_request", "patient= is an id");
  }
  if (auto v = ctx.Query("status")) filter.result_status = *v;
  if (auto v = ctx.Query("unmatched")) filter.unmatched = *v == "true" || *v == "1";
  std::int64_t before = 0;
  if (auto c = ctx.Query("cursor")) {
    const auto id = ParseId(*c);
    if (!id) return ErrorResponse(ctx, 400, "bad_request", "bad cursor");
    before = *id;
  }
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
  for (const auto& i : *rows) {
    w.BeginObject();
    WriteInterrogationRow(w, i);
    w.EndObject();
  }
  w.EndArray();
  w.Key("next_cursor");
  if (more) {
    w.String(std::to_string(rows->back().id));
  } else {
    w.Null();
  }
  w.EndObject();
  if (auto s = Audit(ctx, *tx, "interrogation.list", "interrogation", "", filter.patient_id,
                     "success", fmt::format("results={}", rows->size()));
      !s) {
    return s.error();
  }
  return JsonResponse(200, std::move(out));
}

base::Result<net::HttpResponse> GetInterrogation(Context& ctx, store::Transaction* tx) {
  const auto id = ParseId(ctx.path_params.at(0));
  if (!id) return ErrorResponse(ctx, 404, "not_found", "no such resource");
  auto row = store::GetInterrogation(*tx, *id);
  if (!row) {
    if (row.error().code != base::ErrorCode::kNotFound) return row.error();
    return ErrorResponse(ctx, 404, "not_found", "no such resource");
  }
  auto decision =
      AuthorizeObject(ctx, *tx, Permission::kInterrogationRead, row->clinic_id,
                      "interrogation.read", "interrogation", std::to_string(*id), row->patient_id);
  if (!decision) return decision.error();
  if (*decision) return std::move(**decision);
  auto raw = store::GetBlob(*tx, ctx.services.keys, row->raw_blob_id);
  if (!raw) return raw.error();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  WriteInterrogationRow(w, *row);
  auto review = store::GetReview(*tx, ctx.services.keys, *id);
  if (!review) return review.error();
  w.Key("review");
  WriteReview(w, *review);
  auto previous = store::PreviousInterrogation(*tx, *id);
  if (!previous) return previous.error();
  w.Key("previous_id");
  if (*previous) {
    w.Int(**previous);
  } else {
    w.Null();
  }
  auto alerts = store::ListAlerts(*tx, ctx.services.keys, *id);
  if (!alerts) return alerts.error();
  w.Key("alerts");
  w.BeginArray();
  for (const store::AlertRecord& a : *alerts) {
    w.BeginObject();
    w.Field("rule", a.alert.rule);
    w.Field("severity", store::ToString(a.alert.severity));
    w.Field("reason", a.alert.reason);
    w.Field("due_us", a.alert.due_us);
    w.EndObject();
  }
  w.EndArray();
  const store::Param ap[] = {{"id", *id}};
  auto attachments = tx->Query(
      "SELECT instance, media_type, size, blob_id IS NOT NULL OR segment IS NOT NULL "
      "FROM attachment "
      "WHERE interrogation_id = :id ORDER BY id",
      ap);
  if (!attachments) return attachments.error();
  // `index` is the position in the message (…/attachments/{index}); an attachment of OBX-4
  // instance 0 is the session's report, others belong to the episode of that instance (EGMs).
  w.Key("attachments");
  w.BeginArray();
  std::int64_t index = 0;
  for (const store::Row& a : *attachments) {
    w.BeginObject();
    w.Field("index", index++);
    w.Field("instance", a.Int(0));
    w.Field("kind", a.Int(0) == 0 ? "report" : "egm");
    w.Field("media_type", a.Text(1));
    w.Field("bytes", a.Int(2));
    w.Field("stored", a.Int(3) != 0);
    w.EndObject();
  }
  w.EndArray();
  w.Key("interrogation");
  if (auto s = ingest::WriteStoredInterrogationJson(*raw, &w); !s) return s.error();
  w.EndObject();
  if (auto s = Audit(ctx, *tx, "interrogation.read", "interrogation", std::to_string(*id),
                     row->patient_id, "success");
      !s) {
    return s.error();
  }
  return JsonResponse(200, std::move(out));
}

}  // namespace heartbase::api::internal
