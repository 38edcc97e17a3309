// The request path: route → identity → CSRF → policy → handler + audit in one transaction.
#include "api/api.h"

#include <sodium.h>

#include <chrono>

#include "api/internal/context.h"
#include "audit/trail.h"
#include "auth/subject.h"
#include "auth/users.h"
#include "base/log.h"

namespace heartbase::api {
namespace {

using internal::Access;
using internal::Context;
using internal::ErrorResponse;
using internal::Route;

std::int64_t SystemNow() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string CorrelationId() {
  unsigned char bytes[8];
  randombytes_buf(bytes, sizeof bytes);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 15];
  }
  return id;
}

std::string_view PathOf(std::string_view target) {
  return target.substr(0, std::min(target.find('?'), target.size()));
}

// Matches `path` against a route pattern; fills the {…} segments.
bool Match(std::string_view pattern, std::string_view path, std::vector<std::string>* params) {
  params->clear();
  while (!pattern.empty() && !path.empty()) {
    const std::size_t pe = std::min(pattern.find('/', 1), pattern.size());
    const std::size_t te = std::min(path.find('/', 1), path.size());
    const std::string_view ps = pattern.substr(0, pe), ts = path.substr(0, te);
    if (ps.size() > 2 && ps[1] == '{') {
      if (ts.size() < 2) return false;
      params->emplace_back(ts.substr(1));
    } else if (ps != ts) {
      return false;
    }
    pattern.remove_prefix(pe);
    path.remove_prefix(te);
  }
  return pattern.empty() && path.empty();
}

std::string CookieValue(const net::HttpRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k != "cookie") continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      const std::size_t semi = std::min(rest.find(';'), rest.size());
      std::string_view pair = rest.substr(0, semi);
      rest.remove_prefix(std::min(semi + 1, rest.size()));
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
          pair[name.size()] == '=') {
        return std::string(pair.substr(name.size() + 1));
      }
    }
  }
  return {};
}

void SecurityHeaders(net::HttpResponse* r, const std::string& correlation_id) {
  net::SetSecurityHeaders(*r);
  r->Set("X-Correlation-Id", correlation_id);
}

bool SafeMethod(std::string_view m) { return m == "GET" || m == "HEAD" || m == "OPTIONS"; }

// A session's or token's last use is written at most this often: the idle timeout is measured in
// minutes, and a write per read would serialise every request on the writer.
constexpr std::int64_t kTouchAfterUs = 30'000'000;

}  // namespace

struct Api::State {
  State(store::Database& db, const crypto::KeyRing& keys, const auth::Authenticator& a,
        ApiOptions o)
      : options(std::move(o)),
        commit(db),
        services{.db = db, .keys = keys, .authenticator = a, .options = options, .commit = commit} {
  }
  ApiOptions options;
  store::GroupCommit commit;
  internal::Services services;
};

Api::Api(store::Database& db, const crypto::KeyRing& keys, const auth::Authenticator& authenticator,
         ApiOptions options)
    : state_(std::make_unique<State>(db, keys, authenticator, std::move(options))) {
  if (!state_->options.now_us) state_->options.now_us = SystemNow;
}

Api::~Api() = default;

std::size_t Api::BodyLimit(const net::HttpRequest& head) const {
  const ApiOptions& o = state_->options;
  const bool credentials =
      !head.Header("authorization").empty() || !CookieValue(head, kSessionCookie).empty();
  std::vector<std::string> params;
  for (const Route& r : internal::Routes()) {
    if (r.method == head.method && Match(r.path, PathOf(head.target), &params)) {
      if (r.access == Access::kPublic || !credentials) return o.max_anonymous_body_bytes;
      return r.upload ? o.max_upload_bytes : o.max_body_bytes;
    }
  }
  return o.max_anonymous_body_bytes;
}

