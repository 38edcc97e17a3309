// The MLLP listener on Boost.Asio with C++20 coroutines. One io thread owns the sockets; frames
// hop to a thread pool for the (blocking, durable) handler and back. A connection reads its next
// frame only after the previous ACK is written, so a slow disk slows senders instead of growing
// memory.
#include "net/mllp_server.h"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
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

#include "base/log.h"
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
    if (options_.reserved_connections >= options_.max_connections) {
      return base::MakeError(base::ErrorCode::kInvalidArgument,
                             "MLLP reserved connections must be fewer than the connection cap");
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
  enum class State : std::uint8_t { kHandshake, kIdle, kFrame, kBusy };

  struct Slot {
    std::string address;
    State state;
    steady_clock::time_point since;  // when the state began (for kFrame: the frame's start)
    std::size_t frame_bytes = 0;     // received since the frame started
    bool reserved = false;           // an identified sender: counts against the whole cap only
    bool evict = false;
    bool counted = true;  // still in open_, anonymous_ and per_address_ (eviction releases early)
    asio::steady_timer* timer = nullptr;  // cancelling it ends the session's current wait
  };
  using SlotRef = std::list<Slot>::iterator;

  static const char* StateName(State s) {
    switch (s) {
      case State::kHandshake:
        return "handshake";
      case State::kIdle:
        return "idle";
      case State::kFrame:
        return "frame";
      case State::kBusy:
        return "busy";
    }
    return "unknown";
  }

  std::size_t AnonymousLimit() const {
    return options_.max_connections - options_.reserved_connections;
  }

  static bool Contains(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
  }

  // Takes a connection out of the counts (once): when it ends, or as soon as it is evicted, so
  // that its successor is admitted while it sends its close_notify.
  void Release(Slot& slot) {
    if (!slot.counted) return;
    slot.counted = false;
    --open_;
    if (!slot.reserved) --anonymous_;
    if (const auto it = per_address_.find(slot.address);
        it != per_address_.end() && --it->second == 0) {
      per_address_.erase(it);
    }
  }

  awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (!acceptor_.is_open()) co_return;
        continue;  // e.g. too many open files: keep serving the others
      }
      boost::system::error_code remote_error;
      const auto remote = socket.remote_endpoint(remote_error);
      if (remote_error) continue;  // already gone; the socket closes here
      std::string address = remote.address().to_string();
      const auto same = per_address_.find(address);
      if (same != per_address_.end() && same->second >= options_.max_connections_per_address &&
          !EvictIdleOf(address)) {
        base::log::Warn("mllp.refused", {{"peer", address}, {"reason", "per_address_limit"}});
        continue;
      }
      const bool reserved = !use_tls_ && Contains(options_.reserved_addresses, address);
      const bool full =
          open_.load() >= options_.max_connections || (!reserved && anonymous_ >= AnonymousLimit());
      if (full && !Evict(reserved)) {
        base::log::Warn("mllp.refused", {{"peer", address}, {"reason", "at_capacity"}});
        continue;
      }
      ++open_;
      if (!reserved) ++anonymous_;
      ++per_address_[address];
      const SlotRef slot =
          slots_.insert(slots_.end(), Slot{.address = std::move(address),
                                           .state = use_tls_ ? State::kHandshake : State::kIdle,
                                           .since = steady_clock::now(),
                                           .reserved = reserved});
      if (use_tls_) {
        asio::co_spawn(io_, TlsSession(std::move(socket), slot), asio::detached);
      } else {
        asio::co_spawn(io_, PlainSession(std::move(socket), slot), asio::detached);
      }
    }
  }

  // Makes room at the cap for a newcomer (`reserved`: an identified sender). Victims, first to
  // last: anonymous before identified; then from the address holding the most connections;
  // then idle (longest first), handshaking (longest first), frames in progress (lowest data
  // rate first). So a crowd of stalled connections cannot keep a real sender out: it holds
  // fewer connections than the crowd's addresses, and sends at network speed. The address
  // comes before the state because a sender's new connection is idle until its first bytes
  // arrive, and the crowd's replacements keep their own connections young. A frame being
  // handled is never evicted. An anonymous newcomer at the anonymous limit evicts only
  // anonymous connections. Returns false when there is nothing to evict.
  bool Evict(bool reserved) {
    const bool anonymous_only = !reserved && anonymous_ >= AnonymousLimit();
    const auto now = steady_clock::now();
    auto rank = [this, now](const Slot& s) {
      const int kind = s.state == State::kIdle ? 0 : s.state == State::kHandshake ? 1 : 2;
      const auto held = per_address_.find(s.address);
      const std::size_t crowd = held == per_address_.end() ? 0 : held->second;
      const double age = std::chrono::duration<double>(now - s.since).count();
      // Higher = evicted first.
      const double score =
          kind == 2 ? -static_cast<double>(s.frame_bytes) / std::max(age, 1e-3) : age;
      return std::tuple(!s.reserved, crowd, -kind, score);
    };
    auto victim = slots_.end();
    for (auto it = slots_.begin(); it != slots_.end(); ++it) {
      if (it->evict || it->state == State::kBusy) continue;
      if (anonymous_only && it->reserved) continue;
      if (victim == slots_.end() || rank(*it) > rank(*victim)) victim = it;
    }
    if (victim == slots_.end()) return false;
    base::log::Warn("mllp.evicted",
                    {{"peer", victim->address},
                     {"reason", "capacity"},
                     {"state", StateName(victim->state)},
                     {"frame_bytes", static_cast<std::uint64_t>(victim->frame_bytes)}});
    victim->evict = true;
    Release(*victim);
    if (victim->timer != nullptr) victim->timer->cancel();
    return true;
  }

  // At an address's own limit, its longest-idle connection (between frames) makes room: a sender
  // that opens a connection per message, or whose earlier connections linger, is not refused by
  // its own idle ones. Connections in a frame or handshake are not taken. False if none is idle.
  bool EvictIdleOf(const std::string& address) {
    auto victim = slots_.end();
    for (auto it = slots_.begin(); it != slots_.end(); ++it) {
      if (it->evict || it->state != State::kIdle || it->address != address) continue;
      if (victim == slots_.end() || it->since < victim->since) victim = it;
    }
    if (victim == slots_.end()) return false;
    base::log::Warn(
        "mllp.evicted",
        {{"peer", victim->address}, {"reason", "per_address_limit"}, {"state", "idle"}});
    victim->evict = true;
    Release(*victim);
    if (victim->timer != nullptr) victim->timer->cancel();
    return true;
  }

  // Takes the slot out when the session ends, whichever way it ends.
  struct Unregister {
    Server& server;
    SlotRef slot;
    ~Unregister() {
      server.Release(*slot);
      server.slots_.erase(slot);
    }
  };

  awaitable<void> PlainSession(tcp::socket socket, SlotRef slot) {
    Unregister unregister{*this, slot};
    asio::steady_timer timer(io_);
    slot->timer = &timer;
    MllpPeer peer;  // a named value: g++ 12 destroys a temporary argument of co_await twice
    co_await Serve(std::move(socket), std::move(peer), slot, timer);
  }

  awaitable<void> TlsSession(tcp::socket socket, SlotRef slot) {
    Unregister unregister{*this, slot};
    asio::ssl::stream<tcp::socket> stream(std::move(socket), tls_);
    asio::steady_timer timer(io_);
    slot->timer = &timer;
    timer.expires_after(options_.handshake_timeout);
    auto result = co_await (stream.async_handshake(asio::ssl::stream_base::server,
                                                   asio::as_tuple(asio::use_awaitable)) ||
                            timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (slot->evict) co_return;  // logged by Evict
    if (result.index() == 1) {
      base::log::Warn("mllp.closed", {{"peer", slot->address}, {"reason", "handshake_timeout"}});
      co_return;
    }
    if (std::get<0>(std::get<0>(result))) {
      base::log::Info("mllp.refused", {{"peer", slot->address}, {"reason", "handshake_failed"}});
      co_return;
    }
    MllpPeer peer;
    if (X509* cert = SSL_get_peer_certificate(stream.native_handle())) {
      char cn[256] = {};
      X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
      peer.identity = cn;
      X509_free(cert);
    }
    // A configured sender moves to the reserved capacity, freeing its anonymous place.
    if (slot->counted && Contains(options_.reserved_identities, peer.identity)) {
      slot->reserved = true;
      --anonymous_;
    }
    SetState(*slot, State::kIdle);
    co_await Serve(std::move(stream), std::move(peer), slot, timer);
  }

  static void SetState(Slot& slot, State state) {
    slot.state = state;
    slot.since = steady_clock::now();
    slot.frame_bytes = 0;
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

  // Bytes a frame in progress must receive in each rate window.
  std::size_t MinWindowBytes() const {
    return static_cast<std::size_t>(options_.min_bytes_per_second *
                                    static_cast<std::uint64_t>(options_.rate_window.count()) /
                                    1000);
  }

  template <typename Stream>
  awaitable<void> Serve(Stream socket, MllpPeer peer, SlotRef slot, asio::steady_timer& timer) {
    peer.address = slot->address;
    MllpDecoder decoder(options_.max_frame_bytes);
    std::vector<char> buffer(64 * 1024);
    steady_clock::time_point frame_started{};
    // The current rate window of a frame in progress: its end, and the bytes received in it.
    const bool rate_checked = options_.min_bytes_per_second > 0;
    steady_clock::time_point window_end = steady_clock::time_point::max();
    std::size_t window_bytes = 0;
    auto start_frame = [&](std::size_t bytes) {
      SetState(*slot, State::kFrame);
      slot->frame_bytes = bytes;
      frame_started = slot->since;
      window_end =
          rate_checked ? frame_started + options_.rate_window : steady_clock::time_point::max();
      window_bytes = bytes;
    };
    struct ReleaseBuffered {
      std::size_t& buffered;
      const MllpDecoder& decoder;
      ~ReleaseBuffered() { buffered -= std::min(buffered, decoder.buffered()); }
    } release_buffered{buffered_, decoder};
    for (;;) {
      if (slot->evict) break;
      // Idle timeout between frames; frame timeout and rate windows once a frame has started.
      auto deadline = steady_clock::now() + options_.idle_timeout;
      if (!decoder.idle()) {
        deadline = std::min({deadline, frame_started + options_.frame_timeout, window_end});
      }
      timer.expires_at(deadline);
      auto result = co_await (
          socket.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable)) ||
          timer.async_wait(asio::as_tuple(asio::use_awaitable)));
      if (result.index() == 1) {
        if (slot->evict) break;  // logged by Evict
        const auto now = steady_clock::now();
        if (!decoder.idle() && now >= window_end && now < frame_started + options_.frame_timeout) {
          if (window_bytes >= MinWindowBytes()) {  // fast enough: on to the next window
            window_end = now + options_.rate_window;
            window_bytes = 0;
            continue;
          }
          base::log::Warn("mllp.closed",
                          {{"peer", slot->address},
                           {"reason", "too_slow"},
                           {"window_bytes", static_cast<std::uint64_t>(window_bytes)}});
          break;
        }
        if (!decoder.idle()) {
          base::log::Warn("mllp.closed", {{"peer", slot->address}, {"reason", "frame_timeout"}});
        }
        break;  // an idle timeout is an ordinary end, not logged
      }
      auto [read_error, n] = std::get<0>(result);
      if (read_error) co_return;  // closed by the peer or reset: nothing more to say
      const bool was_idle = decoder.idle();
      const std::size_t before = decoder.buffered();
      std::vector<std::string> frames;
      auto s = decoder.Feed(std::string_view(buffer.data(), n), [&](std::string_view f) {
        frames.emplace_back(f);
        return base::Status();
      });
      if (was_idle && frames.empty() && !decoder.idle()) {
        start_frame(n);
      } else {
        window_bytes += n;
        slot->frame_bytes += n;
      }
      buffered_ += decoder.buffered();
      buffered_ -= before;
      if (buffered_ > options_.max_buffered_bytes) {
        // This connection's frame does not fit in the shared budget (released on exit).
        base::log::Warn("mllp.closed", {{"peer", slot->address}, {"reason", "buffer_budget"}});
        break;
      }
      for (const std::string& frame : frames) {
        // Run the handler on the pool (it commits durably), then come back to write the ACK.
        SetState(*slot, State::kBusy);
        co_await asio::post(asio::bind_executor(pool_, asio::use_awaitable));
        std::string reply = handler_(frame, std::as_const(peer));
        co_await asio::post(io_, asio::use_awaitable);
        if (!reply.empty()) {
          const std::string framed = MllpFrame(reply);
          timer.expires_after(options_.ack_write_timeout);
          auto wrote = co_await (asio::async_write(socket, asio::buffer(framed),
                                                   asio::as_tuple(asio::use_awaitable)) ||
                                 timer.async_wait(asio::as_tuple(asio::use_awaitable)));
          if (wrote.index() == 1) {
            // A cancelled write leaves the stream mid-record: closed without close_notify.
            base::log::Warn("mllp.closed", {{"peer", slot->address}, {"reason", "ack_not_read"}});
            co_return;
          }
          if (std::get<0>(std::get<0>(wrote))) co_return;  // the sender went away
        }
      }
      if (!s) break;  // protocol error or oversized frame: nothing more can be trusted
      // After the frames of this read were answered: idle, or a frame that began in the same
      // read, whose clock starts now (the sender was waiting for the ACKs).
      if (!frames.empty()) {
        if (decoder.idle()) {
          SetState(*slot, State::kIdle);
        } else {
          start_frame(decoder.buffered());
        }
      }
    }
    // The server closes (timeout, eviction, protocol error, budget): cancelled reads leave the
    // TLS stream able to write its close_notify.
    co_await SendCloseNotify(socket, timer);
    boost::system::error_code ignored;
    socket.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
    socket.lowest_layer().close(ignored);
  }

  MllpServerOptions options_;
  MllpHandler handler_;
  // Session state, io thread only.
  std::list<Slot> slots_;
  std::unordered_map<std::string, std::size_t> per_address_;
  std::size_t anonymous_ = 0;  // connections not in the reserved capacity
  std::size_t buffered_ = 0;   // bytes of partial frames held by all sessions
  // Declared before io_ so that sessions destroyed with io_ can still release their counts.
  std::atomic<std::size_t> open_{0};
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::thread_pool pool_;
  asio::ssl::context tls_;
  bool use_tls_ = false;
  std::thread thread_;
  std::string local_;
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
