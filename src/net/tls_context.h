// The TLS policy every heartbase endpoint shares, applied to an OpenSSL context (listeners and
// outbound clients): TLS 1.2 and 1.3 only, forward-secret AEAD suites, no renegotiation, no
// compression.
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

// Applies the policy to a client `ctx` and makes it verify every server: the chain against the
// PEM bundle `ca_file` (the system store when empty). The name is checked per connection (the
// caller sets it on the SSL object). `certificate_chain` and `private_key` (both or neither)
// are presented when the server asks for a client certificate. kInvalidArgument when a file
// cannot be read or the key does not match (the message names the file, never key material).
base::Status ConfigureClientTls(SSL_CTX* ctx, const std::string& ca_file,
                                const std::string& certificate_chain,
                                const std::string& private_key);

}  // namespace heartbase::net
