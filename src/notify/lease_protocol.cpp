// Lease channel messages and frame I/O. Layout of every message: u8 version=1, u8 type, the
// type's fields, then HMAC-SHA-256("heartbase/notify/msg/v1", everything before).
#include "notify/lease_protocol.h"

#include <fmt/format.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>

#include "notify/internal/wire.h"

namespace heartbase::notify {
namespace {

using base::ErrorCode;
using internal::Reader;
using internal::Writer;

constexpr std::string_view kDomain = "heartbase/notify/msg/v1";
constexpr std::uint8_t kVersion = 1;
enum class Type : std::uint8_t { kLeaseRequest = 1, kLeaseResponse = 2, kOutcome = 3, kReply = 4 };

base::Error Malformed(std::string_view what) {
  return base::MakeError(ErrorCode::kMalformed, fmt::format("lease message: {}", what));
}
base::Error Invalid(std::string_view what) {
  return base::MakeError(ErrorCode::kInvalidArgument, fmt::format("lease message: {}", what));
}

bool ValidHolder(std::string_view h) {
  if (h.empty() || h.size() > ProtocolLimits::kMaxHolder) return false;
  for (char c : h) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '.' || c == '_' || c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}
bool Printable(std::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return s.size() <= ProtocolLimits::kMaxError;
}

void Begin(Writer& w, Type t, const Nonce& nonce) {
  w.U8(kVersion);
  w.U8(static_cast<std::uint8_t>(t));
  w.Raw({reinterpret_cast<const char*>(nonce.data()), nonce.size()});
}
std::string Seal(std::string out, const MacKey& key) {
  const auto mac = key.Mac(kDomain, out);
  out.append(reinterpret_cast<const char*>(mac.data()), mac.size());
  return out;
}

// Checks size and MAC, then returns a reader over the fields after version and type.
base::Result<std::string_view> Open(std::string_view message, const MacKey& key,
                                    std::size_t max_bytes, Type* type) {
  if (message.size() > max_bytes) {
    return base::MakeError(ErrorCode::kLimitExceeded, "lease message over its size limit");
  }
  if (message.size() < 2 + 16 + MacKey::kMacBytes) return Malformed("truncated");
  const std::string_view body = message.substr(0, message.size() - MacKey::kMacBytes);
  if (!key.Verify(kDomain, body, message.substr(body.size()))) {
    return base::MakeError(ErrorCode::kUnauthenticated, "lease message MAC does not match");
  }
  if (static_cast<std::uint8_t>(body[0]) != kVersion) {
    return base::MakeError(ErrorCode::kUnsupported, "lease message version is not 1");
  }
  *type = static_cast<Type>(static_cast<std::uint8_t>(body[1]));
  return body.substr(2);
}

bool ReadNonce(Reader& r, Nonce* nonce) {
  const auto raw = r.Raw(nonce->size());
  if (!raw) return false;
  std::memcpy(nonce->data(), raw->data(), nonce->size());
  return true;
}

}  // namespace

Nonce RandomNonce() {
  Nonce n{};
  if (sodium_init() < 0) std::abort();  // no random source: nothing here can be trusted
  randombytes_buf(n.data(), n.size());
  return n;
}

base::Result<std::string> EncodeRequest(const Request& request, const MacKey& key) {
  std::string out;
  Writer w(&out);
  if (const auto* lease = std::get_if<LeaseRequest>(&request)) {
    if (!ValidHolder(lease->holder)) return Invalid("holder");
    if (lease->max_jobs < 1 || lease->max_jobs > ProtocolLimits::kMaxJobsPerLease) {
      return Invalid("max_jobs");
    }
    if (lease->lease_ms < ProtocolLimits::kMinLeaseMs ||
        lease->lease_ms > ProtocolLimits::kMaxLeaseMs) {
      return Invalid("lease_ms");
    }
    Begin(w, Type::kLeaseRequest, lease->nonce);
    w.Str8(lease->holder);
    w.U16(lease->max_jobs);
    w.U32(lease->lease_ms);
    return Seal(std::move(out), key);
  }
  const auto& o = std::get<Outcome>(request);
  if (!ValidHolder(o.holder)) return Invalid("holder");
  if (o.job_id == 0 || o.attempt == 0) return Invalid("job");
  if (!Printable(o.error)) return Invalid("error text");
  Begin(w, Type::kOutcome, o.nonce);
  w.Str8(o.holder);
  w.U64(o.job_id);
  w.U32(o.attempt);
  w.U8(static_cast<std::uint8_t>((o.delivered ? 1 : 0) | (o.permanent ? 2 : 0)));
  w.Str8(o.error);
  return Seal(std::move(out), key);
}

base::Result<std::string> EncodeLeaseResponse(const LeaseResponse& response, const MacKey& key) {
  if (response.jobs.size() > ProtocolLimits::kMaxJobsPerLease) return Invalid("too many jobs");
  std::string out;
  Writer w(&out);
  Begin(w, Type::kLeaseResponse, response.nonce);
  w.U16(static_cast<std::uint16_t>(response.jobs.size()));
  for (const std::string& job : response.jobs) {
    if (job.size() > JobLimits::kMaxRecordBytes) return Invalid("job record too large");
    w.Str32(job);
  }
  return Seal(std::move(out), key);
}

base::Result<std::string> EncodeReply(const Reply& reply, const MacKey& key) {
  if (!Printable(reply.message)) return Invalid("reply text");
  std::string out;
  Writer w(&out);
  Begin(w, Type::kReply, reply.nonce);
  w.U8(static_cast<std::uint8_t>(reply.status));
  w.Str8(reply.message);
  return Seal(std::move(out), key);
}

base::Result<Request> DecodeRequest(std::string_view message, const MacKey& key) {
  Type type{};
  auto fields = Open(message, key, ProtocolLimits::kMaxRequestBytes, &type);
  if (!fields) return fields.error();
  Reader r(*fields);
  if (type == Type::kLeaseRequest) {
    LeaseRequest q;
    if (!ReadNonce(r, &q.nonce)) return Malformed("truncated");
    const auto holder = r.Str8(ProtocolLimits::kMaxHolder);
    const auto max_jobs = r.U16();
    const auto lease_ms = r.U32();
    if (!holder || !max_jobs || !lease_ms || !r.done()) return Malformed("lease request fields");
    q.holder = std::string(*holder);
    q.max_jobs = *max_jobs;
    q.lease_ms = *lease_ms;
    if (!ValidHolder(q.holder) || q.max_jobs < 1 || q.max_jobs > ProtocolLimits::kMaxJobsPerLease ||
        q.lease_ms < ProtocolLimits::kMinLeaseMs || q.lease_ms > ProtocolLimits::kMaxLeaseMs) {
      return Malformed("lease request values");
    }
    return Request(std::move(q));
  }
  if (type == Type::kOutcome) {
    Outcome o;
    if (!ReadNonce(r, &o.nonce)) return Malformed("truncated");
    const auto holder = r.Str8(ProtocolLimits::kMaxHolder);
    const auto id = r.U64();
    const auto attempt = r.U32();
    const auto flags = r.U8();
    const auto error = r.Str8(ProtocolLimits::kMaxError);
    if (!holder || !id || !attempt || !flags || !error || !r.done()) {
      return Malformed("outcome fields");
    }
    o.holder = std::string(*holder);
    o.job_id = *id;
    o.attempt = *attempt;
    o.delivered = (*flags & 1) != 0;
    o.permanent = (*flags & 2) != 0;
    o.error = std::string(*error);
    if (!ValidHolder(o.holder) || o.job_id == 0 ||
        o.job_id > static_cast<std::uint64_t>(INT64_MAX) || o.attempt == 0 ||
        o.attempt > JobLimits::kMaxAttempts || (*flags & ~3u) != 0 ||
        (o.delivered && o.permanent) || !Printable(o.error)) {
      return Malformed("outcome values");
    }
    return Request(std::move(o));
  }
  return Malformed("not a request");
}

base::Result<LeaseResponse> DecodeLeaseResponse(std::string_view message, const MacKey& key) {
  Type type{};
  auto fields = Open(message, key, ProtocolLimits::kMaxResponseBytes, &type);
  if (!fields) return fields.error();
  if (type != Type::kLeaseResponse) return Malformed("not a lease response");
  Reader r(*fields);
  LeaseResponse out;
  if (!ReadNonce(r, &out.nonce)) return Malformed("truncated");
  const auto count = r.U16();
  if (!count || *count > ProtocolLimits::kMaxJobsPerLease) return Malformed("job count");
  out.jobs.reserve(*count);
  for (std::uint16_t i = 0; i < *count; ++i) {
    const auto job = r.Str32(JobLimits::kMaxRecordBytes);
    if (!job) return Malformed("job record truncated or over its limit");
    out.jobs.emplace_back(*job);
  }
  if (!r.done()) return Malformed("trailing bytes");
  return out;
}

base::Result<Reply> DecodeReply(std::string_view message, const MacKey& key) {
  Type type{};
  auto fields = Open(message, key, ProtocolLimits::kMaxRequestBytes, &type);
  if (!fields) return fields.error();
  if (type != Type::kReply) return Malformed("not a reply");
  Reader r(*fields);
  Reply out;
  if (!ReadNonce(r, &out.nonce)) return Malformed("truncated");
  const auto status = r.U8();
  const auto text = r.Str8(ProtocolLimits::kMaxError);
  if (!status || *status > 2 || !text || !r.done() || !Printable(*text)) {
    return Malformed("reply fields");
  }
  out.status = static_cast<ReplyStatus>(*status);
  out.message = std::string(*text);
  return out;
}

namespace {

base::Status ReadExactly(int fd, char* buf, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::recv(fd, buf + got, n - got, 0);
    if (r > 0) {
      got += static_cast<std::size_t>(r);
      continue;
    }
    if (r == 0) return base::MakeError(ErrorCode::kUnavailable, "peer closed the connection");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return base::MakeError(ErrorCode::kUnavailable, "timed out waiting for the peer");
    }
    return base::MakeError(ErrorCode::kIo, fmt::format("recv: {}", std::strerror(errno)));
  }
  return {};
}

}  // namespace

