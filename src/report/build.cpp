// Prepare: the store's records and the re-mapped messages → the report's display-ready values.
#include "report/build.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "base/time_zone.h"
#include "store/alerts.h"
#include "store/blobs.h"
#include "store/clinical_reads.h"
#include "store/interrogations.h"
#include "store/patients.h"
#include "store/reports.h"
#include "store/review.h"

namespace heartbase::report {
namespace {

using domain::Observation;

std::string OrMissing(std::string_view s) {
  return s.empty() ? std::string(kMissing) : std::string(s);
}

std::string ManufacturerName(std::string_view code) {
  static const std::map<std::string_view, std::string_view> kNames = {{"MDT", "Medtronic"},
                                                                      {"BSX", "Boston Scientific"},
                                                                      {"SJM", "Abbott"},
                                                                      {"BIO", "Biotronik"},
                                                                      {"MCP", "MicroPort"}};
  const auto it = kNames.find(code);
  return it == kNames.end() ? OrMissing(code) : std::string(it->second);
}

std::string UnitLabel(std::string_view ucum) {
  if (ucum == "Ohm") return "\u03a9";
  if (ucum == "{beats}/min" || ucum == "/min") return "bpm";
  return std::string(ucum);
}

std::string Number(double v) {
  if (!std::isfinite(v)) return std::string(kMissing);
  // Up to three decimals, without trailing zeros: 2.95, 520, 0.5.
  std::string s = fmt::format("{:.3f}", v);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

std::string WithUnit(const std::string& number, std::string_view unit) {
  if (number == kMissing || unit.empty()) return number;
  return fmt::format("{} {}", number, UnitLabel(unit));
}

// "AT/AF" for MDC_IDC_ENUM_EPISODE_TYPE_Epis_AT_AF, "RemoteScheduled" for …_RemoteScheduled: an
// enumeration the dictionary did not name, shown by its value rather than its term family. The
// value starts at the first word with a lower-case letter (the families are upper case).
std::string EnumLabel(std::string_view text) {
  if (!text.starts_with("MDC_IDC_ENUM_")) return std::string(text);
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = std::min(text.find('_', at), text.size());
    const std::string_view word = text.substr(at, end - at);
    if (std::any_of(word.begin(), word.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
      std::string_view value = text.substr(at);
      if (value.starts_with("Epis_")) value.remove_prefix(5);
      if (value == "AT_AF" || value == "ATAF") return "AT/AF";
      std::string out(value);
      std::replace(out.begin(), out.end(), '_', ' ');
      return out;
    }
    at = end + 1;
  }
  return std::string(text);
}

// What an observation shows: its number with unit, its coded display, or its text.
std::string Display(const Observation& o) {
  using Kind = domain::Value::Kind;
  switch (o.value.kind) {
    case Kind::kNumber:
      return WithUnit(Number(o.value.number), o.unit);
    case Kind::kCoded:
      if (!o.value.coded.display.empty()) return o.value.coded.display;
      if (!o.value.coded.mnemonic.empty()) return EnumLabel(o.value.coded.mnemonic);
      return OrMissing(o.value.coded.text.empty() ? o.value.coded.code
                                                  : EnumLabel(o.value.coded.text));
    case Kind::kEmpty:
      return std::string(kMissing);
    default:
      return OrMissing(o.value.text);
  }
}

std::string Key(const Observation& o) {
  return fmt::format("{}#{}", o.reference_id.empty() ? o.raw_code : o.reference_id, o.instance);
}

ValueRow Compare(const Observation& now, const Observation* before, bool has_previous) {
  ValueRow row{.label = TermLabel(now.reference_id.empty() ? now.raw_code : now.reference_id),
               .current = Display(now)};
  if (!has_previous) return row;
  if (before == nullptr) {
    row.previous = std::string(kMissing);
    row.change = "new";
    return row;
  }
  row.previous = Display(*before);
  using Kind = domain::Value::Kind;
  if (now.value.kind == Kind::kNumber && before->value.kind == Kind::kNumber &&
      now.unit == before->unit) {
    const double d = now.value.number - before->value.number;
    if (std::fabs(d) < 1e-9) {
      row.change = "";
    } else {
      // A real minus sign, and an explicit plus: a change is read at a glance.
      const std::string magnitude = Number(std::fabs(d));
      row.change = WithUnit(fmt::format("{}{}", d < 0 ? "\u2212" : "+", magnitude), now.unit);
    }
  } else if (row.current != row.previous) {
    row.change = "changed";
  }
  return row;
}

// Rows comparing `now` with the same terms (and instances) in `before`.
std::vector<ValueRow> CompareAll(const std::vector<const Observation*>& now,
                                 const std::vector<const Observation*>* before) {
  std::map<std::string, const Observation*> earlier;
  if (before != nullptr) {
    for (const Observation* o : *before) earlier.emplace(Key(*o), o);
  }
  std::vector<ValueRow> rows;
  rows.reserve(now.size());
  for (const Observation* o : now) {
    const auto it = earlier.find(Key(*o));
    rows.push_back(Compare(*o, it == earlier.end() ? nullptr : it->second, before != nullptr));
  }
  return rows;
}

template <typename Pred>
std::vector<const Observation*> Select(const std::vector<Observation>& from, Pred pred) {
  std::vector<const Observation*> out;
  for (const Observation& o : from) {
    if (pred(o)) out.push_back(&o);
  }
  return out;
}

bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

bool IsBattery(const Observation& o) {
  return Contains(o.reference_id, "BATTERY") || Contains(o.reference_id, "CAP_CHARGE");
}

// "RA", "RV", "LV" … from MDC_IDC_MSMT_LEADCHNL_RV_…; "" otherwise.
std::string Chamber(std::string_view reference_id) {
  for (std::string_view prefix : {"LEADCHNL_", "LEADHVCHNL_"}) {
    const std::size_t at = reference_id.find(prefix);
    if (at == std::string_view::npos) continue;
    const std::string_view rest = reference_id.substr(at + prefix.size());
    return std::string(rest.substr(0, rest.find('_')));
  }
  return "";
}

struct TermSet {
  std::vector<const Observation*> now, before;
};

std::string SessionTypeLabel(domain::SessionType t) {
  using domain::SessionType;
  switch (t) {
    case SessionType::kImplant:
      return "Implant";
    case SessionType::kInClinic:
      return "In clinic";
    case SessionType::kRemote:
      return "Remote";
    case SessionType::kRemoteScheduled:
      return "Remote, scheduled";
    case SessionType::kRemoteDeviceInitiated:
      return "Remote, device alert";
    case SessionType::kRemotePatientInitiated:
      return "Remote, patient initiated";
    case SessionType::kOther:
      return "Other";
    case SessionType::kUnknown:
      break;
  }
  return std::string(kMissing);
}

bool IsRemote(domain::SessionType t) {
  using domain::SessionType;
  return t == SessionType::kRemote || t == SessionType::kRemoteScheduled ||
         t == SessionType::kRemoteDeviceInitiated || t == SessionType::kRemotePatientInitiated;
}

std::string Duration(std::optional<double> seconds) {
  if (!seconds || !std::isfinite(*seconds) || *seconds < 0) return std::string(kMissing);
  const auto s = static_cast<std::int64_t>(std::llround(*seconds));
  if (s < 60) return fmt::format("{} s", s);
  if (s < 3600) return fmt::format("{} min {} s", s / 60, s % 60);
  return fmt::format("{} h {} min", s / 3600, (s % 3600) / 60);
}

std::string EpisodeType(std::string_view mnemonic) {
  std::string_view t = mnemonic;
  if (t.starts_with("Epis_")) t.remove_prefix(5);
  if (t == "ATAF" || t == "AT_AF") return "AT/AF";
  return OrMissing(t);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

base::Result<std::string> BlobLookupHex(store::Transaction& tx, std::int64_t blob_id) {
  const store::Param p[] = {{"id", blob_id}};
  auto rows = tx.Query("SELECT lookup FROM blob WHERE id = :id", p);
  if (!rows) return rows.error();
  if (rows->empty()) return base::MakeError(base::ErrorCode::kNotFound, "no such blob");
  std::string hex;
  for (unsigned char c : rows->front().Blob(0)) hex += fmt::format("{:02x}", c);
  return hex;
}

// The rule set that was active when the interrogation arrived ("builtin" before any).
base::Result<std::string> RuleSetVersion(store::Transaction& tx, std::int64_t received_us) {
  const store::Param p[] = {{"at", received_us}};
  auto rows = tx.Query(
      "SELECT version FROM rule_set WHERE activated_us IS NOT NULL AND activated_us <= :at "
      "ORDER BY activated_us DESC LIMIT 1",
      p);
  if (!rows) return rows.error();
  return rows->empty() ? std::string("builtin") : std::to_string(rows->front().Int(0));
}

base::Result<std::string> UserRole(store::Transaction& tx, std::string_view name) {
  const store::Param p[] = {{"name", std::string(name)}};
  auto rows = tx.Query("SELECT role FROM app_user WHERE name = :name", p);
  if (!rows) return rows.error();
  if (rows->empty()) return std::string(kMissing);
  std::string role(rows->front().Text(0));
  if (!role.empty())
    role[0] = static_cast<char>(role[0] >= 'a' && role[0] <= 'z' ? role[0] - 32 : role[0]);
  return role;
}

void AddTrends(store::Transaction& tx, std::int64_t patient_id, std::int64_t until_us,
               const domain::Interrogation& now, const std::vector<store::DeviceRecord>& devices,
               std::vector<TrendPlot>* plots, base::Status* status) {
  std::vector<std::int64_t> changes;
  for (std::size_t i = 1; i < devices.size(); ++i) changes.push_back(devices[i].first_seen_us);
  struct Wanted {
    std::string title, unit;
    std::vector<std::pair<std::string, std::uint32_t>> series;  // label, term code
  };
  Wanted battery{"Battery voltage", "V", {}}, impedance{"Lead impedance", "\u03a9", {}},
      threshold{"Pacing threshold", "V", {}}, burden{"AT/AF burden", "%", {}};
  for (const Observation& o : now.measurements) {
    if (o.code == 0 || o.value.kind != domain::Value::Kind::kNumber) continue;
    const std::string_view id = o.reference_id;
    if (id.ends_with("BATTERY_VOLTAGE")) battery.series.emplace_back("", o.code);
    if (Contains(id, "LEADCHNL_") && id.ends_with("_IMPEDANCE_VALUE")) {
      impedance.series.emplace_back(Chamber(id), o.code);
    }
    if (Contains(id, "LEADCHNL_") && id.ends_with("PACING_THRESHOLD_AMPLITUDE")) {
      threshold.series.emplace_back(Chamber(id), o.code);
    }
  }
  for (const Observation& o : now.statistics) {
    if (o.code != 0 && Contains(o.reference_id, "BURDEN_PERCENT") &&
        (Contains(o.reference_id, "AT") || Contains(o.reference_id, "AF"))) {
      burden.series.emplace_back(
          o.reference_id.find("ATAF") != std::string::npos ? "" : TermLabel(o.reference_id),
          o.code);
    }
  }
  for (Wanted* w : {&battery, &impedance, &threshold, &burden}) {
    // A plot only for what this device measures (a loop recorder has no leads).
    if (w->series.empty()) continue;
    TrendPlot plot{.title = w->title,
                   .unit = w->unit,
                   .device_changes_us = changes,
                   .this_session_us = until_us};
    std::vector<std::uint32_t> seen;
    for (const auto& [label, code] : w->series) {
      if (std::find(seen.begin(), seen.end(), code) != seen.end()) continue;
      seen.push_back(code);
      auto points = store::ReadTrend(tx, patient_id, code, INT64_MIN, until_us);
      if (!points) {
        *status = points.error();
        return;
      }
      TrendSeries series{.label = label};
      series.points.reserve(points->size());
      for (const auto& p : *points) series.points.push_back({p.time_us, p.value});
      plot.series.push_back(std::move(series));
    }
    plots->push_back(std::move(plot));
  }
}

}  // namespace

std::string TermLabel(std::string_view reference_id) {
  std::string_view id = reference_id;
  for (std::string_view prefix :
       {"MDC_IDC_MSMT_", "MDC_IDC_SET_", "MDC_IDC_STAT_", "MDC_IDC_DEV_", "MDC_IDC_SESS_",
        "MDC_IDC_LEAD_", "MDC_IDC_EPISODE_", "MDC_IDC_"}) {
    if (id.starts_with(prefix)) {
      id.remove_prefix(prefix.size());
      break;
    }
  }
  static const std::map<std::string_view, std::string_view> kWords = {{"LEADCHNL", ""},
                                                                      {"LEADHVCHNL", "HV"},
                                                                      {"BRADY", ""},
                                                                      {"TACHYTHERAPY", ""},
                                                                      {"VALUE", ""},
                                                                      {"AMPLITUDE", "amplitude"},
                                                                      {"PULSEWIDTH", "pulse width"},
                                                                      {"INTR", "intrinsic"},
                                                                      {"AMPL", "amplitude"},
                                                                      {"PERCENT", "%"},
                                                                      {"CAP", "capacitor"},
                                                                      {"ATAF", "AT/AF"},
                                                                      {"RA", "RA"},
                                                                      {"RV", "RV"},
                                                                      {"LV", "LV"},
                                                                      {"AP", "AP"},
                                                                      {"VP", "VP"},
                                                                      {"AS", "AS"},
                                                                      {"VS", "VS"},
                                                                      {"ATP", "ATP"},
                                                                      {"RRT", "RRT"},
                                                                      {"ERI", "ERI"},
                                                                      {"EOS", "EOS"},
                                                                      {"VT", "VT"},
                                                                      {"VF", "VF"},
                                                                      {"SVT", "SVT"},
                                                                      {"AT", "AT"},
                                                                      {"AF", "AF"},
                                                                      {"HV", "HV"},
                                                                      {"CRT", "CRT"},
                                                                      {"PVC", "PVC"},
                                                                      {"ID", "ID"}};
  std::string out;
  while (!id.empty()) {
    const std::size_t end = std::min(id.find('_'), id.size());
    const std::string_view word = id.substr(0, end);
    id.remove_prefix(std::min(end + 1, id.size()));
    const auto it = kWords.find(word);
    const std::string text = it != kWords.end() ? std::string(it->second) : Lower(word);
    if (text.empty()) continue;
    if (!out.empty()) out += ' ';
    out += text;
  }
  if (out.empty()) return std::string(reference_id);
  if (out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

base::Result<Prepared> Prepare(store::Transaction& tx, const crypto::KeyRing& keys,
                               std::int64_t interrogation_id, const ParseStored& parse,
                               const PrepareOptions& options) {
  auto row = store::GetInterrogation(tx, interrogation_id);
  if (!row) return row.error();
  auto patient = store::GetPatient(tx, keys, row->patient_id);
  if (!patient) return patient.error();
  auto clinic = store::GetClinicReportSettings(tx, keys, patient->clinic_id);
  if (!clinic) return clinic.error();
  auto zone = base::TimeZone::Load(clinic->time_zone);
  if (!zone) zone = base::TimeZone::Utc();  // a zone uninstalled since: times in UTC, named so
  auto raw = store::GetBlob(tx, keys, row->raw_blob_id);
  if (!raw) return raw.error();
  auto now = parse(*raw);
  if (!now) return now.error();

  std::optional<domain::Interrogation> before;
  std::optional<store::InterrogationRow> before_row;
  auto previous = store::PreviousInterrogation(tx, interrogation_id);
  if (!previous) return previous.error();
  if (*previous) {
    auto prow = store::GetInterrogation(tx, **previous);
    if (!prow) return prow.error();
    auto praw = store::GetBlob(tx, keys, prow->raw_blob_id);
    if (!praw) return praw.error();
    auto parsed = parse(*praw);
    if (!parsed) return parsed.error();
    before = std::move(*parsed);
    before_row = std::move(*prow);
  }
  auto review = store::GetReview(tx, keys, interrogation_id);
  if (!review) return review.error();

  Prepared out;
  out.patient_id = row->patient_id;
  out.clinic_id = patient->clinic_id;
  out.page_size = clinic->page_size;
  ReportModel& m = out.model;
  auto when = [&zone](std::int64_t us) {
    return fmt::format("{} {}", zone->FormatMinutes(us), zone->AbbreviationAt(us / 1'000'000));
  };

  // Clinic and patient.
  m.clinic.name = clinic->name;
  m.clinic.time_zone = zone->name();
  m.clinic.logo_png = clinic->logo_png;
  for (std::size_t at = 0; at < clinic->address.size();) {
    const std::size_t end = std::min(clinic->address.find('\n', at), clinic->address.size());
    if (end > at) m.clinic.address_lines.push_back(clinic->address.substr(at, end - at));
    at = end + 1;
  }
  const std::string name = patient->family_name.empty() || patient->given_name.empty()
                               ? patient->family_name + patient->given_name
                               : fmt::format("{}, {}", patient->family_name, patient->given_name);
  m.patient.name = OrMissing(name);
  m.patient.birth_date = OrMissing(patient->birth_date);
  m.patient.sex = patient->sex;
  auto identifiers = store::ListIdentifiers(tx, keys, row->patient_id);
  if (!identifiers) return identifiers.error();
  m.patient.mrn = std::string(kMissing);
  for (const auto& id : *identifiers) {
    if (id.kind == "MR") {
      m.patient.mrn = id.authority.empty() ? id.id : fmt::format("{} ({})", id.id, id.authority);
      break;
    }
  }

  // Session.
  const std::int64_t session_us = row->session_us.value_or(row->received_us);
  m.session_type = SessionTypeLabel(now->session_type);
  m.session_time = when(session_us);
  const std::string sender =
      now->sending_application.empty()
          ? row->sender
          : fmt::format("{} {}", now->sending_application, now->sending_facility);
  m.source = fmt::format("{} ({})",
                         IsRemote(now->session_type) ? "Remote monitoring" : "In-clinic programmer",
                         sender);
  m.result_status = row->result_status;
  if (before_row) {
    m.previous_session = fmt::format(
        "{} ({})", zone->FormatDate(before_row->session_us.value_or(before_row->received_us)),
        Lower(SessionTypeLabel(before->session_type)));
  }

  // Hardware, current first.
  auto devices = store::ListDevices(tx, keys, row->patient_id);
  if (!devices) return devices.error();
  auto leads = store::ListLeads(tx, keys, row->patient_id);
  if (!leads) return leads.error();
  for (auto it = devices->rbegin(); it != devices->rend(); ++it) {
    const bool current = it->id == row->device_id;
    m.hardware.push_back(HardwareRow{
        .role = fmt::format("Device ({})", OrMissing(it->type)),
        .manufacturer = ManufacturerName(it->manufacturer),
        .model = OrMissing(it->model),
        .serial = OrMissing(it->serial),
        .implanted = OrMissing(it->implant_date),
        .status = current ? "" : fmt::format("last seen {}", zone->FormatDate(it->last_seen_us))});
    for (const auto& lead : *leads) {
      if (lead.device_id != it->id) continue;
      m.hardware.push_back(HardwareRow{.role = fmt::format("Lead {}", OrMissing(lead.location)),
                                       .manufacturer = ManufacturerName(lead.manufacturer),
                                       .model = OrMissing(lead.model),
                                       .serial = OrMissing(lead.serial),
                                       .implanted = OrMissing(lead.implant_date),
                                       .status = current ? "" : "with the earlier device"});
    }
  }

  // Sections: battery and charge; each lead channel; programmed parameters, changes first;
  // counters.
  const bool has_previous = before.has_value();
  auto section = [&](std::string title, const TermSet& set) {
    Section s{.title = std::move(title), .has_previous = has_previous};
    s.rows = CompareAll(set.now, has_previous ? &set.before : nullptr);
    if (!s.rows.empty()) m.sections.push_back(std::move(s));
  };
  {
    TermSet battery{
        Select(now->measurements, IsBattery),
        before ? Select(before->measurements, IsBattery) : std::vector<const Observation*>{}};
    section("Battery and charge", battery);
    std::vector<std::string> chambers;
    for (const Observation& o : now->measurements) {
      const std::string c = Chamber(o.reference_id);
      if (!c.empty() && std::find(chambers.begin(), chambers.end(), c) == chambers.end()) {
        chambers.push_back(c);
      }
    }
    for (const std::string& c : chambers) {
      auto of = [&c](const Observation& o) { return Chamber(o.reference_id) == c; };
      TermSet lead{Select(now->measurements, of),
                   before ? Select(before->measurements, of) : std::vector<const Observation*>{}};
      section(fmt::format("Lead {}: impedance, threshold and sensing", c), lead);
    }
    auto other = [](const Observation& o) {
      return !IsBattery(o) && Chamber(o.reference_id).empty();
    };
    TermSet rest{Select(now->measurements, other),
                 before ? Select(before->measurements, other) : std::vector<const Observation*>{}};
    section("Other measurements", rest);
  }
  {
    auto all = [](const Observation&) { return true; };
    std::vector<const Observation*> settings = Select(now->settings, all), earlier;
    if (before) earlier = Select(before->settings, all);
    for (const auto& zone_group : now->zones) {
      for (const Observation& o : zone_group.observations) settings.push_back(&o);
    }
    if (before) {
      for (const auto& zone_group : before->zones) {
        for (const Observation& o : zone_group.observations) earlier.push_back(&o);
      }
    }
    Section s{.title = "Programmed parameters", .has_previous = has_previous};
    s.rows = CompareAll(settings, has_previous ? &earlier : nullptr);
    // Changes first, in message order within each part.
    std::stable_partition(s.rows.begin(), s.rows.end(),
                          [](const ValueRow& r) { return !r.change.empty(); });
    const auto changed = std::count_if(s.rows.begin(), s.rows.end(),
                                       [](const ValueRow& r) { return !r.change.empty(); });
    if (has_previous) {
      s.note =
          fmt::format("Changed since {}: {} of {}", m.previous_session, changed, s.rows.size());
    }
    if (!s.rows.empty()) m.sections.push_back(std::move(s));
  }
  {
    auto all = [](const Observation&) { return true; };
    TermSet counters{Select(now->statistics, all),
                     before ? Select(before->statistics, all) : std::vector<const Observation*>{}};
    for (const auto& g : now->episode_counters) {
      for (const Observation& o : g.observations) counters.now.push_back(&o);
    }
    if (before) {
      for (const auto& g : before->episode_counters) {
        for (const Observation& o : g.observations) counters.before.push_back(&o);
      }
    }
    section("Counters: pacing, arrhythmia burden and therapies", counters);
  }

  // Episodes with their therapies.
  for (const domain::Episode& e : now->episodes) {
    EpisodeRow r{.time = e.onset ? when(e.onset->ToUnixMicros()) : std::string(kMissing),
                 .type = EpisodeType(e.type),
                 .duration = Duration(e.duration_s),
                 .therapy = std::string(kMissing),
                 .id = e.id};
    for (const auto& g : now->episode_groups) {
      if (g.instance != e.instance) continue;
      std::string therapy;
      for (const Observation& o : g.observations) {
        if (!Contains(o.reference_id, "THERAPY") && !Contains(o.reference_id, "RESULT")) continue;
        if (!therapy.empty()) therapy += "; ";
        therapy += Display(o);
      }
      if (!therapy.empty()) r.therapy = std::move(therapy);
    }
    m.episodes.push_back(std::move(r));
  }
  if (!m.episodes.empty()) {
    m.episodes_note = fmt::format("{} episode{} in this interrogation", m.episodes.size(),
                                  m.episodes.size() == 1 ? "" : "s");
  }

  // Alerts.
  auto alerts = store::ListAlerts(tx, keys, interrogation_id);
  if (!alerts) return alerts.error();
  for (const auto& a : *alerts) {
    m.alerts.push_back(AlertRow{.severity = std::string(store::ToString(a.alert.severity)),
                                .rule = a.alert.rule,
                                .reason = a.alert.reason});
  }

  // Trends up to this session, so that the signed report renders the same later.
  base::Status trend_status;
  AddTrends(tx, row->patient_id, session_us, *now, *devices, &m.trends, &trend_status);
  if (!trend_status) return trend_status.error();

  // Notes, interpretation and signature.
  for (const store::ReviewNote& n : review->notes) {
    NoteRow note{.author = n.author,
                 .kind = n.kind == "signoff"  ? "Interpretation"
                         : n.kind == "review" ? "Review"
                                              : "Note",
                 .time = when(n.time_us),
                 .text = n.text};
    if (n.kind == "signoff") {
      m.interpretation = std::move(note);
    } else {
      m.notes.push_back(std::move(note));
    }
  }
  const bool signed_here = review->state == store::ReviewState::kSigned &&
                           review->signed_by.has_value() && review->signed_us.has_value();
  std::string role;
  if (signed_here) {
    auto r = UserRole(tx, *review->signed_by);
    if (!r) return r.error();
    role = std::move(*r);
    m.signature = SignatureBlock{
        .signer = *review->signed_by, .role = role, .time = when(*review->signed_us)};
  }

  // Attachments carried in the message.
  for (const domain::Attachment& a : now->attachments) {
    AttachmentRow r{.description = a.instance == 0 ? std::string("Manufacturer's session report")
                                                   : fmt::format("EGM, episode {}", a.instance),
                    .media_type = OrMissing(a.media_type),
                    .bytes = static_cast<std::int64_t>(a.data.size())};
    if (a.data.empty()) {
      r.readable = false;
      r.status = a.reference.empty() ? "empty" : "a reference to another system (not carried)";
    } else if (Lower(a.media_type).find("pdf") == std::string::npos ||
               !std::string_view(a.data).starts_with("%PDF-")) {
      r.readable = a.media_type.find("pdf") == std::string::npos;  // not a PDF: listed only
      r.status = r.readable ? "listed" : "unreadable: not a PDF";
    } else {
      r.status = "listed";
      if (options.attachment_bytes) r.pdf = a.data;
    }
    m.attachments.push_back(std::move(r));
  }
  m.warnings = now->warnings;

  const std::int64_t generated_us = signed_here ? *review->signed_us : options.now_us;
  m.reference = fmt::format("Interrogation {}", interrogation_id);
  m.generated_at = when(generated_us);

  // Provenance.
  ProvenanceRecord& p = out.record;
  p.interrogation_id = interrogation_id;
  auto source = BlobLookupHex(tx, row->raw_blob_id);
  if (!source) return source.error();
  p.source_hashes.push_back(std::move(*source));
  if (before_row) {
    auto earlier = BlobLookupHex(tx, before_row->raw_blob_id);
    if (!earlier) return earlier.error();
    p.source_hashes.push_back(std::move(*earlier));
  }
  p.mapping_version = options.mapping_version;
  auto rules = RuleSetVersion(tx, row->received_us);
  if (!rules) return rules.error();
  p.rule_set_version = std::move(*rules);
  p.page_size = clinic->page_size;
  p.draft = !signed_here;
  if (signed_here) {
    p.signer = *review->signed_by;
    p.signer_role = role;
    p.signed_at = base::IsoUtcMillis(*review->signed_us);
  }
  p.rendered_at = base::IsoUtcMillis(generated_us);
  return out;
}

}  // namespace heartbase::report
