// Patient matching and lookups. Every identifying value is sealed with the row it belongs to;
// every lookup goes through a keyed blind index of a normalised form.
#include "store/patients.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <utility>

#include "store/internal/sealing.h"

namespace heartbase::store {
namespace {

using base::ErrorCode;

using internal::Index;

std::string Upper(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ' ' && c != '\t')
      out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

Value Sealed(const crypto::KeyRing& keys, std::string_view text, std::string_view table,
             std::string_view column, std::int64_t row) {
  if (text.empty()) return std::monostate{};
  return Bytes{keys.Seal(text, {table, column, row})};
}

std::string Open(const crypto::KeyRing& keys, const Row& r, std::size_t i, std::string_view table,
                 std::string_view column, std::int64_t row, base::Status* status) {
  if (r.IsNull(i)) return {};
  auto opened = keys.Open(r.Blob(i), {table, column, row});
  if (!opened) {
    *status = opened.error();
    return {};
  }
  return std::move(*opened);
}

std::vector<std::int64_t> Ids(const std::vector<Row>& rows) {
  std::set<std::int64_t> ids;
  for (const Row& r : rows) ids.insert(r.Int(0));
  return {ids.begin(), ids.end()};
}

// Adds the identifiers of `p` to the patient (sealed to its row, blind-indexed); those it already
// has stay once.
base::Status AddIdentifiers(Transaction& tx, const crypto::KeyRing& keys, std::int64_t patient,
                            const domain::PatientIdentity& p) {
  for (const auto& ident : p.other_identifiers) {
    const std::string normalized = Upper(ident.authority) + "|" + Upper(ident.id);
    const Param row[] = {
        {"patient", patient},
        {"kind", ident.type.empty() ? std::string("OTHER") : ident.type},
        {"value", Bytes{keys.Seal(ident.id + "^" + ident.authority,
                                  {"patient_identifier", "value", patient})}},
        {"lookup", Index(keys, "identifier", normalized)},
        {"any", Index(keys, "identifier-any", Upper(ident.id))},
    };
    if (auto r = tx.Execute("INSERT INTO patient_identifier (patient_id, kind, value, lookup, "
                            "any_lookup) VALUES (:patient, :kind, :value, :lookup, :any) "
                            "ON CONFLICT (patient_id, lookup) DO NOTHING",
                            row);
        !r) {
      return r.error();
    }
  }
  return {};
}

base::Status AddNameTokens(Transaction& tx, const crypto::KeyRing& keys, std::int64_t patient,
                           const domain::PatientIdentity& p) {
  for (const std::string& name : {p.family_name, p.given_name, p.middle_name}) {
    for (const std::string& token : NameTokens(name)) {
      const Param row[] = {{"lookup", Index(keys, "name", token)}, {"patient", patient}};
      if (auto r = tx.Execute("INSERT INTO patient_name_token (lookup, patient_id) "
                              "VALUES (:lookup, :patient) ON CONFLICT DO NOTHING",
                              row);
          !r) {
        return r.error();
      }
    }
  }
  return {};
}

std::string LeadLookupKey(const domain::Interrogation& in, const domain::Lead& lead) {
  const std::string mfg = lead.manufacturer.empty() ? in.device.manufacturer : lead.manufacturer;
  return Upper(mfg) + "|" + Upper(lead.serial);
}

// The patient of the first lead of the message that is already known, if any.
base::Result<std::optional<std::int64_t>> PatientOfLeads(Transaction& tx,
                                                         const crypto::KeyRing& keys,
                                                         const domain::Interrogation& in) {
  for (const domain::Lead& lead : in.leads) {
    if (lead.serial.empty()) continue;
    const Param find[] = {{"lookup", Index(keys, "lead", LeadLookupKey(in, lead))}};
    auto rows = tx.Query("SELECT patient_id FROM lead WHERE lookup = :lookup", find);
    if (!rows) return rows.error();
    if (!rows->empty()) return std::optional<std::int64_t>{rows->front().Int(0)};
  }
  return std::optional<std::int64_t>{};
}

base::Status RecordLeads(Transaction& tx, const crypto::KeyRing& keys,
                         const domain::Interrogation& in, std::int64_t patient, std::int64_t device,
                         std::int64_t now) {
  for (const domain::Lead& lead : in.leads) {
    const std::string mfg = lead.manufacturer.empty() ? in.device.manufacturer : lead.manufacturer;
    const std::string serial = Upper(lead.serial);
    Value lookup = std::monostate{}, serial_lookup = std::monostate{};
    if (!serial.empty()) {
      lookup = Index(keys, "lead", LeadLookupKey(in, lead));
      serial_lookup = Index(keys, "serial", serial);
      const Param known[] = {{"lookup", lookup}};
      auto owner = tx.Query("SELECT patient_id FROM lead WHERE lookup = :lookup", known);
      if (!owner) return owner.error();
      if (!owner->empty()) {
        // A lead recorded for another patient is left alone (the raw message keeps what this one
        // says); a lead of this patient follows it to its current generator.
        if (owner->front().Int(0) != patient) continue;
        const Param seen[] = {{"lookup", lookup}, {"now", now}, {"device", device}};
        auto updated = tx.Execute(
            "UPDATE lead SET last_seen_us = :now, device_id = :device WHERE lookup = :lookup",
            seen);
        if (!updated) return updated.error();
        continue;
      }
    } else {
      // No serial: the lead is known only by its instance on this device.
      const Param seen[] = {
          {"device", device}, {"instance", static_cast<std::int64_t>(lead.instance)}, {"now", now}};
      auto updated = tx.Execute(
          "UPDATE lead SET last_seen_us = :now WHERE device_id = :device "
          "AND instance = :instance AND lookup IS NULL",
          seen);
      if (!updated) return updated.error();
      if (*updated > 0) continue;
    }
    auto id = tx.NextId("lead");
    if (!id) return id.error();
    const Param create[] = {
        {"id", *id},
        {"patient", patient},
        {"device", device},
        {"instance", static_cast<std::int64_t>(lead.instance)},
        {"mfg", mfg},
        {"model", Sealed(keys, lead.model, "lead", "model", *id)},
        {"serial", Sealed(keys, lead.serial, "lead", "serial", *id)},
        {"location", lead.location},
        {"lookup", lookup},
        {"serial_lookup", serial_lookup},
        {"implant", lead.implant_date ? Value(lead.implant_date->ToIso8601()) : Value()},
        {"now", now},
    };
    if (auto r = tx.Execute(
            "INSERT INTO lead (id, patient_id, device_id, instance, manufacturer, model, serial, "
            "location, lookup, serial_lookup, implant_date, first_seen_us, last_seen_us) VALUES "
            "(:id, :patient, :device, :instance, :mfg, :model, :serial, :location, :lookup, "
            ":serial_lookup, :implant, :now, :now)",
            create);
        !r) {
      return r.error();
    }
  }
  return {};
}

}  // namespace

std::vector<std::string> NameTokens(std::string_view name) {
  std::vector<std::string> tokens;
  std::string cur;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || u >= 0x80) {
      cur.push_back(static_cast<char>(std::tolower(u)));
    } else if (!cur.empty()) {
      tokens.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) tokens.push_back(std::move(cur));
  return tokens;
}

