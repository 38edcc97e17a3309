// Power-loss VFS: in-memory file images, written to disk whole on xSync.
#include "store/sqlite/testing/power_loss_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>

namespace heartbase::store::testing {
namespace {

struct State {
  std::map<std::string, std::shared_ptr<std::string>> images;
  bool dead = false;
  int syncs = 0;
  long long space = -1;  // bytes that may still be written, -1 = unlimited
  int failing_syncs = 0;
};
State& Global() {
  static State s;
  return s;
}

struct File {
  sqlite3_file base;
  std::shared_ptr<std::string> keep;  // the file's in-memory image (shared with the map)
  std::string* path;
};

std::shared_ptr<std::string> Load(const std::string& path, bool create, bool* exists) {
  std::ifstream in(path, std::ios::binary);
  *exists = static_cast<bool>(in);
  if (!*exists && !create) return nullptr;
  auto image = std::make_shared<std::string>();
  if (*exists) image->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return image;
}

int Close(sqlite3_file* f) {
  auto* file = reinterpret_cast<File*>(f);
  file->keep.reset();
  delete file->path;
  return SQLITE_OK;
}

int Read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  const std::string& image = *reinterpret_cast<File*>(f)->keep;
  const auto off = static_cast<std::size_t>(offset);
  const auto n = static_cast<std::size_t>(amount);
  std::size_t got = off < image.size() ? std::min(n, image.size() - off) : 0;
  if (got > 0) std::memcpy(out, image.data() + off, got);
  if (got < n) {
    std::memset(static_cast<char*>(out) + got, 0, n - got);
    return SQLITE_IOERR_SHORT_READ;
  }
  return SQLITE_OK;
}

int Write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  if (Global().dead) return SQLITE_OK;  // the power is off: the write goes nowhere
  std::string& image = *reinterpret_cast<File*>(f)->keep;
  const auto off = static_cast<std::size_t>(offset);
  const auto n = static_cast<std::size_t>(amount);
  if (Global().space >= 0) {
    if (Global().space < amount) return SQLITE_FULL;
    Global().space -= amount;
  }
  if (image.size() < off + n) image.resize(off + n, '\0');
  std::memcpy(image.data() + off, data, n);
  return SQLITE_OK;
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (Global().dead) return SQLITE_OK;
  reinterpret_cast<File*>(f)->keep->resize(static_cast<std::size_t>(size));
  return SQLITE_OK;
}

int Sync(sqlite3_file* f, int) {
  if (Global().dead) return SQLITE_OK;
  if (Global().failing_syncs > 0) {
    --Global().failing_syncs;
    return SQLITE_IOERR_FSYNC;
  }
  auto* file = reinterpret_cast<File*>(f);
  const int fd = ::open(file->path->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return SQLITE_IOERR_FSYNC;
  const std::string& image = *file->keep;
  const bool ok = ::write(fd, image.data(), image.size()) == static_cast<ssize_t>(image.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  ++Global().syncs;
  return ok ? SQLITE_OK : SQLITE_IOERR_FSYNC;
}

int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  *size = static_cast<sqlite3_int64>(reinterpret_cast<File*>(f)->keep->size());
  return SQLITE_OK;
}

int Lock(sqlite3_file*, int) { return SQLITE_OK; }
int Unlock(sqlite3_file*, int) { return SQLITE_OK; }
int CheckReservedLock(sqlite3_file*, int* out) {
  *out = 0;
  return SQLITE_OK;
}
int FileControl(sqlite3_file*, int, void*) { return SQLITE_NOTFOUND; }
int SectorSize(sqlite3_file*) { return 4096; }
int DeviceCharacteristics(sqlite3_file*) { return 0; }

const sqlite3_io_methods kMethods = {1,
                                     Close,
                                     Read,
                                     Write,
                                     Truncate,
                                     Sync,
                                     FileSize,
                                     Lock,
                                     Unlock,
                                     CheckReservedLock,
                                     FileControl,
                                     SectorSize,
                                     DeviceCharacteristics,
                                     nullptr,
                                     nullptr,
                                     nullptr,
                                     nullptr,
                                     nullptr,
                                     nullptr};

int Open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  auto* file = reinterpret_cast<File*>(f);
  static int anonymous = 0;
  const std::string path = name ? name : "/tmp/hb-power-loss-temp-" + std::to_string(anonymous++);
  auto& images = Global().images;
  auto it = images.find(path);
  if (it == images.end()) {
    bool exists = false;
    auto image = Load(path, (flags & SQLITE_OPEN_CREATE) != 0, &exists);
    if (!image) return SQLITE_CANTOPEN;
    if (!exists) {
      // Creating a file is a directory operation; treat it as durable, with no content yet.
      const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
      if (fd >= 0) ::close(fd);
    }
    it = images.emplace(path, image).first;
  }
  file->base.pMethods = nullptr;
  new (&file->keep) std::shared_ptr<std::string>(it->second);
  file->path = new std::string(path);
  file->base.pMethods = &kMethods;
  if (out_flags) *out_flags = flags;
  return SQLITE_OK;
}

int Delete(sqlite3_vfs*, const char* name, int) {
  if (Global().dead) return SQLITE_OK;  // no power, no unlink
  Global().images.erase(name);
  ::unlink(name);
  return SQLITE_OK;
}

int Access(sqlite3_vfs*, const char* name, int, int* out) {
  *out = Global().images.count(name) > 0 || ::access(name, F_OK) == 0;
  return SQLITE_OK;
}

int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  std::snprintf(out, static_cast<std::size_t>(n), "%s", name);
  return SQLITE_OK;
}

int Randomness(sqlite3_vfs*, int n, char* out) {
  return sqlite3_vfs_find(nullptr)->xRandomness(sqlite3_vfs_find(nullptr), n, out);
}
int Sleep(sqlite3_vfs*, int us) {
  return sqlite3_vfs_find(nullptr)->xSleep(sqlite3_vfs_find(nullptr), us);
}
int CurrentTime(sqlite3_vfs*, double* t) {
  return sqlite3_vfs_find(nullptr)->xCurrentTime(sqlite3_vfs_find(nullptr), t);
}

}  // namespace

void RegisterPowerLossVfs() {
  static sqlite3_vfs vfs = {1,
                            static_cast<int>(sizeof(File)),
                            512,
                            nullptr,
                            kPowerLossVfs,
                            nullptr,
                            Open,
                            Delete,
                            Access,
                            FullPathname,
                            nullptr,
                            nullptr,
                            nullptr,
                            nullptr,
                            Randomness,
                            Sleep,
                            CurrentTime,
                            nullptr};
  if (sqlite3_vfs_find(kPowerLossVfs) == nullptr) sqlite3_vfs_register(&vfs, 0);
}

void PowerLoss() { Global().dead = true; }

void ResetPowerLossVfs() {
  Global().images.clear();
  Global().dead = false;
  Global().syncs = 0;
  Global().space = -1;
  Global().failing_syncs = 0;
}

void SetDiskSpace(long long bytes) { Global().space = bytes; }
void FailNextSyncs(int count) { Global().failing_syncs = count; }

int PowerLossSyncCount() { return Global().syncs; }

}  // namespace heartbase::store::testing