// Identifies the caller inside `tx`. Returns nullopt with *why set when there is no valid identity.
static base::Result<std::optional<internal::Caller>> Identify(Context& ctx, store::Transaction& tx,
                                                              std::string* why) {
  const auto& s = ctx.services;
  const std::string_view authorization = ctx.request.Header("authorization");
  internal::Caller caller;
  std::int64_t user_id = 0;
  if (!authorization.empty()) {
    if (authorization.substr(0, 7) != "Bearer ") {
      *why = "unsupported authorization scheme";
      return std::optional<internal::Caller>{};
    }
    auto check = ctx.deferred
                     ? auth::CheckToken(tx, s.keys, authorization.substr(7), ctx.now_us)
                     : auth::AuthenticateToken(tx, s.keys, authorization.substr(7), ctx.now_us);
    if (!check) return check.error();
    if (check->status != auth::TokenStatus::kValid) {
      *why = "invalid or expired token";
      return std::optional<internal::Caller>{};
    }
    if (ctx.deferred &&
        (!check->token.last_used_us || ctx.now_us - *check->token.last_used_us >= kTouchAfterUs)) {
      ctx.token_used = check->token.id;
    }
    auto subject = auth::SubjectForToken(tx, check->token, ctx.now_us);
    if (!subject) return subject.error();
    caller.subject = std::move(*subject);
    caller.token = check->token;
    user_id = check->token.user_id;
  } else if (!ctx.presented_session.empty()) {
    // A read runs on a reader connection, which must not write: the check there only looks, and
    // the touch (at most every kTouchAfterUs) or the deletion of an expired session is left for
    // the commit that carries the request's audit record.
    auto check = ctx.deferred ? auth::CheckSession(tx, s.keys, ctx.presented_session,
                                                   s.options.auth.session, ctx.now_us)
                              : auth::ValidateSession(tx, s.keys, ctx.presented_session,
                                                      s.options.auth.session, ctx.now_us);
    if (!check) return check.error();
    if (check->status != auth::SessionStatus::kValid) {
      if (ctx.deferred && (check->status == auth::SessionStatus::kIdleExpired ||
                           check->status == auth::SessionStatus::kAbsoluteExpired)) {
        ctx.delete_session = check->session.row_id;
      }
      *why = "session expired or unknown";
      return std::optional<internal::Caller>{};
    }
    if (ctx.deferred && ctx.now_us - check->session.last_seen_us >= kTouchAfterUs) {
      ctx.touch_session = check->session.row_id;
    }
    auto subject = auth::SubjectForSession(tx, check->session, s.options.auth.session, ctx.now_us);
    if (!subject) return subject.error();
    caller.subject = std::move(*subject);
    caller.session = check->session;
    user_id = check->session.user_id;
  } else {
    *why = "sign in first";
    return std::optional<internal::Caller>{};
  }
  auto user = auth::GetUser(tx, user_id);
  if (!user) return user.error();
  caller.user_name = user->name;
  return std::optional<internal::Caller>{std::move(caller)};
}

// Identification, CSRF, the route's permission and the handler, inside `tx`. Sets *response;
// returns an error when the transaction must roll back (audit or database failure).
// With `preflight` set, everything but the handler: the route then runs its own transactions
// (a re-authentication or a password hash must not hold the write lock), and a missing step-up is
// left for it to obtain and decide. *proceed says whether the handler may run.
static base::Status RunRoute(Context& ctx, const Route& route, store::Transaction& tx,
                             net::HttpResponse* response_out, bool preflight = false,
                             bool* proceed = nullptr) {
  const net::HttpRequest& request = ctx.request;
  net::HttpResponse& response = *response_out;
  ctx.caller.reset();
  if (route.access == Access::kSignedIn) {
    std::string why;
    auto caller = Identify(ctx, tx, &why);
    if (!caller) return caller.error();
    if (!*caller) {
      response = ErrorResponse(ctx, 401, "unauthenticated", why);
      return {};
    }
    ctx.caller = std::move(**caller);
    // A browser's ambient cookie must not be enough to change anything (CSRF): the page's
    // own token must come with it, and a cross-site Origin is refused outright.
    if (ctx.caller->session && !SafeMethod(request.method)) {
      const std::string_view origin = request.Header("origin");
      const std::string_view host = request.Header("host");
      const bool origin_ok = origin.empty() || origin == "https://" + std::string(host) ||
                             (!request.tls && origin == "http://" + std::string(host));
      if (!origin_ok || !auth::CheckCsrf(*ctx.caller->session, request.Header("x-csrf-token"))) {
        response = ErrorResponse(ctx, 403, "csrf", "cross-site request refused");
        return {};
      }
    }
    if (route.permission) {
      const auth::Decision d =
          auth::Authorize(ctx.caller->subject, *route.permission, std::nullopt);
      const bool step_up_later = preflight && d.reason == auth::DecisionReason::kStepUpRequired;
      if (!d.allowed && !step_up_later) {
        if (auto s = internal::Audit(ctx, tx, auth::PermissionName(*route.permission), "route",
                                     route.path, std::nullopt, "denied",
                                     auth::DecisionReasonName(d.reason));
            !s) {
          return s;
        }
        response = internal::DenialResponse(ctx, d.reason);
        return {};
      }
    }
  }
  if (preflight) {
    *proceed = true;
    return {};
  }
  auto r = route.handler(ctx, &tx);
  if (!r) return r.error();
  response = std::move(*r);
  return {};
}