base::Result<std::int64_t> CreatePatient(Transaction& tx, const crypto::KeyRing& keys,
                                         const domain::PatientIdentity& p, std::int64_t clinic,
                                         bool unmatched, std::int64_t now) {
  // Identifying values are sealed with the row id as associated data: the id is taken first.
  auto next = tx.NextId("patient");
  if (!next) return next.error();
  const std::int64_t id = *next;
  const Param create[] = {
      {"id", id},
      {"family", Sealed(keys, p.family_name, "patient", "family_name", id)},
      {"given", Sealed(keys, p.given_name, "patient", "given_name", id)},
      {"birth",
       Sealed(keys, p.birth_date ? p.birth_date->ToIso8601() : "", "patient", "birth_date", id)},
      {"sex", Sealed(keys, p.sex, "patient", "sex", id)},
      {"clinic", clinic},
      {"unmatched", std::int64_t{unmatched ? 1 : 0}},
      {"now", now},
  };
  if (auto r = tx.Execute(
          "INSERT INTO patient (id, unmatched, family_name, given_name, birth_date, sex, "
          "clinic_id, created_us) VALUES (:id, :unmatched, :family, :given, :birth, :sex, :clinic, "
          ":now)",
          create);
      !r) {
    return r.error();
  }
  if (auto s = AddIdentifiers(tx, keys, id, p); !s) return s.error();
  if (auto s = AddNameTokens(tx, keys, id, p); !s) return s.error();
  return id;
}

