// MllpClient against scripted receivers (plain sockets and OpenSSL on a thread) and against
// MllpServer: framing, connection reuse and reconnection, timeouts, limits, TLS verification.
#include "net/mllp_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/mllp.h"
#include "net/mllp_server.h"
#include "net/testing/test_ca.h"

namespace heartbase::net {
namespace {

using std::chrono::milliseconds;

struct ReceiverTls {
  std::string certificate;
  std::string private_key;
  std::string client_ca;  // when set, a client certificate from this CA is required
};

// What a receiver saw, over all its connections.
struct ReceiverLog {
  int connections = 0;                           // TLS: handshakes completed
  int failed_handshakes = 0;                     // TLS handshakes the receiver saw fail
  std::size_t bytes_after_failed_handshake = 0;  // raw bytes the client sent after that
  std::vector<std::string> frames;               // application bytes read, one entry per frame
  std::string identity;                          // client certificate CN (last connection)
  std::string sni;                               // server name the client asked for
};

// One accepted connection, as the test's script sees it.
class Link {
 public:
  Link(int fd, SSL* ssl, ReceiverLog& log, std::mutex& mutex)
      : fd_(fd), ssl_(ssl), log_(log), mutex_(mutex) {}

  // Reads one whole frame (framing included) and logs it; empty when the client closed first.
  std::string ReadFrame() {
    for (;;) {
      if (const auto end = pending_.find("\x1c\r"); end != std::string::npos) {
        std::string frame = pending_.substr(0, end + 2);
        pending_.erase(0, end + 2);
        std::lock_guard<std::mutex> g(mutex_);
        log_.frames.push_back(frame);
        return frame;
      }
      char buf[4096];
      const int n = ssl_ != nullptr ? SSL_read(ssl_, buf, sizeof buf)
                                    : static_cast<int>(::recv(fd_, buf, sizeof buf, 0));
      if (n <= 0) return {};
      pending_.append(buf, static_cast<std::size_t>(n));
    }
  }

  // Waits until the client closes the connection.
  void AwaitClose() {
    while (!ReadFrame().empty()) {
    }
  }

  void Write(const std::string& bytes) {
    if (ssl_ != nullptr) {
      SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
    } else {
      ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    }
  }

 private:
  int fd_;
  SSL* ssl_;
  ReceiverLog& log_;
  std::mutex& mutex_;
  std::string pending_;
};

// Runs `script(link, n)` for the n-th accepted connection (0-based), one connection at a time,
// and closes the connection when it returns.
using Script = std::function<void(Link& link, int n)>;

// Answers every frame with "ACK <k>", k counting frames over all connections from 1.
void AckEach(Link& link, int) {
  static std::atomic<int> k{0};
  while (!link.ReadFrame().empty()) link.Write(MllpFrame("ACK " + std::to_string(++k)));
}

// An MLLP receiver on 127.0.0.1:0: plain TCP, or TLS through OpenSSL on a blocking socket.
class Receiver {
 public:
  explicit Receiver(Script script, std::optional<ReceiverTls> tls = std::nullopt)
      : script_(std::move(script)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    EXPECT_EQ(::listen(listen_fd_, 8), 0);
    socklen_t len = sizeof sa;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    if (tls) {
      ctx_ = SSL_CTX_new(TLS_server_method());
      EXPECT_EQ(SSL_CTX_use_certificate_chain_file(ctx_, tls->certificate.c_str()), 1);
      EXPECT_EQ(SSL_CTX_use_PrivateKey_file(ctx_, tls->private_key.c_str(), SSL_FILETYPE_PEM), 1);
      if (!tls->client_ca.empty()) {
        EXPECT_EQ(SSL_CTX_load_verify_locations(ctx_, tls->client_ca.c_str(), nullptr), 1);
        SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      }
    }
    thread_ = std::thread([this] { Run(); });
  }

