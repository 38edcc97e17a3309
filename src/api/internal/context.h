// What a route handler sees: the request, the identified caller, the services, and helpers for
// responses, authorization of one object and the audit record.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/api.h"
#include "api/json_body.h"
#include "audit/event.h"
#include "auth/policy.h"
#include "auth/sessions.h"
#include "auth/tokens.h"
#include "base/json_writer.h"
#include "base/result.h"
#include "ingest/pipeline.h"
#include "store/clinical_reads.h"
#include "store/database.h"
#include "store/review.h"

namespace heartbase::api::internal {

struct Services {
  store::Database& db;
  const crypto::KeyRing& keys;
  const auth::Authenticator& authenticator;
  const ApiOptions& options;
  store::GroupCommit& commit;
};

// The identified caller.
struct Caller {
  auth::Subject subject;
  std::string user_name;
  std::optional<auth::Session> session;  // signed in with a cookie
  std::optional<auth::TokenInfo> token;  // or with a bearer token
};

struct Context {
  const net::HttpRequest& request;
  Services& services;
  std::string correlation_id;
  std::int64_t now_us = 0;
  std::vector<std::string> path_params;  // the {…} segments of the route, in order
  std::optional<Caller> caller;
  std::string presented_session;  // the cookie's session id, if any (logout)

  // Reads run on a reader connection, in parallel. Their audit records and the identity
  // bookkeeping are kept here and committed (group commit) before the response is released; if
  // that commit fails, the response is withheld (the access fails closed).
  bool deferred = false;
  std::vector<audit::Event> pending_audit;
  std::optional<std::int64_t> touch_session;   // session row whose last use is stale
  std::optional<std::int64_t> delete_session;  // expired session row
  std::optional<std::int64_t> token_used;      // token whose last use is stale