DeviceKey DeviceKeyOf(const domain::Interrogation& in) {
  DeviceKey k;
  k.manufacturer = in.device.manufacturer;
  if (!in.device.serial.empty()) {
    k.serial = Upper(in.device.serial);
  } else if (!in.patient.device_serial.empty()) {
    k.serial = Upper(in.patient.device_serial);
  } else {
    k.serial = Upper(in.patient.device_identifier);
  }
  return k;
}

bool ClinicScope::Allows(std::int64_t clinic) const {
  return any || std::find(clinics.begin(), clinics.end(), clinic) != clinics.end() ||
         (clinics.empty() && clinic == kUnassignedClinic);
}

namespace {

// kPermissionDenied unless `patient` belongs to a clinic of the scope. The message says only that
// the feed may not write there, never whose patient it is.
base::Status CheckScope(Transaction& tx, const ClinicScope& scope, std::int64_t patient) {
  if (scope.any) return {};
  auto clinic = GetPatientClinic(tx, patient);
  if (!clinic) return clinic.error();
  if (scope.Allows(*clinic)) return {};
  return base::MakeError(ErrorCode::kPermissionDenied,
                         "the message's device or leads belong to a patient outside the clinics "
                         "this feed delivers for; not applied");
}

// The one ordinary patient in `scope` who carries an MRN (PID-3 of type MR with an assigning
// authority) of the message: a new device of a patient the hospital registered (ADT). Unmatched
// records are skipped (their MRN was never confirmed), and so is an MRN carried by several
// patients: the message then lands on the unmatched work list for a person to decide.
base::Result<std::optional<std::int64_t>> PatientOfMrn(Transaction& tx, const crypto::KeyRing& keys,
                                                       const domain::PatientIdentity& p,
                                                       const ClinicScope& scope) {
  std::optional<std::int64_t> found;
  for (const auto& ident : p.other_identifiers) {
    if (ident.type != "MR" || ident.authority.empty()) continue;
    auto ids = FindPatientsByIdentifier(tx, keys, ident.id, ident.authority);
    if (!ids) return ids.error();
    for (std::int64_t id : *ids) {
      const Param q[] = {{"id", id}};
      auto rows = tx.Query("SELECT clinic_id, unmatched FROM patient WHERE id = :id", q);
      if (!rows) return rows.error();
      if (rows->empty() || rows->front().Int(1) != 0 || !scope.Allows(rows->front().Int(0))) {
        continue;
      }
      if (found && *found != id) return std::optional<std::int64_t>{};
      found = id;
    }
  }
  return found;
}

}  // namespace

