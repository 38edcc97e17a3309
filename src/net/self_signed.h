// A self-signed TLS certificate for local use (`heartbase init`): ECDSA P-256, SHA-256, valid for
// `days`, subject CN=localhost with subjectAltName DNS:localhost, IP:127.0.0.1, IP:::1.
#pragma once

#include <string>

#include "base/result.h"

namespace heartbase::net {

// Writes the certificate (PEM, mode 0644) and its private key (PEM, mode 0600, created
// exclusively: an existing key file is never overwritten → kAlreadyExists). kIo on write errors,
// kInternal if OpenSSL fails.
base::Status WriteSelfSignedCertificate(const std::string& cert_path, const std::string& key_path,
                                        int days = 825);

}  // namespace heartbase::net
