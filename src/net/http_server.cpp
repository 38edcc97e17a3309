// The HTTP(S) listener on Boost.Asio with C++20 coroutines. One io thread owns the sockets and
// the parsers; a complete request hops to a thread pool for the (possibly blocking) handler and
// back. Every wait on a client has a deadline, and connections are capped in total and per
// address, so slow or idle clients cost a bounded amount of memory.
#include "net/http_server.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>

#include "base/log.h"
#include "net/tls_context.h"

namespace heartbase::net {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
using std::chrono::steady_clock;

constexpr std::size_t kReadChunk = 16 << 10;  // one TLS record
constexpr std::chrono::milliseconds kErrorWriteTimeout{5'000};
constexpr std::chrono::milliseconds kLingerTimeout{1'000};
constexpr std::chrono::milliseconds kCloseNotifyTimeout{1'000};
constexpr std::size_t kLingerBytes = 64 << 10;
constexpr std::chrono::milliseconds kEvictionWait{1'000};
constexpr std::string_view kHsts = "max-age=63072000; includeSubDomains";

struct StatusRow {
  int code;
  std::string_view reason;
  std::string_view error;  // the body's "error" when the server answers by itself
};

constexpr std::array<StatusRow, 32> kStatuses{{
    {100, "Continue", ""},
    {200, "OK", ""},
    {201, "Created", ""},
    {202, "Accepted", ""},
    {204, "No Content", ""},
    {301, "Moved Permanently", ""},
    {302, "Found", ""},
    {303, "See Other", ""},
    {304, "Not Modified", ""},
    {307, "Temporary Redirect", ""},
    {308, "Permanent Redirect", ""},
    {400, "Bad Request", "bad_request"},
    {401, "Unauthorized", ""},
    {403, "Forbidden", ""},
    {404, "Not Found", ""},
    {405, "Method Not Allowed", ""},
    {406, "Not Acceptable", ""},
    {408, "Request Timeout", "request_timeout"},
    {409, "Conflict", ""},
    {410, "Gone", ""},
    {412, "Precondition Failed", ""},
    {413, "Content Too Large", "request_too_large"},
    {414, "URI Too Long", "target_too_long"},
    {415, "Unsupported Media Type", ""},
    {422, "Unprocessable Content", ""},
    {428, "Precondition Required", ""},
    {429, "Too Many Requests", ""},
    {431, "Request Header Fields Too Large", "header_too_large"},
    {500, "Internal Server Error", "internal_error"},
    {501, "Not Implemented", "not_implemented"},
    {503, "Service Unavailable", ""},
    {505, "HTTP Version Not Supported", ""},
}};

const StatusRow* FindStatus(int code) {
  for (const StatusRow& s : kStatuses) {
    if (s.code == code) return &s;
  }
  return nullptr;
}

// The reason phrase is optional: an unlisted status gets none.
std::string_view Reason(int code) {
  const StatusRow* s = FindStatus(code);
  return s ? s->reason : std::string_view();
}

// The response the server gives by itself: a fixed body, nothing from the request.
HttpResponse ServerError(int status) {
  HttpResponse r;
  r.status = status;
  r.Set("Content-Type", "application/json");
  SetSecurityHeaders(r);
  const StatusRow* s = FindStatus(status);
  r.body = fmt::format(R"({{"error":"{}"}})",
                       s && !s->error.empty() ? s->error : std::string_view("internal_error"));
  return r;
}

bool IsTokenChar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool ValidName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), IsTokenChar);
}

// Field values may hold visible characters, blanks and obs-text; never CR, LF, NUL or other
// controls, so a handler cannot split the response.
bool ValidValue(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
  });
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lx = static_cast<char>(x >= 'A' && x <= 'Z' ? x - 'A' + 'a' : x);
           const auto ly = static_cast<char>(y >= 'A' && y <= 'Z' ? y - 'A' + 'a' : y);
           return lx == ly;
         });
}

// Header fields the server owns; a handler's values for them are dropped.
bool ServerOwned(std::string_view name) {
  return IEquals(name, "content-length") || IEquals(name, "transfer-encoding") ||
         IEquals(name, "connection") || IEquals(name, "strict-transport-security");
}