base::Result<PatientMatch> MatchPatient(Transaction& tx, const crypto::KeyRing& keys,
                                        const domain::Interrogation& in, const ClinicScope& scope,
                                        std::int64_t now) {
  const DeviceKey key = DeviceKeyOf(in);
  if (key.serial.empty()) {
    return base::MakeError(ErrorCode::kInvalidArgument, "interrogation has no device identity");
  }
  const Bytes lookup = Index(keys, "device", Upper(key.manufacturer) + "|" + key.serial);
  PatientMatch match;
  const Param find[] = {{"lookup", lookup}};
  auto rows = tx.Query("SELECT id, patient_id FROM device WHERE lookup = :lookup", find);
  if (!rows) return rows.error();
  if (!rows->empty()) {
    match.device_id = rows->front().Int(0);
    match.patient_id = rows->front().Int(1);
    if (auto s = CheckScope(tx, scope, match.patient_id); !s) return s.error();
    const Param seen[] = {{"id", match.device_id}, {"now", now}};
    if (auto r = tx.Execute("UPDATE device SET last_seen_us = :now WHERE id = :id", seen); !r) {
      return r.error();
    }
  } else {
    // A new generator on known leads is a device replacement: the leads stay with their patient.
    auto by_lead = PatientOfLeads(tx, keys, in);
    if (!by_lead) return by_lead.error();
    if (*by_lead) {
      match.patient_id = **by_lead;
      if (auto s = CheckScope(tx, scope, match.patient_id); !s) return s.error();
    } else if (auto by_mrn = PatientOfMrn(tx, keys, in.patient, scope); !by_mrn) {
      return by_mrn.error();
    } else if (*by_mrn) {
      match.patient_id = **by_mrn;
    } else {
      auto patient = CreatePatient(tx, keys, in.patient, scope.home(), /*unmatched=*/true, now);
      if (!patient) return patient.error();
      match.patient_id = *patient;
      match.new_patient = true;
    }
    auto id = tx.NextId("device");
    if (!id) return id.error();
    match.device_id = *id;
    const std::string model = in.device.model.empty() ? in.patient.device_model : in.device.model;
    const Param create[] = {
        {"id", match.device_id},
        {"patient", match.patient_id},
        {"mfg", key.manufacturer},
        {"type", std::string(domain::ToString(in.device.type))},
        {"model", Sealed(keys, model, "device", "model", match.device_id)},
        {"serial", Bytes{keys.Seal(key.serial, {"device", "serial", match.device_id})}},
        {"lookup", lookup},
        {"serial_lookup", Index(keys, "serial", key.serial)},
        {"implant", in.device.implant_date ? Value(in.device.implant_date->ToIso8601()) : Value()},
        {"now", now},
    };
    if (auto r = tx.Execute(
            "INSERT INTO device (id, patient_id, manufacturer, type, model, serial, lookup, "
            "serial_lookup, implant_date, first_seen_us, last_seen_us) VALUES (:id, :patient, "
            ":mfg, :type, :model, :serial, :lookup, :serial_lookup, :implant, :now, :now)",
            create);
        !r) {
      return r.error();
    }
  }
  if (auto s = RecordLeads(tx, keys, in, match.patient_id, match.device_id, now); !s) {
    return s.error();
  }
  return match;
}

base::Status MovePatient(Transaction& tx, std::int64_t patient_id, std::int64_t clinic_id) {
  const Param p[] = {{"id", patient_id}, {"clinic", clinic_id}};
  auto r = tx.Execute("UPDATE patient SET clinic_id = :clinic WHERE id = :id", p);
  if (!r) return r.error();
  if (*r == 0) return base::MakeError(ErrorCode::kNotFound, "no such patient");
  return {};
}

base::Result<std::int64_t> GetPatientClinic(Transaction& tx, std::int64_t id) {
  const Param p[] = {{"id", id}};
  auto rows = tx.Query("SELECT clinic_id FROM patient WHERE id = :id", p);
  if (!rows) return rows.error();
  if (rows->empty()) return base::MakeError(ErrorCode::kNotFound, "no such patient");
  return rows->front().Int(0);
}

base::Result<PatientRecord> GetPatient(Transaction& tx, const crypto::KeyRing& keys,
                                       std::int64_t id) {
  const Param p[] = {{"id", id}};
  auto rows = tx.Query(
      "SELECT unmatched, family_name, given_name, birth_date, sex, clinic_id FROM patient "
      "WHERE id = :id",
      p);
  if (!rows) return rows.error();
  if (rows->empty()) return base::MakeError(ErrorCode::kNotFound, "no such patient");
  const Row& r = rows->front();
  base::Status status;
  PatientRecord rec;
  rec.id = id;
  rec.unmatched = r.Int(0) != 0;
  rec.clinic_id = r.Int(5);
  rec.family_name = Open(keys, r, 1, "patient", "family_name", id, &status);
  rec.given_name = Open(keys, r, 2, "patient", "given_name", id, &status);
  rec.birth_date = Open(keys, r, 3, "patient", "birth_date", id, &status);
  rec.sex = Open(keys, r, 4, "patient", "sex", id, &status);
  if (!status) return status.error();
  return rec;
}

