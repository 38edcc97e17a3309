// ComposeSessionMessage: one planned session → its ORU^R01 text (MSH, PID, PV1, OBR, OBX by
// device type) and the facts line recording exactly what was written.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/json_writer.h"
#include "demo/generator.h"
#include "demo/internal/message_writer.h"
#include "demo/internal/obx_blocks.h"
#include "demo/internal/session_values.h"
#include "demo/pdf.h"

namespace heartbase::demo::internal {

// A GUID-shaped session id (OBR-3), unique per (seed, time).
inline std::string SessionId(std::uint64_t seed, std::int64_t t) {
  const std::uint64_t a = Mix(seed, static_cast<std::uint64_t>(t));
  const std::uint64_t b = Mix(a, 0x5E55);
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xFFFF,
                     0x4000 | (a & 0x0FFF), 0x8000 | ((b >> 48) & 0x3FFF), b & 0xFFFFFFFFFFFFull);
}

inline std::string ControlId(const Sender& s, std::int64_t message_t, std::uint64_t sequence) {
  switch (s.manufacturer) {
    case Manufacturer::kMedtronic:
      return fmt::format("{}{:012}", Hl7Date(DayOf(message_t)), sequence);
    case Manufacturer::kBostonScientific:
      return fmt::format("LAT{:012}", sequence);
    case Manufacturer::kAbbott:
      return fmt::format("MN{:012}", sequence);
    case Manufacturer::kBiotronik:
      return fmt::format("HM{:012}", sequence);
    case Manufacturer::kMicroPort:
      return fmt::format("SV{:012}", sequence);
  }
  return fmt::format("{}", sequence);
}

inline void WriteHeader(const PatientPlan& p, const Session& s, const Device& d,
                        const std::string& control_id, const std::string& session_id,
                        std::int64_t message_t, MessageWriter& w) {
  const Sender& snd = w.sender();
  std::string msh =
      fmt::format("MSH|^~\\&|{}|{}|HEARTBASE|DEMO CLINIC|{}||{}|{}|P|{}", snd.application,
                  snd.facility, Hl7Time(message_t, snd.utc_offset),
                  snd.msh9_structure ? "ORU^R01^ORU_R01" : "ORU^R01", control_id, snd.version);
  std::string tail[9];  // MSH-13 … MSH-21
  if (snd.accept_ack_fields) tail[2] = "AL", tail[3] = "NE";
  tail[5] = snd.charset;
  if (snd.profile) tail[8] = "IHE_PCD_ORU_R01^IHE PCD^1.3.6.1.4.1.19376.1.6.1.9.1^ISO";
  int last = -1;
  for (int i = 0; i < 9; ++i) {
    if (!tail[i].empty()) last = i;
  }
  for (int i = 0; i <= last; ++i) msh += "|" + tail[i];
  w.Segment(std::move(msh));

  const bool up = snd.upper_case_pid;
  const std::string id = fmt::format("{}{}{}{}", up ? "MODEL:" : "model:", d.model->name,
                                     up ? "/SERIAL:" : "/serial:", d.serial);
  const std::string dob =
      p.birth_year_only ? fmt::format("{:04}0000", p.birth.year)
                        : fmt::format("{:04}{:02}{:02}", p.birth.year, p.birth.month, p.birth.day);
  w.Segment(fmt::format("PID|||{}^^^{}^U~MRN{:06}^^^HOSP^MR||{}^{}||{}|{}", Escape(id),
                        snd.facility, p.index, Escape(p.family), Escape(p.given), dob, p.sex));
  const bool visit = s.kind == SessionKind::kImplant || s.kind == SessionKind::kInClinic;
  if (snd.pv1 == Pv1::kAlways || (snd.pv1 == Pv1::kInClinic && visit)) {
    w.Segment(snd.manufacturer == Manufacturer::kMedtronic ? "PV1|1|A"
                                                           : (visit ? "PV1|1|O" : "PV1|1|R"));
  }
  std::string obr4 = w.CodedValue(SessionEnum(s.kind));
  if (snd.vendor_session_code) {
    static constexpr std::string_view kVendor[] = {"IMPLANT", "INCLINIC", "REMOTE", "ALERT"};
    const std::string_view v = kVendor[static_cast<std::size_t>(s.kind)];
    obr4 += fmt::format("^{}^{}^{}", v, v, snd.facility);
  }
  w.Segment(fmt::format("OBR|1||{}|{}|||{}{}F", session_id, obr4, Hl7Time(s.t, snd.utc_offset),
                        std::string(18, '|')));
}

struct DocumentCount {
  int reports = 0, egms = 0;
};

