// HTTP/1.1 request parsing with limits checked before anything is buffered: an incremental
// parser for the server (bytes in as they arrive) and a one-shot function for tests and fuzzing.
// Boost.Beast stays inside http_parse.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "net/http.h"

namespace heartbase::net {

// Limits on one request. Each is checked as soon as the bytes prove it is exceeded; a declared
// Content-Length over the body limit is refused before any body byte is buffered.
struct HttpLimits {
  std::size_t max_header_bytes = 8 << 10;  // request line + fields + blank line → 431
  std::size_t max_header_fields = 100;     // → 431
  std::size_t max_target_bytes = 8 << 10;  // request target → 414
  std::size_t max_body_bytes = 1 << 20;    // Content-Length or chunked total → 413
};

// Picks the body limit of one request from its head (method, target, headers, peer), e.g. more
// for an upload route. Called once per request, after the head and before any body byte.
using HttpBodyLimit = std::function<std::size_t(const HttpRequest& head)>;

enum class HttpParseState : std::uint8_t {
  kHead,      // waiting for the rest of the request line and header fields
  kBody,      // head accepted (request() holds it); waiting for body bytes
  kComplete,  // request() holds the whole request
};

// Parses the requests of one connection, one after another. What it accepts: methods GET, HEAD,
// POST, PUT, PATCH, DELETE, OPTIONS (others → 501); HTTP/1.0 and 1.1 (others → 400); origin-form
// targets ("/path?query"; others → 400); exactly one Host in HTTP/1.1 (→ 400); a body framed by
// one Content-Length or by "Transfer-Encoding: chunked" alone, never both and no other transfer
// coding (request smuggling → 400). Anything the grammar refuses → 400.
// Not thread-safe; one instance per connection.
class HttpRequestParser {
 public:
  // `body_limit` may be empty: then every request gets limits.max_body_bytes.
  explicit HttpRequestParser(const HttpLimits& limits, HttpBodyLimit body_limit = nullptr);
  ~HttpRequestParser();
  HttpRequestParser(const HttpRequestParser&) = delete;
  HttpRequestParser& operator=(const HttpRequestParser&) = delete;

  // Stamped on every request (HttpRequest::peer_address, HttpRequest::tls).
  void SetPeer(std::string peer_address, bool tls);

  // Takes the next bytes of the stream and parses as far as they go. Bytes after the end of the
  // current request are kept for the next one (pipelining); Feed({}) parses those. On failure
  // the error is kMalformed (400), kLimitExceeded (413, 414, 431) or kUnsupported (501);
  // refusal_status() gives the exact status, and the parser must not be fed again.
  base::Result<HttpParseState> Feed(std::string_view bytes);

  HttpParseState state() const;
  // The request so far: method, target, headers from kBody on; the body too at kComplete.
  const HttpRequest& request() const;
  // At kBody or later: whether the connection may carry another request after this one.
  bool keep_alive() const;
  // At kBody: the client waits for "100 Continue" before it sends the body.
  bool expects_continue() const;
  // At kComplete: moves the request out and starts on the next one, keeping pipelined bytes.
  HttpRequest TakeRequest();
  // Bytes received and not yet consumed (a partial head, a partial chunk header, pipelined data).
  std::size_t buffered() const;
  // After Feed failed: the HTTP status the refusal should be answered with.
  int refusal_status() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses exactly one complete request from `bytes` (what follows it is ignored). Errors as for
// HttpRequestParser::Feed, plus kMalformed when the request is incomplete.
base::Result<HttpRequest> ParseHttpRequest(std::string_view bytes, const HttpLimits& limits);

}  // namespace heartbase::net