// A request that failed inside: 503 when the database was busy (retry), 500 otherwise; the
// reason goes to the log with the correlation id, never to the client.
static net::HttpResponse FailureResponse(const Context& ctx, const Route& route,
                                         const base::Error& error) {
  const bool busy =
      error.code == base::ErrorCode::kUnavailable || error.code == base::ErrorCode::kConflict;
  base::log::Error(
      "api.failed",
      {{"correlation_id", ctx.correlation_id}, {"route", route.path}, {"reason", error}});
  return ErrorResponse(ctx, busy ? 503 : 500, busy ? "unavailable" : "internal",
                       "the request could not be completed");
}

// The route for the request's method and path (HEAD is served as GET), with its {…} segments in
// *params; *path_known says whether the path matched with another method.
static const Route* FindRoute(const net::HttpRequest& request, std::vector<std::string>* params,
                              bool* path_known) {
  const std::string_view path = PathOf(request.target);
  *path_known = false;
  for (const Route& r : internal::Routes()) {
    if (Match(r.path, path, params)) {
      *path_known = true;
      const bool head_as_get = request.method == "HEAD" && r.method == "GET";
      if (r.method == request.method || head_as_get) return &r;
    }
  }
  return nullptr;
}

// A read: on a reader connection, in parallel with other reads. Its audit records and
// bookkeeping are left in ctx for CommitReadEffects; no response may leave before they commit.
static base::Status RunRead(Context& ctx, const Route& route, net::HttpResponse* response) {
  ctx.deferred = true;
  auto rtx = ctx.services.db.Begin(store::Access::kRead);
  return rtx ? RunRoute(ctx, route, **rtx, response) : base::Status(rtx.error());
}

static bool HasReadEffects(const Context& ctx) {
  return !ctx.pending_audit.empty() || ctx.touch_session || ctx.delete_session || ctx.token_used;
}

static base::Status CommitReadEffects(const Context& ctx, store::Transaction& tx) {
  for (const audit::Event& e : ctx.pending_audit) {
    if (auto s = audit::Append(tx, e); !s) return s;
  }
  if (ctx.touch_session) {
    if (auto s = auth::TouchSession(tx, *ctx.touch_session, ctx.now_us); !s) return s;
  }
  if (ctx.delete_session) {
    if (auto s = auth::DeleteSession(tx, *ctx.delete_session); !s) return s;
  }
  if (ctx.token_used) {
    if (auto s = auth::RecordTokenUse(tx, *ctx.token_used, ctx.now_us); !s) return s;
  }
  return {};
}

// A request's context: a new correlation id, the time, and the session cookie presented.
static Context NewContext(const net::HttpRequest& request, internal::Services& services) {
  Context ctx{.request = request,
              .services = services,
              .correlation_id = CorrelationId(),
              .now_us = services.options.now_us()};
  ctx.presented_session = CookieValue(request, kSessionCookie);
  return ctx;
}

