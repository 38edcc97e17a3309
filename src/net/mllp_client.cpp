// The MLLP sender on Boost.Asio without coroutines: each step starts one asynchronous operation
// on the client's own io_context and runs it until it completes or its deadline passes, when
// closing the socket ends it. So every blocking call is bounded, and nothing runs between calls.
#include "net/mllp_client.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <poll.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include "net/mllp.h"
#include "net/tls_context.h"

namespace heartbase::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// A close_notify is a courtesy to the receiver; a receiver that does not take it holds nothing.
constexpr std::chrono::milliseconds kCloseNotifyTimeout{1'000};
// ACKs are small: one read buffer of this size, whatever max_ack_bytes allows.
constexpr std::size_t kReadChunk = 16 * 1024;

// A TLS failure about certificates: ours rejected the receiver's, or the receiver's alert says
// it rejected ours. Retrying would not help, so the caller is told apart from kUnavailable.
bool IsCertificateFailure(const boost::system::error_code& ec) {
  if (ec.category() != asio::error::get_ssl_category()) return false;
  switch (ERR_GET_REASON(static_cast<unsigned long>(ec.value()))) {  // NOLINT(google-runtime-int)
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
      return true;
    default:
      return false;
  }
}

}  // namespace

struct MllpClient::Impl {
  explicit Impl(MllpClientOptions o) : options(std::move(o)), buffer(kReadChunk) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options.host, ec);
    peer = !ec && address.is_v6() ? fmt::format("[{}]:{}", options.host, options.port)
                                  : fmt::format("{}:{}", options.host, options.port);
    if (options.server_name.empty()) options.server_name = options.host;
  }

  MllpClientOptions options;
  std::string peer;  // "host:port", for error messages
  asio::io_context io;
  std::optional<asio::ssl::context> tls;
  // At most one of them is open.
  std::optional<tcp::socket> plain;
  std::optional<asio::ssl::stream<tcp::socket>> secure;
  std::vector<char> buffer;

  bool Open() const { return plain.has_value() || secure.has_value(); }
  tcp::socket& Socket() { return secure ? secure->next_layer() : *plain; }

  void CloseSocket() {
    boost::system::error_code ignored;
    Socket().close(ignored);
  }

  // Forgets the connection without a close_notify (after an error the stream cannot be trusted
  // to be between records).
  void Drop() {
    secure.reset();
    plain.reset();
  }

  base::Error Fail(base::ErrorCode code, std::string_view what) {
    Drop();
    return base::MakeError(code, fmt::format("MLLP receiver {}: {}", peer, what));
  }

  // Runs the io_context until the pending operation sets `done` or `deadline` passes. At the
  // deadline `abort` ends the operation (its handler then runs with an error) and the result is
  // false. Nothing is left pending either way, so no handler outlives the caller's variables.
  template <typename Abort>
  bool RunUntil(Clock::time_point deadline, const bool& done, Abort&& abort) {
    io.restart();
    while (!done && io.run_one_until(deadline) != 0) {
    }
    if (done) return true;
    abort();
    io.restart();
    io.run();
    return false;
  }

  // The receiver closed the idle connection (its idle timeout), or sent bytes nobody asked
  // for: either way the connection is no place for the next message.
  bool Stale() {
    if (!Open()) return false;
    pollfd p{Socket().native_handle(), POLLIN, 0};
    return ::poll(&p, 1, 0) != 0;
  }

  base::Status Connect() {
    const auto deadline = Clock::now() + options.connect_timeout;
    boost::system::error_code ec;
    std::vector<tcp::endpoint> endpoints;
    if (const auto address = asio::ip::make_address(options.host, ec); !ec) {
      endpoints.emplace_back(address, options.port);
    } else {
      tcp::resolver resolver(io);
      bool done = false;
      resolver.async_resolve(options.host, std::to_string(options.port),
                             [&](const boost::system::error_code& e, const auto& results) {
                               ec = e;
                               for (const auto& r : results) endpoints.push_back(r.endpoint());
                               done = true;
                             });
      if (!RunUntil(deadline, done, [&] { resolver.cancel(); })) {
        return Fail(base::ErrorCode::kUnavailable, "name resolution timed out");
      }
      if (ec) return Fail(base::ErrorCode::kUnavailable, "cannot resolve: " + ec.message());
    }
    tcp::socket socket(io);
    bool connected = false;
    asio::async_connect(socket, endpoints,
                        [&](const boost::system::error_code& e, const tcp::endpoint&) {
                          ec = e;
                          connected = true;
                        });
    if (!RunUntil(deadline, connected, [&] {
          boost::system::error_code ignored;
          socket.close(ignored);
        })) {
      return Fail(base::ErrorCode::kUnavailable, "connect timed out");
    }
    if (ec) return Fail(base::ErrorCode::kUnavailable, "cannot connect: " + ec.message());
    // One frame, then wait for the answer: Nagle's algorithm would hold the frame's last
    // segment back until the receiver's delayed ACK.
    socket.set_option(tcp::no_delay(true), ec);
    if (!options.tls) {
      plain.emplace(std::move(socket));
      return {};
    }
    secure.emplace(std::move(socket), *tls);
    if (auto s = SetExpectedName(secure->native_handle()); !s) {
      Drop();
      return s;
    }
    bool done = false;
    secure->async_handshake(asio::ssl::stream_base::client,
                            [&](const boost::system::error_code& e) {
                              ec = e;
                              done = true;
                            });
    if (!RunUntil(deadline, done, [this] { CloseSocket(); })) {
      return Fail(base::ErrorCode::kUnavailable, "TLS handshake timed out");
    }
    if (!ec) return {};
    // The handshake stopped before any application data: the receiver got nothing.
    if (const long verify = SSL_get_verify_result(secure->native_handle());  // NOLINT
        verify != X509_V_OK) {
      return Fail(base::ErrorCode::kUnauthenticated,
                  fmt::format("certificate not accepted for {}: {}", options.server_name,
                              X509_verify_cert_error_string(verify)));
    }
    if (IsCertificateFailure(ec)) {
      return Fail(base::ErrorCode::kUnauthenticated,
                  "refused this client's certificate: " + ec.message());
    }
    return Fail(base::ErrorCode::kUnavailable, "TLS handshake failed: " + ec.message());
  }

  // The name the receiver's certificate must carry. An IP address is matched against IP
  // subjectAltNames and is not sent as SNI (RFC 6066 §3 allows host names only).
  base::Status SetExpectedName(SSL* ssl) const {
    const std::string& name = options.server_name;
    boost::system::error_code ec;
    asio::ip::make_address(name, ec);
    bool ok = false;
    if (!ec) {
      ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1;
    } else {
      SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      ok =
          SSL_set_tlsext_host_name(ssl, name.c_str()) == 1 && SSL_set1_host(ssl, name.c_str()) == 1;
    }
    if (ok) return {};
    ERR_clear_error();
    return base::MakeError(base::ErrorCode::kInvalidArgument,
                           fmt::format("MLLP client: cannot verify the name {}", name));
  }

  // Writes one frame and reads the one reply frame.
  template <typename Stream>
  base::Result<std::string> Exchange(Stream& stream, const std::string& framed) {
    boost::system::error_code ec;
    bool done = false;
    asio::async_write(stream, asio::buffer(framed),
                      [&](const boost::system::error_code& e, std::size_t) {
                        ec = e;
                        done = true;
                      });
    if (!RunUntil(Clock::now() + options.write_timeout, done, [this] { CloseSocket(); })) {
      return Fail(base::ErrorCode::kUnavailable, "write timed out");
    }
    if (ec) return ReadOrWriteError(ec, "write failed");
    // One deadline for the whole ACK: a receiver trickling bytes cannot extend it.
    const auto deadline = Clock::now() + options.ack_timeout;
    MllpDecoder decoder(options.max_ack_bytes);
    std::string ack;
    int frames = 0;
    while (frames == 0) {
      std::size_t n = 0;
      done = false;
      stream.async_read_some(asio::buffer(buffer),
                             [&](const boost::system::error_code& e, std::size_t k) {
                               ec = e;
                               n = k;
                               done = true;
                             });
      if (!RunUntil(deadline, done, [this] { CloseSocket(); })) {
        return Fail(base::ErrorCode::kUnavailable, "no complete ACK within ack_timeout");
      }
      if (ec) return ReadOrWriteError(ec, "connection ended before a complete ACK");
      auto fed = decoder.Feed(std::string_view(buffer.data(), n), [&](std::string_view frame) {
        if (frames++ == 0) ack.assign(frame);
        return base::Status();
      });
      if (frames == 0 && !fed) return Fail(fed.error().code, fed.error().Describe());
      // The reply came, followed by more than blanks: later replies could no longer be paired
      // with their messages, so this connection ends here, but the ACK stands.
      if (frames > 0 && (!fed || frames > 1 || !decoder.idle())) Drop();
    }
    return ack;
  }

  base::Error ReadOrWriteError(const boost::system::error_code& ec, std::string_view what) {
    if (IsCertificateFailure(ec)) {
      // TLS 1.3: a receiver checks the client certificate after the client's handshake is over.
      return Fail(base::ErrorCode::kUnauthenticated,
                  "refused this client's certificate: " + ec.message());
    }
    return Fail(base::ErrorCode::kUnavailable, fmt::format("{}: {}", what, ec.message()));
  }

  // Never throws: it runs in destructors, and a failed close_notify changes nothing.
  void Close() noexcept {
    try {
      SendCloseNotify();
    } catch (...) {  // e.g. out of memory inside Asio: the socket is closed below all the same
    }
    Drop();
  }

  void SendCloseNotify() {
    if (secure) {
      // Ours only: marking the receiver's close_notify as received lets SSL_shutdown finish
      // after sending ours (RFC 8446 §6.1 does not require waiting for the reply).
      SSL* ssl = secure->native_handle();
      SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
      bool done = false;
      secure->async_shutdown([&](const boost::system::error_code&) { done = true; });
      RunUntil(Clock::now() + kCloseNotifyTimeout, done, [this] { CloseSocket(); });
    }
  }
};

