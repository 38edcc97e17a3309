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

}  // namespace heartbase::net