bool ValidResponse(const HttpResponse& r) {
  if (r.status < 200 || r.status > 599) return false;
  return std::all_of(r.headers.begin(), r.headers.end(), [](const auto& field) {
    return ValidName(field.first) && ValidValue(field.second);
  });
}

// The response on the wire. `response` must be ValidResponse.
std::string Serialize(const HttpResponse& response, bool head_request, bool close, bool tls) {
  const bool no_body = response.status == 204 || response.status == 304;
  std::string out = fmt::format("HTTP/1.1 {} {}\r\n", response.status, Reason(response.status));
  for (const auto& [name, value] : response.headers) {
    if (ServerOwned(name)) continue;
    out += fmt::format("{}: {}\r\n", name, value);
  }
  if (tls) out += fmt::format("Strict-Transport-Security: {}\r\n", kHsts);
  if (!no_body) out += fmt::format("Content-Length: {}\r\n", response.body.size());
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  if (!no_body && !head_request) out += response.body;
  return out;
}

tcp::socket& Tcp(tcp::socket& stream) { return stream; }
tcp::socket& Tcp(asio::ssl::stream<tcp::socket>& stream) { return stream.next_layer(); }

std::string PeerAddress(const tcp::endpoint& endpoint) {
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address.to_string();
}

class Server final : public HttpServer {
 public:
  Server(HttpServerOptions o, HttpAsyncHandler h)
      : options_(std::move(o)),
        handler_(std::move(h)),
        limits_{.max_header_bytes = options_.max_header_bytes,
                .max_header_fields = options_.max_header_fields,
                .max_target_bytes = options_.max_target_bytes,
                .max_body_bytes = options_.max_body_bytes},
        tls_(asio::ssl::context::tls_server),
        acceptor_(io_),
        pool_(static_cast<std::size_t>(std::max(1, options_.workers))) {}

