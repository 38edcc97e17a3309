// The backup file format. Every length read from a file is bounded by the file's size or a named
// limit before it is used, so a damaged or hostile file is refused without allocating for it.
#include "backup/file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <stdio.h>  // renameat2
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

namespace heartbase::backup {
namespace {

namespace fs = std::filesystem;
using base::ErrorCode;
using base::MakeError;

constexpr std::size_t kFixedBytes = 8 + 4 + 4 + 4 + 8 + 8 + 4;
constexpr std::size_t kChunk = 1 << 20;
constexpr std::array<std::string_view, 3> kFileNames = {"key-check", "report-signing.pub",
                                                        "tls/cert.pem"};

template <typename T>
void Put(std::string& out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out.push_back(static_cast<char>((static_cast<std::uint64_t>(value) >> (8 * i)) & 0xFF));
  }
}

// Reads little-endian integers from a header whose size was checked against the file.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : bytes_(bytes) {}
  template <typename T>
  bool Get(T& value) {
    if (bytes_.size() - at_ < sizeof(T)) return false;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes_[at_ + i])) << (8 * i);
    }
    at_ += sizeof(T);
    value = static_cast<T>(v);
    return true;
  }
  bool Take(std::size_t n, std::string& out) {
    if (bytes_.size() - at_ < n) return false;
    out.assign(bytes_.substr(at_, n));
    at_ += n;
    return true;
  }
  std::size_t remaining() const { return bytes_.size() - at_; }

 private:
  std::string_view bytes_;
  std::size_t at_ = 0;
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int Close() {
    const int rc = fd_ >= 0 ? ::close(fd_) : 0;
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

bool ReadFully(int fd, char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t got = ::read(fd, data, n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    data += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

bool WriteFully(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t put = ::write(fd, data, n);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return false;
    data += put;
    n -= static_cast<std::size_t>(put);
  }
  return true;
}

base::Error Malformed(const std::string& path, std::string_view what) {
  return MakeError(ErrorCode::kMalformed,
                   fmt::format("{} is not an intact heartbase backup: {}", path, what));
}

base::Status SyncDirectoryOf(const std::string& path) {
  const fs::path dir = fs::path(path).parent_path();
  Fd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
    return MakeError(ErrorCode::kIo, fmt::format("cannot sync the directory of {}", path));
  }
  return {};
}

std::string Hex(const unsigned char* bytes, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", bytes[i]);
  return out;
}

}  // namespace

std::span<const std::string_view> BackupFileNames() { return kFileNames; }

std::string EncodeBackupHeader(const BackupHeader& header) {
  std::string files;
  Put<std::uint32_t>(files, static_cast<std::uint32_t>(header.files.size()));
  for (const BackupFileEntry& f : header.files) {
    Put<std::uint16_t>(files, static_cast<std::uint16_t>(f.name.size()));
    files += f.name;
    Put<std::uint32_t>(files, static_cast<std::uint32_t>(f.content.size()));
    files += f.content;
  }
  std::string out(kBackupMagic);
  Put<std::uint32_t>(out, kBackupFormatVersion);
  Put<std::uint32_t>(out, static_cast<std::uint32_t>(kFixedBytes - 4 + files.size()));
  Put<std::uint32_t>(out, static_cast<std::uint32_t>(header.schema_version));
  Put<std::int64_t>(out, header.created_us);
  Put<std::uint64_t>(out, header.image_bytes);
  out += files;
  return out;
}

