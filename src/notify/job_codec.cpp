// Job record encoding and the bounded, authenticated decoder.
#include "notify/job_codec.h"

#include <fmt/format.h>

#include "base/address.h"
#include "notify/internal/wire.h"

namespace heartbase::notify {
namespace {

using base::ErrorCode;
using internal::Reader;
using internal::Writer;

constexpr std::string_view kDomain = "heartbase/notify/job/v1";
constexpr std::uint8_t kVersion = 1;

base::Error Invalid(std::string_view field, std::string_view why) {
  return base::MakeError(ErrorCode::kInvalidArgument, fmt::format("job {}: {}", field, why));
}

// Well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF); control characters
// other than those in `allowed` are refused.
bool CleanUtf8(std::string_view s, std::string_view allowed) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 || c == 0x7f) && allowed.find(static_cast<char>(c)) == std::string_view::npos)
        return false;
      ++i;
      continue;
    }
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (n > s.size() - i - 1) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

bool ValidRecipient(Channel channel, std::string_view r) {
  switch (channel) {
    case Channel::kEmail:
      return base::IsEmailAddress(r);
    case Channel::kPager:
      return !r.empty() && r.size() <= 64 && base::OnlyAlnumOr(r, "+._-");
    case Channel::kFax:
      return base::IsFaxNumber(r);
  }
  return false;
}

bool KnownKind(std::uint8_t k) { return k >= 1 && k <= 4; }
bool KnownChannel(std::uint8_t c) { return c >= 1 && c <= 3; }

}  // namespace

std::string_view ToString(JobKind k) {
  switch (k) {
    case JobKind::kAlert:
      return "alert";
    case JobKind::kSignoff:
      return "signoff";
    case JobKind::kReport:
      return "report";
    case JobKind::kTest:
      break;
  }
  return "test";
}

std::string_view ToString(Channel c) {
  switch (c) {
    case Channel::kEmail:
      return "email";
    case Channel::kPager:
      return "pager";
    case Channel::kFax:
      break;
  }
  return "fax";
}

base::Status ValidateJob(const Job& j) {
  using L = JobLimits;
  if (!KnownKind(static_cast<std::uint8_t>(j.kind))) return Invalid("kind", "unknown");
  if (!KnownChannel(static_cast<std::uint8_t>(j.channel))) return Invalid("channel", "unknown");
  if (j.id == 0 || j.id > static_cast<std::uint64_t>(INT64_MAX))
    return Invalid("id", "out of range");
  if (j.max_attempts < 1 || j.max_attempts > L::kMaxAttempts) {
    return Invalid("max_attempts", "out of range");
  }
  if (j.attempt < 1 || j.attempt > j.max_attempts) return Invalid("attempt", "out of range");
  if (j.lease_expires_us <= 0) return Invalid("lease_expires_us", "out of range");
  if (j.idempotency_key.empty() || j.idempotency_key.size() > L::kMaxKey ||
      !base::OnlyAlnumOr(j.idempotency_key, "._:@/+=-")) {
    return Invalid("idempotency_key", "empty, too long or a character outside [A-Za-z0-9._:@/+=-]");
  }
  if (j.recipient.size() > L::kMaxRecipient || !ValidRecipient(j.channel, j.recipient)) {
    return Invalid("recipient", fmt::format("not a valid {} recipient", ToString(j.channel)));
  }
  if (j.subject.size() > L::kMaxSubject || !CleanUtf8(j.subject, "")) {
    return Invalid("subject", "too long, not UTF-8, or holds control characters");
  }
  if (j.body.size() > L::kMaxBody || !CleanUtf8(j.body, "\n\t")) {
    return Invalid("body", "too long, not UTF-8, or holds control characters other than LF/TAB");
  }
  if (j.ticket.size() > L::kMaxTicket || !base::OnlyAlnumOr(j.ticket, "_-")) {
    return Invalid("ticket", "too long or a character outside [A-Za-z0-9_-]");
  }
  for (char ch : j.link) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || ch == '"' || ch == '<' || ch == '>' || ch == '\\') {
      return Invalid("link", "holds a character that is not printable URL text");
    }
  }
  if (j.link.size() > L::kMaxLink) return Invalid("link", "too long");
  if (!j.attachment.empty()) {
    // A fax is its document; by email only a signed report is sent as a file, so an alert or a
    // test message can never be made to carry one.
    if (j.channel != Channel::kFax &&
        !(j.channel == Channel::kEmail && j.kind == JobKind::kReport)) {
      return Invalid("attachment", "only fax jobs and email report jobs carry one");
    }
    if (j.attachment.size() > L::kMaxAttachment || j.attachment.substr(0, 5) != "%PDF-") {
      return Invalid("attachment", "too large or not a PDF");
    }
  }
  return {};
}

