// Scheduling and billing at scale (issue 23, Performance): 25,000 patients followed for one year
// (pacemakers, ICDs, CRT devices and loop recorders: scheduled remote transmissions, alert
// transmissions, a yearly in-clinic check; 80% signed by one of five physicians), written straight
// into a fresh store. In the same run, on the same database:
// - the follow-up work list (billing::BuildWorkList) against the floor of reading what it needs
//   (one aggregate over the interrogations: each patient's latest session);
// - a year's charges: the computation (billing::ComputeBilling) against the floor of reading the
//   rows it needs (store::ListBillingSessions, in the same pages), then the close job writing
//   every charge, and again (nothing to write).
// Prints one JSON line: medians, the ratios to the floors and to the targets (work list 1 s, a
// year's charges 10 s), counts and peak RSS.
// Usage: billing_bench [PATIENTS] [ROUNDS]   (release preset; bench/billing runs it)
#include <fmt/format.h>
#include <sodium.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "billing/service.h"
#include "store/charges.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_database.h"

namespace {

using namespace heartbase;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kDayUs = 86'400'000'000LL;
// 2025-12-01 00:00 UTC: the year runs to 2026-11-30; "now" is 2026-12-07.
constexpr std::int64_t kStartUs = 1'764'547'200'000'000LL;
constexpr std::int64_t kNowUs = kStartUs + 371 * kDayUs;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

long PeakRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

void Check(const base::Status& s, const char* what) {
  if (!s) {
    std::fprintf(stderr, "billing_bench: %s: %s\n", what, s.error().Describe().c_str());
    std::exit(1);
  }
}

// Patients, devices and interrogations with their review rows, in one transaction. Sealed columns
// hold random bytes: nothing here is ever decrypted.
std::int64_t Fill(store::Database& db, int patients) {
  std::int64_t interrogations = 0;
  Check(
      store::RunUnitOfWork(
          db, store::Access::kWrite,
          [&](store::Transaction& tx) -> base::Status {
            std::mt19937_64 rng(23);
            for (int u = 1; u <= 5; ++u) {
              const store::Param p[] = {{"id", std::int64_t{u}},
                                        {"name", fmt::format("doc{}", u)},
                                        {"display", fmt::format("Dr {}", u)}};
              if (auto r = tx.Execute(
                      "INSERT INTO app_user (id, name, display_name, role, created_us, updated_us) "
                      "VALUES (:id, :name, :display, 'physician', 0, 0)",
                      p);
                  !r) {
                return r.error();
              }
            }
            if (auto r = tx.Execute(
                    "INSERT INTO blob (id, lookup, kind, size, sealed, created_us) VALUES "
                    "(1, x'00', 'hl7', 1, x'00', 0)");
                !r) {
              return r.error();
            }
            static constexpr const char* kTypes[] = {
                "pacemaker", "pacemaker", "pacemaker", "icd",           "icd",
                "icd",       "crt-d",     "crt-p",     "loop-recorder", "loop-recorder"};
            std::int64_t id = 0;
            for (int p = 1; p <= patients; ++p) {
              const std::string type = kTypes[rng() % 10];
              const bool ilr = type == "loop-recorder";
              const store::Param pr[] = {{"id", std::int64_t{p}}};
              if (auto r = tx.Execute(
                      "INSERT INTO patient (id, unmatched, created_us, clinic_id) VALUES "
                      "(:id, 0, 0, 1)",
                      pr);
                  !r) {
                return r.error();
              }
              const store::Param dv[] = {{"id", std::int64_t{p}},
                                         {"type", type},
                                         {"lookup", store::Bytes{fmt::format("d{}", p)}}};
              if (auto r = tx.Execute(
                      "INSERT INTO device (id, patient_id, manufacturer, type, serial, lookup, "
                      "serial_lookup, first_seen_us, last_seen_us) VALUES (:id, :id, 'MDT', :type, "
                      ":lookup, :lookup, :lookup, 0, 0)",
                      dv);
                  !r) {
                return r.error();
              }
              // Scheduled transmissions every 91 (30) days from a random day, a few alert
              // transmissions, and a yearly in-clinic check.
              std::vector<std::pair<std::int64_t, const char*>> sessions;
              const int interval = ilr ? 30 : 91;
              for (std::int64_t day = static_cast<std::int64_t>(rng() % interval); day < 365;
                   day += interval) {
                sessions.emplace_back(day, "RemoteScheduled");
              }
              for (int a = static_cast<int>(rng() % 3); a > 0; --a) {
                sessions.emplace_back(static_cast<std::int64_t>(rng() % 365),
                                      "RemoteDeviceInitiated");
              }
              if (!ilr) sessions.emplace_back(static_cast<std::int64_t>(rng() % 365), "InClinic");
              for (const auto& [day, kind] : sessions) {
                ++id;
                const std::int64_t at = kStartUs + day * kDayUs + 36'000'000'000LL;
                const store::Param ir[] = {{"id", id},
                                           {"patient", std::int64_t{p}},
                                           {"control", fmt::format("C{}", id)},
                                           {"lookup", store::Bytes{fmt::format("s{}", id)}},
                                           {"type", std::string(kind)},
                                           {"at", at}};
                if (auto r = tx.Execute(
                        "INSERT INTO interrogation (id, patient_id, device_id, sender, control_id, "
                        "session_lookup, session_type, session_us, result_status, raw_blob_id, "
                        "received_us, observation_count, warning_count) VALUES (:id, :patient, "
                        ":patient, 'MDT|CARELINK', :control, :lookup, :type, :at, 'final', 1, "
                        ":at, 300, 0)",
                        ir);
                    !r) {
                  return r.error();
                }
                const bool signed_off = rng() % 10 < 8;
                const store::Param rr[] = {
                    {"id", id},
                    {"at", at},
                    {"state", std::string(signed_off ? "signed" : "new")},
                    {"by", signed_off ? store::Value(static_cast<std::int64_t>(1 + rng() % 5))
                                      : store::Value()},
                    {"signed", signed_off ? store::Value(at + 2 * kDayUs) : store::Value()}};
                if (auto r = tx.Execute(
                        "INSERT INTO interrogation_review (interrogation_id, state, received_us, "
                        "signed_by, signed_us) VALUES (:id, :state, :at, :by, :signed)",
                        rr);
                    !r) {
                  return r.error();
                }
              }
            }
            interrogations = id;
            return {};
          }),
      "fill");
  return interrogations;
}

template <typename F>
double Median(int rounds, F&& f) {
  std::vector<double> times;
  for (int i = 0; i < rounds; ++i) {
    const auto t0 = Clock::now();
    f();
    times.push_back(Seconds(Clock::now() - t0));
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int patients = argc > 1 ? std::atoi(argv[1]) : 25'000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  if (sodium_init() < 0 || patients < 1 || rounds < 1) return 1;
  const fs::path dir = fs::temp_directory_path() / fmt::format("hb-billing-bench-{}", getpid());
  fs::create_directories(dir);
  auto db = store::OpenSqlite({.path = (dir / "heartbase.db").string(), .create = true});
  if (!db) return 1;
  if (auto m = store::Migrate(**db, store::SqliteMigrations(), false); !m) {
    std::fprintf(stderr, "billing_bench: migrate: %s\n", m.error().Describe().c_str());
    return 1;
  }
  const auto fill0 = Clock::now();
  const std::int64_t interrogations = Fill(**db, patients);
  const double fill_s = Seconds(Clock::now() - fill0);
  const long rss_filled = PeakRssKb();

  // The work list, and its floor: one aggregate over the interrogations.
  std::size_t items = 0;
  std::int64_t total = 0;
  const auto read = [&](const std::function<base::Status(store::Transaction&)>& work) {
    Check(store::RunUnitOfWork(**db, store::Access::kRead, work), "read");
  };
  const double floor_list = Median(rounds, [&] {
    read([&](store::Transaction& tx) -> base::Status {
      auto rows = tx.Query(
          "SELECT patient_id, MAX(session_us) FROM interrogation WHERE superseded_by IS NULL "
          "GROUP BY patient_id");
      if (!rows) return rows.error();
      items = rows->size();
      return {};
    });
  });
  const double list_s = Median(rounds, [&] {
    read([&](store::Transaction& tx) -> base::Status {
      auto list = billing::BuildWorkList(tx, {.limit = 500}, kNowUs);
      if (!list) return list.error();
      items = list->items.size();
      total = list->total;
      return {};
    });
  });
  const long rss_list = PeakRssKb();

  // A year's charges: reading the rows, computing, writing them, and again.
  std::size_t sessions = 0, charges = 0, missed = 0;
  const double floor_charges = Median(rounds, [&] {
    // In the pages the computation reads (2,000 patients at a time).
    read([&](store::Transaction& tx) -> base::Status {
      sessions = 0;
      for (std::int64_t after = 0; after < patients; after += 2'000) {
        auto rows = store::ListBillingSessions(tx, {}, after, after + 2'000);
        if (!rows) return rows.error();
        sessions += rows->size();
      }
      return {};
    });
  });
  const double compute_s = Median(rounds, [&] {
    read([&](store::Transaction& tx) -> base::Status {
      auto run = billing::ComputeBilling(tx, billing::DefaultCodeTable(), {}, kNowUs);
      if (!run) return run.error();
      charges = run->charges.size();
      missed = run->missed.size();
      return {};
    });
  });
  const auto close0 = Clock::now();
  auto closed = billing::CloseCharges(**db, billing::DefaultCodeTable(), kNowUs);
  const double close_s = Seconds(Clock::now() - close0);
  if (!closed) return 1;
  const auto again0 = Clock::now();
  auto again = billing::CloseCharges(**db, billing::DefaultCodeTable(), kNowUs);
  const double again_s = Seconds(Clock::now() - again0);
  if (!again || again->created != 0) return 1;
  const long rss_end = PeakRssKb();
  fs::remove_all(dir);

  std::printf(
      "{\"bench\":\"billing\",\"patients\":%d,\"interrogations\":%lld,\"fill_s\":%.2f,"
      "\"worklist_s\":%.3f,\"worklist_floor_s\":%.3f,\"worklist_vs_floor\":%.2f,"
      "\"worklist_vs_target_1s\":%.3f,\"worklist_items\":%zu,\"worklist_total\":%lld,"
      "\"charges_compute_s\":%.3f,\"charges_floor_s\":%.3f,\"charges_vs_floor\":%.2f,"
      "\"close_s\":%.3f,\"close_vs_target_10s\":%.3f,\"close_again_s\":%.3f,\"charges\":%zu,"
      "\"written\":%lld,\"missed\":%zu,\"sessions\":%zu,\"peak_rss_mb\":{\"filled\":%.1f,"
      "\"worklist\":%.1f,\"end\":%.1f}}\n",
      patients, static_cast<long long>(interrogations), fill_s, list_s, floor_list,
      list_s / floor_list, list_s / 1.0, items, static_cast<long long>(total), compute_s,
      floor_charges, compute_s / floor_charges, close_s, close_s / 10.0, again_s, charges,
      static_cast<long long>(closed->created), missed, sessions,
      static_cast<double>(rss_filled) / 1024.0, static_cast<double>(rss_list) / 1024.0,
      static_cast<double>(rss_end) / 1024.0);
  return 0;
}