base::Result<BackupInfo> ReadBackupHeader(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return MakeError(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                     fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  }
  std::error_code ec;
  const std::uint64_t size = fs::file_size(path, ec);
  if (ec) return MakeError(ErrorCode::kIo, fmt::format("cannot read the size of {}", path));
  std::string fixed(kFixedBytes - 4, '\0');
  const std::size_t have = static_cast<std::size_t>(std::min<std::uint64_t>(size, fixed.size()));
  if (!ReadFully(fd.get(), fixed.data(), have)) {
    return MakeError(ErrorCode::kIo, fmt::format("cannot read {}", path));
  }
  if (have < kBackupMagic.size() || std::string_view(fixed).substr(0, 8) != kBackupMagic) {
    return Malformed(path, "it does not start with HBBACKUP");
  }
  if (size < kFixedBytes + kBackupHashBytes) {
    return Malformed(path, fmt::format("truncated ({} bytes, shorter than any backup)", size));
  }
  Cursor c(fixed);
  std::string magic;
  std::uint32_t version = 0;
  std::uint32_t header_bytes = 0;
  std::uint32_t schema = 0;
  BackupInfo info;
  c.Take(kBackupMagic.size(), magic);
  c.Get(version);
  if (version != kBackupFormatVersion) {
    return MakeError(ErrorCode::kUnsupported,
                     fmt::format("{}: backup format version {}; this heartbase reads version {} "
                                 "(a damaged file, or a backup made by a newer heartbase)",
                                 path, version, kBackupFormatVersion));
  }
  c.Get(header_bytes);
  c.Get(schema);
  c.Get(info.header.created_us);
  c.Get(info.header.image_bytes);
  if (header_bytes < kFixedBytes || header_bytes > kMaxBackupHeaderBytes ||
      header_bytes > size - kBackupHashBytes) {
    return Malformed(
        path, fmt::format("its header claims {} bytes (the file has {})", header_bytes, size));
  }
  if (info.header.image_bytes != size - kBackupHashBytes - header_bytes) {
    const std::uint64_t want = std::uint64_t{header_bytes} + kBackupHashBytes;
    const bool longer = info.header.image_bytes > size - want;
    return Malformed(
        path, fmt::format("{}: the header announces a {}-byte database image, the file has room "
                          "for {} bytes",
                          longer ? "truncated" : "extra bytes at the end", info.header.image_bytes,
                          size - want));
  }
  std::string rest(header_bytes - fixed.size(), '\0');
  if (!ReadFully(fd.get(), rest.data(), rest.size())) {
    return MakeError(ErrorCode::kIo, fmt::format("cannot read {}", path));
  }
  Cursor r(rest);
  std::uint32_t count = 0;
  r.Get(count);
  if (count > kMaxBackupFiles) return Malformed(path, fmt::format("{} files in the header", count));
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint16_t name_bytes = 0;
    std::uint32_t content_bytes = 0;
    BackupFileEntry f;
    if (!r.Get(name_bytes) || !r.Take(name_bytes, f.name) || !r.Get(content_bytes) ||
        content_bytes > kMaxBackupFileBytes || !r.Take(content_bytes, f.content)) {
      return Malformed(path, fmt::format("file {} of the header is cut short or too long", i + 1));
    }
    if (std::find(kFileNames.begin(), kFileNames.end(), f.name) == kFileNames.end()) {
      return Malformed(path, "the header names a file a backup never holds");
    }
    info.header.files.push_back(std::move(f));
  }
  if (r.remaining() != 0) return Malformed(path, "bytes left over in the header");
  info.header.schema_version = static_cast<int>(schema);
  info.header_bytes = header_bytes;
  info.file_bytes = size;
  return info;
}

base::Status CheckBackupHash(const std::string& path, const BackupInfo& info,
                             const std::string& image_out) {
  Fd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return MakeError(ErrorCode::kIo, fmt::format("cannot read {}", path));
  Fd out(image_out.empty()
             ? -1
             : ::open(image_out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!image_out.empty() && out.get() < 0) {
    return MakeError(errno == EEXIST ? ErrorCode::kAlreadyExists : ErrorCode::kIo,
                     fmt::format("cannot create {}: {}", image_out, std::strerror(errno)));
  }
  auto fail = [&](base::Error e) -> base::Status {
    if (out.get() >= 0) {
      out.Close();
      std::error_code ec;
      fs::remove(image_out, ec);
    }
    return e;
  };
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, kBackupHashBytes);
  std::unique_ptr<char[]> buffer(new char[kChunk]);
  std::uint64_t left = info.header_bytes + info.header.image_bytes;
  std::uint64_t header_left = info.header_bytes;
  while (left > 0) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, kChunk));
    if (!ReadFully(in.get(), buffer.get(), n)) {
      return fail(MakeError(ErrorCode::kIo, fmt::format("cannot read {}", path)));
    }
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(buffer.get()), n);
    const std::size_t skip = static_cast<std::size_t>(std::min<std::uint64_t>(header_left, n));
    header_left -= skip;
    if (out.get() >= 0 && !WriteFully(out.get(), buffer.get() + skip, n - skip)) {
      return fail(MakeError(ErrorCode::kIo, fmt::format("cannot write {}", image_out)));
    }
    left -= n;
  }
  std::array<unsigned char, kBackupHashBytes> computed{};
  std::array<unsigned char, kBackupHashBytes> stored{};
  crypto_generichash_final(&state, computed.data(), computed.size());
  if (!ReadFully(in.get(), reinterpret_cast<char*>(stored.data()), stored.size())) {
    return fail(MakeError(ErrorCode::kIo, fmt::format("cannot read {}", path)));
  }
  if (sodium_memcmp(computed.data(), stored.data(), computed.size()) != 0) {
    return fail(MakeError(ErrorCode::kDataLoss,
                          fmt::format("{} is not an intact heartbase backup: its BLAKE2b hash "
                                      "does not match its header and database image (the file "
                                      "was altered or damaged)",
                                      path)));
  }
  if (out.get() >= 0 && (::fsync(out.get()) != 0 || out.Close() != 0)) {
    return fail(MakeError(ErrorCode::kIo, fmt::format("cannot write {}", image_out)));
  }
  return {};
}

