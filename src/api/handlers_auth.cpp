// Sign-in, sign-out, who am I, health.
#include <fmt/format.h>

#include <algorithm>

#include "api/internal/context.h"
#include "api/json_body.h"
#include "audit/trail.h"
#include "auth/users.h"

namespace heartbase::api::internal {
namespace {

std::string SessionCookie(std::string_view id, bool expire) {
  return fmt::format("{}={}; Path=/; Secure; HttpOnly; SameSite=Strict{}", kSessionCookie, id,
                     expire ? "; Max-Age=0" : "");
}

}  // namespace

base::Result<net::HttpResponse> Login(Context& ctx, store::Transaction*) {
  auto body = JsonBody::Parse(ctx.request.body,
                              {.max_bytes = 16u << 10, .max_depth = 4, .max_string_bytes = 1024});
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  const auto name = body->String("name");
  const auto password = body->String("password");
  const auto totp = body->String("totp");
  if (!name || !password) {
    return ErrorResponse(ctx, 400, "bad_request", "name and password are required");
  }
  auth::LoginRequest request{.name = *name,
                             .password = *password,
                             .address = ctx.request.peer_address,
                             .now_us = ctx.now_us};
  if (totp) request.totp = *totp;
  // The outcome is audited in the transaction that records the attempt (fails closed).
  auto recorder = [&](store::Transaction& tx, const auth::LoginResult& r) -> base::Status {
    audit::Event e;
    e.time_us = ctx.now_us;
    e.user_name = *name;
    if (r.user_id != 0) e.user_id = r.user_id;
    e.address = ctx.request.peer_address;
    e.action = r.outcome == auth::LoginOutcome::kOk ? "login" : "login.failed";
    e.object_type = "user";
    e.object_id = r.user_id != 0 ? std::to_string(r.user_id) : "";
    e.outcome = r.outcome == auth::LoginOutcome::kOk ? "success" : "denied";
    e.detail = fmt::format("correlation={} outcome={} detail={}", ctx.correlation_id,
                           auth::LoginOutcomeName(r.outcome), auth::LoginDetailName(r.detail));
    // Audit user names must not be arbitrary text from an attacker: cap what is kept.
    if (e.user_name.size() > 64) e.user_name.resize(64);
    return audit::Append(tx, e);
  };
  auto result = ctx.services.authenticator.Login(request, recorder);
  if (!result) return result.error();
  switch (result->outcome) {
    case auth::LoginOutcome::kOk: {
      std::string out;
      base::JsonWriter w(&out);
      w.BeginObject();
      w.Field("user", std::string_view(*name));
      w.Field("csrf_token", result->session->session.csrf_token);
      w.Field("mfa_enrollment_required", result->session->session.restricted);
      w.EndObject();
      net::HttpResponse r = JsonResponse(200, std::move(out));
      r.Set("Set-Cookie", SessionCookie(result->session->id, false));
      return r;
    }
    case auth::LoginOutcome::kMfaRequired:
      return ErrorResponse(ctx, 401, "mfa_required", "enter the code from your authenticator");
    case auth::LoginOutcome::kMfaBad:
      return ErrorResponse(ctx, 401, "mfa_bad", "the code is wrong, expired or already used");
    case auth::LoginOutcome::kThrottled: {
      net::HttpResponse r =
          ErrorResponse(ctx, 429, "throttled", "too many failed sign-ins; try again later");
      r.Set("Retry-After", std::to_string(result->retry_after_s));
      return r;
    }
    case auth::LoginOutcome::kBadCredentials:
      break;
  }
  return ErrorResponse(ctx, 401, "bad_credentials", "wrong name or password");
}

base::Result<net::HttpResponse> Logout(Context& ctx, store::Transaction* tx) {
  if (!ctx.caller->session) {
    return ErrorResponse(ctx, 400, "bad_request", "tokens are revoked, not signed out");
  }
  auto revoked = auth::RevokeSession(*tx, ctx.services.keys, ctx.presented_session);
  if (!revoked) return revoked.error();
  if (auto s = Audit(ctx, *tx, "logout", "user", std::to_string(ctx.caller->subject.user_id),
                     std::nullopt, "success");
      !s) {
    return s.error();
  }
  net::HttpResponse r = JsonResponse(200, "{\"signed_out\":true}");
  r.Set("Set-Cookie", SessionCookie("", true));
  return r;
}

base::Result<net::HttpResponse> Me(Context& ctx, store::Transaction* tx) {
  const Caller& c = *ctx.caller;
  // The names of the caller's clinics (sites are not patient data), for labels in the application.
  auto named = tx->Query("SELECT id, name FROM clinic ORDER BY id", {});
  if (!named) return named.error();
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("user", std::string_view(c.user_name));
  w.Field("user_id", c.subject.user_id);
  w.Field("role", auth::RoleName(c.subject.role));
  w.Key("clinics");
  w.BeginArray();
  for (auth::ClinicId id : c.subject.clinics) w.Int(static_cast<std::int64_t>(id));
  w.EndArray();
  w.Key("clinic_names");
  w.BeginObject();
  for (const store::Row& row : *named) {
    const std::int64_t id = row.Int(0);
    if (std::find(c.subject.clinics.begin(), c.subject.clinics.end(),
                  static_cast<auth::ClinicId>(id)) == c.subject.clinics.end()) {
      continue;
    }
    w.Field(std::to_string(id), row.Text(1));
  }
  w.EndObject();
  if (c.session) {
    w.Field("csrf_token", c.session->csrf_token);
    w.Field("mfa_enrollment_required", c.session->restricted);
  }
  w.Field("break_glass_until_us", c.subject.break_glass_until_us);
  w.EndObject();
  return JsonResponse(200, std::move(out));
}

// MFA enrolment for an account that has none yet (an administrator's first sign-in gets a session
// that can do nothing else). The password is asked again: a session alone, perhaps stolen, must
// not be able to bind its holder's authenticator to the account. The route runs outside the shared
// transaction so that the re-authentication (Argon2id, throttled and audited like a step-up) never
// holds the write lock. Resetting an enrolled factor is an administrator's job
// (`heartbase user reset-mfa`).
base::Result<net::HttpResponse> MfaEnroll(Context& ctx, store::Transaction*) {
  if (!ctx.caller->session) return ErrorResponse(ctx, 400, "bad_request", "sign in with a session");
  auto body = JsonBody::Parse(ctx.request.body,
                              {.max_bytes = 16u << 10, .max_depth = 2, .max_string_bytes = 1024});
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  if (auto refused = StepUp(ctx, *body); !refused) {
    return refused.error();
  } else if (*refused) {
    return std::move(**refused);
  }
  const std::int64_t user_id = ctx.caller->subject.user_id;
  net::HttpResponse response;
  auto status = ctx.services.commit.Run([&](store::Transaction& tx) -> base::Status {
    auto user = auth::GetUser(tx, user_id);
    if (!user) return user.error();
    if (user->mfa_enrolled) {
      response = ErrorResponse(ctx, 409, "conflict", "a second factor is already enrolled");
      return {};
    }
    auto e =
        auth::EnrollMfa(tx, ctx.services.keys, user_id, ctx.services.options.auth.totp, ctx.now_us);
    if (!e) return e.error();
    if (auto s =
            Audit(ctx, tx, "mfa.enroll", "user", std::to_string(user_id), std::nullopt, "success");
        !s) {
      return s;
    }
    std::string out;
    base::JsonWriter w(&out);
    w.BeginObject();
    w.Field("secret", e->secret_base32);
    w.Field("otpauth_uri", e->uri);
    w.EndObject();
    response = JsonResponse(200, std::move(out));
    return {};
  });
  if (!status) return status.error();
  return response;
}

// Step 2: a code proves the app holds the secret. The session is then ended: the user signs in
// again with the second factor.
base::Result<net::HttpResponse> MfaConfirm(Context& ctx, store::Transaction* tx) {
  if (!ctx.caller->session) return ErrorResponse(ctx, 400, "bad_request", "sign in with a session");
  auto body = JsonBody::Parse(ctx.request.body, {.max_bytes = 1024, .max_depth = 2});
  if (!body) return ErrorResponse(ctx, 400, "bad_request", body.error().message);
  const auto code = body->String("code");
  if (!code) return ErrorResponse(ctx, 400, "bad_request", "code is required");
  const std::int64_t user_id = ctx.caller->subject.user_id;
  auto confirmed = auth::ConfirmMfa(*tx, ctx.services.keys, user_id, *code,
                                    ctx.services.options.auth.totp, ctx.now_us);
  if (!confirmed) {
    const auto c = confirmed.error().code;
    if (c != base::ErrorCode::kPermissionDenied && c != base::ErrorCode::kNotFound) {
      return confirmed.error();
    }
    if (auto s =
            Audit(ctx, *tx, "mfa.confirm", "user", std::to_string(user_id), std::nullopt, "denied");
        !s) {
      return s.error();
    }
    return ErrorResponse(ctx, 400, "mfa_bad", "the code does not match; enrol again");
  }
  if (auto r = auth::RevokeUserSessions(*tx, user_id); !r) return r.error();
  if (auto s =
          Audit(ctx, *tx, "mfa.confirm", "user", std::to_string(user_id), std::nullopt, "success");
      !s) {
    return s.error();
  }
  net::HttpResponse r = JsonResponse(200, "{\"enrolled\":true,\"sign_in_again\":true}");
  r.Set("Set-Cookie", SessionCookie("", true));
  return r;
}

base::Result<net::HttpResponse> Health(Context&, store::Transaction*) {
  return JsonResponse(200, "{\"status\":\"ok\"}");
}

}  // namespace heartbase::api::internal
