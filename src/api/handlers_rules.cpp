// Alert rule administration: versions of the TOML configuration (docs/rules.md) are stored,
// tried against the stored history in shadow mode, and activated. Every step is audited; the
// rules in force change for ingest the moment the activation commits.
#include <fmt/format.h>

#include "api/internal/context.h"
#include "api/json_body.h"
#include "rules/shadow.h"
#include "store/alerts.h"

namespace heartbase::api::internal {
namespace {

// Shadow mode reads the history in one read transaction; beyond this many interrogations it stops
// and says so (truncated), so a request cannot hold a reader for minutes.
constexpr std::int64_t kMaxShadowInterrogations = 200'000;

void WriteRuleSetRow(base::JsonWriter& w, const store::RuleSetRecord& r) {
  w.Field("id", r.id);
  w.Field("version", r.version);
  w.Field("created_us", r.created_us);
  w.Key("created_by");
  if (r.created_by) {
    w.Int(*r.created_by);
  } else {
    w.Null();
  }
  w.Field("active", r.active);
}

// The stored set named by path parameter 0, or the response to send.
base::Result<std::optional<store::RuleSetRecord>> StoredSet(Context& ctx, store::Transaction& tx,
                                                            std::optional<net::HttpResponse>* out) {
  const auto id = ParseId(ctx.path_params.at(0));
  auto set =
      id ? store::GetRuleSet(tx, *id)
         : base::Result<store::RuleSetRecord>(base::MakeError(base::ErrorCode::kNotFound, ""));
  if (!set) {
    if (set.error().code != base::ErrorCode::kNotFound) return set.error();
    *out = ErrorResponse(ctx, 404, "not_found", "no such rule set");
    return std::optional<store::RuleSetRecord>{};
  }
  return std::optional<store::RuleSetRecord>{std::move(*set)};
}

}  // namespace

base::Result<net::HttpResponse> ListRuleSets(Context& ctx, store::Transaction* tx) {
  auto sets = store::ListRuleSets(*tx);
  if (!sets) return sets.error();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("in_force_version",
          ctx.services.options.rules ? ctx.services.options.rules->version() : 0);
  w.Key("items");
  w.BeginArray();
  for (const store::RuleSetRecord& r : *sets) {
    w.BeginObject();
    WriteRuleSetRow(w, r);
    w.EndObject();
  }
  w.EndArray();
  w.Key("next_cursor");
  w.Null();
  w.EndObject();
  return JsonResponse(200, std::move(out));
}

base::Result<net::HttpResponse> GetRuleSetSource(Context& ctx, store::Transaction* tx) {
  std::optional<net::HttpResponse> refused;
  auto set = StoredSet(ctx, *tx, &refused);
  if (!set) return set.error();
  if (refused) return std::move(*refused);
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  WriteRuleSetRow(w, **set);
  w.Field("source", (*set)->source);
  w.EndObject();
  return JsonResponse(200, std::move(out));
}

// A new version, inactive. The text must parse: errors name the key and are returned as they are
// (they describe the administrator's own text).
base::Result<net::HttpResponse> CreateRuleSet(Context& ctx, store::Transaction* tx) {
  auto body = JsonBody::Parse(
      ctx.request.body, {.max_bytes = 300u << 10, .max_depth = 2, .max_string_bytes = 256u << 10});
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  const auto source = body->String("source");
  if (!source) return ErrorResponse(ctx, 400, "bad_request", "source (TOML text) is required");
  if (auto parsed = rules::ParseRuleSet(*source); !parsed) {
    return ErrorResponse(ctx, 400, "invalid_rules", parsed.error().message);
  }
  auto stored = store::StoreRuleSet(*tx, *source, ctx.caller->subject.user_id, ctx.now_us);
  if (!stored) return stored.error();
  if (auto s = Audit(ctx, *tx, "rules.store", "rule_set", std::to_string(stored->id), std::nullopt,
                     "success", fmt::format("version={}", stored->version));
      !s) {
    return s.error();
  }
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  WriteRuleSetRow(w, *stored);
  w.EndObject();
  return JsonResponse(201, std::move(out));
}

// What the stored set would change against the rules in force, on the stored history: per rule,
// the interrogations it would newly flag and those it would no longer flag.
base::Result<net::HttpResponse> ShadowRuleSet(Context& ctx, store::Transaction*) {
  auto body = JsonBody::Parse(ctx.request.body.empty() ? std::string_view("{}") : ctx.request.body,
                              {.max_bytes = 4096, .max_depth = 2});
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  if (!ctx.services.options.rules) {
    return ErrorResponse(ctx, 503, "unavailable", "rules are not enabled on this server");
  }
  rules::ShadowOptions options;
  options.from_us = body->Int("from_us").value_or(0);
  options.to_us = body->Int("to_us").value_or(options.to_us);
  options.max_interrogations = kMaxShadowInterrogations;
  std::string out;
  std::optional<net::HttpResponse> response;
  std::int64_t set_id = 0, evaluated = 0;
  auto s = store::RunUnitOfWork(
      ctx.services.db, store::Access::kRead, [&](store::Transaction& tx) -> base::Status {
        auto set = StoredSet(ctx, tx, &response);
        if (!set) return set.error();
        if (response) return {};
        set_id = (*set)->id;
        auto proposed = rules::ParseRuleSet((*set)->source);
        if (!proposed) return proposed.error();
        const auto live = ctx.services.options.rules->Current();
        auto report = rules::RunShadow(tx, live->rule_set(), *proposed, options);
        if (!report) return report.error();
        evaluated = report->interrogations;
        out.clear();
        base::JsonWriter w(&out);
        w.BeginObject();
        w.Field("rule_set", set_id);
        w.Field("interrogations", report->interrogations);
        w.Field("truncated", report->truncated);
        w.Key("rules");
        w.BeginArray();
        for (const rules::RuleDiff& d : report->rules) {
          w.BeginObject();
          w.Field("rule", d.rule);
          w.Field("live", d.live);
          w.Field("proposed", d.proposed);
          w.Field("flagged_count", d.flagged_count);
          w.Key("flagged");
          w.BeginArray();
          for (std::int64_t id : d.flagged) w.Int(id);
          w.EndArray();
          w.Field("hidden_count", d.hidden_count);
          w.Key("hidden");
          w.BeginArray();
          for (std::int64_t id : d.hidden) w.Int(id);
          w.EndArray();
          w.EndObject();
        }
        w.EndArray();
        w.EndObject();
        return {};
      });
  if (!s) return s.error();
  if (response) return std::move(*response);
  // Shadow mode reads every patient's history: it is recorded like any other access.
  auto audited = ctx.services.commit.Run([&](store::Transaction& tx) {
    return Audit(ctx, tx, "rules.shadow", "rule_set", std::to_string(set_id), std::nullopt,
                 "success", fmt::format("interrogations={}", evaluated));
  });
  if (!audited) return audited.error();
  return JsonResponse(200, std::move(out));
}

// Puts a stored set in force: ingest evaluates with it from the next message on.
base::Result<net::HttpResponse> ActivateRuleSet(Context& ctx, store::Transaction*) {
  if (!ctx.services.options.rules) {
    return ErrorResponse(ctx, 503, "unavailable", "rules are not enabled on this server");
  }
  std::optional<net::HttpResponse> response;
  std::optional<rules::RuleSet> parsed;
  std::int64_t version = 0;
  auto s = ctx.services.commit.Run([&](store::Transaction& tx) -> base::Status {
    response.reset();
    parsed.reset();
    // The route's check ran in another transaction: decide again, with the step-up.
    const auth::Decision d =
        auth::Authorize(ctx.caller->subject, auth::Permission::kRulesAdmin, std::nullopt);
    if (!d.allowed) {
      response = DenialResponse(ctx, d.reason);
      return Audit(ctx, tx, "rules.activate", "rule_set", ctx.path_params.at(0), std::nullopt,
                   "denied", auth::DecisionReasonName(d.reason));
    }
    auto set = StoredSet(ctx, tx, &response);
    if (!set) return set.error();
    if (response) return {};
    auto p = rules::ParseRuleSet((*set)->source);
    if (!p) return p.error();
    parsed = std::move(*p);
    version = (*set)->version;
    if (auto a = store::ActivateRuleSet(tx, (*set)->id, ctx.now_us); !a) return a;
    return Audit(ctx, tx, "rules.activate", "rule_set", std::to_string((*set)->id), std::nullopt,
                 "success", fmt::format("version={}", version));
  });
  if (!s) return s.error();
  if (response) return std::move(*response);
  ctx.services.options.rules->Replace(std::move(*parsed), version);
  return JsonResponse(200, fmt::format("{{\"in_force_version\":{}}}", version));
}

}  // namespace heartbase::api::internal