void Api::HandleAsync(const net::HttpRequest& request,
                      std::function<void(net::HttpResponse)> respond) {
  std::vector<std::string> params;
  bool path_known = false;
  const Route* route = FindRoute(request, &params, &path_known);
  if (route == nullptr || route->own_transaction || !SafeMethod(request.method)) {
    respond(Handle(request));
    return;
  }
  auto ctx = std::make_shared<Context>(NewContext(request, state_->services));
  ctx->path_params = std::move(params);
  auto response = std::make_shared<net::HttpResponse>();
  const base::Status status = RunRead(*ctx, *route, response.get());
  auto finish = [ctx, route, response, respond = std::move(respond)](const base::Status& s) {
    if (!s) *response = FailureResponse(*ctx, *route, s.error());
    SecurityHeaders(response.get(), ctx->correlation_id);
    if (ctx->request.method == "HEAD") response->body.clear();
    respond(std::move(*response));
  };
  if (!status || !HasReadEffects(*ctx)) {
    finish(status);
    return;
  }
  state_->commit.RunAsync([ctx](store::Transaction& tx) { return CommitReadEffects(*ctx, tx); },
                          std::move(finish));
}

net::HttpResponse Api::Handle(const net::HttpRequest& request) {
  Context ctx = NewContext(request, state_->services);
  const std::string_view path = PathOf(request.target);
  bool path_known = false;
  const Route* route = FindRoute(request, &ctx.path_params, &path_known);
  net::HttpResponse response;
  const StaticFiles* site = state_->options.static_files;
  const bool api_path = path == "/api" || path.rfind("/api/", 0) == 0;
  if (route == nullptr && !api_path && site != nullptr && SafeMethod(request.method)) {
    // The web application: public files, no patient data; the same security headers.
    if (const StaticFiles::File* f = site->Find(path)) {
      response.status = 200;
      const bool gzip =
          !f->gzip.empty() && StaticFiles::AcceptsGzip(request.Header("accept-encoding"));
      response.body = gzip ? f->gzip : f->body;
      response.Set("Content-Type", f->content_type);
      if (gzip) response.Set("Content-Encoding", "gzip");
      if (!f->gzip.empty()) response.Set("Vary", "Accept-Encoding");
      SecurityHeaders(&response, ctx.correlation_id);
      if (f->immutable) response.Set("Cache-Control", "public, max-age=31536000, immutable");
      if (request.method == "HEAD") response.body.clear();
      return response;
    }
  }
  if (route == nullptr) {
    response = path_known ? ErrorResponse(ctx, 405, "method_not_allowed", "method not allowed")
                          : ErrorResponse(ctx, 404, "not_found", "no such resource");
  } else if (route->own_transaction) {
    bool proceed = route->access == Access::kPublic;
    base::Status status;
    if (!proceed) {
      status = state_->commit.Run([&](store::Transaction& tx) -> base::Status {
        ctx.caller.reset();
        proceed = false;
        return RunRoute(ctx, *route, tx, &response, /*preflight=*/true, &proceed);
      });
    }
    if (status && proceed) {
      auto r = route->handler(ctx, nullptr);
      if (r) {
        response = std::move(*r);
      } else {
        status = r.error();
      }
    }
    if (!status) response = FailureResponse(ctx, *route, status.error());
  } else {
    base::Status status;
    if (SafeMethod(request.method)) {
      // A read: on a reader connection (in parallel with other reads), then its audit records
      // and bookkeeping in one group commit; no response leaves before that commit.
      status = RunRead(ctx, *route, &response);
      if (status && HasReadEffects(ctx)) {
        status =
            state_->commit.Run([&](store::Transaction& tx) { return CommitReadEffects(ctx, tx); });
      }
    } else {
      status = state_->commit.Run([&](store::Transaction& tx) -> base::Status {
        ctx.caller.reset();
        return RunRoute(ctx, *route, tx, &response);
      });
    }
    if (!status) response = FailureResponse(ctx, *route, status.error());
  }
  SecurityHeaders(&response, ctx.correlation_id);
  if (request.method == "HEAD") response.body.clear();
  return response;
}

}  // namespace heartbase::api