base::Result<std::string> ReadFrame(int fd, std::size_t max_bytes) {
  char head[4];
  if (auto s = ReadExactly(fd, head, sizeof head); !s) return s.error();
  std::uint32_t n = 0;
  for (char c : head) n = (n << 8) | static_cast<unsigned char>(c);
  if (n > max_bytes) {
    return base::MakeError(ErrorCode::kLimitExceeded,
                           fmt::format("frame of {} bytes; the limit is {}", n, max_bytes));
  }
  std::string out(n, '\0');
  if (auto s = ReadExactly(fd, out.data(), n); !s) return s.error();
  return out;
}

base::Status WriteFrame(int fd, std::string_view message) {
  if (message.size() > UINT32_MAX) return Invalid("frame too large");
  const auto n = static_cast<std::uint32_t>(message.size());
  std::string frame;
  frame.reserve(4 + message.size());
  Writer(&frame).U32(n);
  frame.append(message);
  std::size_t sent = 0;
  while (sent < frame.size()) {
    const ssize_t r = ::send(fd, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (r > 0) {
      sent += static_cast<std::size_t>(r);
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return base::MakeError(ErrorCode::kUnavailable, "timed out writing to the peer");
    }
    return base::MakeError(ErrorCode::kUnavailable, fmt::format("send: {}", std::strerror(errno)));
  }
  return {};
}

void SetSocketTimeouts(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace heartbase::notify
