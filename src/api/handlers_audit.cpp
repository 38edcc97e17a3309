// The audit trail for auditors ("who looked at this patient"), and the OpenAPI document.
#include <fmt/format.h>

#include <algorithm>

#include "api/internal/context.h"
#include "audit/queries.h"

namespace heartbase::api::internal {

base::Result<net::HttpResponse> ReadAudit(Context& ctx, store::Transaction* tx) {
  audit::Filter filter;
  if (auto v = ctx.Query("patient")) {
    filter.patient_id = ParseId(*v);
    if (!filter.patient_id) return ErrorResponse(ctx, 400, "bad_request", "patient= is an id");
  }
  if (auto v = ctx.Query("user")) filter.user_name = *v;
  if (auto v = ctx.Query("action")) filter.action = *v;
  std::size_t limit = static_cast<std::size_t>(ctx.services.options.default_page);
  if (auto v = ctx.Query("limit")) {
    if (auto n = ParseId(*v)) limit = std::min<std::size_t>(static_cast<std::size_t>(*n), 1000);
  }
  const std::int64_t after = ParseId(ctx.Query("cursor").value_or("")).value_or(0);
  auto page = audit::List(*tx, filter, limit, after);
  if (!page) return page.error();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("items");
  w.BeginArray();
  for (const audit::Record& r : page->records) {
    const audit::Event& e = r.event;
    w.BeginObject();
    w.Field("seq", r.seq);
    w.Field("time_us", e.time_us);
    w.Field("user", e.user_name);
    w.Field("role", e.role);
    w.Field("address", e.address);
    w.Field("action", e.action);
    w.Field("object_type", e.object_type);
    w.Field("object_id", e.object_id);
    w.Key("patient_id");
    if (e.patient_id) {
      w.Int(*e.patient_id);
    } else {
      w.Null();
    }
    w.Field("outcome", e.outcome);
    w.Field("detail", e.detail);
    w.Field("has_note", !r.sealed_note.empty());
    w.EndObject();
  }
  w.EndArray();
  w.Key("next_cursor");
  if (page->next_after_seq != 0) {
    w.String(std::to_string(page->next_after_seq));
  } else {
    w.Null();
  }
  w.EndObject();
  if (auto s = Audit(ctx, *tx, "audit.read", "audit", "", filter.patient_id, "success",
                     fmt::format("results={}", page->records.size()));
      !s) {
    return s.error();
  }
  return JsonResponse(200, std::move(out));
}

base::Result<net::HttpResponse> OpenApi(Context&, store::Transaction*) {
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("openapi", "3.0.3");
  w.Key("info");
  w.BeginObject();
  w.Field("title", "heartbase API");
  w.Field("version", "1");
  w.EndObject();
  w.Key("components");
  w.BeginObject();
  w.Key("securitySchemes");
  w.BeginObject();
  w.Key("session");
  w.BeginObject();
  w.Field("type", "apiKey");
  w.Field("in", "cookie");
  w.Field("name", kSessionCookie);
  w.EndObject();
  w.Key("token");
  w.BeginObject();
  w.Field("type", "http");
  w.Field("scheme", "bearer");
  w.EndObject();
  w.EndObject();
  w.EndObject();
  w.Key("paths");
  w.BeginObject();
  // Routes sharing a path are grouped under it, in table order.
  std::vector<std::string_view> paths;
  for (const Route& r : Routes()) {
    if (std::find(paths.begin(), paths.end(), r.path) == paths.end()) paths.push_back(r.path);
  }
  for (std::string_view path : paths) {
    w.Key(path);
    w.BeginObject();
    for (const Route& r : Routes()) {
      if (r.path != path) continue;
      std::string method(r.method);
      std::transform(method.begin(), method.end(), method.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      w.Key(method);
      w.BeginObject();
      w.Field("summary", r.summary);
      if (r.permission) w.Field("x-permission", auth::PermissionName(*r.permission));
      w.Key("security");
      w.BeginArray();
      if (r.access == Access::kSignedIn) {
        w.BeginObject();
        w.Key("session");
        w.BeginArray();
        w.EndArray();
        w.EndObject();
        w.BeginObject();
        w.Key("token");
        w.BeginArray();
        w.EndArray();
        w.EndObject();
      }
      w.EndArray();
      w.Key("responses");
      w.BeginObject();
      w.Key("200");
      w.BeginObject();
      w.Field("description", "OK (application/json)");
      w.EndObject();
      w.EndObject();
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  return JsonResponse(200, std::move(out));
}

}  // namespace heartbase::api::internal
