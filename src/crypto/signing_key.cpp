// Ed25519 signing key (libsodium crypto_sign) and its key file.
#include "crypto/signing_key.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <utility>

#include "crypto/internal/secret_file.h"
#include "crypto/key_ring.h"

namespace heartbase::crypto {
namespace {

using base::ErrorCode;
using base::MakeError;

constexpr std::string_view kHeader = "heartbase-signing-key 1";
constexpr std::size_t kMaxKeyFile = 4096;

static_assert(crypto_sign_PUBLICKEYBYTES == SigningPublicKey::kBytes);
static_assert(crypto_sign_BYTES == SigningPublicKey::kSignatureBytes);
static_assert(crypto_sign_SECRETKEYBYTES == 64);
static_assert(crypto_sign_SEEDBYTES == 32);

std::string ToHex(const std::uint8_t* bytes, std::size_t n) {
  std::string out(2 * n + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, n);
  out.pop_back();
  return out;
}

// Exactly 2 * N hex digits into `out`; anything else (separators included) fails.
template <std::size_t N>
bool FromHex(std::string_view hex, std::array<std::uint8_t, N>* out) {
  if (hex.size() != 2 * N) return false;
  std::size_t written = 0;
  const char* end = nullptr;
  return sodium_hex2bin(out->data(), N, hex.data(), hex.size(), nullptr, &written, &end) == 0 &&
         written == N && end == hex.data() + hex.size();
}

}  // namespace

base::Result<SigningPublicKey> SigningPublicKey::FromHex(std::string_view hex) {
  if (auto s = Initialize(); !s) return s.error();
  SigningPublicKey key;
  if (!crypto::FromHex(hex, &key.key_)) {
    return MakeError(ErrorCode::kMalformed, "a public signing key is 64 hexadecimal digits");
  }
  return key;
}

std::string SigningPublicKey::ToHex() const { return crypto::ToHex(key_.data(), key_.size()); }

std::string SigningPublicKey::Fingerprint() const {
  static constexpr std::string_view kDomain = "hb-signing-key-id-1";
  std::array<std::uint8_t, 16> id{};
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, id.size());
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(kDomain.data()),
                            kDomain.size());
  crypto_generichash_update(&state, key_.data(), key_.size());
  crypto_generichash_final(&state, id.data(), id.size());
  return crypto::ToHex(id.data(), id.size());
}

bool SigningPublicKey::Verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != kSignatureBytes) return false;
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), key_.data()) == 0;
}

SigningKey::SigningKey(SigningKey&& other) noexcept
    : secret_(other.secret_), public_(other.public_) {
  sodium_memzero(other.secret_.data(), other.secret_.size());
}

SigningKey& SigningKey::operator=(SigningKey&& other) noexcept {
  if (this != &other) {
    secret_ = other.secret_;
    public_ = other.public_;
    sodium_memzero(other.secret_.data(), other.secret_.size());
  }
  return *this;
}

SigningKey::~SigningKey() { sodium_memzero(secret_.data(), secret_.size()); }

SigningKey SigningKey::FromSeed(const std::array<std::uint8_t, kSeedBytes>& seed) {
  SigningKey key;
  crypto_sign_seed_keypair(key.public_.key_.data(), key.secret_.data(), seed.data());
  return key;
}

base::Result<SigningKey> SigningKey::Generate() {
  if (auto s = Initialize(); !s) return s.error();
  SigningKey key;
  crypto_sign_keypair(key.public_.key_.data(), key.secret_.data());
  return key;
}

std::string SigningKey::Sign(std::string_view message) const {
  std::string signature(SigningPublicKey::kSignatureBytes, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       secret_.data());
  return signature;
}

base::Status SigningKey::Save(const std::string& path) const {
  std::array<std::uint8_t, kSeedBytes> seed{};
  crypto_sign_ed25519_sk_to_seed(seed.data(), secret_.data());
  std::string text = std::string(kHeader) + "\n";
  text += "# Ed25519 key signing the heartbase audit trail. Keep it apart from the key ring and\n";
  text += "# outside the data directory's backups; verifiers need only the public key.\n";
  text += "seed " + ToHex(seed.data(), seed.size()) + "\n";
  text += "public " + public_.ToHex() + "\n";
  sodium_memzero(seed.data(), seed.size());
  auto written = internal::WriteSecretFile(path, text);
  sodium_memzero(text.data(), text.size());
  return written;
}

base::Result<SigningKey> SigningKey::Load(const std::string& path) {
  if (auto s = Initialize(); !s) return s.error();
  auto read = internal::ReadSecretFile(path, "signing key file", kMaxKeyFile);
  if (!read) return read.error();
  std::string text = std::move(*read);
  std::array<std::uint8_t, kSeedBytes> seed{};
  std::array<std::uint8_t, SigningPublicKey::kBytes> stated{};
  bool header = false, has_seed = false, has_public = false;
  std::string_view error;
  int n = 0;
  // Parsed in place (views into `text`), so the only copy of the seed to wipe is `text` itself.
  for (std::string_view rest = text; error.empty() && !rest.empty();) {
    const std::size_t eol = std::min(rest.find('\n'), rest.size());
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(std::min(eol + 1, rest.size()));
    ++n;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    const std::size_t space = line.find(' ');
    const std::string_view word = line.substr(0, space);
    const std::string_view value = space == std::string_view::npos ? "" : line.substr(space + 1);
    if (!header) {
      if (line != kHeader) error = "not a heartbase signing key";
      header = true;
    } else if (word == "seed" && !has_seed) {
      if (!FromHex(value, &seed)) error = "seed must be 64 hexadecimal digits";
      has_seed = true;
    } else if (word == "public" && !has_public) {
      if (!FromHex(value, &stated)) error = "public must be 64 hexadecimal digits";
      has_public = true;
    } else {
      error = "unknown or repeated entry";
    }
  }
  sodium_memzero(text.data(), text.size());
  if (!error.empty() || !has_seed) {
    sodium_memzero(seed.data(), seed.size());
    return MakeError(ErrorCode::kMalformed,
                     error.empty()
                         ? fmt::format("signing key file {} has no seed", path)
                         : fmt::format("signing key file {} line {}: {}", path, n, error));
  }
  SigningKey key = FromSeed(seed);
  sodium_memzero(seed.data(), seed.size());
  if (has_public && stated != key.public_.key_) {
    return MakeError(ErrorCode::kMalformed,
                     fmt::format("signing key file {}: the public key does not belong to the seed "
                                 "(the file is damaged)",
                                 path));
  }
  return key;
}

}  // namespace heartbase::crypto
