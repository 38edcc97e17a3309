// The route table — the one place that says which routes exist, who may call them and what they
// do — and the helpers every handler shares.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "api/internal/context.h"
#include "audit/trail.h"
#include "store/clinical_reads.h"

namespace heartbase::api::internal {
namespace {

using auth::Permission;

constexpr Route kRoutes[] = {
    {"POST", "/api/v1/auth/login", Access::kPublic, std::nullopt,
     "Sign in with name, password and (when enrolled) a TOTP code; sets the session cookie", &Login,
     true},
    {"POST", "/api/v1/auth/logout", Access::kSignedIn, std::nullopt,
     "Sign out: the session is revoked on the server", &Logout},
    {"GET", "/api/v1/auth/me", Access::kSignedIn, std::nullopt,
     "The signed-in user, role, clinics and CSRF token", &Me},
    {"POST", "/api/v1/auth/mfa/enroll", Access::kSignedIn, std::nullopt,
     "Start TOTP enrolment (accounts without a second factor) with the password again: returns "
     "the secret once",
     &MfaEnroll, true},
    {"POST", "/api/v1/auth/mfa/confirm", Access::kSignedIn, std::nullopt,
     "Finish TOTP enrolment with a code; the session ends and the user signs in again",
     &MfaConfirm},
    {"GET", "/api/v1/health", Access::kPublic, std::nullopt,
     "Liveness: says only that the server answers", &Health, true},
    {"GET", "/api/v1/ready", Access::kPublic, std::nullopt,
     "Readiness: 200 when the server can take data, 503 when its database is damaged", &Ready,
     true},
    {"GET", "/api/v1/openapi.json", Access::kPublic, std::nullopt,
     "This API as an OpenAPI 3.0 document, generated from the route table", &OpenApi, true},
    {"GET", "/api/v1/patients", Access::kSignedIn, Permission::kPatientRead,
     "Patients of the caller's clinics; q= searches by name, MRN or device/lead serial; "
     "unconfirmed=true lists those the hospital's ADT created for an MRN nobody had registered",
     &SearchPatients},
    {"GET", "/api/v1/patients/{id}", Access::kSignedIn, Permission::kPatientRead,
     "One patient: demographics, identifiers, devices and leads with implant history", &GetPatient},
    {"GET", "/api/v1/patients/{id}/trends", Access::kSignedIn, Permission::kTrendRead,
     "Values of one or more terms (code=, comma-separated) for one patient in [from, to]",
     &GetTrends},
    {"GET", "/api/v1/interrogations", Access::kSignedIn, Permission::kInterrogationRead,
     "Interrogations, newest first; filters patient=, status=, unmatched=; limit= and cursor=",
     &ListInterrogations},
    {"GET", "/api/v1/interrogations/{id}", Access::kSignedIn, Permission::kInterrogationRead,
     "One interrogation with every observation grouped as in the message", &GetInterrogation},
    {"POST", "/api/v1/auth/step-up", Access::kSignedIn, std::nullopt,
     "Re-authenticate (password, and TOTP if enrolled): administration and sign-off are allowed "
     "for five minutes",
     &StepUpRoute, true},
    {"GET", "/api/v1/auth/bootstrap", Access::kPublic, std::nullopt,
     "Whether the first administrator still has to be created", &BootstrapStatus, true},
    {"POST", "/api/v1/auth/bootstrap", Access::kPublic, std::nullopt,
     "Create the first administrator with the one-time token from heartbase init", &Bootstrap,
     true},
    {"POST", "/api/v1/auth/break-glass", Access::kSignedIn, Permission::kBreakGlassUse,
     "Emergency access to every clinic's patients, with a written reason, for a limited time",
     &StartBreakGlass},
    {"DELETE", "/api/v1/auth/break-glass", Access::kSignedIn, Permission::kBreakGlassUse,
     "End the caller's emergency access now", &EndBreakGlass},
    {"GET", "/api/v1/queue", Access::kSignedIn, Permission::kInterrogationRead,
     "Triage queue: interrogations not signed off, most severe first, then oldest; filters "
     "clinic=, manufacturer=, device_type=, session_type=, assigned=me",
     &ListQueue},
    {"POST", "/api/v1/interrogations/{id}/assign", Access::kSignedIn,
     Permission::kInterrogationReview, "Assign to the caller ({\"assignee\":\"me\"}) or to nobody",
     &AssignInterrogation},
    {"POST", "/api/v1/interrogations/{id}/review", Access::kSignedIn,
     Permission::kInterrogationReview, "Mark reviewed, with an optional note",
     &ReviewInterrogation},
    {"POST", "/api/v1/interrogations/{id}/signoff", Access::kSignedIn,
     Permission::kInterrogationSignoff,
     "Physician sign-off: re-asks for the password (and TOTP); locks the interrogation",
     &SignOffInterrogation, true},
    {"GET", "/api/v1/interrogations/{id}/attachments/{index}", Access::kSignedIn,
     Permission::kInterrogationRead, "One attachment (PDF report, EGM) of an interrogation",
     &GetAttachment},
    {"GET", "/api/v1/interrogations/{id}/report", Access::kSignedIn, Permission::kInterrogationRead,
     "The follow-up report (PDF): the stored signed one, else a draft; page=a4|letter (drafts), "
     "append=1 (drafts: the manufacturer's PDFs as pages), download=1",
     &GetReport, true},
    {"GET", "/api/v1/results", Access::kSignedIn, Permission::kInterrogationRead,
     "Results for the EHR of the caller's clinics: state=dead (default, with the receiver's "
     "answer), pending or sent",
     &ListResults},
    {"POST", "/api/v1/results/{id}/resend", Access::kSignedIn, Permission::kInterrogationReview,
     "Send a dead or sent result again, as a new message", &ResendResult},
    {"GET", "/api/v1/followups", Access::kSignedIn, Permission::kPatientRead,
     "Follow-up work list of the caller's clinics, most overdue first: filters clinic=, "
     "device_type=, status= (due, overdue, missed, booked, upcoming), min_overdue= (days)",
     &ListFollowUps},
    {"GET", "/api/v1/patients/{id}/plan", Access::kSignedIn, Permission::kPatientRead,
     "A patient's monitoring plan (resolved, and their own), next follow-ups and visits",
     &GetPatientPlan},
    {"PUT", "/api/v1/patients/{id}/plan", Access::kSignedIn, Permission::kPatientWrite,
     "Set the patient's own plan: remote_days, in_clinic_days, payer, ordering_physician",
     &PutPatientPlan},
    {"DELETE", "/api/v1/patients/{id}/plan", Access::kSignedIn, Permission::kPatientWrite,
     "Remove the patient's own plan (the clinic's and the defaults apply)", &DeletePatientPlan},
    {"POST", "/api/v1/patients/{id}/visits", Access::kSignedIn, Permission::kPatientWrite,
     "Book an in-clinic visit {\"day\": \"YYYY-MM-DD\"}; an in-clinic interrogation closes it",
     &BookVisit},
    {"POST", "/api/v1/visits/{id}/cancel", Access::kSignedIn, Permission::kPatientWrite,
     "Cancel a booked visit", &CancelVisit},
    {"GET", "/api/v1/plans", Access::kSignedIn, std::nullopt,
     "The default monitoring plans and every clinic's (configuration, no patient data)",
     &ListPlans},
    {"PUT", "/api/v1/clinics/{id}/plans/{device_type}", Access::kSignedIn, Permission::kRulesAdmin,
     "Set a clinic's monitoring plan for a device type", &PutClinicPlan},
    {"DELETE", "/api/v1/clinics/{id}/plans/{device_type}", Access::kSignedIn,
     Permission::kRulesAdmin, "Remove a clinic's plan for a device type (the default applies)",
     &PutClinicPlan},
    {"GET", "/api/v1/charges", Access::kSignedIn, Permission::kBillingRead,
     "Charges of the caller's clinics, newest date of service first: exported=, from=, to=, "
     "patient=, export=",
     &ListCharges},
    {"GET", "/api/v1/charges/missed", Access::kSignedIn, Permission::kBillingRead,
     "Closed periods and sessions without a charge, with the reason (missed-charge report)",
     &ListMissedCharges},
    {"POST", "/api/v1/charges/close", Access::kSignedIn, Permission::kBillingExport,
     "Write every charge that has become ready (idempotent; serve runs it hourly)",
     &CloseChargesRoute, true},
    {"POST", "/api/v1/charges/export", Access::kSignedIn, Permission::kBillingExport,
     "Export every charge not exported yet as one batch: {\"format\": \"csv\"|\"dft\"}",
     &ExportChargesRoute, true},
    {"GET", "/api/v1/charges/exports", Access::kSignedIn, Permission::kBillingRead,
     "Export batches, newest first", &ListChargeExports},
    {"GET", "/api/v1/charges/exports/{id}", Access::kSignedIn, Permission::kBillingRead,
     "An export batch's file (CSV or HL7 DFT^P03), byte-identical on every download",
     &GetChargeExportFile},
    {"POST", "/api/v1/interrogations/{id}/link", Access::kSignedIn, Permission::kUnmatchedResolve,
     "Resolve an unmatched interrogation: link to patient_id, or accept (create) the patient",
     &LinkInterrogation},
    {"POST", "/api/v1/patients/{id}/link", Access::kSignedIn, Permission::kUnmatchedResolve,
     "Resolve an unconfirmed patient (the hospital's ADT updated an MRN nobody had registered): "
     "link to patient_id, or accept (create) it",
     &LinkPatient},
    {"POST", "/api/v1/hl7", Access::kSignedIn, Permission::kHl7Upload,
     "Upload an HL7 file (one message, a batch, or MLLP frames) for ingest; answers the counts "
     "stored, duplicate, quarantined and failed (503: send again)",
     &UploadHl7, true, true},
    {"GET", "/api/v1/admin/users", Access::kSignedIn, Permission::kUserAdmin,
     "Users with role, clinics, MFA and disabled state", &ListUsers},
    {"POST", "/api/v1/admin/users", Access::kSignedIn, Permission::kUserAdmin,
     "Create a user (name, role, clinics, password)", &CreateUser, true},
    {"POST", "/api/v1/admin/users/{id}/disable", Access::kSignedIn, Permission::kUserAdmin,
     "Disable a user; their sessions end", &ChangeUser},
    {"POST", "/api/v1/admin/users/{id}/enable", Access::kSignedIn, Permission::kUserAdmin,
     "Enable a user", &ChangeUser},
    {"POST", "/api/v1/admin/users/{id}/reset-mfa", Access::kSignedIn, Permission::kUserAdmin,
     "Remove a user's second factor; they enrol again at their next sign-in", &ChangeUser},
    {"GET", "/api/v1/admin/clinics", Access::kSignedIn, Permission::kUserAdmin, "Clinics (sites)",
     &ListClinics},
    {"POST", "/api/v1/admin/clinics", Access::kSignedIn, Permission::kUserAdmin, "Create a clinic",
     &CreateClinic},
    {"GET", "/api/v1/admin/outbox", Access::kSignedIn, Permission::kUserAdmin,
     "The notification queue: counts, age of the oldest open job, dead letters, alarm",
     &OutboxStatus},
    {"GET", "/api/v1/admin/feeds", Access::kSignedIn, Permission::kUserAdmin,
     "Feed problems: senders that reused a control id for other bytes, newest quarantined input",
     &FeedStatus},
    {"GET", "/api/v1/admin/unassigned", Access::kSignedIn, Permission::kUserAdmin,
     "Interrogations in the unassigned pool (from senders configured with no clinic): ids, "
     "sender, times; route them by moving the patient",
     &ListUnassigned},
    {"POST", "/api/v1/admin/patients/{id}/move", Access::kSignedIn, Permission::kUserAdmin,
     "Move a patient (with its devices, interrogations and alerts) to another clinic: "
     "{\"clinic_id\", \"reason\"}; the reason is sealed in the audit trail",
     &MovePatient},
    // The quarantine console (handlers_quarantine.cpp, docs/quarantine.md).
    {"GET", "/api/v1/admin/quarantine", Access::kSignedIn, Permission::kUserAdmin,
     "Quarantined input, newest first (state=open|resolved|all, before=ID, limit): channel, "
     "sender, reason with segment, field and byte, size, resolution",
     &ListQuarantined},
    {"GET", "/api/v1/admin/quarantine/{id}", Access::kSignedIn, Permission::kUserAdmin,
     "One quarantined input with its raw text (decrypted, up to 1 MiB; audited as patient data)",
     &GetQuarantined},
    {"GET", "/api/v1/admin/quarantine/{id}/raw", Access::kSignedIn, Permission::kUserAdmin,
     "The quarantined bytes as received (a download; audited as patient data)",
     &DownloadQuarantined},
    {"POST", "/api/v1/admin/quarantine/reprocess", Access::kSignedIn, Permission::kUserAdmin,
     "Re-process every open entry (up to 500, oldest first) after an upgrade of the mapping",
     &ReprocessAllQuarantined, true},
    {"POST", "/api/v1/admin/quarantine/{id}/reprocess", Access::kSignedIn, Permission::kUserAdmin,
     "Re-process one entry: stored (linked, leaves the quarantine), duplicate, or still refused "
     "with today's reason",
     &ReprocessQuarantined, true},
    {"POST", "/api/v1/admin/quarantine/{id}/discard", Access::kSignedIn, Permission::kUserAdmin,
     "Discard one entry: {\"reason\"} (required; sealed in the audit trail)", &DiscardQuarantined},
    {"GET", "/api/v1/admin/store", Access::kSignedIn, Permission::kUserAdmin,
     "The store: damaged or not (writes stop when it is), and the newest scheduled verification",
     &StoreStatus},
    {"GET", "/api/v1/rules", Access::kSignedIn, Permission::kRulesAdmin,
     "Versions of the alert rule configuration and the version in force", &ListRuleSets},
    {"GET", "/api/v1/rules/{id}", Access::kSignedIn, Permission::kRulesAdmin,
     "One version of the rule configuration with its TOML text", &GetRuleSetSource},
    {"POST", "/api/v1/rules", Access::kSignedIn, Permission::kRulesAdmin,
     "Store a new version ({\"source\": TOML}); it must parse; not yet in force", &CreateRuleSet},
    {"POST", "/api/v1/rules/{id}/shadow", Access::kSignedIn, Permission::kRulesAdmin,
     "Shadow mode: what this version would flag or hide on the stored history, rule by rule",
     &ShadowRuleSet, true},
    {"POST", "/api/v1/rules/{id}/activate", Access::kSignedIn, Permission::kRulesAdmin,
     "Put this version in force for every interrogation stored from now on", &ActivateRuleSet,
     true},
    {"GET", "/api/v1/audit", Access::kSignedIn, Permission::kAuditRead,
     "The audit trail, newest first; patient= answers who accessed that patient", &ReadAudit},
    // Sending signed reports to configured recipients (handlers_reports_send.cpp).
    {"GET", "/api/v1/report-recipients", Access::kSignedIn, Permission::kInterrogationRead,
     "Enabled report recipients of the caller's clinics: id, clinic, name, channel, address "
     "masked but for its last four characters",
     &ListReportRecipients},
    {"POST", "/api/v1/interrogations/{id}/report/send", Access::kSignedIn, Permission::kReportSend,
     "Send the signed report to one of the clinic's recipients ({\"recipient_id\", \"password\", "
     "\"totp\"?}: re-asks for the password unless stepped up in the last five minutes); queues "
     "one job (a repeat returns it with created=false); audited",
     &SendReport, true},
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() + 0 && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::span<const Route> Routes() { return kRoutes; }

std::optional<std::string> Context::Query(std::string_view key) const {
  const std::string_view target = request.target;
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const std::size_t amp = std::min(rest.find('&'), rest.size());
    const std::string_view pair = rest.substr(0, amp);
    rest.remove_prefix(std::min(amp + 1, rest.size()));
    const std::size_t eq = std::min(pair.find('='), pair.size());
    if (PercentDecode(pair.substr(0, eq)) == key) {
      return PercentDecode(eq < pair.size() ? pair.substr(eq + 1) : std::string_view{});
    }
  }
  return std::nullopt;
}

net::HttpResponse JsonResponse(int status, std::string body) {
  net::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.Set("Content-Type", "application/json; charset=utf-8");
  return r;
}

net::HttpResponse ErrorResponse(const Context& ctx, int status, std::string_view code,
                                std::string_view message) {
  std::string body;
  base::JsonWriter w(&body);
  w.BeginObject();
  w.Field("error", code);
  w.Field("message", message);
  w.Field("correlation_id", ctx.correlation_id);
  w.EndObject();
  return JsonResponse(status, std::move(body));
}

base::Status Audit(Context& ctx, store::Transaction& tx, std::string_view action,
                   std::string_view object_type, std::string_view object_id,
                   std::optional<std::int64_t> patient_id, std::string_view outcome,
                   std::string_view detail, std::string_view note) {
  audit::Event e;
  e.time_us = ctx.now_us;
  if (ctx.caller) {
    e.user_name = ctx.caller->user_name;
    e.user_id = ctx.caller->subject.user_id;
    e.role = std::string(auth::RoleName(ctx.caller->subject.role));
    if (ctx.caller->token) e.detail = fmt::format("token={} ", ctx.caller->token->id);
  } else {
    e.user_name = "anonymous";
  }
  e.address = ctx.request.peer_address;
  e.action = std::string(action);
  e.object_type = std::string(object_type);
  e.object_id = std::string(object_id);
  e.patient_id = patient_id;
  e.outcome = std::string(outcome);
  e.detail += fmt::format("correlation={}", ctx.correlation_id);
  if (!detail.empty()) e.detail += fmt::format(" {}", detail);
  if (!note.empty()) {
    // Free text (a reason typed by a person) may name a patient: it is sealed in the trail.
    e.note = std::string(note);
    return audit::Append(tx, e, ctx.services.keys);
  }
  if (ctx.deferred) {
    ctx.pending_audit.push_back(std::move(e));
    return {};
  }
  return audit::Append(tx, e);
}

base::Result<std::optional<net::HttpResponse>> AuthorizeObject(
    Context& ctx, store::Transaction& tx, auth::Permission permission, std::int64_t clinic,
    std::string_view action, std::string_view object_type, std::string_view object_id,
    std::optional<std::int64_t> patient_id) {
  const auth::Decision d =
      auth::Authorize(ctx.caller->subject, permission, static_cast<auth::ClinicId>(clinic));
  if (d.allowed) return std::optional<net::HttpResponse>{};
  if (auto s = Audit(ctx, tx, action, object_type, object_id, patient_id, "denied",
                     auth::DecisionReasonName(d.reason));
      !s) {
    return s.error();
  }
  const bool hide = d.reason == auth::DecisionReason::kOtherClinic ||
                    d.reason == auth::DecisionReason::kBreakGlassExpired;
  if (hide)
    return std::optional<net::HttpResponse>{
        ErrorResponse(ctx, 404, "not_found", "no such resource")};
  return std::optional<net::HttpResponse>{DenialResponse(ctx, d.reason)};
}

net::HttpResponse DenialResponse(const Context& ctx, auth::DecisionReason reason) {
  if (reason == auth::DecisionReason::kStepUpRequired) {
    return ErrorResponse(ctx, 403, "step_up_required", "confirm your password first");
  }
  return ErrorResponse(ctx, 403, "forbidden", "not permitted");
}

std::vector<std::int64_t> VisibleClinics(const Context& ctx) {
  const auth::Subject& s = ctx.caller->subject;
  if (s.break_glass_until_us > s.now_us) return {};  // every clinic, loudly audited
  std::vector<std::int64_t> out;
  for (auth::ClinicId c : s.clinics) out.push_back(static_cast<std::int64_t>(c));
  if (out.empty()) out.push_back(-1);  // member of none: sees nothing
  return out;
}

std::optional<std::int64_t> ParseId(std::string_view text) {
  std::int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end || v <= 0) return std::nullopt;
  return v;
}

int PageSize(const Context& ctx) {
  if (auto l = ctx.Query("limit")) {
    if (auto v = ParseId(*l)) return static_cast<int>(std::min<std::int64_t>(*v, store::kMaxPage));
  }
  return ctx.services.options.default_page;
}

}  // namespace heartbase::api::internal