  ~Receiver() {
    ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    ::close(listen_fd_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  std::uint16_t port() const { return port_; }
  ReceiverLog log() {
    std::lock_guard<std::mutex> g(mutex_);
    return log_;
  }

 private:
  void Run() {
    for (int n = 0;; ++n) {
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      timeval tv{10, 0};  // a test that goes wrong ends instead of hanging
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      SSL* ssl = nullptr;
      if (ctx_ != nullptr) {
        ssl = SSL_new(ctx_);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) != 1) {
          // Whatever the client sends after a failed handshake, counted raw.
          std::size_t after = 0;
          char buf[4096];
          ssize_t k = 0;
          while ((k = ::recv(fd, buf, sizeof buf, 0)) > 0) after += static_cast<std::size_t>(k);
          std::lock_guard<std::mutex> g(mutex_);
          ++log_.failed_handshakes;
          log_.bytes_after_failed_handshake += after;
          SSL_free(ssl);
          ::close(fd);
          continue;
        }
        std::lock_guard<std::mutex> g(mutex_);
        if (const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) log_.sni = sni;
        if (X509* cert = SSL_get1_peer_certificate(ssl)) {
          char cn[256] = {};
          X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
          log_.identity = cn;
          X509_free(cert);
        }
      }
      {
        std::lock_guard<std::mutex> g(mutex_);
        ++log_.connections;
      }
      Link link(fd, ssl, log_, mutex_);
      script_(link, n);
      if (ssl != nullptr) SSL_free(ssl);
      ::close(fd);
    }
  }

  Script script_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  SSL_CTX* ctx_ = nullptr;
  std::mutex mutex_;
  ReceiverLog log_;
  std::thread thread_;
};

MllpClient MakeClient(MllpClientOptions o) {
  auto client = MllpClient::Create(std::move(o));
  if (!client) {
    ADD_FAILURE() << client.error().message;
    std::abort();
  }
  return std::move(*client);
}

MllpClientOptions Plain(std::uint16_t port) { return {.host = "127.0.0.1", .port = port}; }

TEST(MllpClient, SendsFramedMessagesAndReturnsTheAcksOnOneConnection) {
  Receiver receiver(AckEach);
  MllpClient client = MakeClient(Plain(receiver.port()));
  auto first = client.Send("MSH|one");
  ASSERT_TRUE(first) << first.error().message;
  auto second = client.Send("MSH|two");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(first->substr(0, 4), "ACK ");
  EXPECT_NE(*first, *second);  // each message got its own reply
  const ReceiverLog log = receiver.log();
  EXPECT_EQ(log.connections, 1);
  ASSERT_EQ(log.frames.size(), 2u);
  EXPECT_EQ(log.frames[0], "\x0bMSH|one\x1c\r");
  EXPECT_EQ(log.frames[1], "\x0bMSH|two\x1c\r");
  EXPECT_TRUE(client.connected());
}

TEST(MllpClient, ConnectionClosedMidAckIsUnavailableAndTheNextSendReconnects) {
  Receiver receiver([](Link& link, int n) {
    if (n == 0) {
      link.ReadFrame();
      link.Write("\x0bMSA|AA|12");  // and closes before the end of the frame
      return;
    }
    AckEach(link, n);
  });
  MllpClient client = MakeClient(Plain(receiver.port()));
  auto cut = client.Send("MSH|one");
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().code, base::ErrorCode::kUnavailable);
  EXPECT_FALSE(client.connected());
  auto again = client.Send("MSH|one");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(receiver.log().connections, 2);
}

TEST(MllpClient, ReceiverThatNeverAnswersTimesOutAndTheNextSendReconnects) {
  Receiver receiver([](Link& link, int n) {
    if (n == 0) {
      link.AwaitClose();  // reads the frame, never answers
      return;
    }
    AckEach(link, n);
  });
  MllpClientOptions o = Plain(receiver.port());
  o.ack_timeout = milliseconds(300);
  MllpClient client = MakeClient(o);
  auto silent = client.Send("MSH|one");
  ASSERT_FALSE(silent);
  EXPECT_EQ(silent.error().code, base::ErrorCode::kUnavailable);
  EXPECT_NE(silent.error().message.find("ack_timeout"), std::string::npos);
  auto again = client.Send("MSH|one");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(receiver.log().connections, 2);
}

// A receiver's idle timeout closes the kept connection between messages: the next message goes
// out on a new connection instead of failing on the dead one.
TEST(MllpClient, ReconnectsWithoutAnErrorWhenTheReceiverClosedTheIdleConnection) {
  Receiver receiver([](Link& link, int) {
    link.ReadFrame();
    link.Write(MllpFrame("ACK"));  // then closes: one message per connection
  });
  MllpClient client = MakeClient(Plain(receiver.port()));
  ASSERT_TRUE(client.Send("MSH|one"));
  std::this_thread::sleep_for(milliseconds(100));  // the close reaches the client
  auto second = client.Send("MSH|two");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(receiver.log().connections, 2);
}

TEST(MllpClient, OversizedAckIsRefusedBeforeItEnds) {
  Receiver receiver([](Link& link, int) {
    link.ReadFrame();
    link.Write("\x0b" + std::string(64 * 1024, 'A'));  // a frame that never ends
    link.AwaitClose();
  });
  MllpClientOptions o = Plain(receiver.port());
  o.max_ack_bytes = 1024;
  o.ack_timeout = milliseconds(5'000);  // waiting for the end would give kUnavailable
  MllpClient client = MakeClient(o);
  auto big = client.Send("MSH|one");
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, base::ErrorCode::kLimitExceeded);
  EXPECT_FALSE(client.connected());
}

TEST(MllpClient, BytesBeforeTheStartByteAreMalformed) {
  Receiver receiver([](Link& link, int) {
    link.ReadFrame();
    link.Write("HELLO" + MllpFrame("ACK"));
    link.AwaitClose();
  });
  MllpClient client = MakeClient(Plain(receiver.port()));
  auto garbage = client.Send("MSH|one");
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code, base::ErrorCode::kMalformed);
  EXPECT_FALSE(client.connected());
}

