// The notify key file: one line "heartbase-notify-key-v1 " followed by 64 hex digits.
#include "notify/mac_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace heartbase::notify {
namespace {

using base::ErrorCode;
constexpr std::string_view kHeader = "heartbase-notify-key-v1 ";
constexpr std::size_t kFileBytes = kHeader.size() + 2 * MacKey::kBytes + 1;

base::Status StartSodium() {
  if (sodium_init() < 0) return base::MakeError(ErrorCode::kInternal, "libsodium did not start");
  return {};
}

}  // namespace

MacKey::~MacKey() { sodium_memzero(key_.data(), key_.size()); }

base::Result<MacKey> MacKey::Generate() {
  if (auto s = StartSodium(); !s) return s.error();
  MacKey k;
  crypto_auth_hmacsha256_keygen(k.key_.data());
  return k;
}

base::Result<MacKey> MacKey::FromBytes(std::string_view bytes) {
  if (auto s = StartSodium(); !s) return s.error();
  if (bytes.size() != kBytes) {
    return base::MakeError(ErrorCode::kInvalidArgument, "a notify key is 32 bytes");
  }
  MacKey k;
  std::memcpy(k.key_.data(), bytes.data(), kBytes);
  return k;
}

base::Result<MacKey> MacKey::Load(const std::string& path) {
  if (auto s = StartSodium(); !s) return s.error();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return base::MakeError(ErrorCode::kIo,
                           "cannot open the notify key file " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
    ::close(fd);
    return base::MakeError(ErrorCode::kPermissionDenied,
                           "the notify key file " + path +
                               " must be a regular file readable by its owner only (0400)");
  }
  char buf[kFileBytes + 1];
  ssize_t n = 0;
  std::size_t got = 0;
  while (got < sizeof buf && (n = ::read(fd, buf + got, sizeof buf - got)) > 0) {
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  std::string_view text(buf, got);
  MacKey k;
  std::size_t bin_len = 0;
  if (n < 0 || got != kFileBytes || text.substr(0, kHeader.size()) != kHeader ||
      text.back() != '\n' ||
      sodium_hex2bin(k.key_.data(), kBytes, buf + kHeader.size(), 2 * kBytes, nullptr, &bin_len,
                     nullptr) != 0 ||
      bin_len != kBytes) {
    sodium_memzero(buf, sizeof buf);
    return base::MakeError(ErrorCode::kMalformed, "the notify key file " + path + " is not one");
  }
  sodium_memzero(buf, sizeof buf);
  return k;
}

base::Status MacKey::Save(const std::string& path) const {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0400);
  if (fd < 0) {
    return base::MakeError(
        errno == EEXIST ? ErrorCode::kAlreadyExists : ErrorCode::kIo,
        "cannot create the notify key file " + path + ": " + std::strerror(errno));
  }
  char hex[2 * kBytes + 1];
  sodium_bin2hex(hex, sizeof hex, key_.data(), kBytes);
  std::string text(kHeader);
  text.append(hex, 2 * kBytes);
  text.push_back('\n');
  sodium_memzero(hex, sizeof hex);
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fchmod(fd, 0400) == 0 && ::fsync(fd) == 0;
  sodium_memzero(text.data(), text.size());
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return base::MakeError(ErrorCode::kIo, "cannot write the notify key file " + path);
  }
  return {};
}

std::array<std::uint8_t, MacKey::kMacBytes> MacKey::Mac(std::string_view domain,
                                                        std::string_view data) const {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key_.data(), key_.size());
  const auto len = static_cast<unsigned char>(domain.size());
  crypto_auth_hmacsha256_update(&st, &len, 1);
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(domain.data()),
                                domain.size() & 0xff);
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()),
                                data.size());
  std::array<std::uint8_t, kMacBytes> out{};
  crypto_auth_hmacsha256_final(&st, out.data());
  sodium_memzero(&st, sizeof st);
  return out;
}

bool MacKey::Verify(std::string_view domain, std::string_view data, std::string_view tag) const {
  if (tag.size() != kMacBytes) return false;
  const auto expected = Mac(domain, data);
  return sodium_memcmp(expected.data(), tag.data(), kMacBytes) == 0;
}

}  // namespace heartbase::notify
