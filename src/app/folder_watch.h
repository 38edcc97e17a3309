// The watched drop folder (off by default): files placed in a folder are imported through the
// ingest pipeline and then moved to done/ or failed/ beside them — only after what they held is
// committed. For senders that can only write files (a programmer export share, a nightly job).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "app/file_import.h"
#include "base/result.h"
#include "ingest/pipeline.h"

namespace heartbase::app {

struct FolderWatchOptions {
  std::string dir;
  // How often the folder is scanned. A file is taken once its size and modification time were
  // the same on two scans in a row (a sender still writing it is left alone); names starting with
  // '.' are ignored, so a sender can also write to ".name" and rename when done.
  std::chrono::milliseconds interval{1000};
  std::uint64_t max_file_bytes = 256u << 20;  // larger files go to failed/ unread
  std::size_t max_frame_bytes = 32u << 20;
  FeedOf feed_of;  // the clinics each message's sender delivers for (app/feeds.h)
};

// Outcomes: every message stored or already stored → done/; anything quarantined, unreadable or
// too large → failed/ (the quarantine list in heartbase holds the reason and the bytes); the
// database unavailable → the file stays where it is and is tried again on a later scan. A name
// already taken in done/ or failed/ gets a numeric suffix. Only regular files directly in the
// folder are taken (no symbolic links, no subfolders). Logs carry no file names (they may name
// patients), only inode numbers.
class FolderWatch {
 public:
  // Creates done/ and failed/ if needed and starts the scanning thread. Fails with kIo if the
  // folder does not exist or the subfolders cannot be created.
  static base::Result<std::unique_ptr<FolderWatch>> Start(FolderWatchOptions options,
                                                          ingest::Pipeline& pipeline);
  ~FolderWatch();  // stops after the file in progress

  FolderWatch(const FolderWatch&) = delete;
  FolderWatch& operator=(const FolderWatch&) = delete;

 private:
  FolderWatch(FolderWatchOptions options, ingest::Pipeline& pipeline);
  void Loop();
  void Scan();

  struct Seen {
    std::uintmax_t size;
    std::int64_t mtime_ns;
  };
  FolderWatchOptions options_;
  ingest::Pipeline& pipeline_;
  std::map<std::string, Seen> seen_;  // scanning thread only
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace heartbase::app
