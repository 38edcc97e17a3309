// Fuzz target: a backup file of any bytes is refused with an error or read within its limits,
// never a crash, a read beyond the file or an allocation its length fields ask for. The bytes are
// a memory file, read through its /proc path as `backup verify` reads a file.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "backup/file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = memfd_create("backup", MFD_CLOEXEC);
  if (fd < 0) return 0;
  std::size_t written = 0;
  while (written < size) {
    const ssize_t n = ::write(fd, data + written, size - written);
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  auto info = heartbase::backup::ReadBackupHeader(path);
  if (info) (void)heartbase::backup::CheckBackupHash(path, *info);
  ::close(fd);
  return 0;
}
