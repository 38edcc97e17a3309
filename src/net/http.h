// HTTP requests and responses as plain values, so that handlers (api) never see the transport
// (Boost.Beast stays inside net/http_server.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace heartbase::net {

struct HttpRequest {
  std::string method;  // "GET", "POST" … as sent (upper case for well-formed requests)
  std::string target;  // origin-form request target: path plus optional "?query"
  // Header fields in arrival order; names lower-cased. Repeated fields stay separate.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string peer_address;  // "127.0.0.1" / "::1" (no port)
  bool tls = false;          // arrived over TLS

  // The first value of header `name` (lower case), or "" if absent.
  std::string_view Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return {};
  }
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Length is added by net
  std::string body;
  // A document (a report's PDF) that the web application shows in a frame of its own origin:
  // SetSecurityHeaders then allows framing by the same origin, and nothing else.
  bool framed_by_self = false;

  void Set(std::string name, std::string value) {
    for (auto& [k, v] : headers) {
      if (k == name) {
        v = std::move(value);
        return;
      }
    }
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// The security headers every response carries, the API's and the server's own refusals alike
// (one list, so they cannot drift apart): a CSP without 'unsafe-inline' that forbids framing,
// nosniff, no referrer, no caching (responses may hold patient data), and isolation from other
// origins. HSTS is added by the server on TLS connections.
inline void SetSecurityHeaders(HttpResponse& r) {
  if (r.framed_by_self) {
    // The browser's own PDF viewer draws it; the document may load nothing and run nothing.
    r.Set("Content-Security-Policy",
          "default-src 'none'; object-src 'self'; base-uri 'none'; form-action 'none'; "
          "frame-ancestors 'self'");
    r.Set("X-Frame-Options", "SAMEORIGIN");
  } else {
    r.Set("Content-Security-Policy",
          "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
          "frame-ancestors 'none'");
    r.Set("X-Frame-Options", "DENY");
  }
  r.Set("X-Content-Type-Options", "nosniff");
  r.Set("Referrer-Policy", "no-referrer");
  r.Set("Cross-Origin-Opener-Policy", "same-origin");
  r.Set("Cross-Origin-Resource-Policy", "same-origin");
  r.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
  r.Set("Cache-Control", "no-store");
}

}  // namespace heartbase::net
