// Simulator: the clinical values one session reports (battery, lead channels, programmed
// settings, statistics, episodes), evolving along the patient's plan, as fixed-point integers.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "demo/internal/plan.h"
#include "demo/internal/random.h"
#include "demo/internal/schedule.h"

namespace heartbase::demo::internal {

// Fixed-point conventions: _cv = V/100, _dmv = mV/10, _cms = ms/100, _ds = s/10, _pm = ‰.
// A value of -1 means "not reported".
struct ChannelValues {
  Chamber chamber;
  int sensing_dmv = -1;
  int threshold_cv = 0;
  int pulse_width_cms = 40;
  int impedance = 0;
  bool check_lead = false;
  int amplitude_cv = 0;      // programmed
  int sensitivity_dmv = -1;  // programmed
};

struct EpisodeValues {
  int instance;
  std::string id;
  std::int64_t t;
  EpisodeKind kind;
  int duration_s, cycle_ms, atp, shocks;
};

struct CounterValues {
  EpisodeKind kind;
  int recent, total;
};

// Programmed settings and statistical baselines, fixed for the life of a device.
struct Settings {
  const EnumValue* mode = nullptr;
  int lower_rate = -1, max_tracking = -1, lvrv_delay = 0;
  int ra_amp_cv = 200, rv_amp_cv = 250, lv_amp_cv = 300, ra_sens_dmv = 5, rv_sens_dmv = 25;
  int vf_ms = 0, vt_ms = 0, shock_j = 0, atp_seqs = 0;
  int ra_paced = -1, rv_paced = -1, crt_pm = -1, rate_mean = 70;
};

struct SessionValues {
  std::int64_t previous_t = -1;
  std::vector<const Lead*> leads;       // OBX-4 lead instance = position + 1
  std::vector<ChannelValues> channels;  // one per lead, same order
  const EnumValue* battery_status = nullptr;
  int battery_cv = -1, longevity_mo = -1, charge_ds = -1, hv_impedance = -1;
  const Settings* settings = nullptr;
  bool statistics = false;  // false at implant: nothing recorded yet
  int ra_paced = -1, rv_paced = -1, crt_pm = -1, at_burden_pm = -1, mode_switches = -1;
  int rate_mean = -1, rate_min = -1, rate_max = -1;
  int shocks_recent = -1, shocks_total = -1, atp_recent = -1, atp_total = -1;
  std::vector<CounterValues> counters;
  std::vector<EpisodeValues> episodes;
};

// Not thread-safe. Sessions must be passed in the plan's order.
class Simulator {
 public:
  Simulator(const PatientPlan& plan, const Window& window)
      : p_(plan), w_(window), r_(plan.seed), states_(plan.devices.size()) {
    for (std::size_t i = 0; i < plan.devices.size(); ++i) {
      const Device& d = plan.devices[i];
      Random r(Mix(plan.seed, 0x5E7700 + i));
      Settings& s = states_[i].settings;
      const DeviceType t = d.type();
      s.rate_mean = r.Int32(60, 80);
      if (t == DeviceType::kPacemaker || IsCrt(t)) {
        s.mode = r.Percent(60) ? &kModeDddr : &kModeDdd;
        s.lower_rate = r.Percent(70) ? 60 : (r.Percent(50) ? 50 : 70);
        s.max_tracking = r.Percent(50) ? 120 : 130;
        s.ra_paced = r.Int32(10, 90);
        s.rv_paced = r.Int32(5, 99);
      } else if (t == DeviceType::kIcd) {
        s.mode = d.model->dual_chamber ? &kModeDdd : (r.Percent(80) ? &kModeVvi : &kModeVvir);
        s.lower_rate = d.model->dual_chamber ? 50 : 40;
        s.ra_paced = d.model->dual_chamber ? r.Int32(5, 40) : -1;
        s.rv_paced = r.Int32(0, 3);
      }
      s.ra_amp_cv = 50 * r.Int32(4, 5);
      s.rv_amp_cv = 50 * r.Int32(5, 7);
      s.lv_amp_cv = 50 * r.Int32(5, 7);
      s.ra_sens_dmv = r.Percent(50) ? 3 : 5;
      s.rv_sens_dmv = HasTachyTherapy(t) ? 3 : 25;
      if (IsCrt(t)) {
        s.crt_pm = r.Int32(930, 995);
        s.lvrv_delay = 10 * r.Int32(-2, 2);
      }
      if (HasTachyTherapy(t)) {
        s.vf_ms = 10 * r.Int32(30, 32);
        s.vt_ms = 10 * r.Int32(36, 40);
        s.shock_j = r.Percent(50) ? 35 : 40;
        s.atp_seqs = r.Int32(2, 3);
      }
      states_[i].shocks_total = d.base_shocks;
      states_[i].atp_total = d.base_atp;
      states_[i].totals[0] = d.base_vt;
      states_[i].serial = d.base_vt;
    }
  }

