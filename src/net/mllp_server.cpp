// The MLLP listener on Boost.Asio with C++20 coroutines. One io thread owns the sockets; frames
// hop to a thread pool for the (blocking, durable) handler and back. A connection reads its next
// frame only after the previous ACK is written, so a slow disk slows senders instead of growing
// memory.
#include "net/mllp_server.h"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>
#include <utility>

#include "net/mllp.h"
#include "net/tls_context.h"

namespace heartbase::net {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
using std::chrono::steady_clock;

constexpr std::chrono::milliseconds kCloseNotifyTimeout{1'000};

class Server final : public MllpServer {
 public:
  Server(MllpServerOptions o, MllpHandler h)
      : options_(std::move(o)),
        handler_(std::move(h)),
        acceptor_(io_),
        pool_(static_cast<std::size_t>(std::max(1, options_.workers))),
        tls_(asio::ssl::context::tls_server) {}

  ~Server() override {
    try {
      Stop();
    } catch (...) {  // joining threads at exit must not throw out of a destructor
    }
  }

  base::Status Bind() {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options_.host, ec);
    if (ec) {
      return base::MakeError(base::ErrorCode::kInvalidArgument,
                             fmt::format("not an IP address: {}", options_.host));
    }
    use_tls_ = !options_.tls_certificate.empty();
    if (!address.is_loopback() && !use_tls_) {
      return base::MakeError(base::ErrorCode::kPermissionDenied,
                             fmt::format("MLLP without TLS is only offered on loopback; {} is not "
                                         "a loopback address",
                                         options_.host));
    }
    if (use_tls_) {
      if (auto s = ConfigureTls(); !s) return s;
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

  base::Status ConfigureTls() {
    auto s = ConfigureServerTls(tls_.native_handle(), options_.tls_certificate,
                                options_.tls_private_key);
    if (!s) return s;
    if (options_.tls_client_ca.empty()) {
      return base::MakeError(base::ErrorCode::kInvalidArgument,
                             "MLLP over TLS needs a client CA: senders are authenticated by "
                             "certificate");
    }
    boost::system::error_code ec;
    tls_.load_verify_file(options_.tls_client_ca, ec);
    if (ec) {
      return base::MakeError(
          base::ErrorCode::kInvalidArgument,
          fmt::format("TLS client CA {}: {}", options_.tls_client_ca, ec.message()));
    }
    tls_.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
    return {};
  }

  std::string local_address() const override { return local_; }
  std::size_t connections() const override { return open_.load(); }

  void Stop() override {
    std::lock_guard<std::mutex> g(stop_mutex_);
    if (stopped_) return;
    stopped_ = true;
    asio::post(io_, [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
      io_.stop();
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
  awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (!acceptor_.is_open()) co_return;
        continue;  // e.g. too many open files: keep serving the others
      }
      if (open_.load() >= options_.max_connections && !EvictIdle()) {
        boost::system::error_code ignored;
        socket.close(ignored);
        continue;
      }
      ++open_;
      if (use_tls_) {
        asio::co_spawn(io_, TlsSession(std::move(socket)),
                       [this](const std::exception_ptr&) { --open_; });
      } else {
        asio::co_spawn(io_, Serve(std::move(socket), MllpPeer{}),
                       [this](const std::exception_ptr&) { --open_; });
      }
    }
  }

  // At the connection cap, the connection that has been idle (between frames) the longest makes
  // room: idle MLLP senders reconnect, and a crowd of idle connections cannot lock out a real
  // sender. Returns false when every connection is busy with a frame.
  bool EvictIdle() {
    auto victim = slots_.end();
    for (auto it = slots_.begin(); it != slots_.end(); ++it) {
      if (it->idle && !it->evict && (victim == slots_.end() || it->last < victim->last))
        victim = it;
    }
    if (victim == slots_.end()) return false;
    victim->evict = true;
    victim->timer->cancel();
    return true;
  }

  awaitable<void> TlsSession(tcp::socket socket) {
    asio::ssl::stream<tcp::socket> stream(std::move(socket), tls_);
    asio::steady_timer timer(io_);
    timer.expires_after(options_.handshake_timeout);
    auto result = co_await (stream.async_handshake(asio::ssl::stream_base::server,
                                                   asio::as_tuple(asio::use_awaitable)) ||
                            timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (result.index() == 1 || std::get<0>(std::get<0>(result))) co_return;  // no session
    MllpPeer peer;
    if (X509* cert = SSL_get_peer_certificate(stream.native_handle())) {
      char cn[256] = {};
      X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
      peer.identity = cn;
      X509_free(cert);
    }
    co_await Serve(std::move(stream), std::move(peer));
  }

  static awaitable<void> SendCloseNotify(tcp::socket&, asio::steady_timer&) { co_return; }

  // A connection the server closes ends with a TLS close_notify, so that a sender can tell the
  // close from a truncated ACK. RFC 8446 §6.1 (RFC 5246 §7.2.1 for 1.2) lets the closing side
  // send it without waiting for the peer's: marking the peer's as received makes SSL_shutdown
  // send ours and finish, so a sender that never answers holds nothing, and the timeout covers
  // one that does not even read. Failures mean the sender has gone; they are not logged.
  static awaitable<void> SendCloseNotify(asio::ssl::stream<tcp::socket>& stream,
                                         asio::steady_timer& timer) {
    SSL* ssl = stream.native_handle();
    SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
    timer.expires_after(kCloseNotifyTimeout);
    co_await (stream.async_shutdown(asio::as_tuple(asio::use_awaitable)) ||
              timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  }

  template <typename Stream>
  awaitable<void> Serve(Stream socket, MllpPeer peer) {
    boost::system::error_code ec;
    const auto remote = socket.lowest_layer().remote_endpoint(ec);
    peer.address = ec ? std::string("unknown") : remote.address().to_string();
    MllpDecoder decoder(options_.max_frame_bytes);
    std::vector<char> buffer(64 * 1024);
    asio::steady_timer timer(io_);
    steady_clock::time_point frame_started{};
    const auto slot = slots_.insert(slots_.end(), Slot{steady_clock::now(), true, false, &timer});
    struct Unregister {
      std::list<Slot>& slots;
      std::list<Slot>::iterator slot;
      std::size_t& buffered;
      const MllpDecoder& decoder;
      ~Unregister() {
        slots.erase(slot);
        buffered -= std::min(buffered, decoder.buffered());
      }
    } unregister{slots_, slot, buffered_, decoder};
    for (;;) {
      if (slot->evict) break;
      // Idle timeout between frames; frame timeout once a frame has started.
      auto deadline = steady_clock::now() + options_.idle_timeout;
      if (!decoder.idle()) deadline = std::min(deadline, frame_started + options_.frame_timeout);
      timer.expires_at(deadline);
      auto result = co_await (
          socket.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable)) ||
          timer.async_wait(asio::as_tuple(asio::use_awaitable)));
      if (result.index() == 1) break;  // timed out or evicted
      auto [read_error, n] = std::get<0>(result);
      if (read_error) co_return;  // closed by the peer or reset: nothing more to say
      slot->last = steady_clock::now();
      slot->idle = false;
      const bool was_idle = decoder.idle();
      const std::size_t before = decoder.buffered();
      std::vector<std::string> frames;
      auto s = decoder.Feed(std::string_view(buffer.data(), n), [&](std::string_view f) {
        frames.emplace_back(f);
        return base::Status();
      });
      if (was_idle && !decoder.idle()) frame_started = steady_clock::now();
      buffered_ += decoder.buffered();
      buffered_ -= before;
      if (buffered_ > options_.max_buffered_bytes) {
        break;  // this connection's frame does not fit in the shared budget (released on exit)
      }
      for (const std::string& frame : frames) {
        // Run the handler on the pool (it commits durably), then come back to write the ACK.
        co_await asio::post(asio::bind_executor(pool_, asio::use_awaitable));
        std::string reply = handler_(frame, std::as_const(peer));
        co_await asio::post(io_, asio::use_awaitable);
        if (!reply.empty()) {
          const std::string framed = MllpFrame(reply);
          auto [write_error, written] = co_await asio::async_write(
              socket, asio::buffer(framed), asio::as_tuple(asio::use_awaitable));
          (void)written;
          if (write_error) co_return;
        }
        frame_started = steady_clock::now();
      }
      if (!s) break;  // protocol error or oversized frame: nothing more can be trusted
      slot->idle = decoder.idle();
    }
    // The server closes (timeout, eviction, protocol error, budget): cancelled reads leave the
    // TLS stream able to write its close_notify.
    co_await SendCloseNotify(socket, timer);
    boost::system::error_code ignored;
    socket.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
    socket.lowest_layer().close(ignored);
  }

  struct Slot {
    steady_clock::time_point last;  // last byte received
    bool idle;                      // between frames
    bool evict;
    asio::steady_timer* timer;  // cancelling it ends the session's wait
  };

  MllpServerOptions options_;
  MllpHandler handler_;
  std::list<Slot> slots_;     // io thread only
  std::size_t buffered_ = 0;  // bytes of partial frames held by all sessions (io thread only)
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::thread_pool pool_;
  asio::ssl::context tls_;
  bool use_tls_ = false;
  std::thread thread_;
  std::string local_;
  std::atomic<std::size_t> open_{0};
  std::mutex stop_mutex_;
  std::condition_variable stopped_cv_;
  bool stopped_ = false;
};

}  // namespace

base::Result<std::unique_ptr<MllpServer>> MllpServer::Start(const MllpServerOptions& options,
                                                            MllpHandler handler) {
  auto server = std::make_unique<Server>(options, std::move(handler));
  if (auto s = server->Bind(); !s) return s.error();
  return std::unique_ptr<MllpServer>(std::move(server));
}

}  // namespace heartbase::net
