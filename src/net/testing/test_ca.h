// TestCa: a throwaway certificate authority for TLS tests. It issues P-256 leaf certificates
// (and untrusted self-signed ones) as PEM files in a temporary folder removed on destruction.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace heartbase::net::testing {

struct CertificateFiles {
  std::string certificate;  // PEM
  std::string private_key;  // PEM
};

class TestCa {
 public:
  TestCa()
      : dir_(std::filesystem::temp_directory_path() /
             ("hb_test_ca_" + std::to_string(::getpid()) + "_" + std::to_string(++count_))) {
    std::filesystem::create_directories(dir_);
    ca_key_.reset(EVP_EC_gen("P-256"));
    ca_cert_.reset(Make(ca_key_.get(), "heartbase test CA", nullptr));
    AddExtension(ca_cert_.get(), ca_cert_.get(), NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(ca_cert_.get(), ca_cert_.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    AddExtension(ca_cert_.get(), ca_cert_.get(), NID_subject_key_identifier, "hash");
    Sign(ca_cert_.get(), ca_key_.get());
    WriteCertificate(ca_cert_.get(), ca_certificate());
  }
  ~TestCa() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  // The CA's certificate (PEM), for a trust store.
  std::string ca_certificate() const { return (dir_ / "ca.pem").string(); }

  // A certificate for `common_name` with subjectAltName `san` (OpenSSL syntax, e.g.
  // "DNS:localhost,IP:127.0.0.1"; empty for none), for servers and clients. Signed by this CA,
  // or by its own key when `self_signed`.
  CertificateFiles Issue(const std::string& file_stem, const std::string& common_name,
                         const std::string& san, bool self_signed = false) {
    Key key(EVP_EC_gen("P-256"));
    X509* issuer = self_signed ? nullptr : ca_cert_.get();
    EVP_PKEY* signer = self_signed ? key.get() : ca_key_.get();
    Cert cert(Make(key.get(), common_name, issuer));
    X509* extension_issuer = self_signed ? cert.get() : issuer;
    if (!san.empty()) AddExtension(cert.get(), extension_issuer, NID_subject_alt_name, san);
    AddExtension(cert.get(), extension_issuer, NID_basic_constraints, "critical,CA:FALSE");
    AddExtension(cert.get(), extension_issuer, NID_key_usage, "critical,digitalSignature");
    AddExtension(cert.get(), extension_issuer, NID_ext_key_usage, "serverAuth,clientAuth");
    if (!self_signed) {
      AddExtension(cert.get(), extension_issuer, NID_authority_key_identifier, "keyid");
    }
    Sign(cert.get(), signer);
    CertificateFiles files{(dir_ / (file_stem + ".pem")).string(),
                           (dir_ / (file_stem + ".key")).string()};
    WriteCertificate(cert.get(), files.certificate);
    std::FILE* f = std::fopen(files.private_key.c_str(), "w");
    if (f == nullptr) throw std::runtime_error("cannot write " + files.private_key);
    PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    return files;
  }

 private:
  struct KeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  };
  struct CertFree {
    void operator()(X509* c) const { X509_free(c); }
  };
  using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
  using Cert = std::unique_ptr<X509, CertFree>;

  // An unsigned certificate valid from a minute ago for an hour; issuer name from `issuer`
  // (its own subject when null).
  static X509* Make(EVP_PKEY* key, const std::string& common_name, X509* issuer) {
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), ++serial_);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                               0);
    X509_set_issuer_name(cert, issuer != nullptr ? X509_get_subject_name(issuer) : name);
    return cert;
  }

  static void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (ext == nullptr) throw std::runtime_error("bad extension " + value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }

  static void Sign(X509* cert, EVP_PKEY* key) {
    if (X509_sign(cert, key, EVP_sha256()) == 0) throw std::runtime_error("cannot sign");
  }

  static void WriteCertificate(X509* cert, const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (f == nullptr) throw std::runtime_error("cannot write " + path);
    PEM_write_X509(f, cert);
    std::fclose(f);
  }

  static inline int count_ = 0;
  static inline long serial_ = 0;  // NOLINT(google-runtime-int): ASN1_INTEGER_set's type
  std::filesystem::path dir_;
  Key ca_key_;
  Cert ca_cert_;
};

}  // namespace heartbase::net::testing