  ~Server() override {
    try {
      Stop();
    } catch (...) {  // joining threads at exit must not throw out of a destructor
    }
  }

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  base::Status Bind() {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options_.host, ec);
    if (ec) {
      return base::MakeError(base::ErrorCode::kInvalidArgument,
                             fmt::format("not an IP address: {}", options_.host));
    }
    use_tls_ = !options_.tls_certificate.empty() || !options_.tls_private_key.empty();
    if (!address.is_loopback() && !use_tls_) {
      return base::MakeError(base::ErrorCode::kPermissionDenied,
                             fmt::format("HTTP without TLS is only offered on loopback; {} is not "
                                         "a loopback address",
                                         options_.host));
    }
    if (use_tls_) {
      auto s = ConfigureServerTls(tls_.native_handle(), options_.tls_certificate,
                                  options_.tls_private_key);
      if (!s) return s;
    }
    const tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return base::MakeError(
          base::ErrorCode::kIo,
          fmt::format("cannot listen on {}:{}: {}", options_.host, options_.port, ec.message()));
    }
    const auto bound = acceptor_.local_endpoint();
    local_ = fmt::format("{}:{}", bound.address().to_string(), bound.port());
    asio::co_spawn(io_, Accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
    return {};
  }

  std::string local_address() const override { return local_; }
  std::size_t connections() const override { return open_.load(); }

  void Stop() override {
    std::lock_guard<std::mutex> g(stop_mutex_);
    if (stopped_) return;
    stopped_ = true;
    // Wake every session so it closes its socket; io_.run() returns when the last one (and any
    // handler still running on the pool) has finished.
    asio::post(io_, [this] {
      stopping_ = true;
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      for (Slot& slot : slots_) {
        slot.evict = true;
        slot.timer->cancel();
      }
    });
    if (thread_.joinable()) thread_.join();
    pool_.join();
    stopped_cv_.notify_all();
  }

  void Wait() override {
    std::unique_lock<std::mutex> g(stop_mutex_);
    stopped_cv_.wait(g, [this] { return stopped_; });
  }

 private:
  enum class Phase : std::uint8_t { kHandshake, kIdle, kHead, kBody, kBusy };

  struct Slot {
    std::string address;  // for the log
    Phase phase;
    steady_clock::time_point since;  // when the phase began
    bool evict;
    asio::steady_timer* timer;  // cancelling it ends the session's current wait
    // A read or write failed (the client has gone, or a write stopped part-way through a TLS
    // record): nothing more may be written, not even a close_notify.
    bool broken = false;
    bool write_closed = false;  // CloseWrite has run
    std::size_t bytes = 0;      // received in this phase (the data rate of a body)
  };

  enum class Outcome : std::uint8_t { kDone, kTimedOut, kFailed };

  awaitable<void> Accept() {
    asio::steady_timer backoff(io_);
    asio::steady_timer room(io_);  // waits for an evicted connection to close
    struct Forget {
      asio::steady_timer*& waiter;
      ~Forget() { waiter = nullptr; }
    } forget{room_waiter_};
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (!acceptor_.is_open()) co_return;
        // E.g. out of file descriptors: serve the others and try again shortly.
        backoff.expires_after(std::chrono::milliseconds(50));
        co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      boost::system::error_code remote_error;
      const auto remote = socket.remote_endpoint(remote_error);
      if (remote_error) continue;  // already gone; the socket closes here
      std::string address = PeerAddress(remote);
      const auto per_address = per_address_.find(address);
      if (per_address != per_address_.end() &&
          per_address->second >= options_.max_connections_per_address) {
        base::log::Warn("http_connection_refused",
                        {{"peer", address}, {"reason", "per_address_limit"}});
        continue;
      }
      if (open_.load() >= options_.max_connections) {
        if (!EvictOne()) {
          base::log::Warn("http_connection_refused",
                          {{"peer", address}, {"reason", "at_capacity"}});
          continue;
        }
        // Admit the newcomer only once the victim has closed, so the cap holds exactly.
        room_waiter_ = &room;
        room.expires_after(kEvictionWait);
        while (open_.load() >= options_.max_connections) {
          auto [cancelled] = co_await room.async_wait(asio::as_tuple(asio::use_awaitable));
          if (!cancelled) break;  // expired; when cancelled, a session closed: look again
        }
        room_waiter_ = nullptr;
        if (open_.load() >= options_.max_connections) continue;
      }
      ++open_;
      ++per_address_[address];
      asio::co_spawn(io_, Session(std::move(socket), std::move(address)), asio::detached);
    }
  }

  static const char* PhaseName(Phase p) {
    switch (p) {
      case Phase::kHandshake:
        return "handshake";
      case Phase::kIdle:
        return "idle";
      case Phase::kHead:
        return "head";
      case Phase::kBody:
        return "body";
      case Phase::kBusy:
        return "busy";
    }
    return "unknown";
  }

  // Makes room at the connection cap. The victim comes from the address holding the most
  // connections: holding many is what a slow-client attack needs, and a real client holds few.
  // Among equals, first idle connections (the longest idle first), then those handshaking or
  // sending their head (the oldest first), then bodies in progress (the lowest data rate first):
  // those phases have their own timeouts and rate windows, but a crowd of them must not lock
  // out a real client. Age and rate alone are not enough: an attacker who churns connections
  // keeps its own young, so a real client's handshake became the oldest and was evicted (seen
  // on a loaded CI machine). A request being handled or answered is never evicted. False when
  // there is nothing to evict.
  bool EvictOne() {
    const auto now = steady_clock::now();
    auto rank = [this, now](const Slot& s) {
      const int kind = s.phase == Phase::kIdle ? 0 : s.phase == Phase::kBody ? 2 : 1;
      const auto held = per_address_.find(s.address);
      const std::size_t crowd = held == per_address_.end() ? 0 : held->second;
      const double age = std::chrono::duration<double>(now - s.since).count();
      // Higher = evicted first.
      const double score = kind == 2 ? -static_cast<double>(s.bytes) / std::max(age, 1e-3) : age;
      return std::tuple(crowd, -kind, score);
    };
    auto victim = slots_.end();
    for (auto it = slots_.begin(); it != slots_.end(); ++it) {
      if (it->phase != Phase::kBusy && !it->evict &&
          (victim == slots_.end() || rank(*it) > rank(*victim))) {
        victim = it;
      }
    }
    if (victim == slots_.end()) return false;
    base::log::Warn("http_connection_evicted",
                    {{"peer", victim->address},
                     {"reason", "capacity"},
                     {"phase", PhaseName(victim->phase)},
                     {"bytes", static_cast<std::uint64_t>(victim->bytes)}});
    victim->evict = true;
    victim->timer->cancel();
    return true;
  }

  awaitable<void> Session(tcp::socket socket, std::string address) {
    asio::steady_timer timer(io_);
    const auto slot = slots_.insert(slots_.end(), Slot{.address = address,
                                                       .phase = Phase::kHandshake,
                                                       .since = steady_clock::now(),
                                                       .evict = false,
                                                       .timer = &timer});
    struct Unregister {
      Server& server;
      std::list<Slot>::iterator slot;
      const std::string& address;
      ~Unregister() {
        server.slots_.erase(slot);
        if (const auto it = server.per_address_.find(address);
            it != server.per_address_.end() && --it->second == 0) {
          server.per_address_.erase(it);
        }
        --server.open_;
        try {
          if (server.room_waiter_ != nullptr) server.room_waiter_->cancel();
        } catch (...) {  // cancel reports OS failures by throwing; Accept then waits its limit
        }
      }
    } unregister{*this, slot, address};
    if (!use_tls_) {
      co_await Serve(socket, *slot, address);
      co_await CloseWrite(socket, *slot);
      co_return;
    }
    asio::ssl::stream<tcp::socket> stream(std::move(socket), tls_);
    timer.expires_after(options_.handshake_timeout);
    auto result = co_await (stream.async_handshake(asio::ssl::stream_base::server,
                                                   asio::as_tuple(asio::use_awaitable)) ||
                            timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (result.index() == 1 || std::get<0>(std::get<0>(result))) co_return;  // no session
    if (!slot->evict) co_await Serve(stream, *slot, address);
    co_await CloseWrite(stream, *slot);
  }

  static void SetPhase(Slot& slot, Phase phase) {
    if (slot.phase == phase) return;
    slot.phase = phase;
    slot.since = steady_clock::now();
    slot.bytes = 0;
  }

  // Bytes a head or body in progress must receive in each rate window.
  std::size_t MinWindowBytes() const {
    return static_cast<std::size_t>(options_.min_bytes_per_second *
                                    static_cast<std::uint64_t>(options_.rate_window.count()) /
                                    1000);
  }

  template <typename Stream>
  awaitable<Outcome> Read(Stream& stream, Slot& slot, steady_clock::time_point deadline,
                          std::vector<char>& buffer, std::size_t& n) {
    slot.timer->expires_at(deadline);
    auto result = co_await (
        stream.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable)) ||
        slot.timer->async_wait(asio::as_tuple(asio::use_awaitable)));
    if (slot.evict) co_return Outcome::kFailed;
    if (result.index() == 1) co_return Outcome::kTimedOut;
    const auto [error, read] = std::get<0>(result);
    n = read;
    if (error) slot.broken = true;
    co_return error ? Outcome::kFailed : Outcome::kDone;
  }

  template <typename Stream>
  awaitable<bool> Write(Stream& stream, Slot& slot, steady_clock::time_point deadline,
                        std::string_view bytes) {
    slot.timer->expires_at(deadline);
    auto result = co_await (
        asio::async_write(stream, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable)) ||
        slot.timer->async_wait(asio::as_tuple(asio::use_awaitable)));
    const bool complete = result.index() == 0 && !std::get<0>(std::get<0>(result));
    if (!complete) slot.broken = true;
    co_return complete && !slot.evict;
  }

  // Ends the server's side of a connection it closes: a TLS close_notify (so that the client can
  // tell the end of the stream from a truncation), then the TCP FIN. Runs once; skipped when the
  // connection is broken. Never logs: a client that has gone away is not an event.
  template <typename Stream>
  awaitable<void> CloseWrite(Stream& stream, Slot& slot) {
    if (slot.write_closed) co_return;
    slot.write_closed = true;
    if (!slot.broken) co_await SendCloseNotify(stream, slot);
    boost::system::error_code ignored;
    stream.lowest_layer().shutdown(tcp::socket::shutdown_send, ignored);
  }

  static awaitable<void> SendCloseNotify(tcp::socket&, Slot&) { co_return; }

  // RFC 8446 §6.1 (and RFC 5246 §7.2.1 for 1.2) lets the side that closes send its close_notify
  // without waiting for the peer's. Marking the peer's as received makes SSL_shutdown send ours
  // and finish, so a client that never answers holds nothing; the timeout covers a client that
  // does not even read. Whatever the client sends afterwards is drained as TCP bytes (Refuse).
  static awaitable<void> SendCloseNotify(asio::ssl::stream<tcp::socket>& stream, Slot& slot) {
    SSL* ssl = stream.native_handle();
    SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
    slot.timer->expires_after(kCloseNotifyTimeout);
    co_await (stream.async_shutdown(asio::as_tuple(asio::use_awaitable)) ||
              slot.timer->async_wait(asio::as_tuple(asio::use_awaitable)));
  }

  // Answers an error of the server's own and closes. The connection lingers briefly, reading
  // and discarding, so that a client still sending its body sees the answer instead of a reset.
  template <typename Stream>
  awaitable<void> Refuse(Stream& stream, Slot& slot, const std::string& address, int status,
                         std::vector<char>& buffer) {
    base::log::Info("http_refused", {{"status", status}, {"peer", address}});
    const std::string wire = Serialize(ServerError(status), false, true, use_tls_);
    SetPhase(slot, Phase::kIdle);
    if (!co_await Write(stream, slot, steady_clock::now() + kErrorWriteTimeout, wire)) co_return;
    co_await CloseWrite(stream, slot);
    const auto deadline = steady_clock::now() + kLingerTimeout;
    std::size_t discarded = 0;
    std::size_t n = 0;
    while (discarded < kLingerBytes &&
           co_await Read(Tcp(stream), slot, deadline, buffer, n) == Outcome::kDone) {
      discarded += n;
    }
  }

  template <typename Stream>
  awaitable<void> Serve(Stream& stream, Slot& slot, const std::string& address) {
    HttpRequestParser parser(limits_, options_.body_limit);
    parser.SetPeer(address, use_tls_);
    std::vector<char> buffer(kReadChunk);
    bool first = true;
    for (;;) {
      // Before the first byte of a request: the idle timeout (on a new connection, the head
      // timeout from now). From the first byte: the head timeout. From the head: the body one.
      const auto waiting = steady_clock::now();
      auto deadline = waiting + (first ? options_.header_timeout : options_.idle_timeout);
      bool started = false;
      bool continued = false;
      // The current rate window of a head or body in progress: its end, and the bytes in it.
      auto window_end = steady_clock::time_point::max();
      std::size_t window_bytes = 0;
      auto start_window = [&] {
        if (options_.min_bytes_per_second == 0) return;
        window_end = steady_clock::now() + options_.rate_window;
        window_bytes = 0;
      };
      SetPhase(slot, Phase::kIdle);
      auto state = parser.Feed({});  // bytes pipelined after the previous request
      while (state && *state != HttpParseState::kComplete) {
        if (!started && (parser.buffered() > 0 || *state == HttpParseState::kBody)) {
          started = true;
          if (!first) deadline = steady_clock::now() + options_.header_timeout;
          SetPhase(slot, Phase::kHead);
          start_window();
        }
        if (*state == HttpParseState::kBody && slot.phase != Phase::kBody) {
          SetPhase(slot, Phase::kBody);
          deadline = steady_clock::now() + options_.request_timeout;
          start_window();
          if (parser.expects_continue() && !continued) {
            continued = true;
            if (!co_await Write(stream, slot, deadline, "HTTP/1.1 100 Continue\r\n\r\n")) {
              co_return;
            }
          }
        }
        std::size_t n = 0;
        const Outcome wait = co_await Read(stream, slot, std::min(deadline, window_end), buffer, n);
        if (wait == Outcome::kTimedOut && started && steady_clock::now() < deadline) {
          if (window_bytes >= MinWindowBytes()) {  // fast enough: on to the next window
            start_window();
            continue;
          }
          base::log::Warn("http_too_slow",
                          {{"peer", address},
                           {"phase", PhaseName(slot.phase)},
                           {"window_bytes", static_cast<std::uint64_t>(window_bytes)}});
          co_await Refuse(stream, slot, address, 408, buffer);
          co_return;
        }
        if (wait == Outcome::kTimedOut && started)
          co_await Refuse(stream, slot, address, 408, buffer);
        if (wait != Outcome::kDone) co_return;
        if (!started) {
          started = true;
          if (!first) deadline = steady_clock::now() + options_.header_timeout;
          SetPhase(slot, Phase::kHead);
          start_window();
        }
        window_bytes += n;
        slot.bytes += n;
        state = parser.Feed(std::string_view(buffer.data(), n));
      }
      if (!state) {
        co_await Refuse(stream, slot, address, parser.refusal_status(), buffer);
        co_return;
      }
      const bool keep_alive = parser.keep_alive();
      const HttpRequest request = parser.TakeRequest();

      // The handler may block (database), so it runs on the pool; the socket stays here. It may
      // also respond later, from another thread; the response comes back to this thread.
      SetPhase(slot, Phase::kBusy);
      HttpResponse response =
          co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(HttpResponse)>(
              [this, &request](auto completion) {
                auto shared = std::make_shared<decltype(completion)>(std::move(completion));
                asio::post(pool_, [this, &request, shared] { Dispatch(request, shared); });
              },
              asio::use_awaitable);
      if (stopping_ || slot.evict) co_return;

      const bool close = !keep_alive;
      const std::string wire = Serialize(response, request.method == "HEAD", close, use_tls_);
      const auto write_deadline = steady_clock::now() + options_.request_timeout;
      if (!co_await Write(stream, slot, write_deadline, wire) || close) co_return;
      first = false;
    }
  }

  // Runs on a pool thread: calls the handler, and brings its response (checked) back to the io
  // thread, where `completion` resumes the session.
  template <typename Completion>
  void Dispatch(const HttpRequest& request, const std::shared_ptr<Completion>& completion) {
    auto once = std::make_shared<std::atomic<bool>>(false);
    HttpRespond respond = [this, completion, once](HttpResponse response) {
      if (once->exchange(true)) return;
      if (!ValidResponse(response)) {
        base::log::Error("http_handler_invalid_response", {{"status", response.status}});
        response = ServerError(500);
      }
      asio::post(io_, [completion, response = std::move(response)]() mutable {
        std::move (*completion)(std::move(response));
      });
    };
    try {
      handler_(request, respond);
    } catch (...) {
      // Not the exception's text: it could quote the data the handler was working on.
      base::log::Error("http_handler_threw");
      respond(ServerError(500));  // ignored if it had responded
    }
  }

  HttpServerOptions options_;
  HttpAsyncHandler handler_;
  HttpLimits limits_;
  // Session state, io thread only. Declared before io_ so that sessions destroyed with io_ can
  // still unregister.
  std::list<Slot> slots_;
  std::unordered_map<std::string, std::size_t> per_address_;
  std::atomic<std::size_t> open_{0};
  asio::steady_timer* room_waiter_ = nullptr;  // Accept's, while it waits for room
  bool stopping_ = false;
  asio::ssl::context tls_;  // outlives the TLS streams destroyed with io_
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::thread_pool pool_;
  bool use_tls_ = false;
  std::thread thread_;
  std::string local_;
  std::mutex stop_mutex_;
  std::condition_variable stopped_cv_;
  bool stopped_ = false;
};

}  // namespace

base::Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                            HttpHandler handler) {
  return Start(options,
               [handler = std::move(handler)](const HttpRequest& r, const HttpRespond& respond) {
                 respond(handler(r));
               });
}

base::Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                            HttpAsyncHandler handler) {
  auto server = std::make_unique<Server>(options, std::move(handler));
  if (auto s = server->Bind(); !s) return s.error();
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace heartbase::net