// The ACK stands, but a second reply nobody asked for means the stream is out of step.
TEST(MllpClient, ReturnsTheAckAndDropsAConnectionWithAnExtraReply) {
  Receiver receiver([](Link& link, int) {
    link.ReadFrame();
    link.Write(MllpFrame("ACK") + MllpFrame("ACK again"));
    link.AwaitClose();
  });
  MllpClient client = MakeClient(Plain(receiver.port()));
  auto ack = client.Send("MSH|one");
  ASSERT_TRUE(ack) << ack.error().message;
  EXPECT_EQ(*ack, "ACK");
  EXPECT_FALSE(client.connected());
}

TEST(MllpClient, RefusesAMessageContainingAFrameByte) {
  Receiver receiver(AckEach);
  MllpClient client = MakeClient(Plain(receiver.port()));
  auto bad = client.Send("MSH|a\x1c\rMSH|b");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, base::ErrorCode::kInvalidArgument);
  EXPECT_EQ(receiver.log().connections, 0);
}

TEST(MllpClient, RefusesPlaintextToAnyHostButALoopbackAddress) {
  for (const char* host : {"192.0.2.1", "10.0.0.1", "::ffff:10.0.0.1", "localhost", "ehr.test"}) {
    auto client = MllpClient::Create({.host = host, .port = 2575});
    ASSERT_FALSE(client) << host;
    EXPECT_EQ(client.error().code, base::ErrorCode::kInvalidArgument) << host;
  }
  EXPECT_TRUE(MllpClient::Create({.host = "127.0.0.2", .port = 2575}));
  EXPECT_TRUE(MllpClient::Create({.host = "::1", .port = 2575}));
}

TEST(MllpClient, RefusesTlsSettingsWithoutTls) {
  auto client = MllpClient::Create({.host = "127.0.0.1", .port = 2575, .ca_file = "ca.pem"});
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, base::ErrorCode::kInvalidArgument);
}

TEST(MllpClient, RefusedConnectionIsUnavailableWithoutWaitingForTheTimeout) {
  std::uint16_t port = 0;
  {
    Receiver gone(AckEach);  // a port that was just free, and is closed again
    port = gone.port();
  }
  MllpClientOptions o = Plain(port);
  o.connect_timeout = milliseconds(60'000);
  MllpClient client = MakeClient(o);
  auto refused = client.Send("MSH|one");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, base::ErrorCode::kUnavailable);
  EXPECT_NE(refused.error().message.find("cannot connect"), std::string::npos)
      << refused.error().message;
}

