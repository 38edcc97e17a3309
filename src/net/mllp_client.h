// MllpClient: the MLLP sender (heartbase's results to a hospital EHR). Blocking calls with
// deadlines, one connection kept open between messages, one message in flight at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace heartbase::net {

struct MllpClientOptions {
  // The receiver: an IP address or a DNS name.
  std::string host;
  std::uint16_t port = 0;
  // TLS 1.2/1.3 with the listeners' policy (tls_context.h). Required unless `host` is a
  // loopback IP literal (127.0.0.0/8, ::1): patient data never crosses a network in the clear.
  // A DNS name, even "localhost", needs TLS, since what it resolves to is not ours to decide.
  bool tls = false;
  // The receiver's certificate must chain to a CA in this PEM bundle (the system store when
  // empty) and name `server_name` (or `host` when that is empty) in its subjectAltName (DNS or
  // IP; the subject CN only when the certificate has no DNS name).
  std::string ca_file;
  // Sent as SNI (unless it is an IP address) and verified as above. Default: host.
  std::string server_name;
  // Mutual TLS: presented when the receiver asks for a client certificate. Both or neither.
  std::string client_certificate;  // PEM chain
  std::string client_private_key;  // PEM
  // Name resolution, TCP connect and TLS handshake together. (Resolving a DNS name cannot be
  // abandoned midway: a hung resolver holds Send until the system resolver's own timeout.)
  std::chrono::milliseconds connect_timeout{5'000};
  // Writing the whole framed message (a receiver that stops reading holds no thread for long).
  std::chrono::milliseconds write_timeout{10'000};
  // From the end of the write to the end of the ACK frame, however it trickles in: the receiver
  // commits durably before it answers, so this is generous.
  std::chrono::milliseconds ack_timeout{30'000};
  // An ACK frame larger than this is refused as soon as the stream proves it, before it is
  // buffered.
  std::size_t max_ack_bytes = 1u << 20;
};

// One connection to one receiver. Not thread-safe: one delivery thread owns it (it never has two
// messages in flight on one connection, so a reply always belongs to the message just sent).
// Errors carry the receiver's address and the failure, never message or ACK content.
class MllpClient {
 public:
  // Checks the options and loads the TLS material; connects only on the first Send.
  // kInvalidArgument: no host or port, a timeout or limit that is not positive, plaintext to a
  // host that is not a loopback IP literal, TLS files given without `tls`, or TLS material that
  // cannot be read (or a key that does not match its certificate).
  static base::Result<MllpClient> Create(MllpClientOptions options);

  // A moved-from client may only be destroyed or assigned to.
  MllpClient(MllpClient&&) noexcept;
  MllpClient& operator=(MllpClient&&) noexcept;
  ~MllpClient();  // Close()

  // Sends `message` (unframed: the client adds 0x0B … 0x1C 0x0D) and returns the content of
  // the receiver's reply frame (unframed; checking MSA is the HL7 caller's job). Connects first
  // when there is no open connection, or when the open one has been closed by the receiver or
  // has unsolicited bytes waiting (a receiver's idle timeout must not cost a failed delivery).
  // Errors, after each of which the connection is closed and the next Send reconnects:
  // - kUnavailable: cannot resolve or connect, connect/write/ACK timeout, the connection
  //   closed or reset before a complete ACK, a TLS handshake that fails for another reason
  //   than a certificate. The message may or may not have been received: the caller retries,
  //   and the receiver acknowledges a duplicate without storing it twice.
  // - kUnauthenticated: the receiver's certificate is not trusted or does not name the server
  //   (the handshake stops before the first byte of the message is written), or the receiver
  //   refused this client's certificate.
  // - kLimitExceeded: the ACK frame is larger than max_ack_bytes.
  // - kMalformed: the reply is not an MLLP frame (bytes before 0x0B, no CR after 0x1C).
  // - kInvalidArgument: `message` contains 0x0B or 0x1C, which would break its frame (nothing
  //   is sent; the connection stays as it was).
  // A reply followed by more bytes (a second frame) is returned, and the connection closed,
  // since the stream no longer pairs replies with messages.
  base::Result<std::string> Send(std::string_view message);

  // Closes the connection (over TLS with a close_notify, waiting at most one second). The next
  // Send reconnects.
  void Close();

  // True while a connection is open (for tests and metrics).
  bool connected() const;

 private:
  struct Impl;
  explicit MllpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace heartbase::net
