// Key ring: libsodium XChaCha20-Poly1305 sealing, keyed BLAKE2b blind indexes, and the key file.
#include "crypto/key_ring.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "base/base64.h"
#include "crypto/internal/secret_file.h"

namespace heartbase::crypto {
namespace {

using base::ErrorCode;
using base::MakeError;

constexpr std::uint8_t kFormat = 1;
constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kMaxKeyFile = 64 * 1024;
constexpr std::string_view kHeader = "heartbase-keyring 1";

static_assert(kNonce == 24);
static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == 16);

void PutU32(std::string* out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::uint32_t GetU32(std::string_view s, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
  return v;
}

std::string AdBytes(const AssociatedData& p, std::uint32_t key_id) {
  std::string ad = "hb-aead-1";
  ad.push_back('\0');
  ad.append(p.table);
  ad.push_back('\0');
  ad.append(p.column);
  ad.push_back('\0');
  for (int i = 0; i < 8; ++i) {
    ad.push_back(static_cast<char>((static_cast<std::uint64_t>(p.row) >> (8 * i)) & 0xFF));
  }
  PutU32(&ad, key_id);
  return ad;
}

std::string KeyText(const std::array<std::uint8_t, KeyRing::kKeyBytes>& key) {
  std::string out;
  base::AppendBase64Encoded(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()),
                            &out);
  return out;
}

bool KeyFromText(std::string_view text, std::array<std::uint8_t, KeyRing::kKeyBytes>* key) {
  std::string raw;
  if (!base::AppendBase64Decoded(text, &raw) || raw.size() != key->size()) {
    sodium_memzero(raw.data(), raw.size());
    return false;
  }
  std::memcpy(key->data(), raw.data(), key->size());
  sodium_memzero(raw.data(), raw.size());
  return true;
}

}  // namespace

base::Status Initialize() {
  if (sodium_init() < 0) return MakeError(ErrorCode::kInternal, "libsodium failed to initialize");
  return {};
}

KeyRing::~KeyRing() {
  for (DataKey& k : data_keys_) sodium_memzero(k.key.data(), k.key.size());
  sodium_memzero(index_key_.data(), index_key_.size());
}

base::Result<KeyRing> KeyRing::Generate() {
  if (auto s = Initialize(); !s) return s.error();
  KeyRing ring;
  randombytes_buf(ring.index_key_.data(), ring.index_key_.size());
  ring.AddDataKey();
  return ring;
}

void KeyRing::AddDataKey() {
  DataKey k{};
  k.id = data_keys_.empty() ? 1 : data_keys_.back().id + 1;
  crypto_aead_xchacha20poly1305_ietf_keygen(k.key.data());
  data_keys_.push_back(k);
  sodium_memzero(k.key.data(), k.key.size());
  active_ = data_keys_.back().id;
}

const KeyRing::DataKey* KeyRing::Find(std::uint32_t id) const {
  for (const DataKey& k : data_keys_) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

std::string KeyRing::Seal(std::string_view plaintext, const AssociatedData& place) const {
  const DataKey* key = Find(active_);
  std::string out;
  out.resize(kOverhead + plaintext.size());
  out[0] = static_cast<char>(kFormat);
  std::string id;
  PutU32(&id, active_);
  std::memcpy(out.data() + 1, id.data(), 4);
  auto* nonce = reinterpret_cast<unsigned char*>(out.data() + 5);
  randombytes_buf(nonce, kNonce);
  const std::string ad = AdBytes(place, active_);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(out.data() + 5 + kNonce), &written,
      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, nonce,
      key->key.data());
  out.resize(5 + kNonce + written);
  return out;
}

std::optional<std::uint32_t> KeyRing::KeyIdOf(std::string_view sealed) {
  if (sealed.size() < kOverhead || static_cast<std::uint8_t>(sealed[0]) != kFormat) {
    return std::nullopt;
  }
  return GetU32(sealed, 1);
}

base::Result<std::string> KeyRing::Open(std::string_view sealed,
                                        const AssociatedData& place) const {
  const auto id = KeyIdOf(sealed);
  if (!id) return MakeError(ErrorCode::kDataLoss, "sealed value has an unknown format");
  const DataKey* key = Find(*id);
  if (key == nullptr) {
    return MakeError(ErrorCode::kDataLoss,
                     fmt::format("sealed value uses data key {}, which the key ring lacks", *id));
  }
  const std::string ad = AdBytes(place, *id);
  std::string out(sealed.size() - kOverhead, '\0');
  unsigned long long written = 0;
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data() + 5);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &written, nullptr,
          reinterpret_cast<const unsigned char*>(sealed.data() + 5 + kNonce),
          sealed.size() - 5 - kNonce, reinterpret_cast<const unsigned char*>(ad.data()), ad.size(),
          nonce, key->key.data()) != 0) {
    return MakeError(
        ErrorCode::kDataLoss,
        fmt::format("sealed value in {}.{} failed authentication", place.table, place.column));
  }
  out.resize(written);
  return out;
}

