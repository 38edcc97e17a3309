// HttpServer: the HTTPS listener of the web UI and REST API. Requests are parsed with limits
// (net/http_parse.h), handed to the handler on a worker pool, and answered on the io thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "net/http.h"
#include "net/http_parse.h"

namespace heartbase::net {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8443;  // 0 = chosen by the OS
  // Server-authenticated TLS 1.2/1.3 with forward-secret AEAD suites (no client certificates).
  // Required for any host that is not loopback. With TLS every response carries HSTS.
  std::string tls_certificate;  // PEM chain of this server
  std::string tls_private_key;  // PEM private key
  // Limits on each request (431, 414, 413 beyond them).
  std::size_t max_header_bytes = 8 << 10;  // request line + header fields
  std::size_t max_header_fields = 100;
  std::size_t max_target_bytes = 8 << 10;
  std::size_t max_body_bytes = 1 << 20;
  // When set, decides the body limit of each request from its head instead of max_body_bytes
  // (an upload route may allow 64 MiB). Runs on the io thread: it must be quick and not block.
  HttpBodyLimit body_limit;
  // A request's head must be complete this long after its first byte (on a new connection:
  // after the connection was accepted). Slow heads are answered 408 and closed.
  std::chrono::milliseconds header_timeout{10'000};
  // A kept-alive connection with no new request for this long is closed.
  std::chrono::milliseconds idle_timeout{30'000};
  // The body must arrive this long after the head, and a response must be taken by the client
  // within this long.
  std::chrono::milliseconds request_timeout{60'000};
  std::chrono::milliseconds handshake_timeout{10'000};
  // A head or body in progress must receive at least min_bytes_per_second × rate_window bytes in
  // every rate_window from its start, or it is answered 408 and closed: a client that trickles
  // bytes to hold a connection is cut within one window instead of holding it for the header or
  // request timeout. A browser sends a head in one packet and a body at network speed.
  // 0 = no minimum.
  std::size_t min_bytes_per_second = 1024;
  std::chrono::milliseconds rate_window{5'000};
  // At the cap a connection is closed to make room: one from the address holding the most
  // connections; of its connections, first to last, the longest idle, the longest handshaking
  // or sending its head, the body in progress with the lowest data rate.
  // When every connection has its request handled or its response in progress, the new one is
  // closed.
  std::size_t max_connections = 512;
  std::size_t max_connections_per_address = 32;  // further ones from that address are closed
  int workers = 8;                               // threads running the handler
};

// Called once per request on a worker thread; may block (database). Must be thread-safe. The
// server adds Content-Length, Connection and (with TLS) Strict-Transport-Security, drops the
// body of a HEAD response, and answers 500 instead when the handler throws or returns a status
// outside 200–599 or a header with a forbidden character.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// Gives a request its response. Call it exactly once, from any thread; later calls are ignored.
using HttpRespond = std::function<void(HttpResponse)>;
// Called once per request on a worker thread, like HttpHandler, but it may respond later and from
// another thread (once a commit it queued is durable), so the worker is free for the next request
// meanwhile. The request stays valid until it responds. Throwing before responding is answered
// 500. A handler that never responds holds its connection, and Stop waits for it.
using HttpAsyncHandler = std::function<void(const HttpRequest&, HttpRespond)>;

// Errors the server answers by itself (400, 408, 413, 414, 431, 500, 501) have a fixed
// body such as {"error":"request_too_large"}, Content-Type application/json and the security
// headers of every response (SetSecurityHeaders, net/http.h), never anything from the request or
// the server's internals; the connection is then closed. Refused and evicted connections are
// logged (base/log.h) with the peer address and the reason.
// Thread-safety: Start/Stop/Wait from any one thread at a time; the accessors from any thread.
class HttpServer {
 public:
  // Binds and starts accepting. kPermissionDenied for a non-loopback host without TLS material;
  // kInvalidArgument for a host that is not an IP address or unusable TLS material; kIo if the
  // address cannot be bound.
  static base::Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                         HttpHandler handler);
  static base::Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                         HttpAsyncHandler handler);
  virtual ~HttpServer() = default;
  // "127.0.0.1:40123" — the bound address (the real port when 0 was asked for).
  virtual std::string local_address() const = 0;
  // Stops accepting, closes every connection and joins the threads. Handlers already running
  // finish; their responses are not sent.
  virtual void Stop() = 0;
  // Blocks until Stop is called from another thread.
  virtual void Wait() = 0;
  // Connections currently open (for tests and metrics).
  virtual std::size_t connections() const = 0;
};

}  // namespace heartbase::net
