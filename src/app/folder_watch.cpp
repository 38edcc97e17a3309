// Drop-folder scanning. Polling rather than inotify: it also works on network shares, where
// exports usually land, and a file is judged complete by being stable across two scans anyway.
#include "app/folder_watch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string_view>
#include <vector>

#include "app/file_import.h"
#include "base/log.h"

namespace heartbase::app {
namespace {

namespace fs = std::filesystem;

// Moves `from` into `to_dir` under its own name, or name.1, name.2 … if taken. rename(2) within
// one file system is atomic: the file is in exactly one place at every moment.
bool MoveInto(const fs::path& from, const fs::path& to_dir) {
  const std::string name = from.filename().string();
  for (int n = 0; n < 10000; ++n) {
    const fs::path target = to_dir / (n == 0 ? name : name + "." + std::to_string(n));
    struct stat st {};
    if (::lstat(target.c_str(), &st) == 0) continue;
    return ::rename(from.c_str(), target.c_str()) == 0;
  }
  return false;
}

// Reads a regular file without following a symbolic link; false if it cannot.
bool ReadFile(const fs::path& path, std::uint64_t limit, std::string* out, bool* too_large) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (ok && static_cast<std::uint64_t>(st.st_size) > limit) {
    *too_large = true;
    ok = false;
  }
  if (ok) {
    out->resize(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (ok && done < out->size()) {
      const ssize_t n = ::read(fd, out->data() + done, out->size() - done);
      if (n <= 0) {
        ok = false;
      } else {
        done += static_cast<std::size_t>(n);
      }
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace

FolderWatch::FolderWatch(FolderWatchOptions options, ingest::Pipeline& pipeline)
    : options_(std::move(options)), pipeline_(pipeline) {}

base::Result<std::unique_ptr<FolderWatch>> FolderWatch::Start(FolderWatchOptions options,
                                                              ingest::Pipeline& pipeline) {
  std::error_code ec;
  if (!fs::is_directory(options.dir, ec)) {
    return base::MakeError(base::ErrorCode::kIo, "watched folder does not exist: " + options.dir);
  }
  for (const char* sub : {"done", "failed"}) {
    fs::create_directories(fs::path(options.dir) / sub, ec);
    if (ec) {
      return base::MakeError(base::ErrorCode::kIo,
                             "cannot create " + (fs::path(options.dir) / sub).string());
    }
  }
  std::unique_ptr<FolderWatch> w(new FolderWatch(std::move(options), pipeline));
  w->thread_ = std::thread([p = w.get()] { p->Loop(); });
  return w;
}

FolderWatch::~FolderWatch() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void FolderWatch::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    Scan();
    lock.lock();
    cv_.wait_for(lock, options_.interval, [this] { return stop_; });
  }
}

void FolderWatch::Scan() {
  const fs::path dir(options_.dir);
  std::map<std::string, Seen> now;
  std::vector<std::pair<fs::path, std::uint64_t>> ready;  // path, inode
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const fs::path& p = it->path();
    const std::string name = p.filename().string();
    if (name.empty() || name[0] == '.') continue;
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    const Seen s{static_cast<std::uintmax_t>(st.st_size),
                 static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
    now[name] = s;
    if (auto prev = seen_.find(name);
        prev != seen_.end() && prev->second.size == s.size && prev->second.mtime_ns == s.mtime_ns) {
      ready.emplace_back(p, static_cast<std::uint64_t>(st.st_ino));
    }
  }
  if (ec) base::log::Warn("watch.scan_failed", {{"reason", ec.message()}});
  seen_ = std::move(now);
  for (const auto& [path, inode] : ready) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    std::string bytes;
    bool too_large = false;
    if (!ReadFile(path, options_.max_file_bytes, &bytes, &too_large)) {
      const bool moved = MoveInto(path, dir / "failed");
      base::log::Warn("watch.file_failed", {{"inode", inode},
                                            {"reason", too_large ? "too large" : "unreadable"},
                                            {"moved", moved ? "failed/" : "no"}});
      continue;
    }
    const FileTally t =
        ImportFileBytes(pipeline_, bytes, "watch", options_.max_frame_bytes, options_.feed_of);
    if (t.failed > 0) {
      // Not stored: keep the file for the next scan.
      base::log::Error("watch.file_not_stored",
                       {{"inode", inode}, {"failed", t.failed}, {"reason", *t.last_failure}});
      seen_.erase(path.filename().string());
      continue;
    }
    const bool clean = t.quarantined == 0;
    const bool moved = MoveInto(path, dir / (clean ? "done" : "failed"));
    base::log::Write(clean ? base::log::Level::kInfo : base::log::Level::kWarn, "watch.file",
                     {{"inode", inode},
                      {"stored", t.stored},
                      {"duplicate", t.duplicate},
                      {"control_id_reused", t.control_id_reused},
                      {"quarantined", t.quarantined},
                      {"moved", moved ? (clean ? "done/" : "failed/") : "no"}});
  }
}

}  // namespace heartbase::app
