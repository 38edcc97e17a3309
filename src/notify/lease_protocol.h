// The lease channel between `heartbase serve` (server) and `heartbase notify` (client): a Unix
// socket carrying length-prefixed frames (u32 big-endian length, then the message). Every message
// has a version, a type from a closed set and a MAC under the notify key; every reply echoes the
// 16-byte nonce of its request, so a recorded reply cannot be replayed into a later exchange.
//
//   LeaseRequest  (notify → serve): nonce, holder, max_jobs (1..kMaxJobsPerLease), lease_ms
//   LeaseResponse (serve → notify): nonce, up to kMaxJobsPerLease job records (job_codec.h)
//   Outcome       (notify → serve): nonce, holder, job id, attempt, delivered?, permanent?, error
//   Reply         (serve → notify): nonce, status, message
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"
#include "notify/job_codec.h"
#include "notify/mac_key.h"

namespace heartbase::notify {

using Nonce = std::array<std::uint8_t, 16>;
Nonce RandomNonce();

struct ProtocolLimits {
  static constexpr std::size_t kMaxHolder = 64;
  static constexpr std::size_t kMaxError = 200;
  static constexpr std::uint16_t kMaxJobsPerLease = 8;
  static constexpr std::uint32_t kMinLeaseMs = 1000;
  static constexpr std::uint32_t kMaxLeaseMs = 3'600'000;
  // Requests from notify are small; serve reads at most this much per frame.
  static constexpr std::size_t kMaxRequestBytes = 4096;
  // A full lease response.
  static constexpr std::size_t kMaxResponseBytes =
      64 + kMaxJobsPerLease * (4 + JobLimits::kMaxRecordBytes);
};

struct LeaseRequest {
  Nonce nonce{};
  std::string holder;  // [A-Za-z0-9._@-], 1..64
  std::uint16_t max_jobs = 1;
  std::uint32_t lease_ms = 120'000;
  friend bool operator==(const LeaseRequest&, const LeaseRequest&) = default;
};

struct LeaseResponse {
  Nonce nonce{};
  std::vector<std::string> jobs;  // encoded job records, each checked by DecodeJob
  friend bool operator==(const LeaseResponse&, const LeaseResponse&) = default;
};

struct Outcome {
  Nonce nonce{};
  std::string holder;
  std::uint64_t job_id = 0;
  std::uint32_t attempt = 0;
  bool delivered = false;
  bool permanent = false;  // a failure that no retry can fix (dead-letter now)
  std::string error;       // operational text (printable ASCII), at most kMaxError
  friend bool operator==(const Outcome&, const Outcome&) = default;
};

enum class ReplyStatus : std::uint8_t { kOk = 0, kLeaseLost = 1, kError = 2 };
struct Reply {
  Nonce nonce{};
  ReplyStatus status = ReplyStatus::kOk;
  std::string message;  // printable ASCII, at most kMaxError
  friend bool operator==(const Reply&, const Reply&) = default;
};

using Request = std::variant<LeaseRequest, Outcome>;

// Encoders check the fields (kInvalidArgument) and append the MAC.
base::Result<std::string> EncodeRequest(const Request& request, const MacKey& key);
base::Result<std::string> EncodeLeaseResponse(const LeaseResponse& response, const MacKey& key);
base::Result<std::string> EncodeReply(const Reply& reply, const MacKey& key);

// Decoders: kLimitExceeded (over the frame limit), kUnauthenticated (MAC), kUnsupported (version),
// kMalformed (anything else). The MAC is checked before any field is read.
base::Result<Request> DecodeRequest(std::string_view message, const MacKey& key);
base::Result<LeaseResponse> DecodeLeaseResponse(std::string_view message, const MacKey& key);
base::Result<Reply> DecodeReply(std::string_view message, const MacKey& key);

// Blocking frame I/O on a connected stream socket. ReadFrame reads the 4-byte length, refuses
// (kLimitExceeded) a length over `max_bytes` before allocating, then reads exactly that many
// bytes. Both fail with kUnavailable when the peer closed the connection and kIo otherwise; the
// socket's SO_RCVTIMEO/SO_SNDTIMEO bound how long they wait (then kUnavailable).
base::Result<std::string> ReadFrame(int fd, std::size_t max_bytes);
base::Status WriteFrame(int fd, std::string_view message);
// Sets SO_RCVTIMEO and SO_SNDTIMEO.
void SetSocketTimeouts(int fd, std::chrono::milliseconds timeout);

}  // namespace heartbase::notify
