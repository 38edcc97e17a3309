// `heartbase key rotate`: a new data key, saved atomically first, then every sealed value
// re-sealed under it in small transactions. `--resume` continues an interrupted rotation.
// Run it with the server stopped: a running server holds the previous key ring in memory.
#include <cstdio>

#include "app/commands.h"
#include "app/data_dir.h"
#include "crypto/key_check.h"
#include "store/rekey.h"

namespace heartbase::app {

int RunKeyRotate(const KeyRotateCommand& command) {
  DataDirOptions o{.root = command.data, .key_file = command.key_file};
  auto opened = OpenDataDir(o);
  if (!opened) {
    std::fprintf(stderr, "heartbase: key rotate: %s\n", opened.error().Describe().c_str());
    return 1;
  }
  crypto::KeyRing& keys = *opened->keys;
  if (!command.resume) {
    keys.AddDataKey();
    // The ring with the new key is durable before any value is sealed with it.
    if (auto s = keys.Save(KeyFilePath(o)); !s) {
      std::fprintf(stderr, "heartbase: key rotate: %s\n", s.error().Describe().c_str());
      return 1;
    }
    // Recorded before anything is sealed under the new key, so that the ring without it is
    // refused from now on. Should this fail, the next opening records it (see OpenDataDir).
    if (auto s = RecordKeyCheck(o, keys); !s) {
      std::fprintf(stderr, "heartbase: key rotate: %s; run again with --resume\n",
                   s.error().Describe().c_str());
      return 1;
    }
    std::printf("data key %u is now active; key ring fingerprint %s\n", keys.active_key_id(),
                crypto::Fingerprint(keys.Check()).c_str());
  }
  auto done = store::Rekey(*opened->db, keys, 500, [](const store::RekeyProgress& p) {
    std::fprintf(stderr, "\rre-sealed %lld of %lld values examined",
                 static_cast<long long>(p.resealed), static_cast<long long>(p.examined));
  });
  std::fputc('\n', stderr);
  if (!done) {
    std::fprintf(stderr, "heartbase: key rotate: %s; run again with --resume\n",
                 done.error().Describe().c_str());
    return 1;
  }
  auto stale = store::CountStale(*opened->db, keys);
  std::printf("re-sealed %lld values; %lld left under older keys\n",
              static_cast<long long>(done->resealed), static_cast<long long>(stale ? *stale : -1));
  return stale && *stale == 0 ? 0 : 1;
}

}  // namespace heartbase::app
