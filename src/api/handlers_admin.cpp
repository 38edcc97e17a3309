// Step-up re-authentication, break-glass, first-administrator set-up, and administration of users
// and clinics. Administration needs a step-up no older than five minutes (policy table).
#include <fmt/format.h>

#include "api/internal/context.h"
#include "api/json_body.h"
#include "audit/trail.h"
#include "auth/bootstrap.h"
#include "auth/break_glass.h"
#include "auth/password.h"
#include "auth/sessions.h"
#include "auth/users.h"

namespace heartbase::api::internal {
namespace {

constexpr std::size_t kMaxClinicsPerUser = 16;

base::Result<net::HttpResponse> Created(std::string_view key, std::int64_t id) {
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field(key, id);
  w.EndObject();
  return JsonResponse(201, std::move(out));
}

const auth::Blocklist& Blocklist(const Context& ctx) {
  static const auth::Blocklist kBuiltIn = auth::Blocklist::BuiltIn();
  return ctx.services.options.blocklist != nullptr ? *ctx.services.options.blocklist : kBuiltIn;
}

// A refused administrative change: 400 for bad input, 404 for an unknown user, 409 for a name in
// use; other errors roll the transaction back.
base::Result<net::HttpResponse> AdminRefusal(Context& ctx, const base::Error& e) {
  switch (e.code) {
    case base::ErrorCode::kInvalidArgument:
      // The validation messages of auth are written for people; a database's are internals.
      return ErrorResponse(
          ctx, 400, "bad_request",
          e.message.rfind("sqlite", 0) == 0 ? "the request is not valid" : e.message);
    case base::ErrorCode::kNotFound:
      return ErrorResponse(ctx, 404, "not_found", "no such resource");
    case base::ErrorCode::kAlreadyExists:
      return ErrorResponse(ctx, 409, "conflict", "the name is taken");
    default:
      return e;
  }
}

}  // namespace

base::Result<std::optional<net::HttpResponse>> StepUp(Context& ctx, const JsonBody& body) {
  if (!ctx.caller->session) {
    return std::optional<net::HttpResponse>{
        ErrorResponse(ctx, 403, "forbidden", "this action needs a signed-in person")};
  }
  const auto password = body.String("password");
  if (!password) {
    return std::optional<net::HttpResponse>{
        ErrorResponse(ctx, 400, "bad_request", "password is required")};
  }
  const auto totp = body.String("totp");
  auth::LoginRequest request{.name = ctx.caller->user_name,
                             .password = *password,
                             .address = ctx.request.peer_address,
                             .now_us = ctx.now_us};
  if (totp) request.totp = *totp;
  auto recorder = [&](store::Transaction& tx, const auth::LoginResult& r) -> base::Status {
    const bool ok = r.outcome == auth::LoginOutcome::kOk;
    return Audit(ctx, tx, "reauthenticate", "user", std::to_string(ctx.caller->subject.user_id),
                 std::nullopt, ok ? "success" : "denied",
                 fmt::format("outcome={} detail={}", auth::LoginOutcomeName(r.outcome),
                             auth::LoginDetailName(r.detail)));
  };
  auto result = ctx.services.authenticator.Reauthenticate(*ctx.caller->session, request, recorder);
  if (!result) return result.error();
  switch (result->outcome) {
    case auth::LoginOutcome::kOk:
      ctx.caller->subject.step_up_until_us =
          ctx.now_us + ctx.services.options.auth.session.step_up_max_age_s * 1'000'000LL;
      return std::optional<net::HttpResponse>{};
    case auth::LoginOutcome::kMfaRequired:
      return std::optional<net::HttpResponse>{
          ErrorResponse(ctx, 401, "mfa_required", "enter the code from your authenticator")};
    case auth::LoginOutcome::kThrottled: {
      net::HttpResponse r = ErrorResponse(ctx, 429, "throttled", "too many attempts; wait");
      r.Set("Retry-After", std::to_string(result->retry_after_s));
      return std::optional<net::HttpResponse>{std::move(r)};
    }
    default:
      return std::optional<net::HttpResponse>{
          ErrorResponse(ctx, 401, "reauth_failed", "the password or code is not right")};
  }
}

base::Result<net::HttpResponse> StepUpRoute(Context& ctx, store::Transaction*) {
  auto body = JsonBody::Parse(ctx.request.body,
                              {.max_bytes = 16u << 10, .max_depth = 2, .max_string_bytes = 1024});
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  auto refused = StepUp(ctx, *body);
  if (!refused) return refused.error();
  if (*refused) return std::move(**refused);
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("step_up_until_us", ctx.caller->subject.step_up_until_us);
  w.EndObject();
  return JsonResponse(200, std::move(out));
}

base::Result<net::HttpResponse> StartBreakGlass(Context& ctx, store::Transaction* tx) {
  auto body = JsonBody::Parse(ctx.request.body, {.max_bytes = 8u << 10, .max_depth = 2});
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  if (!ctx.caller->session) {
    return ErrorResponse(ctx, 403, "forbidden", "break-glass is for a signed-in person");
  }
  const std::string reason = body->String("reason").value_or("");
  const std::int64_t user = ctx.caller->subject.user_id;
  auto grant = auth::StartBreakGlass(*tx, ctx.services.keys, user, reason,
                                     ctx.services.options.auth.break_glass, ctx.now_us);
  if (!grant) {
    if (grant.error().code == base::ErrorCode::kInvalidArgument) {
      return ErrorResponse(ctx, 400, "bad_request", grant.error().message);
    }
    if (grant.error().code == base::ErrorCode::kPermissionDenied) {
      return ErrorResponse(ctx, 403, "forbidden", "not permitted");
    }
    return grant.error();
  }
  // Loud: the grant is its own action in the trail, and every access during it is marked by the
  // policy decision (granted_break_glass) in its own record.
  if (auto s = Audit(ctx, *tx, "breakglass.start", "break_glass", std::to_string(grant->id),
                     std::nullopt, "success",
                     fmt::format("expires_us={} reason=sealed", grant->expires_us));
      !s) {
    return s.error();
  }
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("until_us", grant->expires_us);
  w.EndObject();
  return JsonResponse(200, std::move(out));
}

base::Result<net::HttpResponse> EndBreakGlass(Context& ctx, store::Transaction* tx) {
  const std::int64_t user = ctx.caller->subject.user_id;
  if (auto s = auth::EndBreakGlass(*tx, user, ctx.now_us); !s) return s.error();
  if (auto s =
          Audit(ctx, *tx, "breakglass.end", "user", std::to_string(user), std::nullopt, "success");
      !s) {
    return s.error();
  }
  return JsonResponse(200, "{\"ended\":true}");
}

// Whether the first administrator still has to be created (a fresh installation). Says nothing
// else.
base::Result<net::HttpResponse> BootstrapStatus(Context& ctx, store::Transaction*) {
  bool needed = false;
  auto s = store::RunUnitOfWork(ctx.services.db, store::Access::kRead,
                                [&](store::Transaction& tx) -> base::Status {
                                  auto users = auth::ListUsers(tx);
                                  if (!users) return users.error();
                                  needed = users->empty();
                                  return {};
                                });
  if (!s) return s.error();
  return JsonResponse(200, needed ? "{\"needed\":true}" : "{\"needed\":false}");
}

// The first administrator, with the one-time token `heartbase init` printed.
base::Result<net::HttpResponse> Bootstrap(Context& ctx, store::Transaction*) {
  auto body = JsonBody::Parse(ctx.request.body,
                              {.max_bytes = 16u << 10, .max_depth = 2, .max_string_bytes = 1024});
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  const auto token = body->String("token");
  const auto name = body->String("name");
  const auto password = body->String("password");
  if (!token || !name || !password) {
    return ErrorResponse(ctx, 400, "bad_request", "token, name and password are required");
  }
  auto normalized = auth::NormalizeUserName(*name);
  if (!normalized) return ErrorResponse(ctx, 400, "bad_request", normalized.error().message);
  // Argon2id outside the write transaction.
  auto prepared = auth::PreparePassword(*password, {.user_name = *normalized, .mfa_enforced = true},
                                        Blocklist(ctx), ctx.services.options.auth.password);
  if (!prepared) {
    if (prepared.error().code == base::ErrorCode::kInvalidArgument) {
      return ErrorResponse(ctx, 400, "weak_password", prepared.error().message);
    }
    return prepared.error();
  }
  auth::NewUser admin{.name = *normalized, .display_name = *normalized};
  net::HttpResponse response;
  auto status = ctx.services.commit.Run([&](store::Transaction& tx) -> base::Status {
    auto id =
        auth::CreateFirstAdministrator(tx, ctx.services.keys, *token, admin, *prepared, ctx.now_us);
    audit::Event e;
    e.time_us = ctx.now_us;
    e.user_name = *normalized;
    e.address = ctx.request.peer_address;
    e.action = "user.bootstrap";
    e.object_type = "user";
    e.detail = fmt::format("correlation={}", ctx.correlation_id);
    if (!id) {
      const auto c = id.error().code;
      if (c != base::ErrorCode::kUnauthenticated && c != base::ErrorCode::kAlreadyExists &&
          c != base::ErrorCode::kInvalidArgument) {
        return id.error();
      }
      e.outcome = "denied";
      e.user_name = "anonymous";
      response = c == base::ErrorCode::kInvalidArgument
                     ? ErrorResponse(ctx, 400, "bad_request", id.error().message)
                     : ErrorResponse(ctx, 401, "bad_token", "the set-up token is not valid");
      return audit::Append(tx, e);
    }
    e.user_id = *id;
    e.object_id = std::to_string(*id);
    e.role = "administrator";
    e.outcome = "success";
    if (auto s = audit::Append(tx, e); !s) return s;
    auto r = Created("id", *id);
    if (!r) return r.error();
    response = std::move(*r);
    return {};
  });
  if (!status) return status.error();
  return response;
}

base::Result<net::HttpResponse> ListUsers(Context& ctx, store::Transaction* tx) {
  auto users = auth::ListUsers(*tx);
  if (!users) return users.error();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("items");
  w.BeginArray();
  for (const auth::User& u : *users) {
    auto clinics = auth::ClinicsOf(*tx, u.id);
    if (!clinics) return clinics.error();
    w.BeginObject();
    w.Field("id", u.id);
    w.Field("name", u.name);
    w.Field("display_name", u.display_name);
    w.Field("role", auth::RoleName(u.role));
    w.Key("clinics");
    w.BeginArray();
    for (auth::ClinicId c : *clinics) w.Int(static_cast<std::int64_t>(c));
    w.EndArray();
    w.Field("disabled", u.disabled);
    w.Field("mfa", u.mfa_enrolled);
    w.Field("mfa_required", u.mfa_required);
    w.EndObject();
  }
  w.EndArray();
  w.Key("next_cursor");
  w.Null();
  w.EndObject();
  if (auto s = Audit(ctx, *tx, "user.list", "user", "", std::nullopt, "success"); !s) {
    return s.error();
  }
  return JsonResponse(200, std::move(out));
}

// Runs outside a transaction: the password (if any) is hashed before the write.
base::Result<net::HttpResponse> CreateUser(Context& ctx, store::Transaction*) {
  auto body = JsonBody::Parse(ctx.request.body,
                              {.max_bytes = 16u << 10, .max_depth = 3, .max_string_bytes = 1024});
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  const auto name = body->String("name");
  const auto role_name = body->String("role");
  if (!name || !role_name) return ErrorResponse(ctx, 400, "bad_request", "name and role required");
  const auto role = auth::ParseRole(*role_name);
  if (!role) return ErrorResponse(ctx, 400, "bad_request", "unknown role");
  auto normalized = auth::NormalizeUserName(*name);
  if (!normalized) return ErrorResponse(ctx, 400, "bad_request", normalized.error().message);
  std::vector<std::int64_t> clinics;
  if (body->Has("clinics")) {
    auto list = body->IntArray("clinics", kMaxClinicsPerUser);
    if (!list) return ErrorResponse(ctx, 400, "bad_request", "clinics is a list of up to 16 ids");
    clinics = std::move(*list);
  }
  const bool mfa = *role == auth::Role::kAdministrator || body->Bool("mfa_required").value_or(true);
  std::optional<auth::PreparedPassword> prepared;
  if (auto password = body->String("password")) {
    auto p = auth::PreparePassword(*password, {.user_name = *normalized, .mfa_enforced = mfa},
                                   Blocklist(ctx), ctx.services.options.auth.password);
    if (!p) {
      if (p.error().code == base::ErrorCode::kInvalidArgument) {
        return ErrorResponse(ctx, 400, "weak_password", p.error().message);
      }
      return p.error();
    }
    prepared = std::move(*p);
  } else if (*role != auth::Role::kIntegration) {
    return ErrorResponse(ctx, 400, "bad_request", "people need a password");
  }
  auth::NewUser user{.name = *normalized,
                     .display_name = body->String("display_name").value_or(*normalized),
                     .role = *role,
                     .mfa_required = mfa};
  for (std::int64_t c : clinics) user.clinics.push_back(auth::ClinicId{c});
  net::HttpResponse response;
  auto status = ctx.services.commit.Run([&](store::Transaction& tx) -> base::Status {
    // The route's check ran in another transaction: decide again here, with the step-up.
    const auth::Decision d =
        auth::Authorize(ctx.caller->subject, auth::Permission::kUserAdmin, std::nullopt);
    if (!d.allowed) {
      response = ErrorResponse(ctx, 403, auth::DecisionReasonName(d.reason), "not permitted");
      return Audit(ctx, tx, "user.create", "user", "", std::nullopt, "denied",
                   auth::DecisionReasonName(d.reason));
    }
    auto id = auth::CreateUser(tx, user, prepared ? &*prepared : nullptr, ctx.now_us);
    if (!id) {
      auto r = AdminRefusal(ctx, id.error());
      if (!r) return r.error();
      response = std::move(*r);
      return {};
    }
    if (auto s = Audit(ctx, tx, "user.create", "user", std::to_string(*id), std::nullopt, "success",
                       fmt::format("role={}", auth::RoleName(*role)));
        !s) {
      return s;
    }
    auto r = Created("id", *id);
    if (!r) return r.error();
    response = std::move(*r);
    return {};
  });
  if (!status) return status.error();
  return response;
}

// POST /admin/users/{id}/{disable|enable|reset-mfa}: the last path segment is the action.
base::Result<net::HttpResponse> ChangeUser(Context& ctx, store::Transaction* tx) {
  const auto id = ParseId(ctx.path_params.at(0));
  if (!id) return ErrorResponse(ctx, 404, "not_found", "no such resource");
  const std::string_view path = ctx.request.target;
  const std::string_view action = path.substr(path.rfind('/') + 1);
  if (*id == ctx.caller->subject.user_id && action == "disable") {
    return ErrorResponse(ctx, 409, "conflict", "you cannot disable your own account");
  }
  base::Status s;
  std::string audit_action;
  if (action == "disable") {
    s = auth::DisableUser(*tx, *id, ctx.now_us);
    if (s) {
      auto revoked = auth::RevokeUserSessions(*tx, *id);
      if (!revoked) s = revoked.error();
    }
    audit_action = "user.disable";
  } else if (action == "enable") {
    s = auth::EnableUser(*tx, *id, ctx.now_us);
    audit_action = "user.enable";
  } else {
    s = auth::ResetMfa(*tx, *id, ctx.now_us);
    if (s) {
      auto revoked = auth::RevokeUserSessions(*tx, *id);
      if (!revoked) s = revoked.error();
    }
    audit_action = "user.reset_mfa";
  }
  if (!s) return AdminRefusal(ctx, s.error());
  if (auto a = Audit(ctx, *tx, audit_action, "user", std::to_string(*id), std::nullopt, "success");
      !a) {
    return a.error();
  }
  return JsonResponse(200, "{\"done\":true}");
}

base::Result<net::HttpResponse> ListClinics(Context& /*ctx*/, store::Transaction* tx) {
  auto rows = tx->Query("SELECT id, name FROM clinic ORDER BY id", {});
  if (!rows) return rows.error();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("items");
  w.BeginArray();
  for (const store::Row& r : *rows) {
    w.BeginObject();
    w.Field("id", r.Int(0));
    w.Field("name", r.Text(1));
    w.EndObject();
  }
  w.EndArray();
  w.Key("next_cursor");
  w.Null();
  w.EndObject();
  return JsonResponse(200, std::move(out));
}

base::Result<net::HttpResponse> CreateClinic(Context& ctx, store::Transaction* tx) {
  auto body = JsonBody::Parse(ctx.request.body, {.max_bytes = 4096, .max_depth = 2});
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  const auto name = body->String("name");
  if (!name) return ErrorResponse(ctx, 400, "bad_request", "name is required");
  auto id = auth::CreateClinic(*tx, *name, ctx.now_us);
  if (!id) return AdminRefusal(ctx, id.error());
  const auto clinic = static_cast<std::int64_t>(*id);
  if (auto s = Audit(ctx, *tx, "clinic.create", "clinic", std::to_string(clinic), std::nullopt,
                     "success");
      !s) {
    return s.error();
  }
  return Created("id", clinic);
}

}  // namespace heartbase::api::internal
