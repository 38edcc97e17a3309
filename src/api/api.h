// Api: the REST/JSON API v1. Every request goes through one path: route lookup in the route table,
// identification (session cookie or bearer token), CSRF check for state-changing requests from a
// browser, the policy decision (auth::Authorize) for the route's permission, the handler, and the
// audit record written in the same transaction as the data it read or changed. Errors carry a
// correlation id and nothing internal; security headers go on every response.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "auth/login.h"
#include "auth/options.h"
#include "crypto/key_ring.h"
#include "net/http.h"
#include "store/database.h"
#include "store/group_commit.h"

namespace heartbase::api {

struct ApiOptions {
  auth::AuthOptions auth;
  std::size_t max_body_bytes = 1u << 20;     // JSON bodies
  std::size_t max_upload_bytes = 64u << 20;  // HL7 file upload
  int default_page = 50;
  // Microseconds since the epoch; injectable for tests.
  std::function<std::int64_t()> now_us;
};

// Thread-safe: Handle may run on many threads at once.
class Api {
 public:
  // The database, key ring and authenticator must outlive the Api.
  Api(store::Database& db, const crypto::KeyRing& keys, const auth::Authenticator& authenticator,
      ApiOptions options);
  ~Api();

  net::HttpResponse Handle(const net::HttpRequest& request);
  // The largest body the route named by the request head accepts (for the HTTP server, which
  // refuses larger ones before reading them).
  std::size_t BodyLimit(const net::HttpRequest& head) const;

  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The session cookie: __Host- prefix (Secure, Path=/, no Domain), HttpOnly, SameSite=Strict.
inline constexpr std::string_view kSessionCookie = "__Host-hb_session";

}  // namespace heartbase::api
