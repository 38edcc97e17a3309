// Sending a signed report to a configured recipient (a referring physician): the recipients a
// caller may choose from, and the send itself. The send is an explicit, audited, step-up action:
// it queues one outbox job that names the stored report (the PDF stays in its sealed blob until
// serve hands it to `heartbase notify`) and carries a patient-free subject and body (a ticket and
// a link). The document goes only to the chosen recipient of the interrogation's own clinic.
#include <fmt/format.h>

#include "api/internal/context.h"
#include "api/json_body.h"
#include "store/outbox.h"
#include "store/report_recipients.h"
#include "store/reports.h"

namespace heartbase::api::internal {
namespace {

using auth::Permission;

// The address with all but its last four characters masked: enough for staff to tell two
// recipients apart on screen, not enough to copy it elsewhere.
std::string Masked(std::string_view address) {
  constexpr std::size_t kShown = 4;
  if (address.size() <= kShown) return std::string(address.size(), '*');
  return std::string(address.size() - kShown, '*') +
         std::string(address.substr(address.size() - kShown));
}

// Subject and body name a ticket and nothing else: the recipient learns which report it is from
// the attachment, and a misdirected mail's text gives nothing away.
store::OutboxMessage ReportJob(std::int64_t interrogation_id, const store::ReportRow& report,
                               const store::ReportRecipient& to) {
  store::OutboxMessage m;
  m.kind = store::OutboxKind::kReport;
  m.channel = to.channel;
  m.recipient = to.address;
  m.report_id = report.id;
  m.idempotency_key = fmt::format("report:{}:{}", report.id, to.id);
  m.ticket = fmt::format("HB-{:06}", interrogation_id);
  m.link = fmt::format("/#/interrogation/{}", interrogation_id);
  m.subject = fmt::format("Device follow-up report {}", m.ticket);
  m.body = fmt::format(
      "A signed device follow-up report (ticket {}) is attached.\n"
      "It was sent to you from heartbase as a referring physician of the clinic.\n"
      "SHA-256 of the PDF: {}\n",
      m.ticket, report.sha256);
  return m;
}

}  // namespace

base::Result<net::HttpResponse> ListReportRecipients(Context& ctx, store::Transaction* tx) {
  auto recipients = store::ListReportRecipients(*tx, ctx.services.keys, VisibleClinics(ctx), false);
  if (!recipients) return recipients.error();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("items");
  w.BeginArray();
  for (const store::ReportRecipient& r : *recipients) {
    w.BeginObject();
    w.Field("id", r.id);
    w.Field("clinic_id", r.clinic_id);
    w.Field("name", r.name);
    w.Field("channel", store::ToString(r.channel));
    w.Field("address", Masked(r.address));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return JsonResponse(200, std::move(out));
}

namespace {

// The send inside its transaction: authorize the interrogation by its clinic (report.send needs a
// fresh step-up, so a stale one is a 403 here and another clinic's interrogation a 404), then the
// signed report, the recipient, the job and the audit record.
base::Result<net::HttpResponse> SendInTransaction(Context& ctx, store::Transaction* tx,
                                                  std::int64_t recipient_id) {
  std::optional<net::HttpResponse> refused;
  auto row = AuthorizedInterrogation(ctx, *tx, Permission::kReportSend, "report.send", &refused);
  if (!row) return row.error();
  if (refused) return std::move(*refused);
  const store::InterrogationRow& interrogation = **row;
  const std::string object_id = std::to_string(interrogation.id);
  auto refuse = [&](int status, std::string_view code, std::string_view message,
                    std::string_view reason) -> base::Result<net::HttpResponse> {
    if (auto s =
            Audit(ctx, *tx, "report.send", "interrogation", object_id, interrogation.patient_id,
                  "failed", fmt::format("reason={} recipient={}", reason, recipient_id));
        !s) {
      return s.error();
    }
    return ErrorResponse(ctx, status, code, message);
  };

  auto report = store::FindSignedReport(*tx, interrogation.id);
  if (!report) return report.error();
  if (!*report) {
    return refuse(409, "not_signed", "the interrogation has no signed report", "not_signed");
  }
  auto recipient = store::GetReportRecipient(*tx, ctx.services.keys, recipient_id);
  if (!recipient && recipient.error().code != base::ErrorCode::kNotFound) {
    return recipient.error();
  }
  // Another clinic's recipient is answered like a missing one: its existence is not revealed.
  if (!recipient || recipient->clinic_id != interrogation.clinic_id) {
    return refuse(404, "not_found", "no such recipient", "no_recipient");
  }
  if (recipient->disabled) {
    return refuse(400, "recipient_disabled", "the recipient is disabled", "recipient_disabled");
  }

  auto job = store::EnqueueJob(*tx, ctx.services.keys,
                               ReportJob(interrogation.id, **report, *recipient), ctx.now_us);
  if (!job) return job.error();
  // The recipient by id and channel: the address is in the sealed outbox row, not in the trail.
  if (auto s = Audit(
          ctx, *tx, "report.send", "interrogation", object_id, interrogation.patient_id, "success",
          fmt::format("report={} recipient={} channel={} job={} created={}", (*report)->id,
                      recipient->id, store::ToString(recipient->channel), job->id, job->created));
      !s) {
    return s.error();
  }
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("job_id", job->id);
  w.Field("created", job->created);
  w.EndObject();
  return JsonResponse(200, std::move(out));
}

}  // namespace

// Like sign-off, the route runs outside a transaction: the body may carry the password (and TOTP
// code) again, and that re-authentication (Argon2id) must not hold the write lock. Without a
// password the session's own recent step-up (POST /api/v1/auth/step-up) has to do.
base::Result<net::HttpResponse> SendReport(Context& ctx, store::Transaction*) {
  auto body = JsonBody::Parse(ctx.request.body,
                              {.max_bytes = 16u << 10, .max_depth = 2, .max_string_bytes = 1024});
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  const auto recipient_id = body->Int("recipient_id");
  if (!recipient_id || *recipient_id <= 0) {
    return ErrorResponse(ctx, 400, "bad_request", "recipient_id is a positive id");
  }
  if (body->String("password")) {
    if (auto r = StepUp(ctx, *body); !r) {
      return r.error();
    } else if (*r) {
      return std::move(**r);
    }
  }
  net::HttpResponse response;
  auto status = ctx.services.commit.Run([&](store::Transaction& tx) -> base::Status {
    auto r = SendInTransaction(ctx, &tx, *recipient_id);
    if (!r) return r.error();
    response = std::move(*r);
    return {};
  });
  if (!status) return status.error();
  return response;
}

}  // namespace heartbase::api::internal