base::Result<std::string> EncodeJob(const Job& j, const MacKey& key) {
  if (auto s = ValidateJob(j); !s) return s.error();
  std::string out;
  out.reserve(JobLimits::kFixedBytes + j.idempotency_key.size() + j.recipient.size() +
              j.subject.size() + j.body.size() + j.ticket.size() + j.link.size() +
              j.attachment.size() + MacKey::kMacBytes);
  Writer w(&out);
  w.U8(kVersion);
  w.U8(static_cast<std::uint8_t>(j.kind));
  w.U8(static_cast<std::uint8_t>(j.channel));
  w.U8(0);
  w.U64(j.id);
  w.U32(j.attempt);
  w.U32(j.max_attempts);
  w.U64(static_cast<std::uint64_t>(j.lease_expires_us));
  w.Str8(j.idempotency_key);
  w.Str16(j.recipient);
  w.Str16(j.subject);
  w.Str16(j.body);
  w.Str8(j.ticket);
  w.Str16(j.link);
  w.Str32(j.attachment);
  const auto mac = key.Mac(kDomain, out);
  w.Raw({reinterpret_cast<const char*>(mac.data()), mac.size()});
  return out;
}

base::Result<Job> DecodeJob(std::string_view record, const MacKey& key) {
  using L = JobLimits;
  if (record.size() > L::kMaxRecordBytes) {
    return base::MakeError(
        ErrorCode::kLimitExceeded,
        fmt::format("job record of {} bytes; the limit is {}", record.size(), L::kMaxRecordBytes));
  }
  if (record.size() < L::kFixedBytes + MacKey::kMacBytes) {
    return base::MakeError(ErrorCode::kMalformed, "job record is truncated");
  }
  const std::string_view body = record.substr(0, record.size() - MacKey::kMacBytes);
  if (!key.Verify(kDomain, body, record.substr(body.size()))) {
    return base::MakeError(ErrorCode::kUnauthenticated, "job record MAC does not match");
  }
  Reader r(body);
  const auto malformed = [](std::string_view what) {
    return base::MakeError(ErrorCode::kMalformed, fmt::format("job record: {}", what));
  };
  const auto version = r.U8();
  if (!version || *version != kVersion) {
    return base::MakeError(ErrorCode::kUnsupported, "job record version is not 1");
  }
  const auto kind = r.U8();
  const auto channel = r.U8();
  const auto flags = r.U8();
  if (!kind || !KnownKind(*kind)) return malformed("unknown kind");
  if (!channel || !KnownChannel(*channel)) return malformed("unknown channel");
  if (!flags || *flags != 0) return malformed("unknown flags");
  Job j;
  j.kind = static_cast<JobKind>(*kind);
  j.channel = static_cast<Channel>(*channel);
  const auto id = r.U64();
  const auto attempt = r.U32();
  const auto max_attempts = r.U32();
  const auto expires = r.U64();
  if (!id || !attempt || !max_attempts || !expires) return malformed("truncated header");
  j.id = *id;
  j.attempt = *attempt;
  j.max_attempts = *max_attempts;
  j.lease_expires_us = static_cast<std::int64_t>(*expires);
  const auto key_field = r.Str8(L::kMaxKey);
  const auto recipient = r.Str16(L::kMaxRecipient);
  const auto subject = r.Str16(L::kMaxSubject);
  const auto body_field = r.Str16(L::kMaxBody);
  const auto ticket = r.Str8(L::kMaxTicket);
  const auto link = r.Str16(L::kMaxLink);
  const auto attachment = r.Str32(L::kMaxAttachment);
  if (!key_field || !recipient || !subject || !body_field || !ticket || !link || !attachment) {
    return malformed("a field is truncated or over its limit");
  }
  if (!r.done()) return malformed("trailing bytes");
  j.idempotency_key = std::string(*key_field);
  j.recipient = std::string(*recipient);
  j.subject = std::string(*subject);
  j.body = std::string(*body_field);
  j.ticket = std::string(*ticket);
  j.link = std::string(*link);
  j.attachment = std::string(*attachment);
  if (auto s = ValidateJob(j); !s) return malformed(s.error().message);
  return j;
}

}  // namespace heartbase::notify
