// The quarantine console (docs/quarantine.md): administrators list refused input with its reason,
// read it (the raw HL7, decrypted: audited as access to patient data, since it holds whatever the
// sender put in it), download it, re-process it after an upgrade of the mapping, or discard it
// with a reason (sealed in the audit trail).
#include <fmt/format.h>

#include "api/internal/context.h"
#include "api/json_body.h"
#include "store/quarantine.h"

namespace heartbase::api::internal {
namespace {

constexpr std::size_t kMaxShownBytes = 1u << 20;  // the view; the download has everything
constexpr std::size_t kMaxReasonBytes = 500;
constexpr std::int64_t kMaxReprocessAll = 500;

void WriteEntry(base::JsonWriter& w, const store::QuarantineEntry& q) {
  w.Field("id", q.id);
  w.Field("received_us", q.received_us);
  w.Field("source", q.source);
  w.Field("sender", q.sender);
  w.Field("code", q.code);
  w.Field("reason", q.reason);
  w.Field("segment", q.segment);
  w.Field("field", q.field);
  w.Field("byte_offset", q.byte_offset);
  w.Field("bytes", q.bytes);
  w.Field("resolved_us", q.resolved_us);
  w.Field("resolution", q.resolution);
  w.Field("interrogation_id", q.interrogation_id);
  w.Field("adt_message_id", q.adt_message_id);
}

// The entry named by path parameter 0; a response when there is none.
base::Result<std::optional<store::QuarantineEntry>> EntryOf(Context& ctx, store::Transaction& tx,
                                                            std::optional<net::HttpResponse>* no) {
  const auto id = ParseId(ctx.path_params.at(0));
  if (!id) {
    *no = ErrorResponse(ctx, 404, "not_found", "no such quarantine entry");
    return std::optional<store::QuarantineEntry>();
  }
  auto entry = store::GetQuarantine(tx, *id);
  if (!entry) {
    if (entry.error().code != base::ErrorCode::kNotFound) return entry.error();
    *no = ErrorResponse(ctx, 404, "not_found", "no such quarantine entry");
    return std::optional<store::QuarantineEntry>();
  }
  return std::optional(std::move(*entry));
}

void WriteOutcome(base::JsonWriter& w, std::int64_t id, const ReprocessOutcome& o) {
  w.Field("id", id);
  w.Field("outcome", o.outcome);
  w.Field("interrogation_id", o.interrogation_id);
  w.Field("adt_message_id", o.adt_message_id);
  if (!o.reason.empty()) w.Field("reason", o.reason);
}

}  // namespace

base::Result<net::HttpResponse> ListQuarantined(Context& ctx, store::Transaction* tx) {
  const std::string state = ctx.Query("state").value_or("open");
  store::QuarantineState s = store::QuarantineState::kOpen;
  if (state == "resolved") {
    s = store::QuarantineState::kResolved;
  } else if (state == "all") {
    s = store::QuarantineState::kAll;
  } else if (state != "open") {
    return ErrorResponse(ctx, 400, "bad_request", "state is open, resolved or all");
  }
  std::int64_t before = 0;
  if (auto b = ctx.Query("before")) {
    auto id = ParseId(*b);
    if (!id) return ErrorResponse(ctx, 400, "bad_request", "before is an entry id");
    before = *id;
  }
  const std::int64_t limit = std::min(PageSize(ctx), 500);
  auto items = store::ListQuarantine(*tx, s, limit + 1, before);
  if (!items) return items.error();
  auto open = store::CountQuarantine(*tx, store::QuarantineState::kOpen);
  if (!open) return open.error();
  const bool more = static_cast<std::int64_t>(items->size()) > limit;
  if (more) items->pop_back();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("items");
  w.BeginArray();
  for (const store::QuarantineEntry& q : *items) {
    w.BeginObject();
    WriteEntry(w, q);
    w.EndObject();
  }
  w.EndArray();
  w.Field("open", *open);
  w.Field("next_before", more ? std::optional(items->back().id) : std::nullopt);
  w.EndObject();
  if (auto a = Audit(ctx, *tx, "quarantine.list", "quarantine", "", std::nullopt, "success",
                     fmt::format("state={} count={}", state, items->size()));
      !a) {
    return a.error();
  }
  return JsonResponse(200, std::move(out));
}

base::Result<net::HttpResponse> GetQuarantined(Context& ctx, store::Transaction* tx) {
  std::optional<net::HttpResponse> no;
  auto entry = EntryOf(ctx, *tx, &no);
  if (!entry) return entry.error();
  if (no) return std::move(*no);
  auto bytes = store::QuarantinedBytes(*tx, ctx.services.keys, **entry);
  if (!bytes) return bytes.error();
  const bool truncated = bytes->size() > kMaxShownBytes;
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  WriteEntry(w, **entry);
  // As text: the JSON writer reads bytes that are not UTF-8 as ISO 8859-1, as everywhere else.
  w.Field("raw", std::string_view(*bytes).substr(0, kMaxShownBytes));
  w.Field("raw_truncated", truncated);
  w.EndObject();
  // The input holds whatever the sender put in it, patient data included: a read of it is
  // recorded as one.
  if (auto a = Audit(ctx, *tx, "quarantine.read", "quarantine", std::to_string((*entry)->id),
                     std::nullopt, "success", fmt::format("bytes={}", bytes->size()));
      !a) {
    return a.error();
  }
  return JsonResponse(200, std::move(out));
}

base::Result<net::HttpResponse> DownloadQuarantined(Context& ctx, store::Transaction* tx) {
  std::optional<net::HttpResponse> no;
  auto entry = EntryOf(ctx, *tx, &no);
  if (!entry) return entry.error();
  if (no) return std::move(*no);
  auto bytes = store::QuarantinedBytes(*tx, ctx.services.keys, **entry);
  if (!bytes) return bytes.error();
  if (auto a = Audit(ctx, *tx, "quarantine.download", "quarantine", std::to_string((*entry)->id),
                     std::nullopt, "success", fmt::format("bytes={}", bytes->size()));
      !a) {
    return a.error();
  }
  net::HttpResponse r;
  r.status = 200;
  r.body = std::move(*bytes);
  r.Set("Content-Type", "application/octet-stream");
  r.Set("Content-Disposition",
        fmt::format("attachment; filename=\"quarantine-{}.hl7\"", (*entry)->id));
  return r;
}

base::Result<net::HttpResponse> ReprocessQuarantined(Context& ctx, store::Transaction*) {
  if (!ctx.services.options.reprocess) {
    return ErrorResponse(ctx, 503, "unavailable", "re-processing needs the ingest pipeline");
  }
  const auto id = ParseId(ctx.path_params.at(0));
  if (!id) return ErrorResponse(ctx, 404, "not_found", "no such quarantine entry");
  auto outcome = ctx.services.options.reprocess(*id, ctx.caller->subject.user_id);
  std::optional<net::HttpResponse> refused;
  if (!outcome) {
    const base::ErrorCode code = outcome.error().code;
    if (code == base::ErrorCode::kNotFound) {
      refused = ErrorResponse(ctx, 404, "not_found", "no such quarantine entry");
    } else if (code == base::ErrorCode::kAlreadyExists) {
      refused = ErrorResponse(ctx, 409, "already_exists", outcome.error().message);
    } else if (code == base::ErrorCode::kInvalidArgument) {
      refused = ErrorResponse(ctx, 400, "bad_request", outcome.error().message);
    } else {
      return outcome.error();  // the database could not take it: 503, nothing changed
    }
  }
  auto audited = ctx.services.commit.Run([&](store::Transaction& tx) {
    return Audit(ctx, tx, "quarantine.reprocess", "quarantine", std::to_string(*id), std::nullopt,
                 refused ? "failed" : "success",
                 outcome ? fmt::format("outcome={}", outcome->outcome)
                         : std::string(base::ErrorCodeName(outcome.error().code)));
  });
  if (!audited) return audited.error();
  if (refused) return std::move(*refused);
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  WriteOutcome(w, *id, *outcome);
  w.EndObject();
  return JsonResponse(200, std::move(out));
}

base::Result<net::HttpResponse> ReprocessAllQuarantined(Context& ctx, store::Transaction*) {
  if (!ctx.services.options.reprocess) {
    return ErrorResponse(ctx, 503, "unavailable", "re-processing needs the ingest pipeline");
  }
  std::vector<store::QuarantineEntry> open;
  auto read =
      store::RunUnitOfWork(ctx.services.db, store::Access::kRead, [&](store::Transaction& tx) {
        auto items = store::ListQuarantine(tx, store::QuarantineState::kOpen, kMaxReprocessAll);
        if (!items) return base::Status(items.error());
        open = std::move(*items);
        return base::Status();
      });
  if (!read) return read.error();
  std::int64_t stored = 0, duplicate = 0, still = 0, skipped = 0;
  std::vector<std::pair<std::int64_t, ReprocessOutcome>> results;
  // Oldest first, so that a message and its later correction are applied in the order received.
  for (auto it = open.rbegin(); it != open.rend(); ++it) {
    auto outcome = ctx.services.options.reprocess(it->id, ctx.caller->subject.user_id);
    if (!outcome) {
      const base::ErrorCode code = outcome.error().code;
      if (code != base::ErrorCode::kAlreadyExists && code != base::ErrorCode::kInvalidArgument &&
          code != base::ErrorCode::kNotFound) {
        return outcome.error();  // the database: stop here; each re-processing is its own commit
      }
      ++skipped;
      continue;
    }
    (outcome->outcome == "stored" ? stored : outcome->outcome == "duplicate" ? duplicate : still)++;
    results.emplace_back(it->id, std::move(*outcome));
  }
  const std::int64_t done = stored + duplicate + still + skipped;
  auto audited = ctx.services.commit.Run([&](store::Transaction& tx) {
    return Audit(ctx, tx, "quarantine.reprocess_all", "quarantine", "", std::nullopt, "success",
                 fmt::format("entries={} stored={} duplicate={} still_quarantined={} skipped={}",
                             done, stored, duplicate, still, skipped));
  });
  if (!audited) return audited.error();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("reprocessed", done);
  w.Field("stored", stored);
  w.Field("duplicate", duplicate);
  w.Field("still_quarantined", still);
  w.Field("skipped", skipped);
  w.Key("results");
  w.BeginArray();
  for (const auto& [id, outcome] : results) {
    w.BeginObject();
    WriteOutcome(w, id, outcome);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return JsonResponse(200, std::move(out));
}

base::Result<net::HttpResponse> DiscardQuarantined(Context& ctx, store::Transaction* tx) {
  auto body = JsonBody::Parse(ctx.request.body, {.max_bytes = 4096, .max_depth = 2});
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  const std::string reason = body->String("reason").value_or("");
  if (reason.empty() || reason.size() > kMaxReasonBytes) {
    return ErrorResponse(ctx, 400, "bad_request", "a reason (1-500 bytes) is required");
  }
  std::optional<net::HttpResponse> no;
  auto entry = EntryOf(ctx, *tx, &no);
  if (!entry) return entry.error();
  if (no) return std::move(*no);
  auto resolved = store::ResolveQuarantine(
      *tx, (*entry)->id, {.resolution = "discarded", .user_id = ctx.caller->subject.user_id},
      ctx.now_us);
  if (!resolved) {
    if (resolved.error().code != base::ErrorCode::kAlreadyExists) return resolved.error();
    return ErrorResponse(ctx, 409, "already_exists", resolved.error().message);
  }
  if (auto a = Audit(ctx, *tx, "quarantine.discard", "quarantine", std::to_string((*entry)->id),
                     std::nullopt, "success", fmt::format("code={}", (*entry)->code), reason);
      !a) {
    return a.error();
  }
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("id", (*entry)->id);
  w.Field("resolution", "discarded");
  w.EndObject();
  return JsonResponse(200, std::move(out));
}

}  // namespace heartbase::api::internal
