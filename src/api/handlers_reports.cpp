// The follow-up report of an interrogation (src/report): the stored signed report, or a draft
// rendered on demand. Rendering runs on the worker thread that serves the request, outside any
// transaction; the authorization and the audit record are short write transactions of their own.
#include <fmt/format.h>

#include "api/internal/context.h"
#include "ingest/readback.h"
#include "report/service.h"

namespace heartbase::api::internal {

base::Result<net::HttpResponse> GetReport(Context& ctx, store::Transaction*) {
  const ApiOptions& options = ctx.services.options;
  if (options.report_key == nullptr) {
    return ErrorResponse(ctx, 503, "unavailable", "reports are not configured on this server");
  }
  std::optional<report::PageSize> page;
  if (auto v = ctx.Query("page")) {
    page = report::ParsePageSize(*v);
    if (!page) return ErrorResponse(ctx, 400, "bad_request", "page= is a4 or letter");
  }
  const bool download = ctx.Query("download").value_or("") == "1";
  const bool append = ctx.Query("append").value_or("") == "1";
  const std::string_view action = download ? "report.download" : "report.view";

  // Who may see it: decided (and a refusal audited) before anything is read or rendered.
  std::optional<net::HttpResponse> refused;
  std::optional<store::InterrogationRow> row;
  auto status = ctx.services.commit.Run([&](store::Transaction& tx) -> base::Status {
    auto r =
        AuthorizedInterrogation(ctx, tx, auth::Permission::kInterrogationRead, action, &refused);
    if (!r) return r.error();
    row = std::move(*r);
    return {};
  });
  if (!status) return status.error();
  if (refused) return std::move(*refused);

  store::GroupCommit& commit = ctx.services.commit;
  const report::ReportServices services{
      .db = ctx.services.db,
      .keys = ctx.services.keys,
      .signing_key = *options.report_key,
      .parse = [](std::string_view raw) { return ingest::MapStored(raw); },
      .mapping_version = std::string(ingest::kMappingVersion),
      .write =
          [&commit](const std::function<base::Status(store::Transaction&)>& work) {
            return commit.Run(work);
          }};
  auto produced = report::Produce(
      services, row->id, {.page_size = page, .append_attachments = append, .now_us = ctx.now_us});
  // One audit record per view or download, whatever the outcome.
  const std::string detail =
      produced ? fmt::format("{} {}", produced->draft ? "draft" : "signed", produced->page_size)
               : fmt::format("error={}", base::ErrorCodeName(produced.error().code));
  status = commit.Run([&](store::Transaction& tx) {
    return Audit(ctx, tx, action, "interrogation", std::to_string(row->id), row->patient_id,
                 produced ? "success" : "failed", detail);
  });
  if (!status) return status.error();
  if (!produced) return produced.error();

  net::HttpResponse r;
  r.status = 200;
  r.body = std::move(produced->pdf);
  r.framed_by_self = true;
  r.Set("Content-Type", "application/pdf");
  // Internal ids only: no patient data in the file name.
  r.Set("Content-Disposition",
        fmt::format("{}; filename=\"follow-up-report-{}{}.pdf\"",
                    download ? "attachment" : "inline", row->id, produced->draft ? "-draft" : ""));
  r.Set("X-Report-State", produced->draft ? "draft" : "signed");
  if (produced->stored) r.Set("X-Report-SHA256", produced->stored->sha256);
  return r;
}

}  // namespace heartbase::api::internal
