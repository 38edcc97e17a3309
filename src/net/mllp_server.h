// MllpServer: a TCP listener speaking MLLP, one frame in flight per connection, frames handled on
// a worker pool (the handler may block on a durable commit), replies written back in order.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace heartbase::net {

struct MllpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 2575;  // 0 = chosen by the OS
  std::size_t max_frame_bytes = 32u << 20;
  // At the cap a new connection makes room by evicting, in this order: the longest idle
  // (between frames), the longest handshaking, the frame in progress with the lowest data rate;
  // when every connection is handling a frame, the new one is closed.
  std::size_t max_connections = 64;
  // Further connections from one address are closed at once (after its idle ones made room): one
  // host must not take the whole cap. Half of it: an interface engine may run 16 connections, and
  // a connection it has just closed is still counted until the server sees the close.
  std::size_t max_connections_per_address = 32;
  // Of max_connections, this many are kept for identified senders, whom the anonymous crowd
  // (including TLS handshakes in progress) can neither occupy nor evict: over TLS a connection
  // whose client certificate CN is in `reserved_identities` (it moves there once its handshake
  // completes), in plaintext (loopback only) one from an address in `reserved_addresses`. Must
  // be below max_connections, since every TLS connection starts anonymous.
  std::size_t reserved_connections = 16;
  std::vector<std::string> reserved_identities;
  std::vector<std::string> reserved_addresses;
  std::chrono::milliseconds idle_timeout{120'000};  // no byte for this long: close
  std::chrono::milliseconds frame_timeout{60'000};  // a started frame must complete within this
  // An ACK must be taken by the sender within this: one that sends frames but never reads its
  // ACKs would otherwise hold its connection (a frame being answered is never evicted).
  std::chrono::milliseconds ack_write_timeout{10'000};
  // A frame in progress must receive at least min_bytes_per_second × rate_window bytes in every
  // rate_window from its start, or the connection is closed. A real sender writes a 30 KB
  // message in milliseconds; a sender that trickles bytes to hold a connection is cut within one
  // window instead of holding it for frame_timeout. 0 = no minimum.
  std::size_t min_bytes_per_second = 1024;
  std::chrono::milliseconds rate_window{5'000};
  // Partially received frames of all connections together; the connection whose frame would
  // push past it is closed (its sender retries), so memory stays bounded under any load.
  std::size_t max_buffered_bytes = 256u << 20;
  // Threads running the handler. Handlers mostly wait for a durable commit, which concurrent
  // messages share (ingest group commit), so there are more of them than cores.
  int workers = 16;
  // TLS (1.2 and 1.3, forward-secret AEAD suites only) with mutual authentication: when
  // `tls_certificate` is set, every client must present a certificate that chains to
  // `tls_client_ca`. Required for any address that is not loopback.
  std::string tls_certificate;  // PEM chain of this server
  std::string tls_private_key;  // PEM private key
  std::string tls_client_ca;    // PEM bundle of the CAs that issue sender certificates
  // A TLS handshake is a few round trips; one that has not completed by then is closed.
  std::chrono::milliseconds handshake_timeout{5'000};
};

struct MllpPeer {
  std::string address;   // "127.0.0.1"
  std::string identity;  // verified client certificate's subject CN; empty without TLS
};

// Called once per complete frame, on a worker thread. Returns the reply to frame and send (an
// ACK), or an empty string to send nothing.
using MllpHandler = std::function<std::string(std::string_view frame, const MllpPeer& peer)>;

// Every connection the server refuses or closes for a limit (per-address cap, capacity,
// eviction, too slow, timeouts) is logged with base/log.h: the peer address and the reason, never
// message content.
// Thread-safety: Start/Stop from one thread; the handler must be thread-safe.
class MllpServer {
 public:
  // Binds and starts accepting. kInvalidArgument when reserved_connections is not below
  // max_connections. Plaintext MLLP is offered on loopback addresses only; any other
  // host without TLS is refused (kPermissionDenied), so patient data never crosses a network in
  // the clear. kInvalidArgument for unreadable TLS material, kIo if the address cannot be bound.
  static base::Result<std::unique_ptr<MllpServer>> Start(const MllpServerOptions& options,
                                                         MllpHandler handler);
  virtual ~MllpServer() = default;
  // "127.0.0.1:40123" — the bound address (the real port when 0 was asked for).
  virtual std::string local_address() const = 0;
  // Stops accepting and closes every connection, then joins the threads. A frame being handled
  // finishes (its commit completes) but its ACK may not be sent; the sender resends, and the
  // duplicate is acknowledged without being stored twice.
  virtual void Stop() = 0;
  // Blocks until Stop is called (from another thread or a signal handler path).
  virtual void Wait() = 0;
  // Connections currently open (for tests and metrics).
  virtual std::size_t connections() const = 0;
};

}  // namespace heartbase::net