  SessionValues Next(const Session& s) {
    const Device& d = p_.devices[static_cast<std::size_t>(s.device)];
    DeviceState& st = states_[static_cast<std::size_t>(s.device)];
    const std::int64_t day = DayOf(s.t);
    SessionValues v;
    v.settings = &st.settings;
    v.previous_t = st.previous_t;
    Battery(d, day, &v);
    for (Chamber c : {Chamber::kRa, Chamber::kRv, Chamber::kLv}) {
      for (const Lead& l : p_.leads) {
        if (l.chamber == c && l.implant_day <= day && day < l.end_day) {
          v.leads.push_back(&l);
          v.channels.push_back(Channel(l, day, st.settings));
          if (l.defibrillation) v.hv_impedance = l.hv_impedance + r_.Int32(-3, 3);
        }
      }
    }
    v.statistics = s.kind != SessionKind::kImplant;
    if (v.statistics) Statistics(s, d, st, &v);
    st.previous_t = s.t;
    return v;
  }

 private:
  struct DeviceState {
    Settings settings;
    std::int64_t previous_t = -1;
    int shocks_total = 0, atp_total = 0, serial = 0;
    int totals[3] = {0, 0, 0};  // by EpisodeKind
  };

  void Battery(const Device& d, std::int64_t day, SessionValues* v) {
    const std::int64_t e = (day - d.implant_day) * 1000 / d.lifetime_days;  // ‰ of life to RRT
    std::int64_t cv;
    if (e <= 100) {
      cv = 320 - e * 15 / 100;
    } else if (e <= 1000) {
      cv = 305 - (e - 100) * 43 / 900;
    } else {
      cv = 262 - std::min<std::int64_t>((e - 1000) / 10, 10);
    }
    v->battery_status =
        e < 120 ? &kBatteryStatusBos : (e < 1000 ? &kBatteryStatusMos : &kBatteryStatusRrt);
    v->longevity_mo = static_cast<int>(std::max<std::int64_t>(0, (d.rrt_day() - day) * 100 / 3044));
    if (d.type() != DeviceType::kLoopRecorder)
      v->battery_cv = static_cast<int>(cv) + r_.Int32(-1, 1);
    if (HasTachyTherapy(d.type())) {
      v->charge_ds =
          70 + static_cast<int>(std::min<std::int64_t>(e, 1200) * 40 / 1000) + r_.Int32(-3, 3);
    }
  }

  ChannelValues Channel(const Lead& l, std::int64_t day, const Settings& s) {
    ChannelValues c{l.chamber};
    c.impedance = l.impedance + l.impedance * r_.Int32(-40, 40) / 1000;
    c.threshold_cv = std::max(50, l.threshold_cv + (r_.Percent(30) ? 25 * r_.Int32(-1, 1) : 0));
    c.sensing_dmv = l.sensing_dmv + l.sensing_dmv * r_.Int32(-100, 100) / 1000;
    if (l.fractures && day >= p_.fracture_day) {
      c.impedance = r_.Int32(2200, 3800);
      c.check_lead = true;
      c.sensing_dmv /= 3;
    } else if (l.fractures && day >= p_.drift_start) {
      c.impedance = std::min<int>(
          1900,
          c.impedance + static_cast<int>((day - p_.drift_start) * p_.drift_ohm_per_month / 30));
    }
    if (l.chamber == p_.threshold_chamber && day >= p_.threshold_start &&
        l.implant_day < p_.threshold_start) {
      const std::int64_t rise = (p_.threshold_target_cv - l.threshold_cv) *
                                (day - p_.threshold_start) /
                                std::max<std::int64_t>(1, w_.last_day - p_.threshold_start);
      c.threshold_cv = l.threshold_cv + static_cast<int>(rise / 25 * 25);
    }
    const bool lv = l.chamber == Chamber::kLv;
    c.pulse_width_cms = lv ? 50 : 40;
    if (lv) c.sensing_dmv = -1;
    const int programmed = l.chamber == Chamber::kRa ? s.ra_amp_cv : lv ? s.lv_amp_cv : s.rv_amp_cv;
    c.amplitude_cv = std::min(500, std::max(programmed, (2 * c.threshold_cv + 24) / 25 * 25));
    if (!lv) c.sensitivity_dmv = l.chamber == Chamber::kRa ? s.ra_sens_dmv : s.rv_sens_dmv;
    return c;
  }