base::Status UpdatePatientDemographics(Transaction& tx, const crypto::KeyRing& keys,
                                       std::int64_t id, const domain::PatientIdentity& p) {
  auto clinic = GetPatientClinic(tx, id);
  if (!clinic) return clinic.error();
  // HL7 v2: an empty field says nothing (only "" would erase), so only the values sent replace
  // the stored ones.
  const std::string birth = p.birth_date ? p.birth_date->ToIso8601() : "";
  const std::pair<std::string_view, const std::string*> columns[] = {
      {"family_name", &p.family_name},
      {"given_name", &p.given_name},
      {"birth_date", &birth},
      {"sex", &p.sex}};
  for (const auto& [column, value] : columns) {
    if (value->empty()) continue;
    const Param u[] = {{"id", id}, {"v", Sealed(keys, *value, "patient", column, id)}};
    // The column names come from the table above, never from input.
    if (auto r = tx.Execute(fmt::format("UPDATE patient SET {} = :v WHERE id = :id", column), u);
        !r) {
      return r.error();
    }
  }
  if (!p.family_name.empty() || !p.given_name.empty()) {
    // The name search must find the new name only: the old name's tokens go.
    const Param only[] = {{"patient", id}};
    if (auto r = tx.Execute("DELETE FROM patient_name_token WHERE patient_id = :patient", only);
        !r) {
      return r.error();
    }
    if (auto s = AddNameTokens(tx, keys, id, p); !s) return s;
  }
  return AddIdentifiers(tx, keys, id, p);
}

base::Result<std::vector<std::int64_t>> FindPatientsByIdentifier(Transaction& tx,
                                                                 const crypto::KeyRing& keys,
                                                                 std::string_view id,
                                                                 std::string_view authority) {
  if (authority.empty()) {
    const Param any[] = {{"lookup", Index(keys, "identifier-any", Upper(id))}};
    auto rows =
        tx.Query("SELECT patient_id FROM patient_identifier WHERE any_lookup = :lookup", any);
    if (!rows) return rows.error();
    return Ids(*rows);
  }
  const Param p[] = {{"lookup", Index(keys, "identifier", Upper(authority) + "|" + Upper(id))}};
  auto rows = tx.Query("SELECT patient_id FROM patient_identifier WHERE lookup = :lookup", p);
  if (!rows) return rows.error();
  return Ids(*rows);
}

base::Result<std::vector<std::int64_t>> FindPatientsBySerial(Transaction& tx,
                                                             const crypto::KeyRing& keys,
                                                             std::string_view serial) {
  const Param p[] = {{"lookup", Index(keys, "serial", Upper(serial))}};
  auto rows = tx.Query(
      "SELECT patient_id FROM device WHERE serial_lookup = :lookup "
      "UNION SELECT patient_id FROM lead WHERE serial_lookup = :lookup",
      p);
  if (!rows) return rows.error();
  return Ids(*rows);
}

base::Result<std::vector<std::int64_t>> FindPatientsByName(Transaction& tx,
                                                           const crypto::KeyRing& keys,
                                                           std::string_view name) {
  const std::vector<std::string> tokens = NameTokens(name);
  if (tokens.empty()) return std::vector<std::int64_t>{};
  std::vector<std::int64_t> result;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const Param p[] = {{"lookup", Index(keys, "name", tokens[i])}};
    auto rows = tx.Query("SELECT patient_id FROM patient_name_token WHERE lookup = :lookup", p);
    if (!rows) return rows.error();
    std::vector<std::int64_t> ids = Ids(*rows);
    if (i == 0) {
      result = std::move(ids);
    } else {
      std::vector<std::int64_t> both;
      std::set_intersection(result.begin(), result.end(), ids.begin(), ids.end(),
                            std::back_inserter(both));
      result = std::move(both);
    }
  }
  return result;
}

namespace {

base::Status CheckUnmatched(Transaction& tx, std::int64_t id) {
  const Param p[] = {{"id", id}};
  auto rows = tx.Query("SELECT unmatched FROM patient WHERE id = :id", p);
  if (!rows) return rows.error();
  if (rows->empty()) return base::MakeError(ErrorCode::kNotFound, "no such patient");
  if (rows->front().Int(0) == 0) {
    return base::MakeError(ErrorCode::kAlreadyExists, "the patient is already matched");
  }
  return {};
}

}  // namespace

base::Result<std::int64_t> AcceptPatientsCreatedSince(Transaction& tx, std::int64_t since_us) {
  const Param p[] = {{"since", since_us}};
  return tx.Execute("UPDATE patient SET unmatched = 0 WHERE unmatched = 1 AND created_us >= :since",
                    p);
}

base::Status AcceptUnmatchedPatient(Transaction& tx, std::int64_t id) {
  if (auto s = CheckUnmatched(tx, id); !s) return s;
  const Param p[] = {{"id", id}};
  if (auto r = tx.Execute("UPDATE patient SET unmatched = 0 WHERE id = :id", p); !r) {
    return r.error();
  }
  return {};
}

}  // namespace heartbase::store