base::Status RenameNoReplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST) {
      return MakeError(ErrorCode::kAlreadyExists, fmt::format("{} already exists", to));
    }
    if (errno != EINVAL && errno != ENOSYS) {
      return MakeError(ErrorCode::kIo,
                       fmt::format("cannot rename {} to {}: {}", from, to, std::strerror(errno)));
    }
    // A file system without RENAME_NOREPLACE: a hard link fails as well if `to` exists.
    if (::link(from.c_str(), to.c_str()) != 0) {
      return MakeError(errno == EEXIST ? ErrorCode::kAlreadyExists : ErrorCode::kIo,
                       fmt::format("cannot rename {} to {}: {}", from, to, std::strerror(errno)));
    }
    ::unlink(from.c_str());
  }
  return SyncDirectoryOf(to);
}

base::Result<std::string> WriteBackupFile(const std::string& path, const BackupHeader& header,
                                          const std::string& image) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    return MakeError(ErrorCode::kAlreadyExists,
                     fmt::format("{} already exists; a backup never replaces a file", path));
  }
  const std::string tmp = path + ".partial";
  Fd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (out.get() < 0) {
    return MakeError(ErrorCode::kIo,
                     fmt::format("cannot create {}: {}", tmp, std::strerror(errno)));
  }
  auto fail = [&](base::Error e) -> base::Error {
    out.Close();
    fs::remove(tmp, ec);
    return e;
  };
  Fd in(::open(image.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return fail(MakeError(ErrorCode::kIo, fmt::format("cannot read {}", image)));
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, kBackupHashBytes);
  const std::string head = EncodeBackupHeader(header);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(head.data()),
                            head.size());
  if (!WriteFully(out.get(), head.data(), head.size())) {
    return fail(MakeError(ErrorCode::kIo, fmt::format("cannot write {}", tmp)));
  }
  std::unique_ptr<char[]> buffer(new char[kChunk]);
  for (std::uint64_t left = header.image_bytes; left > 0;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, kChunk));
    if (!ReadFully(in.get(), buffer.get(), n)) {
      return fail(MakeError(ErrorCode::kIo, fmt::format("cannot read {}", image)));
    }
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(buffer.get()), n);
    if (!WriteFully(out.get(), buffer.get(), n)) {
      return fail(MakeError(ErrorCode::kIo, fmt::format("cannot write {}", tmp)));
    }
    left -= n;
  }
  std::array<unsigned char, kBackupHashBytes> hash{};
  crypto_generichash_final(&state, hash.data(), hash.size());
  if (!WriteFully(out.get(), reinterpret_cast<const char*>(hash.data()), hash.size()) ||
      ::fsync(out.get()) != 0 || out.Close() != 0) {
    return fail(MakeError(ErrorCode::kIo, fmt::format("cannot write {}", tmp)));
  }
  if (auto s = RenameNoReplace(tmp, path); !s) return fail(s.error());
  return Hex(hash.data(), hash.size());
}

}  // namespace heartbase::backup
