// Canonical encodings of audit events and checkpoints (see canonical.h).
#include "audit/internal/canonical.h"

#include <sodium.h>

#include <cstring>
#include <variant>

namespace heartbase::audit::internal {
namespace {

using namespace std::string_view_literals;

constexpr char kNull = 0, kInteger = 1, kReal = 2, kText = 3, kBlob = 4;

void PutU64(std::string* out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xFF));
}

void PutI64(std::string* out, std::int64_t v) { PutU64(out, static_cast<std::uint64_t>(v)); }

void PutBytes(std::string* out, char tag, std::string_view bytes) {
  out->push_back(tag);
  PutU64(out, bytes.size());
  out->append(bytes);
}

}  // namespace

std::vector<store::Value> EventValues(std::int64_t seq, const Event& e, store::Value note,
                                      std::string prev_hash) {
  auto optional = [](const std::optional<std::int64_t>& v) -> store::Value {
    if (v) return *v;
    return std::monostate{};
  };
  std::vector<store::Value> values;
  values.reserve(kHashedColumnCount);
  values.emplace_back(seq);
  values.emplace_back(e.time_us);
  values.emplace_back(e.user_name);
  values.push_back(optional(e.user_id));
  values.emplace_back(e.role);
  values.push_back(optional(e.clinic_id));
  values.emplace_back(e.address);
  values.emplace_back(e.action);
  values.emplace_back(e.object_type);
  values.emplace_back(e.object_id);
  values.push_back(optional(e.patient_id));
  values.emplace_back(e.outcome);
  values.emplace_back(e.detail);
  values.push_back(std::move(note));
  values.emplace_back(store::Bytes{std::move(prev_hash)});
  return values;
}

std::string EncodeEvent(std::span<const store::Value> values) {
  static constexpr std::string_view kDomain = "hb-audit-event-1\0"sv;
  std::string out(kDomain);
  PutU64(&out, values.size());
  for (const store::Value& v : values) {
    if (const auto* i = std::get_if<std::int64_t>(&v)) {
      out.push_back(kInteger);
      PutI64(&out, *i);
    } else if (const auto* d = std::get_if<double>(&v)) {
      std::uint64_t bits = 0;
      std::memcpy(&bits, d, sizeof bits);
      out.push_back(kReal);
      PutU64(&out, bits);
    } else if (const auto* t = std::get_if<std::string>(&v)) {
      PutBytes(&out, kText, *t);
    } else if (const auto* b = std::get_if<store::Bytes>(&v)) {
      PutBytes(&out, kBlob, b->data);
    } else {
      out.push_back(kNull);
    }
  }
  return out;
}

std::string EventHash(std::span<const store::Value> values) {
  const std::string encoded = EncodeEvent(values);
  std::string hash(kHashBytes, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(hash.data()), hash.size(),
                     reinterpret_cast<const unsigned char*>(encoded.data()), encoded.size(),
                     nullptr, 0);
  return hash;
}

std::string GenesisHash() { return std::string(kHashBytes, '\0'); }

std::string CheckpointMessage(std::int64_t seq, std::string_view hash, std::int64_t time_us,
                              std::int64_t prev_seq) {
  static constexpr std::string_view kDomain = "hb-audit-checkpoint-1\0"sv;
  std::string out(kDomain);
  PutI64(&out, seq);
  PutU64(&out, hash.size());
  out.append(hash);
  PutI64(&out, time_us);
  PutI64(&out, prev_seq);
  return out;
}

}  // namespace heartbase::audit::internal