std::array<std::uint8_t, 32> KeyRing::BlindIndex(std::string_view kind,
                                                 std::string_view normalized) const {
  std::array<std::uint8_t, 32> out{};
  crypto_generichash_state state;
  crypto_generichash_init(&state, index_key_.data(), index_key_.size(), out.size());
  const std::string domain = "hb-index-1:" + std::string(kind) + '\0';
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(domain.data()),
                            domain.size());
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(normalized.data()),
                            normalized.size());
  crypto_generichash_final(&state, out.data(), out.size());
  return out;
}

KeyCheck KeyRing::Check() const {
  KeyCheck check;
  // The index key is a BLAKE2b key; its label cannot collide with a blind index, whose domain
  // always starts "hb-index-1:".
  constexpr std::string_view kIndexLabel = "hb-key-check-1:index";
  crypto_generichash(check.index.data(), check.index.size(),
                     reinterpret_cast<const unsigned char*>(kIndexLabel.data()), kIndexLabel.size(),
                     index_key_.data(), index_key_.size());
  // A data key is only ever used by the AEAD, so its check is an AEAD tag too: the empty value
  // sealed under the all-zero nonce. Stored values use random nonces and their own places, so
  // this tag says nothing about them; and a tag computed from the key reveals nothing of it.
  const std::array<unsigned char, kNonce> zero_nonce{};
  for (const DataKey& k : data_keys_) {
    const std::string ad =
        AdBytes({.table = "hb-key-check-1", .column = "data-key", .row = k.id}, k.id);
    KeyCheck::Value tag{};
    unsigned long long written = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(tag.data(), &written, nullptr, 0,
                                               reinterpret_cast<const unsigned char*>(ad.data()),
                                               ad.size(), nullptr, zero_nonce.data(), k.key.data());
    check.data.emplace_back(k.id, tag);
  }
  std::sort(check.data.begin(), check.data.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return check;
}

base::Status KeyRing::Save(const std::string& path) const {
  std::string text = std::string(kHeader) + "\n";
  text += "# Keys protecting heartbase patient data. Keep outside the data directory and its\n";
  text += "# backups; losing this file makes the encrypted data unreadable.\n";
  text += "index-key " + KeyText(index_key_) + "\n";
  for (const DataKey& k : data_keys_) text += fmt::format("data-key {} {}\n", k.id, KeyText(k.key));
  text += fmt::format("active {}\n", active_);
  auto written = internal::WriteSecretFile(path, text);
  sodium_memzero(text.data(), text.size());
  return written;
}

base::Result<KeyRing> KeyRing::Load(const std::string& path) {
  if (auto s = Initialize(); !s) return s.error();
  auto read = internal::ReadSecretFile(path, "key file", kMaxKeyFile);
  if (!read) return read.error();
  std::string text = std::move(*read);
  KeyRing ring;
  bool header = false, index = false;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  auto bad = [&](std::string_view why) {
    return MakeError(ErrorCode::kMalformed, fmt::format("key file {} line {}: {}", path, n, why));
  };
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string word;
    words >> word;
    if (!header) {
      if (line != kHeader) return bad("not a heartbase key ring");
      header = true;
    } else if (word == "index-key") {
      std::string k;
      words >> k;
      if (!KeyFromText(k, &ring.index_key_)) return bad("index key is not 32 base64 bytes");
      index = true;
    } else if (word == "data-key") {
      DataKey key{};
      std::string k;
      if (!(words >> key.id >> k) || key.id == 0 || ring.Find(key.id) != nullptr ||
          !KeyFromText(k, &key.key)) {
        return bad("data key must be: data-key <unique id> <32 base64 bytes>");
      }
      ring.data_keys_.push_back(key);
      sodium_memzero(key.key.data(), key.key.size());
    } else if (word == "active") {
      if (!(words >> ring.active_)) return bad("active must name a data key id");
    } else {
      return bad("unknown entry");
    }
    sodium_memzero(line.data(), line.size());
  }
  sodium_memzero(text.data(), text.size());
  if (!header || !index || ring.data_keys_.empty() || ring.Find(ring.active_) == nullptr) {
    return MakeError(
        ErrorCode::kMalformed,
        fmt::format("key file {} is incomplete (needs index-key, data-key, active)", path));
  }
  return ring;
}

}  // namespace heartbase::crypto
