// PlanPatient: one synthetic patient's longitudinal story — demographics, devices and leads over
// time, clinical events (depletion, lead fracture, arrhythmias) and the follow-up schedule.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "demo/internal/calendar.h"
#include "demo/internal/catalog.h"
#include "demo/internal/plan.h"
#include "demo/internal/random.h"
#include "demo/internal/schedule.h"

namespace heartbase::demo::internal {

// Device type and stories by position in a shuffled block of 20 patients, so that every block
// holds every device type (pacemaker 50 %, ICD 20 %, CRT-D 10 %, CRT-P 5 %, ICM 15 %) and story.
struct Slot {
  DeviceType type;
  std::array<Story, 2> stories;
  int story_count;
};
inline constexpr Slot kSlots[20] = {
    {DeviceType::kPacemaker, {Story::kBatteryRrt}, 1},
    {DeviceType::kPacemaker, {Story::kLeadFracture}, 1},
    {DeviceType::kPacemaker, {Story::kAfBurden}, 1},
    {DeviceType::kPacemaker, {Story::kRisingThreshold}, 1},
    {DeviceType::kPacemaker, {Story::kDeviceReplacement}, 1},
    {DeviceType::kPacemaker, {Story::kAfBurden}, 1},
    {DeviceType::kPacemaker, {}, 0},
    {DeviceType::kPacemaker, {}, 0},
    {DeviceType::kPacemaker, {}, 0},
    {DeviceType::kPacemaker, {}, 0},
    {DeviceType::kIcd, {Story::kVtVf}, 1},
    {DeviceType::kIcd, {Story::kLeadFracture}, 1},
    {DeviceType::kIcd, {Story::kVtVf, Story::kDeviceReplacement}, 2},
    {DeviceType::kIcd, {}, 0},
    {DeviceType::kCrtD, {Story::kVtVf, Story::kAfBurden}, 2},
    {DeviceType::kCrtD, {Story::kRisingThreshold}, 1},
    {DeviceType::kCrtP, {}, 0},
    {DeviceType::kLoopRecorder, {Story::kAfBurden}, 1},
    {DeviceType::kLoopRecorder, {}, 0},
    {DeviceType::kLoopRecorder, {}, 0},
};
// Manufacturer shares by position in a shuffled block of 9 patients.
inline constexpr Manufacturer kManufacturerSlots[9] = {
    Manufacturer::kMedtronic,        Manufacturer::kMedtronic,        Manufacturer::kMedtronic,
    Manufacturer::kBostonScientific, Manufacturer::kBostonScientific, Manufacturer::kAbbott,
    Manufacturer::kAbbott,           Manufacturer::kBiotronik,        Manufacturer::kMicroPort};

// The slot of patient `index`: position index % n of a permutation of [0, n) drawn from the seed
// afresh for each block of n consecutive patients.
inline int ShuffledSlot(std::uint64_t seed, std::uint64_t salt, std::uint32_t index, int n) {
  std::array<int, 20> perm{};
  for (int i = 0; i < n; ++i) perm[static_cast<std::size_t>(i)] = i;
  Random r(Mix(Mix(seed, salt), index / static_cast<std::uint32_t>(n)));
  for (int i = n - 1; i > 0; --i)
    std::swap(perm[static_cast<std::size_t>(i)], perm[static_cast<std::size_t>(r.Int(0, i))]);
  return perm[index % static_cast<std::uint32_t>(n)];
}

// Unique per (sender, ordinal) while ordinal < 10^digits: an affine bijection of the digit space.
inline std::string SerialNumber(std::uint64_t seed, std::string_view prefix, int digits,
                                std::uint64_t ordinal, std::string_view suffix) {
  std::uint64_t space = 1;
  for (int i = 0; i < digits; ++i) space *= 10;
  std::uint64_t a = Mix(seed, 0x5E41A1) % space;
  a = a - a % 10 + 3;  // ends in 3: coprime to 10^digits, so the map is a bijection
  const std::uint64_t b = Mix(seed, 0x0FF5E7) % space;
  const std::uint64_t n = (a * (ordinal % space) % space + b) % space;
  return fmt::format("{}{:0{}}{}", prefix, n, digits, suffix);
}

inline std::int64_t LifetimeDays(DeviceType type, Random& r) {
  switch (type) {
    case DeviceType::kPacemaker:
      return r.Int(9 * 365, 13 * 365);
    case DeviceType::kIcd:
      return r.Int(7 * 365, 10 * 365);
    case DeviceType::kCrtD:
      return r.Int(5 * 365, 7 * 365);
    case DeviceType::kCrtP:
      return r.Int(7 * 365, 10 * 365);
    case DeviceType::kLoopRecorder:
      return r.Int(3 * 365, 4 * 365 + 180);
  }
  return 3650;
}

inline const DeviceModel* PickModel(const Sender& s, DeviceType type, Random& r,
                                    const DeviceModel* avoid, bool dual) {
  std::vector<const DeviceModel*> fits;
  for (const DeviceModel& m : s.models) {
    if (m.type == type && &m != avoid && (type != DeviceType::kIcd || m.dual_chamber == dual)) {
      fits.push_back(&m);
    }
  }
  if (fits.empty()) return avoid;
  return fits[static_cast<std::size_t>(r.Int(0, static_cast<std::int64_t>(fits.size()) - 1))];
}

inline Device MakeDevice(const PatientPlan& p, std::uint64_t seed, const DeviceModel* model,
                         std::int64_t implant_day, std::int64_t lifetime_days) {
  const Sender& s = *p.sender;
  std::string_view prefix = s.serial_prefix, suffix;
  if (s.manufacturer == Manufacturer::kMedtronic) {
    static constexpr std::string_view kPrefixes[] = {"PZK", "BLF", "BWX", "RNT", "RLB"};
    prefix = kPrefixes[static_cast<std::size_t>(model->type)];
    suffix = (p.index % 3 == 0) ? "H" : "S";
  }
  const std::uint64_t ordinal = std::uint64_t{p.index} * 4 + p.devices.size();
  return Device{model,
                SerialNumber(Mix(seed, static_cast<std::uint64_t>(s.manufacturer)), prefix,
                             s.serial_digits, ordinal, suffix),
                implant_day, kNever, lifetime_days};
}

inline Lead MakeLead(const PatientPlan& p, std::uint64_t seed, Chamber chamber, bool hv,
                     std::int64_t implant_day, Random& r) {
  const Sender& s = *p.sender;
  Lead lead{chamber, hv, {}, {}, implant_day, kNever, 0, 0, 0};
  const std::uint64_t ordinal = std::uint64_t{p.index} * 8 + p.leads.size();
  lead.serial = SerialNumber(Mix(seed, 0x1EAD0 + static_cast<std::uint64_t>(s.manufacturer)),
                             s.lead_serial_prefix, 7, ordinal, "");
  switch (chamber) {
    case Chamber::kRa:
      lead.model = s.leads.atrial;
      lead.impedance = r.Int32(380, 620);
      lead.threshold_cv = 25 * r.Int32(2, 4);
      lead.sensing_dmv = r.Int32(15, 45);
      break;
    case Chamber::kRv:
      lead.model = hv ? s.leads.defibrillation : s.leads.ventricular;
      lead.impedance = hv ? r.Int32(350, 700) : r.Int32(400, 850);
      lead.threshold_cv = 25 * r.Int32(2, 5);
      lead.sensing_dmv = r.Int32(70, 180);
      if (hv) lead.hv_impedance = r.Int32(45, 80);
      break;
    case Chamber::kLv:
      lead.model = s.leads.left_ventricular;
      lead.impedance = r.Int32(500, 1050);
      lead.threshold_cv = 25 * r.Int32(3, 6);
      lead.sensing_dmv = r.Int32(80, 200);
      break;
  }
  return lead;
}

// The leads a device is implanted with.
inline void ImplantLeads(PatientPlan* p, std::uint64_t seed, const Device& d, Random& r) {
  const DeviceType t = d.type();
  if (t == DeviceType::kLoopRecorder) return;
  if (d.model->dual_chamber)
    p->leads.push_back(MakeLead(*p, seed, Chamber::kRa, false, d.implant_day, r));
  p->leads.push_back(MakeLead(*p, seed, Chamber::kRv, HasTachyTherapy(t), d.implant_day, r));
  if (IsCrt(t)) p->leads.push_back(MakeLead(*p, seed, Chamber::kLv, false, d.implant_day, r));
}

inline Lead* FindLead(PatientPlan* p, Chamber c) {
  for (Lead& l : p->leads) {
    if (l.chamber == c && l.end_day == kNever) return &l;
  }
  return nullptr;
}

// Plans patient `index` of the clinic. Depends only on (seed, window, index).
inline PatientPlan PlanPatient(std::uint64_t seed, const Window& w, std::uint32_t index) {
  PatientPlan p;
  p.index = index;
  p.seed = Mix(seed, 0xA11CE000ull + index);
  Random r(Mix(seed, index));
  const Slot& slot = kSlots[ShuffledSlot(seed, 0x7E9E, index, 20)];
  Manufacturer mfr = kManufacturerSlots[ShuffledSlot(seed, 0x3FA, index, 9)];
  if (mfr == Manufacturer::kMicroPort && slot.type == DeviceType::kLoopRecorder) {
    mfr = Manufacturer::kBiotronik;  // MicroPort makes no insertable cardiac monitor
  }
  p.sender = &SenderFor(mfr);
  p.stories.assign(slot.stories.begin(), slot.stories.begin() + slot.story_count);
  p.sex = r.Percent(45) ? 'F' : 'M';
  p.given =
      p.sex == 'F' ? r.Pick<std::string_view>(kFemaleNames) : r.Pick<std::string_view>(kMaleNames);
  p.family = r.Pick<std::string_view>(kFamilyNames);
  p.clinician = r.Pick<std::string_view>(kClinicians);
  p.clinic = r.Pick<std::string_view>(kClinics);
  const Civil end = CivilFromDays(w.last_day);
  const int age = slot.type == DeviceType::kLoopRecorder ? r.Int32(30, 85) : r.Int32(42, 92);
  p.birth = Civil{end.year - age, r.Int32(1, 12), r.Int32(1, 28)};
  p.birth_year_only = p.sender->unknown_birth_parts && r.Percent(35);

  // The first device: when it was implanted and how long its battery lasts.
  const bool dual = slot.type != DeviceType::kIcd || r.Percent(50);
  const DeviceModel* model = PickModel(*p.sender, slot.type, r, nullptr, dual);
  std::int64_t lifetime = LifetimeDays(slot.type, r);
  std::int64_t implant;
  if (p.Has(Story::kBatteryRrt)) {  // premature depletion: BOS → MOS → RRT inside the window
    const std::int64_t rrt = w.At(r.Int(850, 930));
    implant = std::max(w.At(r.Int(0, 50)), rrt - lifetime);
    lifetime = rrt - implant;
  } else if (p.Has(Story::kDeviceReplacement)) {
    implant = w.At(r.Int(350, 500)) - lifetime;
  } else {
    // Normal battery life: not at RRT by the end of the window. Story patients are implanted
    // before or early in the window so that the story fits in it.
    const std::int64_t earliest = std::max(w.last_day - lifetime * 92 / 100, w.first_day - 8 * 365);
    const std::int64_t latest = p.stories.empty()
                                    ? w.last_day - 60
                                    : std::max(w.At(100), std::min(earliest, w.last_day - 60));
    implant = r.Int(std::min(earliest, latest), latest);
  }
  p.devices.push_back(MakeDevice(p, seed, model, implant, lifetime));
  ImplantLeads(&p, seed, p.devices.back(), r);
  if (implant < w.first_day && HasTachyTherapy(slot.type)) {
    Device& d = p.devices.back();
    d.base_vt = r.Int32(0, 3);
    d.base_atp = d.base_vt * r.Int32(1, 3);
    d.base_shocks = r.Int32(0, 1);
  }
  // Story events fall in the part of the window in which the patient has a device.
  const Window span{std::max(w.first_day, implant + 60), w.last_day, w.years};

  if (p.Has(Story::kDeviceReplacement)) {  // elective replacement some weeks after RRT
    const std::int64_t day = p.devices[0].rrt_day() + r.Int(14, 60);
    p.devices[0].end_day = day;
    const DeviceModel* next = PickModel(*p.sender, slot.type, r, model, model->dual_chamber);
    p.devices.push_back(MakeDevice(p, seed, next, day, LifetimeDays(slot.type, r)));
    if (r.Percent(35)) {  // a new RV lead with the new device
      Lead* old = FindLead(&p, Chamber::kRv);
      old->end_day = day;
      p.leads.push_back(MakeLead(p, seed, Chamber::kRv, old->defibrillation, day, r));
    }
  }
  if (p.Has(Story::kLeadFracture)) {  // impedance drifts up, then the conductor fractures
    Lead* rv = FindLead(&p, Chamber::kRv);
    p.drift_start = span.At(r.Int(200, 350));
    p.fracture_day = span.At(r.Int(600, 750));
    p.drift_ohm_per_month = r.Int32(25, 60);
    rv->fractures = true;
    if (p.fracture_day < w.last_day - 14) {  // lead revision: a new RV lead
      const std::int64_t revision = p.fracture_day + r.Int(10, 35);
      rv->end_day = revision;
      p.leads.push_back(MakeLead(p, seed, Chamber::kRv, rv->defibrillation, revision, r));
    }
  }
  if (p.Has(Story::kRisingThreshold)) {
    p.threshold_chamber = IsCrt(slot.type) ? Chamber::kLv : Chamber::kRv;
    p.threshold_start = span.At(r.Int(150, 400));
    p.threshold_target_cv = 25 * r.Int32(10, 15);
  }
  if (p.Has(Story::kAfBurden)) {
    p.af_onset = span.At(r.Int(200, 500));
    p.af_max_permille = r.Int32(50, 400);
    p.af_ramp_days = r.Int32(60, 360);
  }
  if (p.Has(Story::kVtVf) && span.first_day < span.last_day) {
    const int count = r.Int32(2, 2 + w.years);
    for (int i = 0; i < count; ++i) {
      Episode e{};
      e.t =
          r.Int(span.first_day, span.last_day - 1) * kSecondsPerDay + r.Int(0, kSecondsPerDay - 1);
      e.kind = r.Percent(70) ? EpisodeKind::kVt : EpisodeKind::kVf;
      if (e.kind == EpisodeKind::kVt) {
        e.cycle_ms = r.Int32(290, 380);
        e.atp = r.Int32(1, 3);
        e.duration_s = r.Int32(8, 45);
        e.shocks = r.Percent(25) ? 1 : 0;
      } else {
        e.cycle_ms = r.Int32(190, 260);
        e.atp = r.Percent(30) ? 1 : 0;
        e.duration_s = r.Int32(6, 20);
        e.shocks = r.Percent(10) ? 2 : 1;
      }
      p.episodes.push_back(e);
    }
    std::stable_sort(p.episodes.begin(), p.episodes.end(),
                     [](const Episode& a, const Episode& b) { return a.t < b.t; });
  }
  ScheduleSessions(&p, w, r);
  return p;
}

}  // namespace heartbase::demo::internal
