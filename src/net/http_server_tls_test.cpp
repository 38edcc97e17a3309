// The HTTPS listener against real OpenSSL clients: protocol versions, cipher suites, HSTS, and
// the TLS close_notify that must end every connection the server closes.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "net/http_server.h"

namespace heartbase::net {
namespace {

namespace fs = std::filesystem;

// A throwaway self-signed P-256 certificate and key in a temporary folder.
class Pki {
 public:
  Pki()
      : dir_(fs::temp_directory_path() /
             ("hb_http_tls_" + std::to_string(::getpid()) + "_" + std::to_string(++count_))) {
    fs::create_directories(dir_);
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
    std::FILE* f = std::fopen(certificate().c_str(), "w");
    PEM_write_X509(f, cert);
    std::fclose(f);
    f = std::fopen(private_key().c_str(), "w");
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  ~Pki() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  Pki(const Pki&) = delete;
  Pki& operator=(const Pki&) = delete;

  std::string certificate() const { return (dir_ / "cert.pem").string(); }
  std::string private_key() const { return (dir_ / "key.pem").string(); }

 private:
  static inline int count_ = 0;
  fs::path dir_;
};

struct Exchange {
  bool connected = false;
  int alert_reason = 0;  // OpenSSL reason of the failed handshake
  std::string version;   // "TLSv1.2"
  std::string response;  // everything the server sent after the request
  // The server's close began with a TLS close_notify (SSL_read ended with ZERO_RETURN), not a
  // bare TCP close that a client cannot tell from a truncated response.
  bool close_notify = false;
};

struct ClientOptions {
  int min_version = TLS1_2_VERSION;
  int max_version = TLS1_3_VERSION;
  const char* tls12_ciphers = nullptr;  // OpenSSL cipher list for TLS ≤ 1.2
  // Sent after the handshake; nullptr sends nothing and waits for the server to close.
  const char* request = "GET /secure HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  bool vanish = false;  // reset the TCP connection right after sending the request
  std::atomic<bool>* connected = nullptr;  // set once the handshake is done
};

// Connects with an OpenSSL client limited as asked, sends the request and reads until close.
Exchange Talk(const std::string& address, const ClientOptions& o) {
  Exchange out;
  const int port = std::stoi(address.substr(address.rfind(':') + 1));
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return out;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  // Level 0 lets this client really offer old protocols and weak suites, so that a failure is
  // the server's refusal and not the client's own policy.
  SSL_CTX_set_security_level(ctx, 0);
  SSL_CTX_set_min_proto_version(ctx, o.min_version);
  SSL_CTX_set_max_proto_version(ctx, o.max_version);
  SSL_CTX_set_cipher_list(ctx, o.tls12_ciphers ? o.tls12_ciphers : "DEFAULT:@SECLEVEL=0");
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  ERR_clear_error();
  if (SSL_connect(ssl) == 1) {
    out.connected = true;
    out.version = SSL_get_version(ssl);
    if (o.connected != nullptr) *o.connected = true;
    if (o.request != nullptr) SSL_write(ssl, o.request, static_cast<int>(std::strlen(o.request)));
    if (o.vanish) {
      const linger reset{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
      ::close(fd);
      SSL_free(ssl);
      SSL_CTX_free(ctx);
      return out;
    }
    char buf[4096];
    int n = 0;
    while ((n = SSL_read(ssl, buf, sizeof buf)) > 0) {
      out.response.append(buf, static_cast<std::size_t>(n));
    }
    out.close_notify = SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN;
  } else {
    out.alert_reason = ERR_GET_REASON(ERR_peek_error());
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
  return out;
}

class HttpsServer : public ::testing::Test {
 protected:
  void SetUp() override { StartServer({}); }

  void StartServer(HttpServerOptions o) {
    o.port = 0;
    o.tls_certificate = pki_.certificate();
    o.tls_private_key = pki_.private_key();
    auto s = HttpServer::Start(o, [](const HttpRequest& request) {
      HttpResponse r;
      r.body = request.target + (request.tls ? " over tls" : " in clear");
      return r;
    });
    ASSERT_TRUE(s) << s.error().message;
    server_ = std::move(*s);
  }

  Pki pki_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpsServer, ServesTls12WithHsts) {
  Exchange e = Talk(server_->local_address(),
                    {.min_version = TLS1_2_VERSION, .max_version = TLS1_2_VERSION});
  ASSERT_TRUE(e.connected);
  EXPECT_EQ(e.version, "TLSv1.2");
  EXPECT_EQ(e.response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << e.response;
  EXPECT_NE(
      e.response.find("\r\nStrict-Transport-Security: max-age=63072000; includeSubDomains\r\n"),
      std::string::npos);
  EXPECT_NE(e.response.find("/secure over tls"), std::string::npos);
  EXPECT_TRUE(e.close_notify);
}

TEST_F(HttpsServer, ServesTls13) {
  Exchange e = Talk(server_->local_address(),
                    {.min_version = TLS1_3_VERSION, .max_version = TLS1_3_VERSION});
  ASSERT_TRUE(e.connected);
  EXPECT_EQ(e.version, "TLSv1.3");
  EXPECT_NE(e.response.find("Strict-Transport-Security"), std::string::npos);
  EXPECT_TRUE(e.close_notify);
}

TEST_F(HttpsServer, RefusalsEndWithCloseNotify) {
  for (const char* request : {"NOT A REQUEST LINE\r\n\r\n", "\r\n\r\n",
                              "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999\r\n\r\n"}) {
    SCOPED_TRACE(request);
    Exchange e = Talk(server_->local_address(), {.request = request});
    ASSERT_TRUE(e.connected);
    EXPECT_EQ(e.response.rfind("HTTP/1.1 4", 0), 0u) << e.response;
    EXPECT_TRUE(e.close_notify);
  }
}

TEST_F(HttpsServer, TimeoutsEndWithCloseNotify) {
  server_->Stop();
  HttpServerOptions o;
  o.header_timeout = std::chrono::milliseconds(300);
  o.idle_timeout = std::chrono::milliseconds(300);
  StartServer(o);
  // Nothing sent after the handshake: closed when the head timeout expires, without an answer.
  Exchange silent = Talk(server_->local_address(), {.request = nullptr});
  ASSERT_TRUE(silent.connected);
  EXPECT_EQ(silent.response, "");
  EXPECT_TRUE(silent.close_notify);
  // A head that never ends: 408, then the close.
  Exchange slow = Talk(server_->local_address(), {.request = "GET / HTTP/1.1\r\nHost: h\r\n"});
  ASSERT_TRUE(slow.connected);
  EXPECT_EQ(slow.response.rfind("HTTP/1.1 408 ", 0), 0u) << slow.response;
  EXPECT_TRUE(slow.close_notify);
  // Kept alive after a response, then idle.
  Exchange idle = Talk(server_->local_address(), {.request = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"});
  ASSERT_TRUE(idle.connected);
  EXPECT_EQ(idle.response.rfind("HTTP/1.1 200 ", 0), 0u) << idle.response;
  EXPECT_TRUE(idle.close_notify);
}

TEST_F(HttpsServer, StopEndsOpenConnectionsWithCloseNotify) {
  Exchange e;
  std::atomic<bool> connected{false};
  std::thread client(
      [&] { e = Talk(server_->local_address(), {.request = nullptr, .connected = &connected}); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!connected && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // The server completes its handshake a little after the client (TLS 1.3: the client's
  // Finished); a connection stopped before that has no session to close.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server_->Stop();
  client.join();
  ASSERT_TRUE(e.connected);
  EXPECT_TRUE(e.close_notify);
}

// A client that resets the connection mid-request costs the server nothing: the connection is
// released at once (no close_notify is attempted on it) and the next client is served.
TEST_F(HttpsServer, ReleasesAConnectionTheClientReset) {
  Talk(server_->local_address(), {.request = "GET / HTTP/1.1\r\nHost: h\r\n", .vanish = true});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (server_->connections() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(server_->connections(), 0u);
  Exchange e = Talk(server_->local_address(), {});
  EXPECT_TRUE(e.close_notify);
}

TEST_F(HttpsServer, RefusesTls11AndTls10) {
  for (int version : {TLS1_1_VERSION, TLS1_VERSION}) {
    SCOPED_TRACE(version);
    Exchange e = Talk(server_->local_address(), {.min_version = version, .max_version = version});
    EXPECT_FALSE(e.connected);
    EXPECT_EQ(e.alert_reason, SSL_R_TLSV1_ALERT_PROTOCOL_VERSION);  // the server said no
  }
}

TEST_F(HttpsServer, RefusesSuitesWithoutForwardSecrecyOrAead) {
  for (const char* suite : {"AES128-GCM-SHA256",       // RSA key exchange: no forward secrecy
                            "ECDHE-ECDSA-AES128-SHA",  // CBC: not AEAD
                            "ECDHE-ECDSA-AES256-SHA384", "ECDHE-ECDSA-NULL-SHA:@SECLEVEL=0"}) {
    SCOPED_TRACE(suite);
    Exchange e = Talk(
        server_->local_address(),
        {.min_version = TLS1_2_VERSION, .max_version = TLS1_2_VERSION, .tls12_ciphers = suite});
    EXPECT_FALSE(e.connected);
    EXPECT_EQ(e.alert_reason, SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE);
  }
  Exchange good =
      Talk(server_->local_address(), {.min_version = TLS1_2_VERSION,
                                      .max_version = TLS1_2_VERSION,
                                      .tls12_ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256"});
  EXPECT_TRUE(good.connected);
}

TEST_F(HttpsServer, AnswersPlaintextOnTheTlsPortWithNothing) {
  const int port =
      std::stoi(server_->local_address().substr(server_->local_address().rfind(':') + 1));
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string request = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  char buf[512];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  // At most a TLS alert record (content type 21), never an HTTP answer in the clear.
  if (n > 0) {
    EXPECT_EQ(buf[0], 21);
  }
  ::close(fd);
}

TEST(HttpsServerStart, RefusesUnreadableTlsMaterial) {
  HttpServerOptions o;
  o.port = 0;
  o.tls_certificate = "/nonexistent/cert.pem";
  o.tls_private_key = "/nonexistent/key.pem";
  auto s = HttpServer::Start(o, [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, base::ErrorCode::kInvalidArgument);
}

TEST(HttpsServerStart, RefusesAKeyThatDoesNotMatchTheCertificate) {
  Pki one;
  const std::string other_key = one.private_key() + ".other";
  {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    std::FILE* f = std::fopen(other_key.c_str(), "w");
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    EVP_PKEY_free(key);
  }
  HttpServerOptions o;
  o.port = 0;
  o.tls_certificate = one.certificate();
  o.tls_private_key = other_key;
  auto s = HttpServer::Start(o, [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, base::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace heartbase::net
