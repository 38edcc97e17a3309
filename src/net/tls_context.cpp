// One place for the protocol and cipher choices, so the HTTPS and MLLP listeners and the MLLP
// client cannot drift.
#include "net/tls_context.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace heartbase::net {
namespace {

// TLS 1.2: ECDHE key exchange with AEAD ciphers only. The TLS 1.3 suites OpenSSL enables by
// default (AES-GCM, ChaCha20-Poly1305) are all AEAD and forward secret.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";

base::Status Refuse(const std::string& what, const std::string& file) {
  const unsigned long code = ERR_get_error();  // NOLINT(google-runtime-int): OpenSSL's type
  ERR_clear_error();
  char reason[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
  return base::MakeError(base::ErrorCode::kInvalidArgument,
                         fmt::format("TLS {} {}: {}", what, file, reason));
}

// The protocol floor and suites; `server` adds the server's choice of suite.
base::Status ApplyPolicy(SSL_CTX* ctx, bool server) {
  // (SSLv2 and single-DH-use no longer exist in OpenSSL 3: no flags for them.)
  SSL_CTX_set_options(ctx, SSL_OP_ALL | SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 |
                               SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               (server ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
    return Refuse("policy", "(built in)");
  }
  // Idle connections give their 16 KiB+ record buffers back.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  return {};
}

base::Status LoadIdentity(SSL_CTX* ctx, const std::string& certificate_chain,
                          const std::string& private_key) {
  if (SSL_CTX_use_certificate_chain_file(ctx, certificate_chain.c_str()) != 1) {
    return Refuse("certificate", certificate_chain);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Refuse("private key", private_key);
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Refuse("private key does not match the certificate", private_key);
  }
  return {};
}

}  // namespace

base::Status ConfigureServerTls(SSL_CTX* ctx, const std::string& certificate_chain,
                                const std::string& private_key) {
  if (auto s = ApplyPolicy(ctx, true); !s) return s;
  return LoadIdentity(ctx, certificate_chain, private_key);
}

base::Status ConfigureClientTls(SSL_CTX* ctx, const std::string& ca_file,
                                const std::string& certificate_chain,
                                const std::string& private_key) {
  if (auto s = ApplyPolicy(ctx, false); !s) return s;
  // An empty store would fail every handshake later with a verification error that looks like
  // the server's fault; a missing CA file is the configuration's, so it is reported here.
  if (ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx) != 1
                      : SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
    return Refuse("CA", ca_file.empty() ? std::string("(system store)") : ca_file);
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (certificate_chain.empty() != private_key.empty()) {
    return base::MakeError(base::ErrorCode::kInvalidArgument,
                           "TLS client certificate and private key go together");
  }
  if (certificate_chain.empty()) return {};
  return LoadIdentity(ctx, certificate_chain, private_key);
}

}  // namespace heartbase::net
