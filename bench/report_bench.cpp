// Report rendering (issue 18, Performance): a patient followed for 10 years (40 quarterly remote
// sessions: battery, three leads' impedance, threshold and sensing, AT/AF burden, pacing, 30
// programmed parameters), the last session carrying 40 episodes. In the same run, against the same
// database: the time to produce a draft (read, re-map both messages, render, seal), the time to
// serve the stored signed report (read and decrypt the blob), and the store work of one chart
// request (the five trend series the chart draws, read as GET /patients/{id}/trends reads them).
// Prints one JSON line with the medians, the PDF's size and the ratios, and peak RSS.
// Usage: report_bench [ROUNDS]   (release preset; bench/report runs it)
#include <fmt/format.h>
#include <sodium.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "crypto/signing_key.h"
#include "ingest/pipeline.h"
#include "ingest/readback.h"
#include "report/service.h"
#include "store/interrogations.h"
#include "store/migrations.h"
#include "store/review.h"
#include "store/sqlite/sqlite_database.h"

namespace {

using namespace heartbase;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kSessions = 40;
constexpr int kEpisodes = 40;

std::string Session(int n, std::int64_t day) {
  // 2016-01-01 plus `day` days, at 10:00 UTC.
  const std::int64_t t = 1'451'606'400 + day * 86'400 + 36'000;
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  const std::string when =
      fmt::format("{:04}{:02}{:02}100000+0000", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  std::string m = fmt::format(
      "MSH|^~\\&|CARELINK|MDT|||{0}||ORU^R01^ORU_R01|BENCH{1:03}|P|2.6|||AL|NE\r"
      "PID|||model:DTBA1D1/serial:BENCH0001S^^^MDT^U~MRN0001^^^HOSP^MR||Bench^Patient||"
      "19480312|F\r"
      "OBR|1||S-{1:03}|754053^MDC_IDC_ENUM_SESS_TYPE_RemoteScheduled^MDC|||{0}||||||||||||||||||"
      "F\r",
      when, n);
  int obx = 0;
  auto add = [&](std::string_view type, std::string_view term, std::string_view sub,
                 std::string_view value, std::string_view unit) {
    m += fmt::format("OBX|{}|{}|{}|{}|{}|{}\r", ++obx, type, term, sub, value, unit);
  };
  add("CWE", "720897^MDC_IDC_DEV_TYPE^MDC", "", "753669^MDC_IDC_ENUM_DEV_TYPE_CRT_D^MDC", "");
  add("NM", "721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC", "", fmt::format("{:.2f}", 3.2 - n * 0.01),
      "V");
  add("NM", "721408^MDC_IDC_MSMT_CAP_CHARGE_TIME^MDC", "", fmt::format("{:.1f}", 8 + n * 0.05),
      "s");
  const char* chambers[] = {"RA", "RV", "LV"};
  for (const char* c : chambers) {
    add("NM", fmt::format("^MDC_IDC_MSMT_LEADCHNL_{}_IMPEDANCE_VALUE^MDC", c), "",
        fmt::format("{}", 480 + (n * 7) % 60), "Ohm");
    add("NM", fmt::format("^MDC_IDC_MSMT_LEADCHNL_{}_PACING_THRESHOLD_AMPLITUDE^MDC", c), "",
        fmt::format("{:.2f}", 0.5 + (n % 5) * 0.125), "V");
    add("NM", fmt::format("^MDC_IDC_MSMT_LEADCHNL_{}_SENSING_INTR_AMPL^MDC", c), "",
        fmt::format("{:.1f}", 2.0 + (n % 7) * 0.5), "mV");
  }
  add("NM", "^MDC_IDC_STAT_ATAF_BURDEN_PERCENT^MDC", "", fmt::format("{:.1f}", (n % 9) * 0.7), "%");
  add("NM", "^MDC_IDC_STAT_BRADY_RV_PERCENT_PACED^MDC", "", fmt::format("{}", 90 + n % 10), "%");
  for (int s = 0; s < 30; ++s) {
    add("NM", fmt::format("^MDC_IDC_SET_BRADY_PARAMETER_{}^MDC", s), "",
        fmt::format("{}", 60 + s + (n == kSessions - 1 && s % 10 == 0 ? 5 : 0)), "ms");
  }
  if (n == kSessions - 1) {
    for (int e = 1; e <= kEpisodes; ++e) {
      const std::string sub = fmt::format("{}", e);
      add("ST", "739536^MDC_IDC_EPISODE_ID^MDC", sub, fmt::format("E{}", e), "");
      add("DTM", "739552^MDC_IDC_EPISODE_DTM^MDC", sub, when, "");
      add("CWE", "739568^MDC_IDC_EPISODE_TYPE^MDC", sub,
          "754882^MDC_IDC_ENUM_EPISODE_TYPE_Epis_VT^MDC", "");
      add("NM", "739712^MDC_IDC_EPISODE_DURATION^MDC", sub, fmt::format("{}", 10 + e), "s");
      add("CWE", "739696^MDC_IDC_EPISODE_THERAPY_RESULT^MDC", sub, "^Terminated^MDC", "");
    }
  }
  return m;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <typename F>
double TimeMs(F&& f) {
  const auto t0 = Clock::now();
  f();
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "report_bench: %s\n", what.c_str());
  return 1;
}

int Run(int rounds) {
  if (sodium_init() < 0) return Fail("libsodium");
  const fs::path dir = fs::temp_directory_path() / fmt::format("hb-report-bench-{}", ::getpid());
  fs::create_directories(dir);
  struct Cleanup {
    fs::path dir;
    ~Cleanup() { fs::remove_all(dir); }
  } cleanup{dir};
  auto db = store::OpenSqlite({.path = (dir / "heartbase.db").string(), .create = true});
  if (!db) return Fail(db.error().Describe());
  if (!store::Migrate(**db, store::SqliteMigrations(), false)) return Fail("migrate");
  auto keys = crypto::KeyRing::Generate();
  auto signing = crypto::SigningKey::Generate();
  if (!keys || !signing) return Fail("keys");
  std::int64_t last = 0;
  {
    ingest::Pipeline pipeline(**db, *keys);
    for (int n = 0; n < kSessions; ++n) {
      auto out = pipeline.Ingest(Session(n, n * 91), "bench");
      if (!out) return Fail(out.error().Describe());
      if (out->disposition != ingest::Disposition::kStored) return Fail("not stored");
      last = out->id;
    }
  }
  const report::ReportServices services{
      .db = **db,
      .keys = *keys,
      .signing_key = *signing,
      .parse = [](std::string_view raw) { return ingest::MapStored(raw); },
      .mapping_version = std::string(ingest::kMappingVersion),
      .write =
          [&db](const std::function<base::Status(store::Transaction&)>& work) {
            return store::RunUnitOfWork(**db, store::Access::kWrite, work);
          }};
  // The chart's store work: the trend series it draws.
  std::vector<std::uint32_t> terms;
  {
    auto tx = (*db)->Begin(store::Access::kRead);
    for (const auto& r : *(*tx)->Query("SELECT DISTINCT code FROM trend LIMIT 5")) {
      terms.push_back(static_cast<std::uint32_t>(r.Int(0)));
    }
  }
  std::vector<double> draft_ms, stored_ms, chart_ms;
  std::size_t draft_bytes = 0, pages_hint = 0;
  for (int r = 0; r < rounds + 1; ++r) {  // the first round warms fonts and caches
    std::size_t bytes = 0;
    const double d = TimeMs([&] {
      auto p = report::RenderSealed(services, last, {.now_us = 1});
      if (p) bytes = p->pdf.size();
    });
    const double c = TimeMs([&] {
      auto tx = (*db)->Begin(store::Access::kRead);
      for (std::uint32_t t : terms) (void)store::ReadTrend(**tx, 1, t, INT64_MIN, INT64_MAX);
    });
    if (r == 0) continue;
    draft_ms.push_back(d);
    chart_ms.push_back(c);
    draft_bytes = bytes;
  }
  // Sign it off (a physician row for the foreign key) and store the signed report once.
  auto s = store::RunUnitOfWork(**db, store::Access::kWrite, [&](store::Transaction& tx) {
    auto u = tx.Execute(
        "INSERT INTO app_user (id, name, display_name, role, created_us, updated_us) "
        "VALUES (1, 'doc', 'Doc', 'physician', 0, 0)");
    if (!u) return base::Status(u.error());
    return store::SignOff(tx, *keys, last, 1, "No action needed", 2);
  });
  if (!s) return Fail(s.error().Describe());
  auto stored = report::Produce(services, last, {.now_us = 3});
  if (!stored || stored->draft) return Fail("the signed report was not stored");
  for (int r = 0; r < rounds; ++r) {
    stored_ms.push_back(TimeMs([&] { (void)report::Produce(services, last, {.now_us = 4}); }));
  }
  (void)pages_hint;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double draft = Median(draft_ms), serve = Median(stored_ms), chart = Median(chart_ms);
  std::printf(
      "{\"bench\":\"report\",\"sessions\":%d,\"episodes\":%d,\"rounds\":%d,"
      "\"draft_ms\":%.2f,\"draft_kb\":%.1f,\"signed_kb\":%.1f,\"serve_stored_ms\":%.3f,"
      "\"chart_store_ms\":%.3f,\"draft_vs_target_100ms\":%.2f,\"draft_over_serve_stored\":%.1f,"
      "\"draft_over_chart_store\":%.1f,\"peak_rss_mb\":%.1f}\n",
      kSessions, kEpisodes, rounds, draft, draft_bytes / 1024.0, stored->pdf.size() / 1024.0, serve,
      chart, draft / 100.0, draft / serve, draft / chart, usage.ru_maxrss / 1024.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds =
      argc > 1 ? std::max(1, static_cast<int>(std::strtol(argv[1], nullptr, 10))) : 15;
  return Run(rounds);
}
