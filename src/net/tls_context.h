// The TLS policy every heartbase listener shares, applied to an OpenSSL server context: TLS 1.2
// and 1.3 only, forward-secret AEAD suites, no renegotiation, no compression.
#pragma once

#include <openssl/types.h>

#include <string>

#include "base/result.h"

namespace heartbase::net {

// Applies the policy to `ctx` and loads this server's PEM certificate chain and private key.
// kInvalidArgument when either file cannot be read, does not parse, or the key does not match
// the certificate (the message names the file, never key material).
base::Status ConfigureServerTls(SSL_CTX* ctx, const std::string& certificate_chain,
                                const std::string& private_key);

}  // namespace heartbase::net
