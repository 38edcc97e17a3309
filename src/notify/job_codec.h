// The job record: what `heartbase serve` hands `heartbase notify` for one delivery attempt. A
// fixed schema with a version and a MAC (HMAC-SHA-256 under the notify key); no field chooses a
// type, and the decoder checks the MAC before it reads any field, checks every length against
// its limit before taking bytes, and validates every field. The lessons of CVE-2023-31222
// (Paceart's messaging service deserialised untrusted data): docs/notify.md.
//
// Layout, version 1 (integers big-endian):
//   u8 version=1, u8 kind, u8 channel, u8 flags=0, u64 id, u32 attempt, u32 max_attempts,
//   u64 lease_expires_us, u8+key, u16+recipient, u16+subject, u16+body, u8+ticket, u16+link,
//   u32+attachment, then 32 bytes HMAC-SHA-256("heartbase/notify/job/v1", everything before).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "notify/mac_key.h"

namespace heartbase::notify {

enum class JobKind : std::uint8_t { kAlert = 1, kSignoff = 2, kReport = 3, kTest = 4 };
enum class Channel : std::uint8_t { kEmail = 1, kPager = 2, kFax = 3 };
std::string_view ToString(JobKind k);
std::string_view ToString(Channel c);

struct JobLimits {
  static constexpr std::size_t kMaxKey = 128;
  static constexpr std::size_t kMaxRecipient = 254;
  static constexpr std::size_t kMaxSubject = 200;
  static constexpr std::size_t kMaxBody = 4000;
  static constexpr std::size_t kMaxTicket = 64;
  static constexpr std::size_t kMaxLink = 512;
  static constexpr std::size_t kMaxAttachment = 2u << 20;
  static constexpr std::uint32_t kMaxAttempts = 100;
  static constexpr std::size_t kFixedBytes = 4 + 8 + 4 + 4 + 8 + 1 + 2 + 2 + 2 + 1 + 2 + 4;
  static constexpr std::size_t kMaxRecordBytes = kFixedBytes + kMaxKey + kMaxRecipient +
                                                 kMaxSubject + kMaxBody + kMaxTicket + kMaxLink +
                                                 kMaxAttachment + MacKey::kMacBytes;
};

struct Job {
  std::uint64_t id = 0;
  std::uint32_t attempt = 0;  // 1-based; with id, names the lease
  std::uint32_t max_attempts = 0;
  std::int64_t lease_expires_us = 0;
  JobKind kind = JobKind::kAlert;
  Channel channel = Channel::kEmail;
  std::string idempotency_key;  // [A-Za-z0-9._:@/+=-], 1..128
  std::string recipient;        // email: an addr-spec; pager: [A-Za-z0-9+._-]; fax: +digits
  std::string subject;          // UTF-8 without control characters
  std::string body;             // UTF-8; the only control characters are LF and TAB
  std::string ticket;           // [A-Za-z0-9_-]
  std::string link;             // printable ASCII without spaces
  std::string attachment;       // a PDF ("%PDF-"): fax jobs and email report jobs; empty = none
  friend bool operator==(const Job&, const Job&) = default;
};

// Checks every field of `job` against the rules above. kInvalidArgument naming the field.
base::Status ValidateJob(const Job& job);

// Encodes a valid job (ValidateJob's errors otherwise) and appends its MAC.
base::Result<std::string> EncodeJob(const Job& job, const MacKey& key);

// Decodes one record. Errors: kLimitExceeded (larger than kMaxRecordBytes: nothing is read),
// kUnauthenticated (the MAC does not match: forged or altered; no field is read), kUnsupported
// (another version), kMalformed (truncated, trailing bytes, a length over its limit, an unknown
// kind/channel/flag, a field that fails validation). Never aborts on any input.
base::Result<Job> DecodeJob(std::string_view record, const MacKey& key);

}  // namespace heartbase::notify
