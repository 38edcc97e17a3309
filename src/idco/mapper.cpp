// The PCD-09 mapping: message header, patient identity, session, then every OBX placed by its
// term family and OBX-4 instance, then the typed summary (device, leads, episodes) read from them.
#include "idco/mapper.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "hl7/escape.h"
#include "hl7/types.h"
#include "idco/internal/text.h"
#include "idco/observation.h"
#include "idco/terms.h"

namespace heartbase::idco {
namespace {

using base::ErrorCode;
using domain::Category;
using domain::DeviceType;
using domain::Group;
using domain::Interrogation;
using domain::Observation;
using domain::SessionType;

using internal::Lower;
using internal::Text;

// Lower-case letters and digits only: "Remote Device-Initiated" → "remotedeviceinitiated".
std::string Folded(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  return out;
}

base::Position SegmentPosition(const hl7::Segment& s, std::uint32_t field = 0) {
  base::Position p;
  const std::string_view id = s.id();
  for (std::size_t i = 0; i < 3; ++i) p.segment[i] = id[i];
  p.segment_seq = static_cast<std::uint32_t>(s.index() + 1);
  p.segment_occurrence = 1;
  p.field = field;
  p.offset = s.offset();
  return p;
}

SessionType SessionTypeFrom(const domain::Coded& c) {
  if (c.enum_code >= 754049 && c.enum_code <= 754056) {
    static constexpr SessionType kByCode[] = {
        SessionType::kImplant,         SessionType::kInClinic,
        SessionType::kRemote,          SessionType::kRemoteDeviceInitiated,
        SessionType::kRemoteScheduled, SessionType::kRemotePatientInitiated,
        SessionType::kOther,           SessionType::kUnknown};
    return kByCode[c.enum_code - 754049];
  }
  for (const std::string& s : {Folded(c.mnemonic), Folded(c.text), Folded(c.display)}) {
    if (s.empty()) continue;
    if (s.find("implant") != std::string::npos) return SessionType::kImplant;
    if (s.find("clinic") != std::string::npos) return SessionType::kInClinic;
    if (s.find("remote") != std::string::npos) {
      if (s.find("device") != std::string::npos || s.find("alert") != std::string::npos) {
        return SessionType::kRemoteDeviceInitiated;
      }
      if (s.find("patient") != std::string::npos) return SessionType::kRemotePatientInitiated;
      if (s.find("scheduled") != std::string::npos) return SessionType::kRemoteScheduled;
      return SessionType::kRemote;
    }
  }
  return SessionType::kUnknown;
}

DeviceType DeviceTypeFrom(const domain::Coded& c) {
  switch (c.enum_code) {
    case 753665:
      return DeviceType::kPacemaker;
    case 753666:
      return DeviceType::kIcd;
    case 753667:
      return DeviceType::kCrtD;
    case 753668:
      return DeviceType::kCrtP;
    case 753669:
      return DeviceType::kMonitor;
    case 753670:
      return DeviceType::kOther;
    default:
      break;
  }
  const std::string m = Folded(c.mnemonic);
  if (m == "ipg" || m == "pm" || m == "pacemaker") return DeviceType::kPacemaker;
  if (m == "icd") return DeviceType::kIcd;
  if (m == "crtd") return DeviceType::kCrtD;
  if (m == "crtp") return DeviceType::kCrtP;
  if (m == "monitor" || m == "icm" || m == "ilr") return DeviceType::kMonitor;
  const std::string t = Folded(c.display.empty() ? c.text : c.display);
  const bool crt = t.find("resynchronization") != std::string::npos;
  if (crt && t.find("defibrillator") != std::string::npos) return DeviceType::kCrtD;
  if (crt) return DeviceType::kCrtP;
  if (t.find("defibrillator") != std::string::npos) return DeviceType::kIcd;
  if (t.find("pacemaker") != std::string::npos) return DeviceType::kPacemaker;
  if (t.find("monitor") != std::string::npos || t.find("loop") != std::string::npos) {
    return DeviceType::kMonitor;
  }
  return DeviceType::kUnknown;
}

}  // namespace

std::string NormalizeManufacturer(std::string_view sent) {
  const std::string f = Folded(sent);
  if (f.empty()) return {};
  if (f == "mdt" || f.find("medtronic") != std::string::npos) return "MDT";
  if (f == "bsc" || f == "bsx" || f.find("boston") != std::string::npos ||
      f.find("guidant") != std::string::npos) {
    return "BSX";
  }
  if (f == "stj" || f == "sjm" || f == "abt" || f.find("jude") != std::string::npos ||
      f.find("abbott") != std::string::npos) {
    return "SJM";
  }
  if (f == "bio" || f.find("biotronik") != std::string::npos) return "BIO";
  if (f == "mcp" || f == "sor" || f == "ela" || f.find("sorin") != std::string::npos ||
      f.find("microport") != std::string::npos || f.find("livanova") != std::string::npos) {
    return "MCP";
  }
  return std::string(sent);
}

namespace {

void ReadPatient(const hl7::Segment& pid, const hl7::Delimiters& d, Interrogation* r) {
  domain::PatientIdentity& p = r->patient;
  const std::string_view ids = pid.Field(3);
  constexpr std::uint32_t kMaxIdentifiers = 64;
  const std::uint32_t sent = hl7::PieceCount(ids, d.repetition);
  const std::uint32_t reps = std::min(sent, kMaxIdentifiers);
  if (sent > kMaxIdentifiers) {
    r->warnings.push_back(fmt::format("PID-3 has {} identifiers; only the first {} were read", sent,
                                      kMaxIdentifiers));
  }
  bool have_device = false;
  for (std::uint32_t i = 1; i <= reps; ++i) {
    const std::string id = Text(pid.Component(3, 1, i), d);
    const std::string authority = Text(pid.Component(3, 4, i), d);
    const std::string type = Text(pid.Component(3, 5, i), d);
    const std::string lower = Lower(id);
    const std::size_t serial = lower.find("/serial:");
    if (!have_device && lower.rfind("model:", 0) == 0 && serial != std::string::npos) {
      p.device_model = id.substr(6, serial - 6);
      p.device_serial = id.substr(serial + 8);
      p.assigning_authority = authority;
      have_device = true;
    } else if (!have_device && type == "U" && !id.empty()) {
      p.device_identifier = id;
      p.assigning_authority = authority;
      have_device = true;
    } else if (!id.empty()) {
      p.other_identifiers.push_back({id, authority, type});
    }
  }
  p.family_name = Text(pid.Subcomponent(5, 1, 1), d);
  p.given_name = Text(pid.Component(5, 2), d);
  p.middle_name = Text(pid.Component(5, 3), d);
  const std::string dob = Text(pid.Component(7, 1), d);
  if (!dob.empty()) {
    if (auto t = hl7::ParseDtm(dob)) {
      p.birth_date = *t;
    } else {
      r->warnings.push_back("PID-7 birth date is not a valid date; ignored");
    }
  }
  p.sex = Text(pid.Field(8), d);
}

void ReadSession(const hl7::Segment& obr, const hl7::Delimiters& d, Interrogation* r) {
  r->session_id = Text(obr.Component(3, 1), d);
  const std::string_view type = hl7::NthPiece(obr.Field(4), d.repetition, 1);
  r->session_type_raw = Text(type, d);
  r->session_type = SessionTypeFrom(internal::ReadCoded(type, d, 0));
  if (auto t = hl7::ParseDtm(Text(obr.Component(7, 1), d))) r->session_time = *t;
  const std::string status = Text(obr.Field(25), d);
  using domain::ResultStatus;
  r->status = status == "F"   ? ResultStatus::kFinal
              : status == "P" ? ResultStatus::kPreliminary
              : status == "C" ? ResultStatus::kCorrected
              : status == "R" ? ResultStatus::kStored
                              : ResultStatus::kUnknown;
}

// Where the observations of one category go: a list, or the groups by OBX-4 instance.
std::vector<Observation>* ListFor(Category c, Interrogation* r) {
  switch (c) {
    case Category::kDevice:
      return &r->device_observations;
    case Category::kSession:
      return &r->session_observations;
    case Category::kMeasurement:
      return &r->measurements;
    case Category::kSetting:
      return &r->settings;
    case Category::kStatistic:
      return &r->statistics;
    case Category::kOther:
      return &r->other_observations;
    default:
      return nullptr;
  }
}

std::vector<Group>* GroupsFor(Category c, Interrogation* r) {
  switch (c) {
    case Category::kLead:
      return &r->lead_groups;
    case Category::kZone:
      return &r->zones;
    case Category::kEpisodeCounter:
      return &r->episode_counters;
    case Category::kEpisode:
      return &r->episode_groups;
    default:
      return nullptr;
  }
}

Group& GroupFor(std::vector<Group>* groups, std::uint32_t instance) {
  const auto it = std::lower_bound(groups->begin(), groups->end(), instance,
                                   [](const Group& g, std::uint32_t i) { return g.instance < i; });
  if (it != groups->end() && it->instance == instance) return *it;
  return *groups->insert(it, Group{instance, {}});
}

// The vector an observation of this classification goes into.
std::vector<Observation>& Destination(const internal::Classification& c, Interrogation* r) {
  if (auto* list = ListFor(c.category, r)) return *list;
  return GroupFor(GroupsFor(c.category, r), c.instance).observations;
}

std::optional<base::DateTime> TimeOf(const Observation& o) {
  if (o.value.kind == domain::Value::Kind::kDateTime) return o.value.date_time;
  return std::nullopt;
}

std::string TextOf(const Observation& o) {
  if (o.value.kind == domain::Value::Kind::kCoded) {
    return o.value.coded.mnemonic.empty() ? o.value.coded.code : o.value.coded.mnemonic;
  }
  return o.value.text;
}

void Summarize(Interrogation* r) {
  for (const Observation& o : r->device_observations) {
    switch (o.code) {
      case 720897:
        r->device.type = DeviceTypeFrom(o.value.coded);
        break;
      case 720898:
        r->device.model = o.value.text;
        break;
      case 720899:
        r->device.serial = o.value.text;
        break;
      case 720900:
        r->device.manufacturer = NormalizeManufacturer(TextOf(o));
        break;
      case 720901:
        r->device.implant_date = TimeOf(o);
        break;
      default:
        break;
    }
  }
  for (const Observation& o : r->session_observations) {
    if (o.code == 721025 && TimeOf(o)) r->session_time = TimeOf(o);
    if (o.code == 721026 && o.value.kind == domain::Value::Kind::kCoded) {
      const SessionType t = SessionTypeFrom(o.value.coded);
      if (t != SessionType::kUnknown) r->session_type = t;
    }
  }
  if (r->device.manufacturer.empty()) {
    r->device.manufacturer = NormalizeManufacturer(r->patient.assigning_authority);
  }
  for (const Group& g : r->lead_groups) {
    domain::Lead lead;
    lead.instance = g.instance;
    for (const Observation& o : g.observations) {
      switch (o.code) {
        case 720961:
          lead.model = o.value.text;
          break;
        case 720962:
          lead.serial = o.value.text;
          break;
        case 720963:
          lead.manufacturer = NormalizeManufacturer(TextOf(o));
          break;
        case 720964:
          lead.implant_date = TimeOf(o);
          break;
        case 720966:
          lead.location = TextOf(o);
          break;
        default:
          break;
      }
    }
    r->leads.push_back(std::move(lead));
  }
  for (const Group& g : r->episode_groups) {
    domain::Episode e;
    e.instance = g.instance;
    for (const Observation& o : g.observations) {
      switch (o.code) {
        case 739536:
          e.id = o.value.text;
          break;
        case 739552:
          e.onset = TimeOf(o);
          break;
        case 739568:
          e.type = TextOf(o);
          break;
        case 739712:
          if (o.value.kind == domain::Value::Kind::kNumber) e.duration_s = o.value.number;
          break;
        default:
          break;
      }
    }
    r->episodes.push_back(std::move(e));
  }
}

}  // namespace

base::Result<Interrogation> Map(const hl7::Message& m, const MapOptions& options) {
  const hl7::Delimiters& d = m.delimiters();
  Interrogation r;
  if (m.segment_count() == 0) {
    return base::MakeError(ErrorCode::kInvalidArgument, "no parsed message to map");
  }
  const hl7::Segment msh = m.segment(0);
  const std::string type = Text(msh.Component(9, 1), d);
  const std::string event = Text(msh.Component(9, 2), d);
  if (type != "ORU" || event != "R01") {
    return base::MakeError(ErrorCode::kUnsupported,
                           "message type is not ORU^R01 (IDCO observations)",
                           SegmentPosition(msh, 9));
  }
  r.sending_application = Text(msh.Component(3, 1), d);
  r.sending_facility = Text(msh.Component(4, 1), d);
  r.control_id = Text(msh.Field(10), d);
  r.version = Text(msh.Component(12, 1), d);
  if (auto t = hl7::ParseDtm(Text(msh.Component(7, 1), d))) r.message_time = *t;
  if (r.version != "2.5" && r.version != "2.6" && r.version.rfind("2.5.", 0) != 0) {
    r.warnings.push_back("MSH-12 version is not 2.5 or 2.6; mapped as IDCO anyway");
  }
  const auto pid = m.Find("PID");
  if (!pid) {
    return base::MakeError(ErrorCode::kMalformed, "message has no PID segment",
                           SegmentPosition(msh));
  }
  ReadPatient(*pid, d, &r);
  const auto obr = m.Find("OBR");
  if (!obr) {
    return base::MakeError(ErrorCode::kMalformed, "message has no OBR segment",
                           SegmentPosition(*pid));
  }
  ReadSession(*obr, d, &r);

  // First the classification of every OBX, so that each list and group is allocated once at its
  // final size and every observation is read straight into its place (a 300-OBX message would
  // otherwise move its observations several times as the vectors grow).
  struct Slot {
    bool attachment = false;
    internal::Classification c;
  };
  std::vector<Slot> slots;
  std::size_t observations = 0;
  for (std::size_t i = 1; i < m.segment_count(); ++i) {
    const hl7::Segment s = m.segment(i);
    if (s.id() != "OBX") continue;
    if (++observations > options.max_observations) {
      return base::MakeError(
          ErrorCode::kLimitExceeded,
          fmt::format("message has more than {} observations", options.max_observations),
          SegmentPosition(s));
    }
  }
  slots.reserve(observations);
  std::array<std::size_t, 16> list_sizes{};
  struct GroupSize {
    Category category;
    std::uint32_t instance;
    std::size_t size;
  };
  std::vector<GroupSize> group_sizes;
  for (std::size_t i = 1; i < m.segment_count(); ++i) {
    const hl7::Segment s = m.segment(i);
    if (s.id() != "OBX") continue;
    if (internal::IsAttachment(s)) {
      slots.push_back({.attachment = true});
      continue;
    }
    const internal::Classification& c = slots.emplace_back(Slot{.c = internal::Classify(s, d)}).c;
    if (ListFor(c.category, &r) != nullptr) {
      ++list_sizes[static_cast<std::size_t>(c.category)];
      continue;
    }
    const auto same = [&](const GroupSize& g) {
      return g.category == c.category && g.instance == c.instance;
    };
    if (auto it = std::find_if(group_sizes.begin(), group_sizes.end(), same);
        it != group_sizes.end()) {
      ++it->size;
    } else {
      group_sizes.push_back({c.category, c.instance, 1});
    }
  }
  for (std::size_t k = 0; k < list_sizes.size(); ++k) {
    if (auto* list = ListFor(static_cast<Category>(k), &r)) list->reserve(list_sizes[k]);
  }
  for (const GroupSize& g : group_sizes) {
    GroupFor(GroupsFor(g.category, &r), g.instance).observations.reserve(g.size);
  }

  std::size_t next_slot = 0;
  std::uint32_t obx_occurrence = 0;
  for (std::size_t i = 1; i < m.segment_count(); ++i) {
    const hl7::Segment s = m.segment(i);
    const std::string_view id = s.id();
    if (id == "NTE") {
      r.notes.push_back(Text(s.Field(3), d));
      continue;
    }
    if (id != "OBX") continue;
    ++obx_occurrence;
    const Slot& slot = slots[next_slot++];
    if (slot.attachment) {
      domain::Attachment a;
      if (auto st = internal::ReadAttachment(s, d, options, &a, &r.warnings); !st) {
        base::Error e = st.error();
        e.position.segment_occurrence = obx_occurrence;
        e.position.offset = s.offset();
        return e;
      }
      r.attachments.push_back(std::move(a));
      continue;
    }
    internal::ReadObservation(s, d, slot.c, &Destination(slot.c, &r).emplace_back(), &r.warnings);
  }
  Summarize(&r);
  if (r.patient.device_serial.empty() && r.patient.device_identifier.empty()) {
    if (r.device.serial.empty()) {
      return base::MakeError(ErrorCode::kMalformed,
                             "no device identity: PID-3 has no model:/serial: or type-U "
                             "identifier and no MDC_IDC_DEV_SERIAL observation",
                             SegmentPosition(*pid, 3));
    }
    r.patient.device_model = r.device.model;
    r.patient.device_serial = r.device.serial;
  }
  if (r.device.serial.empty()) r.device.serial = r.patient.device_serial;
  if (r.device.model.empty()) r.device.model = r.patient.device_model;
  return r;
}

}  // namespace heartbase::idco
