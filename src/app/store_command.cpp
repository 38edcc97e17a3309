// `heartbase store verify`: every check store::Verify makes, on a stopped or running server's data
// directory, with a report that names damage by place (table, column, id), never by content.
#include <fmt/format.h>

#include <cstdio>

#include "app/commands.h"
#include "app/data_dir.h"
#include "store/verify.h"

namespace heartbase::app {

int RunStoreVerify(const StoreVerifyCommand& c) {
  const DataDirOptions o{.root = c.data, .key_file = c.key_file};
  auto opened = OpenDataDir(o);
  if (!opened) {
    std::fprintf(stderr, "heartbase: store verify: %s\nverdict: DAMAGED or unreadable\n",
                 opened.error().Describe().c_str());
    return 1;
  }
  auto report = store::Verify(*opened->db, *opened->keys, {.thorough = !c.quick});
  if (!report) {
    std::fprintf(stderr, "heartbase: store verify: %s\n", report.error().Describe().c_str());
    return 1;
  }
  std::printf("structure (%s): %s\n", c.quick ? "quick_check" : "integrity_check",
              report->structure_problems == 0
                  ? "ok"
                  : fmt::format("{} problem(s)", report->structure_problems).c_str());
  std::printf("sealed values: %lld authenticated under the key ring\n",
              static_cast<long long>(report->sealed_values));
  std::printf("blobs: %lld decrypted and matched to their content address\n",
              static_cast<long long>(report->blobs));
  std::printf("references: %lld dangling\n", static_cast<long long>(report->references));
  for (const store::Damage& d : report->damage) {
    std::printf("damaged: %s: %s\n", d.where.c_str(), d.what.c_str());
  }
  if (report->damage.size() >= store::kMaxListed) {
    std::printf("(only the first %zu problems are listed)\n", store::kMaxListed);
  }
  std::printf("verdict: %s\n", report->ok() ? "intact" : "DAMAGED (see docs/recovery.md)");
  return report->ok() ? 0 : 1;
}

}  // namespace heartbase::app
