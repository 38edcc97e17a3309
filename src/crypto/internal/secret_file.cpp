#include "crypto/internal/secret_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace heartbase::crypto::internal {

using base::ErrorCode;
using base::MakeError;

base::Result<std::string> ReadSecretFile(const std::string& path, std::string_view what,
                                         std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return MakeError(ErrorCode::kIo,
                     fmt::format("cannot open {} {}: {}", what, path, std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return MakeError(ErrorCode::kIo, fmt::format("{} {} is not a regular file", what, path));
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return MakeError(ErrorCode::kPermissionDenied,
                     fmt::format("{} {} is accessible to group or others (mode {:o}); "
                                 "it must be 0400 or 0600",
                                 what, path, st.st_mode & 0777));
  }
  if (st.st_size > static_cast<off_t>(max_bytes)) {
    ::close(fd);
    return MakeError(ErrorCode::kMalformed, fmt::format("{} {} is too large", what, path));
  }
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  const ssize_t got = ::read(fd, text.data(), text.size());
  ::close(fd);
  if (got != static_cast<ssize_t>(text.size())) {
    sodium_memzero(text.data(), text.size());
    return MakeError(ErrorCode::kIo, fmt::format("cannot read {} {}", what, path));
  }
  return text;
}

base::Status WriteSecretFile(const std::string& path, std::string_view text) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0400);
  if (fd < 0) {
    return MakeError(ErrorCode::kIo,
                     fmt::format("cannot create {}: {}", tmp, std::strerror(errno)));
  }
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(tmp.c_str());
    return MakeError(ErrorCode::kIo,
                     fmt::format("cannot write {}: {}", path, std::strerror(saved)));
  }
  // The rename is durable only once the directory entry is.
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

}  // namespace heartbase::crypto::internal
