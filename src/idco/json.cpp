// Interrogation → JSON. Field names are the contract documented in docs/idco-json.md.
#include "idco/json.h"

namespace heartbase::idco {
namespace {

using base::JsonWriter;
using domain::Observation;
using domain::Value;

void OptionalTime(JsonWriter* w, std::string_view key, const std::optional<base::DateTime>& t) {
  w->Key(key);
  if (t) {
    w->String(t->ToIso8601());
  } else {
    w->Null();
  }
}

void WriteValue(const Value& v, JsonWriter* w) {
  switch (v.kind) {
    case Value::Kind::kEmpty:
      w->Null();
      return;
    case Value::Kind::kNumber:
      w->Double(v.number);
      return;
    case Value::Kind::kText:
    case Value::Kind::kUnparsed:
      w->String(v.text);
      return;
    case Value::Kind::kDateTime:
      w->String(v.date_time.ToIso8601());
      return;
    case Value::Kind::kCoded:
      w->BeginObject();
      w->Field("code", v.coded.code);
      if (v.coded.enum_code != 0) w->Field("enum_code", v.coded.enum_code);
      w->Field("mnemonic", v.coded.mnemonic);
      w->Field("display", v.coded.display);
      w->Field("text", v.coded.text);
      w->Field("system", v.coded.system);
      w->EndObject();
      return;
    case Value::Kind::kStructured:
      w->BeginObject();
      w->Field("comparator", v.structured.comparator);
      w->Key("num1");
      v.structured.num1 ? w->Double(*v.structured.num1) : w->Null();
      w->Field("separator", v.structured.separator);
      w->Key("num2");
      v.structured.num2 ? w->Double(*v.structured.num2) : w->Null();
      w->EndObject();
      return;
  }
}

void WriteObservation(const Observation& o, JsonWriter* w) {
  w->BeginObject();
  w->Field("code", o.code);
  w->Field("term", o.reference_id);
  w->Field("known", o.known_term);
  if (!o.known_term || o.code == 0) w->Field("raw_code", o.raw_code);
  if (!o.sub_id.empty()) w->Field("instance", o.instance);
  w->Field("type", o.value_type);
  w->Key("value");
  WriteValue(o.value, w);
  if (o.value.kind == Value::Kind::kUnparsed) w->Field("unparsed", true);
  if (!o.unit.empty()) w->Field("unit", o.unit);
  if (o.raw_unit != o.unit && !o.raw_unit.empty()) w->Field("raw_unit", o.raw_unit);
  if (!o.abnormal_flags.empty()) {
    w->Key("flags");
    w->BeginArray();
    for (const auto& f : o.abnormal_flags) w->String(f);
    w->EndArray();
  }
  if (!o.result_status.empty()) w->Field("status", o.result_status);
  if (o.observed_at) w->Field("time", o.observed_at->ToIso8601());
  w->EndObject();
}

void WriteObservations(std::string_view key, const std::vector<Observation>& list, JsonWriter* w) {
  w->Key(key);
  w->BeginArray();
  for (const Observation& o : list) WriteObservation(o, w);
  w->EndArray();
}

void WriteGroups(std::string_view key, const std::vector<domain::Group>& groups, JsonWriter* w) {
  w->Key(key);
  w->BeginArray();
  for (const auto& g : groups) {
    w->BeginObject();
    w->Field("instance", g.instance);
    WriteObservations("observations", g.observations, w);
    w->EndObject();
  }
  w->EndArray();
}

const domain::Group* FindGroup(const std::vector<domain::Group>& groups, std::uint32_t instance) {
  for (const auto& g : groups) {
    if (g.instance == instance) return &g;
  }
  return nullptr;
}

}  // namespace

void WriteInterrogationJson(const domain::Interrogation& r, JsonWriter* w,
                            const std::vector<std::string>& attachment_files) {
  w->BeginObject();
  w->Key("message");
  w->BeginObject();
  w->Field("sending_application", r.sending_application);
  w->Field("sending_facility", r.sending_facility);
  w->Field("control_id", r.control_id);
  w->Field("version", r.version);
  OptionalTime(w, "time", r.message_time);
  w->EndObject();

  const auto& p = r.patient;
  w->Key("patient");
  w->BeginObject();
  w->Field("device_model", p.device_model);
  w->Field("device_serial", p.device_serial);
  w->Field("device_identifier", p.device_identifier);
  w->Field("assigning_authority", p.assigning_authority);
  w->Key("identifiers");
  w->BeginArray();
  for (const auto& id : p.other_identifiers) {
    w->BeginObject();
    w->Field("id", id.id);
    w->Field("authority", id.authority);
    w->Field("type", id.type);
    w->EndObject();
  }
  w->EndArray();
  w->Field("family_name", p.family_name);
  w->Field("given_name", p.given_name);
  w->Field("middle_name", p.middle_name);
  OptionalTime(w, "birth_date", p.birth_date);
  w->Field("sex", p.sex);
  w->EndObject();

  w->Key("session");
  w->BeginObject();
  w->Field("id", r.session_id);
  w->Field("type", domain::ToString(r.session_type));
  w->Field("type_raw", r.session_type_raw);
  OptionalTime(w, "time", r.session_time);
  w->Field("status", domain::ToString(r.status));
  w->EndObject();

  w->Key("device");
  w->BeginObject();
  w->Field("type", domain::ToString(r.device.type));
  w->Field("manufacturer", r.device.manufacturer);
  w->Field("model", r.device.model);
  w->Field("serial", r.device.serial);
  OptionalTime(w, "implant_date", r.device.implant_date);
  WriteObservations("observations", r.device_observations, w);
  w->EndObject();

  w->Key("leads");
  w->BeginArray();
  for (const auto& l : r.leads) {
    w->BeginObject();
    w->Field("instance", l.instance);
    w->Field("model", l.model);
    w->Field("serial", l.serial);
    w->Field("manufacturer", l.manufacturer);
    w->Field("location", l.location);
    OptionalTime(w, "implant_date", l.implant_date);
    if (const auto* g = FindGroup(r.lead_groups, l.instance)) {
      WriteObservations("observations", g->observations, w);
    }
    w->EndObject();
  }
  w->EndArray();

  WriteObservations("session_observations", r.session_observations, w);
  WriteObservations("measurements", r.measurements, w);
  WriteObservations("settings", r.settings, w);
  WriteObservations("statistics", r.statistics, w);
  WriteGroups("zones", r.zones, w);
  WriteGroups("episode_counters", r.episode_counters, w);

  w->Key("episodes");
  w->BeginArray();
  for (const auto& e : r.episodes) {
    w->BeginObject();
    w->Field("instance", e.instance);
    w->Field("id", e.id);
    OptionalTime(w, "onset", e.onset);
    w->Field("type", e.type);
    w->Key("duration_s");
    e.duration_s ? w->Double(*e.duration_s) : w->Null();
    if (const auto* g = FindGroup(r.episode_groups, e.instance)) {
      WriteObservations("observations", g->observations, w);
    }
    w->Key("attachments");  // indices into the top-level "attachments" array
    w->BeginArray();
    for (std::size_t i = 0; i < r.attachments.size(); ++i) {
      if (r.attachments[i].instance == e.instance && e.instance != 0) w->Uint(i);
    }
    w->EndArray();
    w->EndObject();
  }
  w->EndArray();

  w->Key("attachments");
  w->BeginArray();
  for (std::size_t i = 0; i < r.attachments.size(); ++i) {
    const auto& a = r.attachments[i];
    w->BeginObject();
    w->Field("instance", a.instance);
    w->Field("media_type", a.media_type);
    w->Key("bytes");
    w->Uint(a.data.size());
    if (!a.reference.empty()) w->Field("reference", a.reference);
    if (!a.source_application.empty()) w->Field("source_application", a.source_application);
    if (i < attachment_files.size()) w->Field("file", attachment_files[i]);
    w->EndObject();
  }
  w->EndArray();

  WriteObservations("other_observations", r.other_observations, w);
  w->Key("notes");
  w->BeginArray();
  for (const auto& n : r.notes) w->String(n);
  w->EndArray();
  w->Key("warnings");
  w->BeginArray();
  for (const auto& n : r.warnings) w->String(n);
  w->EndArray();
  w->EndObject();
}

}  // namespace heartbase::idco
