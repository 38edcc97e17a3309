// Charges (src/billing, docs/billing.md): the charge list, the missed-charge report, the close job
// and the exports to the hospital's billing system (CSV, HL7 DFT^P03). Billers see what a charge
// needs — who, which code, which period, which device — and no measurement.
#include <fmt/format.h>

#include <unordered_map>

#include "api/internal/context.h"
#include "billing/service.h"
#include "store/blobs.h"
#include "store/charges.h"
#include "store/patients.h"

namespace heartbase::api::internal {
namespace {

const billing::CodeTable& Codes(const Context& ctx) {
  return ctx.services.options.billing_codes != nullptr ? *ctx.services.options.billing_codes
                                                       : billing::DefaultCodeTable();
}

// The patients of a page, decrypted once each.
class Names {
 public:
  Names(store::Transaction& tx, const crypto::KeyRing& keys) : tx_(tx), keys_(keys) {}
  base::Result<const store::PatientRecord*> Get(std::int64_t id) {
    auto it = cache_.find(id);
    if (it != cache_.end()) return &it->second;
    auto p = store::GetPatient(tx_, keys_, id);
    if (!p) return p.error();
    return &cache_.emplace(id, std::move(*p)).first->second;
  }

 private:
  store::Transaction& tx_;
  const crypto::KeyRing& keys_;
  std::unordered_map<std::int64_t, store::PatientRecord> cache_;
};

void WritePatientName(base::JsonWriter& w, const store::PatientRecord& p) {
  w.Field("family_name", p.family_name);
  w.Field("given_name", p.given_name);
}

void WriteIds(base::JsonWriter& w, const std::vector<std::int64_t>& ids) {
  w.Key("interrogations");
  w.BeginArray();
  for (std::int64_t id : ids) w.Int(id);
  w.EndArray();
}

}  // namespace

// GET /api/v1/charges?exported=true|false&from=&to=&patient=&limit=: stored charges of the
// caller's clinics, newest date of service first.
base::Result<net::HttpResponse> ListCharges(Context& ctx, store::Transaction* tx) {
  store::ChargeFilter filter{.clinics = VisibleClinics(ctx)};
  if (auto e = ctx.Query("exported")) {
    if (*e != "true" && *e != "false") {
      return ErrorResponse(ctx, 400, "bad_request", "exported= is true or false");
    }
    filter.exported = *e == "true";
  }
  for (const auto& [key, slot] : {std::pair{"from", &filter.from}, std::pair{"to", &filter.to}}) {
    if (auto v = ctx.Query(key)) {
      if (!billing::ParseDay(*v)) {
        return ErrorResponse(ctx, 400, "bad_request", "from= and to= are dates YYYY-MM-DD");
      }
      *slot = *v;
    }
  }
  if (auto p = ctx.Query("patient")) {
    filter.patient = ParseId(*p);
    if (!filter.patient) return ErrorResponse(ctx, 400, "bad_request", "patient= is an id");
  }
  if (auto e = ctx.Query("export")) {
    filter.export_id = ParseId(*e);
    if (!filter.export_id) return ErrorResponse(ctx, 400, "bad_request", "export= is an id");
  }
  auto rows = store::ListCharges(*tx, filter, std::min(PageSize(ctx), 1000));
  if (!rows) return rows.error();
  Names names(*tx, ctx.services.keys);
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("items");
  w.BeginArray();
  for (const store::ChargeRow& c : *rows) {
    auto p = names.Get(c.patient_id);
    if (!p) return p.error();
    w.BeginObject();
    w.Field("id", c.id);
    w.Field("patient_id", c.patient_id);
    WritePatientName(w, **p);
    w.Field("clinic_id", c.clinic_id);
    w.Field("device_id", c.device_id);
    w.Field("code", c.code);
    w.Field("modifier", c.modifier);
    w.Field("component", store::ToString(c.component));
    w.Field("period_start", c.period_start);
    w.Field("period_end", c.period_end);
    w.Field("service_date", c.service_date);
    w.Field("payer", c.payer);
    w.Field("ordering_physician", c.ordering_physician);
    w.Field("reading_physician", c.reading_physician);
    WriteIds(w, c.interrogations);
    w.Field("code_table", c.table_version);
    w.Field("created_us", c.created_us);
    w.Field("export_id", c.export_id);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  if (auto s = Audit(ctx, *tx, "charge.list", "charge", "", std::nullopt, "success",
                     fmt::format("charges={}", rows->size()));
      !s) {
    return s.error();
  }
  return JsonResponse(200, std::move(out));
}

// GET /api/v1/charges/missed: closed periods and in-person sessions of the caller's clinics that
// produce no charge (no signed review, excluded, too few transmissions), computed now.
base::Result<net::HttpResponse> ListMissedCharges(Context& ctx, store::Transaction* tx) {
  auto run = billing::ComputeBilling(*tx, Codes(ctx), VisibleClinics(ctx), ctx.now_us);
  if (!run) return run.error();
  const std::size_t limit = static_cast<std::size_t>(std::min(PageSize(ctx), 1000));
  Names names(*tx, ctx.services.keys);
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("total", static_cast<std::int64_t>(run->missed.size()));
  w.Field("unmatched", run->unmatched);
  w.Field("code_table", Codes(ctx).version);
  w.Key("items");
  w.BeginArray();
  // Newest period first.
  for (std::size_t i = 0; i < run->missed.size() && i < limit; ++i) {
    const auto& m = run->missed[run->missed.size() - 1 - i];
    auto p = names.Get(m.patient_id);
    if (!p) return p.error();
    w.BeginObject();
    w.Field("patient_id", m.patient_id);
    WritePatientName(w, **p);
    w.Field("clinic_id", m.clinic_id);
    w.Field("device_id", m.missed.device_id);
    w.Field("code", m.missed.code.code);
    w.Field("modifier", m.missed.code.modifier);
    w.Field("component", store::ToString(m.missed.component));
    w.Field("period_start", billing::FormatDay(m.missed.period_start));
    w.Field("period_end", billing::FormatDay(m.missed.period_end));
    w.Field("reason", m.missed.reason);
    WriteIds(w, m.missed.interrogations);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  if (auto s = Audit(ctx, *tx, "charge.missed", "charge", "", std::nullopt, "success",
                     fmt::format("missed={}", run->missed.size()));
      !s) {
    return s.error();
  }
  return JsonResponse(200, std::move(out));
}

// POST /api/v1/charges/close: writes every charge that has become ready (serve also runs this
// every hour). Idempotent.
base::Result<net::HttpResponse> CloseChargesRoute(Context& ctx, store::Transaction* /*tx*/) {
  auto result = billing::CloseCharges(ctx.services.db, Codes(ctx), ctx.now_us);
  const std::string detail =
      result ? fmt::format("created={} existing={} overlapping={} missed={} unmatched={}",
                           result->created, result->existing, result->overlapping, result->missed,
                           result->unmatched)
             : fmt::format("error={}", base::ErrorCodeName(result.error().code));
  if (auto s = ctx.services.commit.Run([&](store::Transaction& tx) {
        return Audit(ctx, tx, "charge.close", "charge", "", std::nullopt,
                     result ? "success" : "failed", detail);
      });
      !s) {
    return s.error();
  }
  if (!result) return result.error();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("created", result->created);
  w.Field("existing", result->existing);
  w.Field("overlapping", result->overlapping);
  w.Field("missed", result->missed);
  w.Field("unmatched", result->unmatched);
  w.Field("code_table", Codes(ctx).version);
  w.EndObject();
  return JsonResponse(200, std::move(out));
}

// POST /api/v1/charges/export {"format": "csv"|"dft"}: every charge of the caller's clinics not
// exported yet, in one batch (each charge is exported once). 404 when none waits.
base::Result<net::HttpResponse> ExportChargesRoute(Context& ctx, store::Transaction* /*tx*/) {
  auto body = JsonBody::Parse(ctx.request.body, {.max_bytes = 1024, .max_depth = 2});
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  const std::string format_text = body->String("format").value_or("csv");
  billing::ExportFormat format = billing::ExportFormat::kCsv;
  if (format_text == "dft") {
    format = billing::ExportFormat::kDft;
  } else if (format_text != "csv") {
    return ErrorResponse(ctx, 400, "bad_request", "format is csv or dft");
  }
  auto result = billing::ExportCharges(ctx.services.db, ctx.services.keys, VisibleClinics(ctx),
                                       format, ctx.services.options.charge_dft,
                                       ctx.caller->subject.user_id, ctx.now_us);
  const bool none = !result && result.error().code == base::ErrorCode::kNotFound;
  const std::string detail =
      result
          ? fmt::format("export={} format={} charges={}", result->export_id, format_text,
                        result->charges)
          : fmt::format("format={} {}", format_text,
                        none ? "nothing to export"
                             : fmt::format("error={}", base::ErrorCodeName(result.error().code)));
  if (auto s = ctx.services.commit.Run([&](store::Transaction& tx) {
        return Audit(ctx, tx, "charge.export", "charge_export",
                     result ? std::to_string(result->export_id) : "", std::nullopt,
                     result ? "success" : "failed", detail);
      });
      !s) {
    return s.error();
  }
  if (none) return ErrorResponse(ctx, 404, "nothing_to_export", "no charge waits for export");
  if (!result) return result.error();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("id", result->export_id);
  w.Field("format", format_text);
  w.Field("charges", result->charges);
  w.Field("sha256", result->sha256);
  w.EndObject();
  return JsonResponse(201, std::move(out));
}

// GET /api/v1/charges/exports: the batches of the caller's clinics (every charge in them of a
// clinic the caller sees), newest first (counts and hashes only).
base::Result<net::HttpResponse> ListChargeExports(Context& ctx, store::Transaction* tx) {
  auto rows = store::ListChargeExports(*tx, VisibleClinics(ctx), std::min(PageSize(ctx), 200));
  if (!rows) return rows.error();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("items");
  w.BeginArray();
  for (const auto& e : *rows) {
    w.BeginObject();
    w.Field("id", e.id);
    w.Field("format", e.format);
    w.Field("charges", e.charges);
    w.Field("sha256", e.sha256);
    w.Field("created_us", e.created_us);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return JsonResponse(200, std::move(out));
}

// GET /api/v1/charges/exports/{id}: the batch's file, byte-identical every time; only for a
// caller who may see every charge in it. Audited as an access to each patient's data it holds.
base::Result<net::HttpResponse> GetChargeExportFile(Context& ctx, store::Transaction* tx) {
  const auto id = ParseId(ctx.path_params.at(0));
  auto row =
      id ? store::GetChargeExport(*tx, *id)
         : base::Result<store::ChargeExportRow>(base::MakeError(base::ErrorCode::kNotFound, ""));
  if (!row) {
    if (row.error().code != base::ErrorCode::kNotFound) return row.error();
    if (auto s = Audit(ctx, *tx, "charge.export.read", "charge_export", ctx.path_params.at(0),
                       std::nullopt, "failed", "absent");
        !s) {
      return s.error();
    }
    return ErrorResponse(ctx, 404, "not_found", "no such resource");
  }
  auto visible = store::ListCharges(*tx, {.clinics = VisibleClinics(ctx), .export_id = *id},
                                    static_cast<int>(row->charges) + 1);
  if (!visible) return visible.error();
  if (static_cast<std::int64_t>(visible->size()) != row->charges) {
    if (auto s = Audit(ctx, *tx, "charge.export.read", "charge_export", std::to_string(*id),
                       std::nullopt, "denied", "charges of other clinics");
        !s) {
      return s.error();
    }
    return ErrorResponse(ctx, 404, "not_found", "no such resource");
  }
  auto file = store::GetBlob(*tx, ctx.services.keys, row->blob_id);
  if (!file) return file.error();
  std::vector<std::int64_t> patients;
  for (const auto& c : *visible) patients.push_back(c.patient_id);
  std::sort(patients.begin(), patients.end());
  patients.erase(std::unique(patients.begin(), patients.end()), patients.end());
  for (std::int64_t patient : patients) {
    if (auto s = Audit(ctx, *tx, "charge.export.read", "charge_export", std::to_string(*id),
                       patient, "success", fmt::format("format={}", row->format));
        !s) {
      return s.error();
    }
  }
  net::HttpResponse r;
  r.status = 200;
  r.body = std::move(*file);
  const bool dft = row->format == "dft";
  r.Set("Content-Type", dft ? "application/hl7-v2; charset=utf-8" : "text/csv; charset=utf-8");
  r.Set("Content-Disposition",
        fmt::format("attachment; filename=\"charges-{}.{}\"", *id, dft ? "hl7" : "csv"));
  r.Set("X-Export-SHA256", row->sha256);
  return r;
}

}  // namespace heartbase::api::internal
