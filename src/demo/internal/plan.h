// The data of one synthetic patient's history: devices and leads over time, story parameters,
// stored arrhythmia episodes and the follow-up sessions.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "demo/internal/calendar.h"
#include "demo/internal/catalog.h"

namespace heartbase::demo::internal {

inline constexpr std::int64_t kNever = INT64_C(1) << 40;  // a day number after any window

enum class Story : std::uint8_t {
  kBatteryRrt,
  kLeadFracture,
  kRisingThreshold,
  kAfBurden,
  kVtVf,
  kDeviceReplacement
};
inline constexpr std::array<std::string_view, 6> kStoryNames = {
    "battery_rrt", "lead_fracture", "rising_threshold", "af_burden", "vt_vf", "device_replacement"};

enum class SessionKind : std::uint8_t { kImplant, kInClinic, kRemoteScheduled, kDeviceInitiated };
enum class EpisodeKind : std::uint8_t { kVt, kVf, kAtAf };

struct Window {
  std::int64_t first_day;  // inclusive
  std::int64_t last_day;   // inclusive (end_date)
  int years;
  std::int64_t Days() const { return last_day - first_day + 1; }
  // The day `permille`/1000 of the way through the window.
  std::int64_t At(std::int64_t permille) const { return first_day + Days() * permille / 1000; }
};

struct Lead {
  Chamber chamber;
  bool defibrillation;  // RV lead with a shock coil (ICD, CRT-D)
  std::string_view model;
  std::string serial;
  std::int64_t implant_day;
  std::int64_t end_day = kNever;  // replaced (abandoned) from this day on
  int impedance;                  // Ohm
  int threshold_cv;               // capture threshold, V/100, at the chamber's pulse width
  int sensing_dmv;                // intrinsic amplitude, mV/10
  int hv_impedance = 0;           // Ohm, defibrillation leads only
  bool fractures = false;         // the lead of the lead_fracture story
};

struct Device {
  const DeviceModel* model;
  std::string serial;
  std::int64_t implant_day;
  std::int64_t end_day = kNever;                   // replaced on this day
  std::int64_t lifetime_days;                      // implant → RRT
  int base_shocks = 0, base_atp = 0, base_vt = 0;  // lifetime counters before the window
  DeviceType type() const { return model->type; }
  std::int64_t rrt_day() const { return implant_day + lifetime_days; }
};

struct Episode {
  std::int64_t t;  // seconds since 1970
  EpisodeKind kind;
  int duration_s, cycle_ms, atp, shocks;
};

struct Session {
  std::int64_t t;
  SessionKind kind;
  int device;  // index into PatientPlan::devices
};

struct PatientPlan {
  std::uint32_t index = 0;
  std::uint64_t seed = 0;  // for the per-session values
  const Sender* sender = nullptr;
  std::vector<Story> stories;
  std::string_view family, given, clinician, clinic;
  char sex = 'F';
  Civil birth;
  bool birth_year_only = false;
  std::vector<Device> devices;
  std::vector<Lead> leads;
  std::vector<Episode> episodes;                             // VT/VF, in time order
  std::vector<Session> sessions;                             // in strictly increasing time order
  std::int64_t drift_start = kNever, fracture_day = kNever;  // lead_fracture
  int drift_ohm_per_month = 0;
  std::int64_t threshold_start = kNever;  // rising_threshold
  int threshold_target_cv = 0;
  Chamber threshold_chamber = Chamber::kRv;
  std::int64_t af_onset = kNever;  // af_burden
  int af_max_permille = 0, af_ramp_days = 1;

  bool Has(Story s) const { return std::find(stories.begin(), stories.end(), s) != stories.end(); }
  DeviceType type() const { return devices.front().type(); }
};

}  // namespace heartbase::demo::internal