base::Result<MllpClient> MllpClient::Create(MllpClientOptions options) {
  auto invalid = [](std::string_view what) {
    return base::MakeError(base::ErrorCode::kInvalidArgument, fmt::format("MLLP client: {}", what));
  };
  if (options.host.empty() || options.port == 0) return invalid("needs a host and a port");
  if (options.connect_timeout.count() <= 0 || options.write_timeout.count() <= 0 ||
      options.ack_timeout.count() <= 0 || options.max_ack_bytes == 0) {
    return invalid("timeouts and max_ack_bytes must be positive");
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options.host, ec);
  if (!options.tls) {
    if (ec || !address.is_loopback()) {
      return invalid(fmt::format("plaintext MLLP is only sent to a loopback address; {} needs TLS",
                                 options.host));
    }
    if (!options.ca_file.empty() || !options.server_name.empty() ||
        !options.client_certificate.empty() || !options.client_private_key.empty()) {
      return invalid("TLS settings are given but TLS is off");
    }
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  if (impl->options.tls) {
    impl->tls.emplace(asio::ssl::context::tls_client);
    if (auto s =
            ConfigureClientTls(impl->tls->native_handle(), impl->options.ca_file,
                               impl->options.client_certificate, impl->options.client_private_key);
        !s) {
      return s.error();
    }
  }
  return MllpClient(std::move(impl));
}

MllpClient::MllpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MllpClient::MllpClient(MllpClient&&) noexcept = default;
MllpClient& MllpClient::operator=(MllpClient&& other) noexcept {
  if (this != &other) {
    if (impl_) impl_->Close();
    impl_ = std::move(other.impl_);
  }
  return *this;
}
MllpClient::~MllpClient() {
  if (impl_) impl_->Close();
}

base::Result<std::string> MllpClient::Send(std::string_view message) {
  // A start or end byte inside the message would end or confuse the frame at the receiver.
  if (message.find_first_of(std::string_view("\x0b\x1c", 2)) != std::string_view::npos) {
    return base::MakeError(base::ErrorCode::kInvalidArgument,
                           "MLLP client: the message contains a frame byte (0x0B or 0x1C)");
  }
  Impl& c = *impl_;
  // Asio and OpenSSL report what they can through error codes; what they throw (out of memory,
  // no descriptors left for a new SSL object) ends here, at the connection boundary.
  try {
    if (c.Stale()) c.Drop();
    if (!c.Open()) {
      if (auto s = c.Connect(); !s) return s.error();
    }
    const std::string framed = MllpFrame(message);
    return c.secure ? c.Exchange(*c.secure, framed) : c.Exchange(*c.plain, framed);
  } catch (const std::exception& e) {
    return c.Fail(base::ErrorCode::kUnavailable, e.what());
  }
}

void MllpClient::Close() { impl_->Close(); }

bool MllpClient::connected() const { return impl_->Open(); }

}  // namespace heartbase::net