// Report and EGM-strip PDFs.
inline DocumentCount WriteDocuments(const PatientPlan& p, const Session& s, const Device& d,
                                    const SessionValues& v, MessageWriter& w) {
  const Sender& snd = w.sender();
  DocumentCount count;
  const bool reports_remotes = snd.manufacturer == Manufacturer::kMedtronic ||
                               snd.manufacturer == Manufacturer::kBostonScientific ||
                               snd.manufacturer == Manufacturer::kBiotronik;
  if (s.kind != SessionKind::kRemoteScheduled || reports_remotes) {
    std::vector<std::string> lines = {
        "SYNTHETIC DEMO DATA - not a real patient",
        fmt::format("Patient: {}, {}  born {}", p.family, p.given, p.birth.year),
        fmt::format("Device: {}  serial {}", d.model->name, d.serial),
        fmt::format("Session: {} {}", SessionEnum(s.kind).display, IsoTime(s.t, false)),
        fmt::format("Battery: {}", v.battery_status->display)};
    for (std::size_t i = 0; i < v.channels.size(); ++i) {
      const ChannelValues& c = v.channels[i];
      lines.push_back(fmt::format("Lead {} ({}): {} Ohm, threshold {} V", i + 1, v.leads[i]->model,
                                  c.impedance, FixedText(c.threshold_cv, 2)));
    }
    lines.push_back(fmt::format("Episodes listed: {}", v.episodes.size()));
    w.Document(0, MakePdf("Device interrogation report", lines));
    ++count.reports;
  }
  for (const EpisodeValues& e : v.episodes) {
    const bool treated = e.atp > 0 || e.shocks > 0;
    if (!treated && !(e.kind == EpisodeKind::kAtAf && e.duration_s > 3600)) continue;
    const std::vector<std::string> lines = {
        "SYNTHETIC DEMO DATA - not a real patient",
        fmt::format("Episode {} at {}", e.id, IsoTime(e.t, false)),
        fmt::format("Duration {} s, therapy: {} ATP, {} shocks", e.duration_s, e.atp, e.shocks)};
    const std::size_t pad = 8192 + Mix(p.seed, static_cast<std::uint64_t>(e.t)) % 16384;
    w.Document(e.instance, MakePdf("EGM strip", lines, pad));
    ++count.egms;
  }
  return count;
}

inline void Quoted(std::string* out, std::string_view key, std::string_view value) {
  *out += ",\"";
  *out += key;
  *out += "\":";
  base::JsonWriter::AppendQuoted(out, value);
}
// A number copied verbatim from the message text, or null.
inline void Raw(std::string* out, std::string_view key, const std::string& value) {
  *out += fmt::format(",\"{}\":{}", key, value.empty() ? "null" : value);
}

inline GeneratedMessage ComposeSessionMessage(const PatientPlan& p, const Session& s,
                                              const SessionValues& v, bool pdf,
                                              std::uint64_t sequence) {
  const Device& d = p.devices[static_cast<std::size_t>(s.device)];
  const Sender& snd = *p.sender;
  MessageWriter w(snd);
  const std::int64_t message_t = s.t + 60 + static_cast<std::int64_t>(Mix(p.seed, s.t) % 3000);
  const std::string control_id = ControlId(snd, message_t, sequence);
  const std::string session_id = SessionId(p.seed, s.t);
  WriteHeader(p, s, d, control_id, session_id, message_t, w);
  BlockFacts f;
  WriteDeviceAndSession(p, s, d, v, w);
  WriteMeasurements(s, v, w, &f);
  WriteSettings(d, v, w);
  WriteStatistics(v, w, &f);
  const DocumentCount docs = pdf ? WriteDocuments(p, s, d, v, w) : DocumentCount{};

  GeneratedMessage m;
  m.path = fmt::format("{}/p{:04}/{}-{}.hl7", snd.key, p.index, PathTime(s.t),
                       kSessionKindKeys[static_cast<std::size_t>(s.kind)]);
  m.bytes = w.Finish();
  std::string& j = m.facts;
  j = fmt::format("{{\"patient\":{}", p.index);
  Quoted(&j, "mrn", fmt::format("MRN{:06}", p.index));
  Quoted(&j, "manufacturer", snd.key);
  Quoted(&j, "device_type", kDeviceTypeKeys[static_cast<std::size_t>(d.type())]);
  Quoted(&j, "device_serial", d.serial);
  Quoted(&j, "device_model", d.model->name);
  Quoted(&j, "session_type", SessionEnum(s.kind).mnemonic);
  Quoted(&j, "session_time", IsoTime(s.t, snd.utc_offset));
  Quoted(&j, "session_id", session_id);
  Quoted(&j, "control_id", control_id);
  Quoted(&j, "battery_status", v.battery_status->mnemonic);
  Raw(&j, "battery_voltage", f.battery_voltage);
  Raw(&j, "battery_longevity_months", f.longevity);
  Raw(&j, "rv_impedance", f.rv_impedance);
  j += f.rv_check_lead ? ",\"rv_lead_status\":\"CheckLead\"" : ",\"rv_lead_status\":null";
  Raw(&j, "rv_threshold", f.rv_threshold);
  Raw(&j, "hv_impedance", f.hv_impedance);
  Raw(&j, "at_burden", f.at_burden);
  j += fmt::format(",\"episodes\":{}", f.episodes);
  Raw(&j, "shocks", f.shocks);
  Raw(&j, "atp", f.atp);
  j += fmt::format(",\"obx_count\":{},\"pdf\":{},\"egm_pdfs\":{}", w.obx_count(),
                   docs.reports + docs.egms > 0 ? "true" : "false", docs.egms);
  Quoted(&j, "birth_date",
         p.birth_year_only ? fmt::format("{:04}", p.birth.year) : IsoDate(DaysFrom(p.birth)));
  j += ",\"story\":[";
  for (std::size_t i = 0; i < p.stories.size(); ++i) {
    j += fmt::format("{}\"{}\"", i > 0 ? "," : "",
                     kStoryNames[static_cast<std::size_t>(p.stories[i])]);
  }
  j += "]}";
  return m;
}

}  // namespace heartbase::demo::internal
