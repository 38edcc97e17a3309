// Shadow-mode cost over a stored history (issue 6, Performance): the built-in rule set against a
// proposed one with changed thresholds, over every interrogation of a data directory (bench/api
// builds one of 1,000,000). In the same run, the floor for any evaluation that has to look at every
// stored value: one full scan of the trend table. Prints one JSON line: interrogations, seconds,
// µs per interrogation, the scan's seconds and the ratio, the per-rule counts and peak RSS.
// Usage: shadow_bench DATA_DIR
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include "rules/rule_set.h"
#include "rules/shadow.h"
#include "store/database.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_database.h"

namespace {

using namespace heartbase;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Thresholds a clinic might try: a lower longevity alert, a tighter impedance window, a lower AF
// burden limit and the strict BiV target.
constexpr std::string_view kProposed = R"(
[rules.lead_impedance_range]
min_ohm = 300
max_ohm = 1200

[rules.af_burden]
max_percent = 5

[rules.low_biv_pacing]
min_percent = 98
)";

int Fail(const std::string& what) {
  std::fprintf(stderr, "shadow_bench: %s\n", what.c_str());
  return 1;
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

int Run(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: shadow_bench DATA_DIR\n");
    return 2;
  }
  const std::string db_path = (fs::path(argv[1]) / "heartbase.db").string();
  std::error_code ec;
  if (!fs::exists(db_path, ec)) return Fail(fmt::format("no database at {}", db_path));
  auto db = store::OpenSqlite({.path = db_path});
  if (!db) return Fail(db.error().message);
  if (auto v = store::Migrate(**db, store::SqliteMigrations(), false); !v) {
    return Fail(v.error().message);
  }
  auto live = rules::ParseRuleSet("");
  auto proposed = rules::ParseRuleSet(kProposed);
  if (!live || !proposed) return Fail("rule sets do not parse");

  double scan_s = 0, shadow_s = 0;
  std::int64_t rows = 0;
  rules::ShadowReport report;
  auto s = store::RunUnitOfWork(**db, store::Access::kRead, [&](store::Transaction& tx) {
    // Floor: every trended value read once (the first pass also warms the page cache).
    for (int pass = 0; pass < 2; ++pass) {
      const auto t0 = Clock::now();
      auto r = tx.Query("SELECT count(*), total(value_num) FROM trend");
      if (!r) return base::Status(r.error());
      rows = r->front().Int(0);
      scan_s = Seconds(t0);
    }
    const auto t0 = Clock::now();
    auto shadow = rules::RunShadow(tx, *live, *proposed, {.max_interrogations = 10'000'000});
    if (!shadow) return base::Status(shadow.error());
    shadow_s = Seconds(t0);
    report = std::move(*shadow);
    return base::Status{};
  });
  if (!s) return Fail(s.error().message);

  std::string per_rule;
  for (const rules::RuleDiff& d : report.rules) {
    if (!per_rule.empty()) per_rule += ',';
    per_rule += fmt::format(R"("{}":{{"live":{},"proposed":{},"flagged":{},"hidden":{}}})", d.rule,
                            d.live, d.proposed, d.flagged_count, d.hidden_count);
  }
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const double n = static_cast<double>(std::max<std::int64_t>(report.interrogations, 1));
  std::printf(
      "{\"interrogations\":%lld,\"truncated\":%s,\"shadow_seconds\":%.2f,"
      "\"us_per_interrogation\":%.1f,\"trend_rows\":%lld,\"trend_scan_seconds\":%.2f,"
      "\"shadow_over_scan\":%.1f,\"peak_rss_mb\":%.1f,\"rules\":{%s}}\n",
      static_cast<long long>(report.interrogations), report.truncated ? "true" : "false", shadow_s,
      shadow_s * 1e6 / n, static_cast<long long>(rows), scan_s,
      scan_s > 0 ? shadow_s / scan_s : 0.0, static_cast<double>(usage.ru_maxrss) / 1024.0,
      per_rule.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "shadow_bench: %s\n", e.what());
    return 1;
  }
}