  // The decoded value of query parameter `key`, if present.
  std::optional<std::string> Query(std::string_view key) const;
};

// Handlers return the response, or an error when the transaction must roll back (an audit write
// or database failure): the caller then answers 500/503 and nothing the handler did is kept.
// `tx` is the request's write transaction, or nullptr for routes with their own transactions.
using Handler = base::Result<net::HttpResponse> (*)(Context& ctx, store::Transaction* tx);

enum class Access : std::uint8_t {
  kPublic,    // no identity needed (login, health, the OpenAPI document)
  kSignedIn,  // a session cookie or a bearer token
};

struct Route {
  std::string_view method;
  std::string_view path;  // "/api/v1/patients/{id}"
  Access access;
  std::optional<auth::Permission> permission;  // checked before the handler; nullopt = any caller
  std::string_view summary;
  Handler handler;
  bool own_transaction = false;  // the handler opens its own transactions (sign-in)
  bool upload = false;           // accepts bodies up to ApiOptions::max_upload_bytes
};

std::span<const Route> Routes();

// Responses. Every error body is {"error": code, "message": text, "correlation_id": id}.
net::HttpResponse JsonResponse(int status, std::string body);
net::HttpResponse ErrorResponse(const Context& ctx, int status, std::string_view code,
                                std::string_view message);

// Writes the audit record of this request for the caller (user, role, clinic, address), or keeps
// it for the commit that precedes the response (ctx.deferred). A `note` (free text such as a
// reason) is sealed in the record and written at once.
base::Status Audit(Context& ctx, store::Transaction& tx, std::string_view action,
                   std::string_view object_type, std::string_view object_id,
                   std::optional<std::int64_t> patient_id, std::string_view outcome,
                   std::string_view detail = {}, std::string_view note = {});

// Decides access to one object of `clinic` (a patient's clinic). On denial writes the audit record
// (outcome denied) and returns the response to send: 404 for an object of another clinic (its
// existence is not revealed), 403 otherwise. nullopt = allowed.
base::Result<std::optional<net::HttpResponse>> AuthorizeObject(
    Context& ctx, store::Transaction& tx, auth::Permission permission, std::int64_t clinic,
    std::string_view action, std::string_view object_type, std::string_view object_id,
    std::optional<std::int64_t> patient_id);

// The clinics the caller may list: their memberships, or every clinic (empty) during break-glass.
std::vector<std::int64_t> VisibleClinics(const Context& ctx);

// 403 for a refused permission: "step_up_required" when a fresh re-authentication would allow it,
// "forbidden" otherwise.
net::HttpResponse DenialResponse(const Context& ctx, auth::DecisionReason reason);

// A path parameter or query value as a positive id; nullopt if it is not one.
std::optional<std::int64_t> ParseId(std::string_view text);
// The interrogation named by path parameter 0, authorized for `permission` (audited on refusal:
// `*refused` is then the response, and the result empty).
base::Result<std::optional<store::InterrogationRow>> AuthorizedInterrogation(
    Context& ctx, store::Transaction& tx, auth::Permission permission, std::string_view action,
    std::optional<net::HttpResponse>* refused);

// The patient id of path parameter 0, authorized for `permission`, without decrypting the record
// (audited on refusal: `*refused` is then the response, and the result empty).
base::Result<std::optional<std::int64_t>> AuthorizedPatientId(
    Context& ctx, store::Transaction& tx, auth::Permission permission, std::string_view action,
    std::optional<net::HttpResponse>* refused);

// The page size of a list: limit= capped at store::kMaxPage, or the configured default.
int PageSize(const Context& ctx);

// The alert reasons of an interrogation, most severe first (for the queue and the detail).
base::Result<std::vector<std::string>> ListAlertReasons(Context& ctx, store::Transaction& tx,
                                                        std::int64_t interrogation_id);
// The review part of an interrogation ({"state", "assigned_to", "notes", …}).
void WriteReview(base::JsonWriter& w, const store::Review& review);
// Re-authenticates the session's user with body {"password", "totp"?} (step-up, audited). On
// success the caller's subject may do step-up actions; otherwise the response to send.
base::Result<std::optional<net::HttpResponse>> StepUp(Context& ctx, const JsonBody& body);

// Route handlers (routes.cpp lists them).
base::Result<net::HttpResponse> Login(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> Logout(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> Me(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> MfaEnroll(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> MfaConfirm(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> Health(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> OpenApi(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> SearchPatients(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> GetPatient(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> GetTrends(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ListInterrogations(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> GetInterrogation(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ReadAudit(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ListQuarantined(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> GetQuarantined(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> DownloadQuarantined(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ReprocessQuarantined(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ReprocessAllQuarantined(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> DiscardQuarantined(Context& ctx, store::Transaction* tx);

base::Result<net::HttpResponse> StepUpRoute(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> StartBreakGlass(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> EndBreakGlass(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> BootstrapStatus(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> Bootstrap(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ListUsers(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> CreateUser(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ChangeUser(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ListClinics(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> CreateClinic(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ListQueue(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> AssignInterrogation(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ReviewInterrogation(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> SignOffInterrogation(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> GetAttachment(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> GetReport(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ListResults(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ResendResult(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> LinkInterrogation(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> LinkPatient(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> UploadHl7(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> OutboxStatus(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> FeedStatus(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ListUnassigned(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> MovePatient(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> StoreStatus(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> Ready(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ListRuleSets(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> GetRuleSetSource(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> CreateRuleSet(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ShadowRuleSet(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ActivateRuleSet(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ListReportRecipients(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> SendReport(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ListFollowUps(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> GetPatientPlan(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> PutPatientPlan(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> DeletePatientPlan(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> BookVisit(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> CancelVisit(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ListPlans(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> PutClinicPlan(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ListCharges(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ListMissedCharges(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> CloseChargesRoute(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ExportChargesRoute(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> ListChargeExports(Context& ctx, store::Transaction* tx);
base::Result<net::HttpResponse> GetChargeExportFile(Context& ctx, store::Transaction* tx);

}  // namespace heartbase::api::internal