TEST(MllpClient, CloseEndsTheConnectionAndSendReconnects) {
  Receiver receiver(AckEach);
  MllpClient client = MakeClient(Plain(receiver.port()));
  ASSERT_TRUE(client.Send("MSH|one"));
  client.Close();
  EXPECT_FALSE(client.connected());
  ASSERT_TRUE(client.Send("MSH|two"));
  EXPECT_EQ(receiver.log().connections, 2);
}

class MllpClientTls : public ::testing::Test {
 protected:
  // A client that trusts the test CA and expects the receiver to be "ehr.test".
  MllpClientOptions Trusting(std::uint16_t port) {
    return {.host = "127.0.0.1",
            .port = port,
            .tls = true,
            .ca_file = ca_.ca_certificate(),
            .server_name = "ehr.test"};
  }

  testing::TestCa ca_;
  testing::CertificateFiles server_ = ca_.Issue("server", "ehr.test", "DNS:ehr.test,IP:127.0.0.1");
  testing::CertificateFiles sender_ = ca_.Issue("sender", "heartbase-sender", "");
};

TEST_F(MllpClientTls, DeliversToAReceiverTheCaVouchesForUnderItsName) {
  Receiver receiver(AckEach, ReceiverTls{server_.certificate, server_.private_key});
  MllpClient client = MakeClient(Trusting(receiver.port()));
  auto first = client.Send("MSH|one");
  ASSERT_TRUE(first) << first.error().message;
  auto second = client.Send("MSH|two");  // TLS 1.3 session tickets do not look like a close
  ASSERT_TRUE(second) << second.error().message;
  const ReceiverLog log = receiver.log();
  EXPECT_EQ(log.connections, 1);
  EXPECT_EQ(log.sni, "ehr.test");
  ASSERT_EQ(log.frames.size(), 2u);
  EXPECT_EQ(log.frames[0], MllpFrame("MSH|one"));
}

TEST_F(MllpClientTls, VerifiesAnIpAddressAgainstTheCertificatesIpNames) {
  Receiver receiver(AckEach, ReceiverTls{server_.certificate, server_.private_key});
  MllpClientOptions o = Trusting(receiver.port());
  o.server_name.clear();  // the host, 127.0.0.1, is the name
  MllpClient client = MakeClient(o);
  auto ack = client.Send("MSH|one");
  ASSERT_TRUE(ack) << ack.error().message;
  EXPECT_EQ(receiver.log().sni, "");  // an IP address is never sent as SNI
}

// The canary is larger than anything a handshake sends: had the client written it, the
// receiver would have counted it.
TEST_F(MllpClientTls, UntrustedSelfSignedReceiverGetsNothing) {
  const auto impostor = ca_.Issue("impostor", "ehr.test", "DNS:ehr.test", /*self_signed=*/true);
  Receiver receiver(AckEach, ReceiverTls{impostor.certificate, impostor.private_key});
  MllpClient client = MakeClient(Trusting(receiver.port()));
  auto refused = client.Send(std::string(64 * 1024, 'Z'));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, base::ErrorCode::kUnauthenticated) << refused.error().message;
  EXPECT_FALSE(client.connected());
  std::this_thread::sleep_for(milliseconds(100));  // the receiver finishes counting
  const ReceiverLog log = receiver.log();
  EXPECT_EQ(log.connections, 0);
  EXPECT_EQ(log.failed_handshakes, 1);
  EXPECT_TRUE(log.frames.empty());
  EXPECT_LT(log.bytes_after_failed_handshake, 1024u);
}