  void Statistics(const Session& s, const Device& d, DeviceState& st, SessionValues* v) {
    const Settings& set = st.settings;
    const std::int64_t day = DayOf(s.t);
    const std::int64_t from =
        st.previous_t >= 0 ? st.previous_t
                           : std::max(d.implant_day * kSecondsPerDay, s.t - 91 * kSecondsPerDay);
    const bool atrial = d.type() == DeviceType::kLoopRecorder ||
                        std::any_of(v->leads.begin(), v->leads.end(),
                                    [](const Lead* l) { return l->chamber == Chamber::kRa; });
    std::vector<EpisodeValues> listed;
    int af_count = 0;
    if (atrial) {
      const bool af = day >= p_.af_onset;
      if (af) {
        const std::int64_t ramp = std::min<std::int64_t>(day - p_.af_onset, p_.af_ramp_days);
        v->at_burden_pm = std::max(
            1, static_cast<int>(p_.af_max_permille * ramp / p_.af_ramp_days) + r_.Int32(-5, 5));
        af_count = 1 + v->at_burden_pm / 20 + r_.Int32(0, 3);
      } else {
        af_count = r_.Percent(15) ? 1 : 0;
        v->at_burden_pm = af_count > 0 ? r_.Int32(1, 2) : 0;
      }
      const std::int64_t af_from = af ? std::max(from, p_.af_onset * kSecondsPerDay) : from;
      const std::int64_t lo = std::min(af_from + 1, s.t - 1), hi = std::max(lo, s.t - 60);
      for (int i = 0; i < std::min(af_count, 2); ++i) {
        listed.push_back(EpisodeValues{0,
                                       {},
                                       r_.Int(lo, hi),
                                       EpisodeKind::kAtAf,
                                       af ? r_.Int32(600, 6 * 3600) : r_.Int32(30, 600),
                                       0,
                                       0,
                                       0});
      }
      if (d.type() != DeviceType::kLoopRecorder)
        v->mode_switches = af_count + r_.Int32(0, af_count);
    }
    int vt_count = 0, vf_count = 0;
    v->shocks_recent = v->atp_recent = 0;
    for (const Episode& e : p_.episodes) {
      if (e.t <= from || e.t > s.t) continue;
      listed.push_back(
          EpisodeValues{0, {}, e.t, e.kind, e.duration_s, e.cycle_ms, e.atp, e.shocks});
      (e.kind == EpisodeKind::kVt ? vt_count : vf_count) += 1;
      v->shocks_recent += e.shocks, v->atp_recent += e.atp;
    }
    std::stable_sort(listed.begin(), listed.end(),
                     [](const EpisodeValues& a, const EpisodeValues& b) { return a.t < b.t; });
    st.serial += af_count - std::min(af_count, 2);  // unlisted episodes still take ids
    for (std::size_t i = 0; i < listed.size(); ++i) {
      listed[i].instance = static_cast<int>(i) + 1;
      listed[i].id = fmt::format("{}", ++st.serial);
    }
    v->episodes = std::move(listed);
    const int recent[3] = {vt_count, vf_count, af_count};
    for (int k = 0; k < 3; ++k) {
      st.totals[k] += recent[k];
      if (st.totals[k] > 0)
        v->counters.push_back({static_cast<EpisodeKind>(k), recent[k], st.totals[k]});
    }
    if (HasTachyTherapy(d.type())) {
      st.shocks_total += v->shocks_recent, st.atp_total += v->atp_recent;
      v->shocks_total = st.shocks_total;
      v->atp_total = st.atp_total;
    } else {
      v->shocks_recent = v->atp_recent = -1;
    }
    const int burden = std::max(0, v->at_burden_pm);
    if (set.ra_paced >= 0) v->ra_paced = std::clamp(set.ra_paced + r_.Int32(-5, 5), 0, 100);
    if (set.rv_paced >= 0) v->rv_paced = std::clamp(set.rv_paced + r_.Int32(-3, 3), 0, 100);
    if (set.crt_pm >= 0) {
      v->crt_pm = std::max(700, std::min(999, set.crt_pm + r_.Int32(-10, 4)) - burden / 3);
      v->rv_paced = v->crt_pm / 10;
    }
    v->rate_mean = set.rate_mean + r_.Int32(-4, 4) + burden / 40;
    v->rate_min = v->rate_mean - r_.Int32(10, 20);
    v->rate_max = v->rate_mean + r_.Int32(40, 70) + (burden > 0 ? burden / 10 : 0);
  }

  const PatientPlan& p_;
  Window w_;
  Random r_;
  std::vector<DeviceState> states_;
};

}  // namespace heartbase::demo::internal
