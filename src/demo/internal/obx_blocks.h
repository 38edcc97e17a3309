// The OBX blocks of a session message by IDC term family (idco-hl7.md §5): device, leads,
// session, measurements, settings, statistics, episode counters and episodes.
#pragma once

#include <string>

#include "demo/internal/message_writer.h"
#include "demo/internal/session_values.h"

namespace heartbase::demo::internal {

// The written text of the values the facts line reports ("" = not in the message).
struct BlockFacts {
  std::string battery_voltage, longevity, rv_impedance, rv_threshold, hv_impedance, at_burden;
  std::string shocks, atp;
  bool rv_check_lead = false;
  std::size_t episodes = 0;
};

inline std::string_view ChamberName(Chamber c) {
  return c == Chamber::kRa ? "RA" : (c == Chamber::kRv ? "RV" : "LV");
}
inline const EnumValue& LocationEnum(Chamber c) {
  return c == Chamber::kRa ? kLocationRa : (c == Chamber::kRv ? kLocationRv : kLocationLv);
}
inline std::uint32_t Offset(Chamber c) { return static_cast<std::uint32_t>(c); }

inline constexpr std::string_view kSessionKindKeys[] = {"implant", "inclinic", "remote", "alert"};
inline const EnumValue& SessionEnum(SessionKind k) {
  static constexpr const EnumValue* kEnums[] = {&kSessImplant, &kSessInClinic,
                                                &kSessRemoteScheduled, &kSessDeviceInitiated};
  return *kEnums[static_cast<std::size_t>(k)];
}

inline bool IsVisit(SessionKind k) {
  return k == SessionKind::kImplant || k == SessionKind::kInClinic;
}

inline void WriteDeviceAndSession(const PatientPlan& p, const Session& s, const Device& d,
                                  const SessionValues& v, MessageWriter& w) {
  const EnumValue& mfg = w.sender().manufacturer_enum;
  w.Coded(720897, "MDC_IDC_DEV_TYPE", 0, kDeviceTypeEnums[static_cast<std::size_t>(d.type())]);
  w.Text(720898, "MDC_IDC_DEV_MODEL", 0, d.model->name);
  w.Text(720899, "MDC_IDC_DEV_SERIAL", 0, d.serial);
  w.Coded(720900, "MDC_IDC_DEV_MFG", 0, mfg);
  w.Date(720901, "MDC_IDC_DEV_IMPLANT_DT", 0, d.implant_day);
  if (IsVisit(s.kind)) {
    w.Text(720902, "MDC_IDC_DEV_IMPLANTER", 0, p.clinician);
    w.Text(720904, "MDC_IDC_DEV_IMPLANTING_FACILITY", 0, p.clinic);
  }
  for (std::size_t i = 0; i < v.leads.size(); ++i) {
    const Lead& l = *v.leads[i];
    const int n = static_cast<int>(i) + 1;
    w.Text(720961, "MDC_IDC_LEAD_MODEL", n, l.model);
    w.Text(720962, "MDC_IDC_LEAD_SERIAL", n, l.serial);
    w.Coded(720963, "MDC_IDC_LEAD_MFG", n, mfg);
    w.Date(720964, "MDC_IDC_LEAD_IMPLANT_DT", n, l.implant_day);
    w.Coded(720965, "MDC_IDC_LEAD_POLARITY_TYPE", n, kLeadBipolar);
    w.Coded(720966, "MDC_IDC_LEAD_LOCATION", n, LocationEnum(l.chamber));
  }
  w.Time(721025, "MDC_IDC_SESS_DTM", 0, s.t);
  w.Coded(721026, "MDC_IDC_SESS_TYPE", 0, SessionEnum(s.kind));
  if (v.previous_t >= 0) w.Time(721028, "MDC_IDC_SESS_DTM_PREVIOUS", 0, v.previous_t);
  if (IsVisit(s.kind)) w.Text(721031, "MDC_IDC_SESS_CLINICIAN_NAME", 0, p.clinician);
  w.Text(721033, "MDC_IDC_SESS_CLINIC_NAME", 0, p.clinic);
}

inline void WriteMeasurements(const Session& s, const SessionValues& v, MessageWriter& w,
                              BlockFacts* f) {
  w.Coded(721280, "MDC_IDC_MSMT_BATTERY_STATUS", 0, *v.battery_status);
  if (v.battery_cv >= 0) {
    f->battery_voltage = FixedText(v.battery_cv, 2);
    w.Number(721344, "MDC_IDC_MSMT_BATTERY_VOLTAGE", 0, f->battery_voltage, Unit::kVolt);
  }
  f->longevity = FixedText(v.longevity_mo, 0);
  w.Number(721472, "MDC_IDC_MSMT_BATTERY_REMAINING_LONGEVITY", 0, f->longevity, Unit::kMonth);
  if (v.charge_ds >= 0) {
    w.Number(721728, "MDC_IDC_MSMT_CAP_CHARGE_TIME", 0, FixedText(v.charge_ds, 1), Unit::kSecond);
  }
  const EnumValue& method = IsVisit(s.kind) ? kMethodProgrammer : kMethodDevice;
  for (const ChannelValues& c : v.channels) {
    const std::string_view ch = ChamberName(c.chamber);
    const std::uint32_t k = Offset(c.chamber);
    const auto ref = [&ch](std::string_view what) {
      return fmt::format("MDC_IDC_MSMT_LEADCHNL_{}_{}", ch, what);
    };
    if (c.check_lead) w.Coded(721984 + k, ref("LEAD_CHANNEL_STATUS"), 0, kCheckLead);
    if (c.sensing_dmv >= 0) {
      w.Number(722048 + 4 * k, ref("SENSING_INTR_AMPL"), 0, FixedText(c.sensing_dmv, 1),
               Unit::kMilliVolt);
    }
    const std::string threshold = FixedText(c.threshold_cv, 2);
    const std::string impedance = FixedText(c.impedance, 0);
    w.Number(722176 + k, ref("PACING_THRESHOLD_AMPLITUDE"), 0, threshold, Unit::kVolt);
    w.Number(722240 + k, ref("PACING_THRESHOLD_PULSEWIDTH"), 0, FixedText(c.pulse_width_cms, 2),
             Unit::kMilliSecond);
    w.Coded(722304 + k, ref("PACING_THRESHOLD_MEASUREMENT_METHOD"), 0, method);
    w.Number(722432 + k, ref("IMPEDANCE_VALUE"), 0, impedance, Unit::kOhm);
    if (c.chamber == Chamber::kRv) {
      f->rv_impedance = impedance;
      f->rv_threshold = threshold;
      f->rv_check_lead = c.check_lead;
    }
  }
  if (v.hv_impedance >= 0) {
    f->hv_impedance = FixedText(v.hv_impedance, 0);
    w.Number(722624, "MDC_IDC_MSMT_LEADHVCHNL_IMPEDANCE", 0, f->hv_impedance, Unit::kOhm);
  }
}

inline void WriteSettings(const Device& d, const SessionValues& v, MessageWriter& w) {
  const Settings& s = *v.settings;
  if (s.mode == nullptr) return;  // an insertable monitor has no pacing or therapy settings
  w.Coded(730752, "MDC_IDC_SET_BRADY_MODE", 0, *s.mode);
  w.Number(730880, "MDC_IDC_SET_BRADY_LOWRATE", 0, FixedText(s.lower_rate, 0),
           Unit::kBeatsPerMinute);
  if (s.max_tracking > 0) {
    w.Number(731136, "MDC_IDC_SET_BRADY_MAX_TRACKING_RATE", 0, FixedText(s.max_tracking, 0),
             Unit::kBeatsPerMinute);
  }
  for (const ChannelValues& c : v.channels) {
    const std::string_view ch = ChamberName(c.chamber);
    const std::uint32_t k = Offset(c.chamber);
    const auto ref = [&ch](std::string_view what) {
      return fmt::format("MDC_IDC_SET_LEADCHNL_{}_{}", ch, what);
    };
    w.Number(729984 + k, ref("PACING_AMPLITUDE"), 0, FixedText(c.amplitude_cv, 2), Unit::kVolt);
    w.Number(730048 + k, ref("PACING_PULSEWIDTH"), 0, FixedText(c.pulse_width_cms, 2),
             Unit::kMilliSecond);
    w.Coded(730112 + k, ref("PACING_POLARITY"), 0, kPolarityBi);
    if (c.sensitivity_dmv >= 0) {
      w.Number(729536 + k, ref("SENSING_SENSITIVITY"), 0, FixedText(c.sensitivity_dmv, 1),
               Unit::kMilliVolt);
    }
  }
  if (IsCrt(d.type())) {
    w.Number(729344, "MDC_IDC_SET_CRT_LVRV_DELAY", 0, FixedText(s.lvrv_delay, 0),
             Unit::kMilliSecond);
  }
  if (!HasTachyTherapy(d.type())) return;
  w.Coded(731520, "MDC_IDC_SET_TACHYTHERAPY_VSTAT", 0, kTachyOn);
  const std::string energy = FixedText(s.shock_j, 0);
  w.Coded(731648, "MDC_IDC_SET_ZONE_TYPE", 1, kZoneVf);
  w.Coded(731776, "MDC_IDC_SET_ZONE_STATUS", 1, kZoneActive);
  w.Number(731840, "MDC_IDC_SET_ZONE_DETECTION_INTERVAL", 1, FixedText(s.vf_ms, 0),
           Unit::kMilliSecond);
  w.Number(732225, "MDC_IDC_SET_ZONE_SHOCK_ENERGY_1", 1, energy, Unit::kJoule);
  w.Coded(731648, "MDC_IDC_SET_ZONE_TYPE", 2, kZoneVt);
  w.Coded(731776, "MDC_IDC_SET_ZONE_STATUS", 2, kZoneActive);
  w.Number(731840, "MDC_IDC_SET_ZONE_DETECTION_INTERVAL", 2, FixedText(s.vt_ms, 0),
           Unit::kMilliSecond);
  w.Coded(732097, "MDC_IDC_SET_ZONE_TYPE_ATP_1", 2, kAtpBurst);
  w.Number(732161, "MDC_IDC_SET_ZONE_NUM_ATP_SEQS_1", 2, FixedText(s.atp_seqs, 0),
           Unit::kSequences);
  w.Number(732225, "MDC_IDC_SET_ZONE_SHOCK_ENERGY_1", 2, energy, Unit::kJoule);
}

inline const EnumValue& EpisodeEnum(EpisodeKind k) {
  return k == EpisodeKind::kVt ? kEpisVt : (k == EpisodeKind::kVf ? kEpisVf : kEpisAtAf);
}

inline void WriteStatistics(const SessionValues& v, MessageWriter& w, BlockFacts* f) {
  if (!v.statistics) return;
  const auto percent = [&w](std::uint32_t code, std::string_view ref, int value, int decimals) {
    if (value >= 0) w.Number(code, ref, 0, FixedText(value, decimals), Unit::kPercent);
  };
  percent(737520, "MDC_IDC_STAT_BRADY_RA_PERCENT_PACED", v.ra_paced, 0);
  percent(737536, "MDC_IDC_STAT_BRADY_RV_PERCENT_PACED", v.rv_paced, 0);
  percent(737808, "MDC_IDC_STAT_CRT_PERCENT_PACED", v.crt_pm, 1);
  if (v.at_burden_pm >= 0) {
    f->at_burden = FixedText(v.at_burden_pm, 1);
    w.Number(737696, "MDC_IDC_STAT_AT_BURDEN_PERCENT", 0, f->at_burden, Unit::kPercent);
  }
  if (v.mode_switches >= 0) {
    w.Number(737744, "MDC_IDC_STAT_AT_MODE_SW_COUNT", 0, FixedText(v.mode_switches, 0),
             Unit::kSwitches);
  }
  w.Number(737651, "MDC_IDC_STAT_HEART_RATE_VENTRICULAR_MEAN", 0, FixedText(v.rate_mean, 0),
           Unit::kBeatsPerMinute);
  w.Number(737649, "MDC_IDC_STAT_HEART_RATE_VENTRICULAR_MAX", 0, FixedText(v.rate_max, 0),
           Unit::kBeatsPerMinute);
  w.Number(737650, "MDC_IDC_STAT_HEART_RATE_VENTRICULAR_MIN", 0, FixedText(v.rate_min, 0),
           Unit::kBeatsPerMinute);
  if (v.shocks_recent >= 0) {
    f->shocks = FixedText(v.shocks_recent, 0);
    f->atp = FixedText(v.atp_recent, 0);
    w.Number(737824, "MDC_IDC_STAT_TACHYTHERAPY_SHOCKS_DELIVERED_RECENT", 0, f->shocks,
             Unit::kShocks);
    w.Number(737840, "MDC_IDC_STAT_TACHYTHERAPY_SHOCKS_DELIVERED_TOTAL", 0,
             FixedText(v.shocks_total, 0), Unit::kShocks);
    w.Number(737888, "MDC_IDC_STAT_TACHYTHERAPY_ATP_DELIVERED_RECENT", 0, f->atp, Unit::kSequences);
    w.Number(737904, "MDC_IDC_STAT_TACHYTHERAPY_ATP_DELIVERED_TOTAL", 0, FixedText(v.atp_total, 0),
             Unit::kSequences);
  }
  for (std::size_t i = 0; i < v.counters.size(); ++i) {
    const CounterValues& c = v.counters[i];
    const int n = static_cast<int>(i) + 1;
    w.Coded(737952, "MDC_IDC_STAT_EPISODE_TYPE", n, EpisodeEnum(c.kind));
    w.Number(738000, "MDC_IDC_STAT_EPISODE_RECENT_COUNT", n, FixedText(c.recent, 0), Unit::kNone);
    w.Number(738032, "MDC_IDC_STAT_EPISODE_TOTAL_COUNT", n, FixedText(c.total, 0), Unit::kNone);
  }
  for (const EpisodeValues& e : v.episodes) {
    const int n = e.instance;
    w.Text(739536, "MDC_IDC_EPISODE_ID", n, e.id);
    w.Time(739552, "MDC_IDC_EPISODE_DTM", n, e.t);
    w.Coded(739568, "MDC_IDC_EPISODE_TYPE", n, EpisodeEnum(e.kind));
    w.Number(739712, "MDC_IDC_EPISODE_DURATION", n, FixedText(e.duration_s, 0), Unit::kSecond);
    if (e.kind == EpisodeKind::kAtAf) continue;
    w.Number(739648, "MDC_IDC_EPISODE_VENTRICULAR_INTERVAL_AT_DETECTION", n,
             FixedText(e.cycle_ms, 0), Unit::kMilliSecond);
    if (e.atp == 0 && e.shocks == 0) continue;
    std::string details = e.atp > 0 ? fmt::format("ATP Burst x{}", e.atp) : std::string();
    if (e.shocks > 0) {
      details +=
          fmt::format("{}{}x {} J", details.empty() ? "" : ", ", e.shocks, v.settings->shock_j);
    }
    w.Text(739680, "MDC_IDC_EPISODE_DETECTION_THERAPY_DETAILS", n, details);
    w.Coded(739696, "MDC_IDC_EPISODE_THERAPY_RESULT", n, kTherapySuccessful);
  }
  f->episodes = v.episodes.size();
}

}  // namespace heartbase::demo::internal
