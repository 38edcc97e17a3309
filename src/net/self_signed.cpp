// Self-signed certificate with the OpenSSL 3 API.
#include "net/self_signed.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

namespace heartbase::net {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Ext = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

base::Error OpenSslError(const char* what) {
  return base::MakeError(base::ErrorCode::kInternal, std::string("openssl: ") + what);
}

bool AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  Ext ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

// Opens `path` for writing with `mode`; exclusive creation when `exclusive`.
std::FILE* OpenForWrite(const std::string& path, mode_t mode, bool exclusive) {
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC), mode);
  if (fd < 0) return nullptr;
  std::FILE* f = ::fdopen(fd, "w");
  if (f == nullptr) ::close(fd);
  return f;
}

}  // namespace

base::Status WriteSelfSignedCertificate(const std::string& cert_path, const std::string& key_path,
                                        int days) {
  Key key(EVP_EC_gen("P-256"));
  if (!key) return OpenSslError("key generation");
  Cert cert(X509_new());
  if (!cert) return OpenSslError("certificate");
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return OpenSslError("random serial");
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  const bool serial_ok = bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  if (!serial_ok || X509_set_version(cert.get(), 2) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86400) == nullptr ||
      X509_set_pubkey(cert.get(), key.get()) != 1) {
    return OpenSslError("certificate fields");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("heartbase (self-signed)"), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  if (X509_set_issuer_name(cert.get(), name) != 1 ||
      !AddExtension(cert.get(), NID_subject_alt_name,
                    "DNS:localhost,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1") ||
      !AddExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !AddExtension(cert.get(), NID_key_usage, "critical,digitalSignature") ||
      !AddExtension(cert.get(), NID_ext_key_usage, "serverAuth") ||
      X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return OpenSslError("signing");
  }
  std::FILE* k = OpenForWrite(key_path, 0600, true);
  if (k == nullptr) {
    return base::MakeError(errno == EEXIST ? base::ErrorCode::kAlreadyExists : base::ErrorCode::kIo,
                           "cannot create " + key_path);
  }
  const bool key_ok =
      PEM_write_PrivateKey(k, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  const bool key_closed = std::fflush(k) == 0 && ::fsync(::fileno(k)) == 0;
  std::fclose(k);
  if (!key_ok || !key_closed) return base::MakeError(base::ErrorCode::kIo, "cannot write key");
  std::FILE* c = OpenForWrite(cert_path, 0644, false);
  if (c == nullptr) return base::MakeError(base::ErrorCode::kIo, "cannot create " + cert_path);
  const bool cert_ok = PEM_write_X509(c, cert.get()) == 1;
  const bool cert_closed = std::fflush(c) == 0 && ::fsync(::fileno(c)) == 0;
  std::fclose(c);
  if (!cert_ok || !cert_closed) {
    return base::MakeError(base::ErrorCode::kIo, "cannot write certificate");
  }
  return {};
}

}  // namespace heartbase::net
