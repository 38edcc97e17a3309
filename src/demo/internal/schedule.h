// ScheduleSessions: the follow-up calendar of a planned patient — implant, in-clinic visits about
// yearly, remote follow-ups about every 91 days and device-initiated alert transmissions.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "demo/internal/plan.h"
#include "demo/internal/random.h"

namespace heartbase::demo::internal {

// Index of the device implanted on `day`, or -1.
inline int DeviceOn(const PatientPlan& p, std::int64_t day) {
  for (std::size_t i = 0; i < p.devices.size(); ++i) {
    if (p.devices[i].implant_day <= day && day < p.devices[i].end_day) return static_cast<int>(i);
  }
  return -1;
}

// Fills p->sessions (strictly increasing times, all inside the window) from the plan's devices
// and events. Remote transmissions arrive at night, visits in office hours.
inline void ScheduleSessions(PatientPlan* p, const Window& w, Random& r) {
  std::vector<Session> s;
  const auto daytime = [&r] { return r.Int(8 * 3600, 17 * 3600 - 1); };
  const auto night = [&r] { return r.Int(1800, 5 * 3600 + 1800); };
  const auto add = [&](std::int64_t day, std::int64_t second, SessionKind kind) {
    const int device = DeviceOn(*p, day);
    if (day < w.first_day || day > w.last_day || device < 0) return;
    s.push_back(Session{day * kSecondsPerDay + second, kind, device});
  };
  for (const Device& d : p->devices) {
    const std::int64_t end = std::min(d.end_day, w.last_day + 1);
    add(d.implant_day, daytime(), SessionKind::kImplant);
    if (d.type() != DeviceType::kLoopRecorder) {
      add(d.implant_day + r.Int(42, 90), daytime(), SessionKind::kInClinic);  // first check
      for (std::int64_t k = 1;; ++k) {
        const std::int64_t day = d.implant_day + 365 * k + r.Int(-20, 20);
        if (day >= end) break;
        add(day, daytime(), SessionKind::kInClinic);
      }
    }
    for (std::int64_t k = 1;; ++k) {
      const std::int64_t day = d.implant_day + 91 * k + r.Int(-4, 4);
      if (day >= end) break;
      add(day, night(), SessionKind::kRemoteScheduled);
    }
    if (d.rrt_day() < end) add(d.rrt_day() + r.Int(1, 5), night(), SessionKind::kDeviceInitiated);
  }
  // Events the device reports on its own, and the visit of a lead revision.
  for (const Episode& e : p->episodes) {
    if (e.shocks == 0) continue;
    const std::int64_t t = e.t + r.Int(600, 5400);
    add(DayOf(t), t - DayOf(t) * kSecondsPerDay, SessionKind::kDeviceInitiated);
  }
  if (p->fracture_day != kNever) add(p->fracture_day + 1, night(), SessionKind::kDeviceInitiated);
  for (const Lead& l : p->leads) {
    if (l.fractures && l.end_day != kNever) add(l.end_day, daytime(), SessionKind::kInClinic);
  }
  if (p->af_onset != kNever) add(p->af_onset + r.Int(1, 7), night(), SessionKind::kDeviceInitiated);
  const bool icm = p->type() == DeviceType::kLoopRecorder;
  for (int year = 0; year < w.years; ++year) {  // sporadic alerts (ICMs report many)
    if (r.Percent(icm ? 60 : 10)) {
      add(w.first_day + 365 * year + r.Int(0, 364), night(), SessionKind::kDeviceInitiated);
    }
  }

  std::stable_sort(s.begin(), s.end(), [](const Session& a, const Session& b) {
    return a.t != b.t ? a.t < b.t : a.kind < b.kind;
  });
  // A scheduled remote is skipped within 10 days of a visit or on the day of an alert; two
  // alerts, or an alert after a visit, on the same day are one transmission.
  const auto skip_remote = [&s](std::size_t i) {
    const std::int64_t day = DayOf(s[i].t);
    for (std::size_t j = i; j-- > 0 && day - DayOf(s[j].t) <= 10;) {
      if (s[j].kind != SessionKind::kRemoteScheduled &&
          (s[j].kind != SessionKind::kDeviceInitiated || DayOf(s[j].t) == day)) {
        return true;
      }
    }
    for (std::size_t j = i + 1; j < s.size() && DayOf(s[j].t) - day <= 10; ++j) {
      if (s[j].kind != SessionKind::kRemoteScheduled &&
          (s[j].kind != SessionKind::kDeviceInitiated || DayOf(s[j].t) == day)) {
        return true;
      }
    }
    return false;
  };
  std::vector<Session> kept;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i].kind == SessionKind::kRemoteScheduled && skip_remote(i)) continue;
    if (s[i].kind == SessionKind::kDeviceInitiated && !kept.empty() &&
        DayOf(kept.back().t) == DayOf(s[i].t)) {
      continue;
    }
    kept.push_back(s[i]);
  }
  for (std::size_t i = 1; i < kept.size(); ++i) {
    if (kept[i].t <= kept[i - 1].t) kept[i].t = kept[i - 1].t + 60;
  }
  p->sessions = std::move(kept);
}

}  // namespace heartbase::demo::internal