TEST_F(MllpClientTls, ReceiverWithAnotherNameIsUnauthenticated) {
  const auto other = ca_.Issue("other", "other.test", "DNS:other.test,IP:127.0.0.2");
  Receiver receiver(AckEach, ReceiverTls{other.certificate, other.private_key});
  for (const std::string name : {"ehr.test", "127.0.0.1"}) {
    MllpClientOptions o = Trusting(receiver.port());
    o.server_name = name;
    MllpClient client = MakeClient(o);
    auto refused = client.Send(std::string(64 * 1024, 'Z'));
    ASSERT_FALSE(refused) << name;
    EXPECT_EQ(refused.error().code, base::ErrorCode::kUnauthenticated) << refused.error().message;
  }
  std::this_thread::sleep_for(milliseconds(100));
  const ReceiverLog log = receiver.log();
  EXPECT_EQ(log.connections, 0);
  EXPECT_EQ(log.failed_handshakes, 2);
  EXPECT_LT(log.bytes_after_failed_handshake, 2048u);
}

// A certificate without DNS names is matched on its subject CN.
TEST_F(MllpClientTls, AcceptsTheCommonNameOfACertificateWithoutDnsNames) {
  const auto legacy = ca_.Issue("legacy", "ehr.test", "");
  Receiver receiver(AckEach, ReceiverTls{legacy.certificate, legacy.private_key});
  MllpClient client = MakeClient(Trusting(receiver.port()));
  auto ack = client.Send("MSH|one");
  ASSERT_TRUE(ack) << ack.error().message;
}

TEST_F(MllpClientTls, MutualTlsShowsTheSendersNameToMllpServer) {
  std::mutex mutex;
  std::string seen;
  auto server = MllpServer::Start({.host = "127.0.0.1",
                                   .port = 0,
                                   .tls_certificate = server_.certificate,
                                   .tls_private_key = server_.private_key,
                                   .tls_client_ca = ca_.ca_certificate()},
                                  [&](std::string_view frame, const MllpPeer& peer) {
                                    std::lock_guard<std::mutex> g(mutex);
                                    seen = peer.identity;
                                    return "ACK of " + std::string(frame);
                                  });
  ASSERT_TRUE(server) << server.error().message;
  const std::string address = (*server)->local_address();
  MllpClientOptions o =
      Trusting(static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1))));
  o.client_certificate = sender_.certificate;
  o.client_private_key = sender_.private_key;
  MllpClient client = MakeClient(o);
  auto ack = client.Send("MSH|one");
  ASSERT_TRUE(ack) << ack.error().message;
  EXPECT_EQ(*ack, "ACK of MSH|one");
  {
    std::lock_guard<std::mutex> g(mutex);
    EXPECT_EQ(seen, "heartbase-sender");
  }
  client.Close();
  (*server)->Stop();
}

// Under TLS 1.3 the receiver judges the client certificate after the client's handshake has
// finished; its refusal still comes back as kUnauthenticated, not as a retryable failure.
TEST_F(MllpClientTls, ReceiverRequiringACertificateTheClientLacksIsUnauthenticated) {
  Receiver receiver(AckEach,
                    ReceiverTls{server_.certificate, server_.private_key, ca_.ca_certificate()});
  MllpClient client = MakeClient(Trusting(receiver.port()));
  auto refused = client.Send("MSH|one");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, base::ErrorCode::kUnauthenticated) << refused.error().message;
  EXPECT_TRUE(receiver.log().frames.empty());
}

TEST_F(MllpClientTls, RefusesUnreadableTlsMaterial) {
  MllpClientOptions o = Trusting(2575);
  o.ca_file = "/nonexistent/ca.pem";
  auto no_ca = MllpClient::Create(o);
  ASSERT_FALSE(no_ca);
  EXPECT_EQ(no_ca.error().code, base::ErrorCode::kInvalidArgument);
  o = Trusting(2575);
  o.client_certificate = sender_.certificate;
  o.client_private_key = server_.private_key;  // not the certificate's key
  auto mismatch = MllpClient::Create(o);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().code, base::ErrorCode::kInvalidArgument);
  o = Trusting(2575);
  o.client_certificate = sender_.certificate;  // without its key
  EXPECT_FALSE(MllpClient::Create(o));
}

}  // namespace
}  // namespace heartbase::net
