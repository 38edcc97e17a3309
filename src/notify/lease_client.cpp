// The client side of the lease channel.
#include "notify/lease_client.h"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace heartbase::notify {

using base::ErrorCode;

base::Result<LeaseClient> LeaseClient::Connect(const std::string& socket_path, const MacKey& key,
                                               std::chrono::milliseconds io_timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof addr.sun_path) {
    return base::MakeError(ErrorCode::kInvalidArgument, "socket path is empty or too long");
  }
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return base::MakeError(ErrorCode::kIo, "socket() failed");
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    ::close(fd);
    return base::MakeError(ErrorCode::kUnavailable,
                           fmt::format("cannot connect to {}: {}", socket_path, std::strerror(e)));
  }
  SetSocketTimeouts(fd, io_timeout);
  return LeaseClient(fd, key);
}

LeaseClient::LeaseClient(LeaseClient&& other) noexcept : fd_(other.fd_), key_(other.key_) {
  other.fd_ = -1;
}

LeaseClient::~LeaseClient() {
  if (fd_ >= 0) ::close(fd_);
}

base::Result<LeaseBatch> LeaseClient::Lease(const std::string& holder, int max_jobs,
                                            int lease_seconds) {
  LeaseRequest q{.nonce = RandomNonce(),
                 .holder = holder,
                 .max_jobs = static_cast<std::uint16_t>(max_jobs),
                 .lease_ms = static_cast<std::uint32_t>(lease_seconds) * 1000u};
  auto msg = EncodeRequest(q, *key_);
  if (!msg) return msg.error();
  if (auto s = WriteFrame(fd_, *msg); !s) return s.error();
  auto frame = ReadFrame(fd_, ProtocolLimits::kMaxResponseBytes);
  if (!frame) return frame.error();
  auto response = DecodeLeaseResponse(*frame, *key_);
  if (!response) return response.error();
  if (response->nonce != q.nonce) {
    return base::MakeError(ErrorCode::kUnauthenticated, "lease response answers another request");
  }
  LeaseBatch out;
  for (const std::string& record : response->jobs) {
    auto job = DecodeJob(record, *key_);
    if (!job) {
      ++out.rejected;
      continue;
    }
    out.jobs.push_back(std::move(*job));
  }
  return out;
}

base::Result<Reply> LeaseClient::Report(Outcome outcome) {
  outcome.nonce = RandomNonce();
  auto msg = EncodeRequest(outcome, *key_);
  if (!msg) return msg.error();
  if (auto s = WriteFrame(fd_, *msg); !s) return s.error();
  auto frame = ReadFrame(fd_, ProtocolLimits::kMaxRequestBytes);
  if (!frame) return frame.error();
  auto reply = DecodeReply(*frame, *key_);
  if (!reply) return reply.error();
  if (reply->nonce != outcome.nonce) {
    return base::MakeError(ErrorCode::kUnauthenticated, "reply answers another request");
  }
  return reply;
}

}  // namespace heartbase::notify
