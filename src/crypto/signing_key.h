// SigningKey: an Ed25519 key pair (libsodium crypto_sign) in its own key file, separate from the
// data key ring; it signs the audit trail's checkpoints. SigningPublicKey verifies them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace heartbase::crypto {

// A public key: all verifiers need. Copyable; thread-safe (immutable).
class SigningPublicKey {
 public:
  static constexpr std::size_t kBytes = 32;
  static constexpr std::size_t kSignatureBytes = 64;

  // Parses 64 hexadecimal digits (either case). kMalformed otherwise.
  static base::Result<SigningPublicKey> FromHex(std::string_view hex);
  // 64 lower-case hexadecimal digits.
  std::string ToHex() const;
  // A short, stable name for the key (32 lower-case hex digits of a BLAKE2b hash of it), stored
  // beside signatures so that a verifier can tell which key made them.
  std::string Fingerprint() const;

  // True if `signature` is a valid signature of `message` by this key's secret key.
  bool Verify(std::string_view message, std::string_view signature) const;

  friend bool operator==(const SigningPublicKey&, const SigningPublicKey&) = default;

 private:
  friend class SigningKey;
  SigningPublicKey() = default;
  std::array<std::uint8_t, kBytes> key_{};
};

// The secret key. Move-only; the secret is wiped from memory on destruction and never appears in
// an error message. Const methods may be called concurrently.
class SigningKey {
 public:
  // A new key pair from the system's CSPRNG. kInternal if libsodium cannot start.
  static base::Result<SigningKey> Generate();
  // Reads a key file written by Save. kPermissionDenied if group or others may read or write
  // it, kMalformed if it is not a signing key file (or its public key does not match its secret),
  // kIo if it cannot be read.
  static base::Result<SigningKey> Load(const std::string& path);
  // Writes the key file with mode 0400, atomically (temporary file, fsync, rename, fsync of the
  // directory). The file also names the public key, for operators to copy to verifiers.
  base::Status Save(const std::string& path) const;

  // The 64-byte Ed25519 signature of `message`.
  std::string Sign(std::string_view message) const;
  const SigningPublicKey& public_key() const { return public_; }

  SigningKey(SigningKey&& other) noexcept;
  SigningKey& operator=(SigningKey&& other) noexcept;
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;
  ~SigningKey();

 private:
  static constexpr std::size_t kSeedBytes = 32;
  static constexpr std::size_t kSecretBytes = 64;
  SigningKey() = default;
  static SigningKey FromSeed(const std::array<std::uint8_t, kSeedBytes>& seed);

  std::array<std::uint8_t, kSecretBytes> secret_{};  // libsodium layout: seed then public key
  SigningPublicKey public_;
};

}  // namespace heartbase::crypto
