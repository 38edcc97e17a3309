// What administrators and monitors watch: readiness, the store's health, the feeds (senders that
// reuse control ids, quarantined input) and the notification queue. Counts, ids, sender names and
// reasons; no sealed value is opened.
#include "api/internal/context.h"
#include "audit/trail.h"
#include "store/interrogations.h"
#include "store/outbox.h"
#include "store/quarantine.h"

namespace heartbase::api::internal {

// Feed problems: senders that sent other bytes under a control id they had used (each such
// message is stored and flagged, not taken for a retry), and the newest quarantined input with its
// reason. Neither names a patient.
base::Result<net::HttpResponse> FeedStatus(Context& ctx, store::Transaction* tx) {
  constexpr std::int64_t kQuarantineShown = 50;
  auto reuse = store::ListControlIdReuse(*tx);
  if (!reuse) return reuse.error();
  auto quarantined = store::ListQuarantine(*tx, kQuarantineShown);
  if (!quarantined) return quarantined.error();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("control_id_reuse");
  w.BeginArray();
  for (const store::ControlIdReuse& r : *reuse) {
    w.BeginObject();
    w.Field("sender", r.sender);
    w.Field("messages", r.count);
    w.Field("last_interrogation_id", r.last_interrogation_id);
    w.Field("last_received_us", r.last_received_us);
    w.EndObject();
  }
  w.EndArray();
  w.Key("quarantine");
  w.BeginArray();
  for (const store::QuarantineEntry& q : *quarantined) {
    w.BeginObject();
    w.Field("id", q.id);
    w.Field("received_us", q.received_us);
    w.Field("source", q.source);
    w.Field("code", q.code);
    w.Field("reason", q.reason);
    w.EndObject();
  }
  w.EndArray();
  w.Field("alarm", !reuse->empty() || !quarantined->empty());
  w.EndObject();
  if (auto s = Audit(ctx, *tx, "feeds.read", "feeds", "", std::nullopt, "success"); !s) {
    return s.error();
  }
  return JsonResponse(200, std::move(out));
}

// Readiness: whether this server can take data. A damaged database stops writes (store::Database
// damage), so a load balancer or monitor must stop sending here; the reason is for administrators.
base::Result<net::HttpResponse> Ready(Context& ctx, store::Transaction*) {
  if (ctx.services.db.damage()) {
    return JsonResponse(503, "{\"status\":\"degraded\",\"reason\":\"database damaged\"}");
  }
  return JsonResponse(200, "{\"status\":\"ready\"}");
}

// The store as administrators watch it: damaged or not (and why), and the newest verification.
base::Result<net::HttpResponse> StoreStatus(Context& ctx, store::Transaction* tx) {
  const std::optional<base::Error> damage = ctx.services.db.damage();
  std::optional<VerificationStatus> last;
  if (ctx.services.options.last_verification) last = ctx.services.options.last_verification();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("damaged", damage.has_value());
  if (damage) w.Field("reason", damage->message);
  w.Key("last_verification");
  if (last) {
    w.BeginObject();
    w.Field("finished_us", last->finished_us);
    w.Field("complete", last->complete);
    w.Field("problems", last->problems);
    w.Field("first_problem", last->first_problem);
    w.EndObject();
  } else {
    w.Null();
  }
  w.Field("alarm", damage.has_value() || (last && last->problems > 0));
  w.EndObject();
  if (auto s = Audit(ctx, *tx, "store.read", "store", "", std::nullopt, "success"); !s) {
    return s.error();
  }
  return JsonResponse(200, std::move(out));
}

// The messaging queue as administrators watch it: counts, the age of the oldest open job, the
// newest dead letters (no sealed field is opened), and whether it needs attention.
base::Result<net::HttpResponse> OutboxStatus(Context& ctx, store::Transaction* tx) {
  constexpr std::int64_t kAlarmAgeUs = 15LL * 60 * 1'000'000;
  auto stats = store::ReadOutboxStats(*tx, ctx.now_us);
  if (!stats) return stats.error();
  auto dead = store::ListOutboxJobs(*tx, store::OutboxState::kDead, 20);
  if (!dead) return dead.error();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("pending", stats->pending);
  w.Field("leased", stats->leased);
  w.Field("sent", stats->sent);
  w.Field("dead", stats->dead);
  w.Field("queue_age_us", stats->queue_age_us);
  w.Field("alarm", stats->dead > 0 || stats->queue_age_us > kAlarmAgeUs);
  w.Key("dead_letters");
  w.BeginArray();
  for (const store::OutboxJobSummary& j : *dead) {
    w.BeginObject();
    w.Field("id", j.id);
    w.Field("kind", store::ToString(j.kind));
    w.Field("channel", store::ToString(j.channel));
    w.Field("attempts", static_cast<std::int64_t>(j.attempts));
    w.Field("last_error", j.last_error);
    w.Field("updated_us", j.updated_us);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  if (auto s = Audit(ctx, *tx, "outbox.read", "outbox", "", std::nullopt, "success"); !s) {
    return s.error();
  }
  return JsonResponse(200, std::move(out));
}

}  // namespace heartbase::api::internal
