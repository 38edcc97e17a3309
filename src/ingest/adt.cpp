// ADT in. Patients are found by MRN only within the feed's clinics: a hospital feed never learns
// of, nor writes to, another clinic's patient. Errors name fields, never values.
#include "ingest/adt.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <vector>

#include "audit/trail.h"
#include "hl7/escape.h"
#include "hl7/types.h"
#include "store/patient_merge.h"

namespace heartbase::ingest {
namespace {

using base::ErrorCode;
using Identifier = domain::PatientIdentity::Identifier;

// Longer identifiers than this are not MRNs (and are not sealed into the store).
constexpr std::size_t kMaxMrnBytes = 64;
constexpr std::uint32_t kMaxIdentifiers = 64;

std::string Text(std::string_view raw, const hl7::Delimiters& d) {
  std::string scratch;
  return std::string(hl7::Unescape(raw, d, &scratch));
}

base::Position FieldPosition(const hl7::Segment& s, std::uint32_t field) {
  base::Position p;
  const std::string_view id = s.id();
  for (std::size_t i = 0; i < 3 && i < id.size(); ++i) p.segment[i] = id[i];
  p.segment_seq = static_cast<std::uint32_t>(s.index() + 1);
  p.segment_occurrence = 1;
  p.field = field;
  p.offset = s.offset();
  return p;
}

// Every CX repetition of field `n` with an id (bounded).
std::vector<Identifier> Identifiers(const hl7::Segment& s, std::uint32_t n,
                                    const hl7::Delimiters& d) {
  std::vector<Identifier> out;
  const std::uint32_t reps = std::min(hl7::PieceCount(s.Field(n), d.repetition), kMaxIdentifiers);
  for (std::uint32_t i = 1; i <= reps; ++i) {
    Identifier ident{Text(s.Component(n, 1, i), d), Text(s.Component(n, 4, i), d),
                     Text(s.Component(n, 5, i), d)};
    if (!ident.id.empty()) out.push_back(std::move(ident));
  }
  return out;
}

bool Usable(const Identifier& i) {
  return !i.authority.empty() && i.id.size() <= kMaxMrnBytes &&
         std::none_of(i.id.begin(), i.id.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

std::optional<Identifier> MrnOf(const std::vector<Identifier>& ids,
                                std::string_view sender_authority) {
  for (const Identifier& i : ids) {
    if (i.type == "MR" && Usable(i)) return i;
  }
  for (const Identifier& i : ids) {
    if (!sender_authority.empty() && i.authority == sender_authority && Usable(i)) return i;
  }
  return std::nullopt;
}

bool IsMerge(std::string_view event) { return event == "A40" || event == "A39" || event == "A18"; }

// The patients of `feed` who carry `mrn`: the one ordinary patient, else the one unmatched
// record; nullopt if none. kAlreadyExists if that is not one patient.
base::Result<std::optional<std::int64_t>> FindByMrn(store::Transaction& tx,
                                                    const crypto::KeyRing& keys,
                                                    const Identifier& mrn,
                                                    const store::ClinicScope& feed) {
  auto ids = store::FindPatientsByIdentifier(tx, keys, mrn.id, mrn.authority);
  if (!ids) return ids.error();
  std::vector<std::int64_t> ordinary, unmatched;
  for (std::int64_t id : *ids) {
    auto p = store::GetPatientClinic(tx, id);
    if (!p) return p.error();
    if (!feed.Allows(*p)) continue;
    const store::Param q[] = {{"id", id}};
    auto rows = tx.Query("SELECT unmatched FROM patient WHERE id = :id", q);
    if (!rows) return rows.error();
    (rows->front().Int(0) == 0 ? ordinary : unmatched).push_back(id);
  }
  const std::vector<std::int64_t>& pick = ordinary.empty() ? unmatched : ordinary;
  if (pick.empty()) return std::optional<std::int64_t>{};
  if (pick.size() > 1) {
    return base::MakeError(ErrorCode::kAlreadyExists,
                           "several patients carry the MRN; not applied");
  }
  return std::optional<std::int64_t>{pick.front()};
}

// One audit record per applied message; the detail names the event and internal ids only.
base::Result<AdtApplied> Audit(store::Transaction& tx, const AdtApplied& applied,
                               std::string_view action, std::string_view detail,
                               std::string_view source, std::int64_t now_us) {
  auto clinic = store::GetPatientClinic(tx, applied.patient_id);
  if (!clinic) return clinic.error();
  audit::Event e;
  e.time_us = now_us;
  e.user_name = "system:ingest";
  e.role = "system";
  e.clinic_id = *clinic;
  e.address = std::string(source.substr(0, audit::kMaxFieldBytes));
  e.action = std::string(action);
  e.object_type = "patient";
  e.object_id = std::to_string(applied.patient_id);
  e.patient_id = applied.patient_id;
  e.detail = std::string(detail);
  if (auto s = audit::Append(tx, e); !s) return s.error();
  return applied;
}

}  // namespace

bool IsAdt(const hl7::Message& message) {
  if (message.segment_count() == 0) return false;
  return message.segment(0).Component(9, 1) == "ADT";
}

base::Result<AdtMessage> ReadAdt(const hl7::Message& m) {
  const hl7::Delimiters& d = m.delimiters();
  const hl7::Segment msh = m.segment(0);
  AdtMessage adt;
  adt.event = Text(msh.Component(9, 2), d);
  static constexpr std::array<std::string_view, 8> kEvents = {"A01", "A04", "A08", "A28",
                                                              "A31", "A18", "A39", "A40"};
  if (std::find(kEvents.begin(), kEvents.end(), adt.event) == kEvents.end()) {
    return base::MakeError(ErrorCode::kUnsupported, "ADT trigger event not accepted",
                           FieldPosition(msh, 9));
  }
  const std::string facility = Text(msh.Component(4, 1), d);
  adt.sender = Text(msh.Component(3, 1), d) + "|" + facility;
  adt.control_id = Text(msh.Field(10), d);
  const auto pid = m.Find("PID");
  if (!pid) {
    return base::MakeError(ErrorCode::kMalformed, "message has no PID segment",
                           FieldPosition(msh, 0));
  }
  domain::PatientIdentity& p = adt.patient;
  p.other_identifiers = Identifiers(*pid, 3, d);
  auto mrn = MrnOf(p.other_identifiers, facility);
  if (!mrn) {
    return base::MakeError(ErrorCode::kNotFound,
                           "PID-3 has no MRN (an identifier of type MR with an assigning "
                           "authority, at most 64 bytes); not applied",
                           FieldPosition(*pid, 3));
  }
  adt.mrn = *mrn;
  p.family_name = Text(pid->Subcomponent(5, 1, 1), d);
  p.given_name = Text(pid->Component(5, 2), d);
  p.middle_name = Text(pid->Component(5, 3), d);
  // A birth date that does not parse is left out rather than refusing the whole update.
  if (auto t = hl7::ParseDtm(Text(pid->Component(7, 1), d))) p.birth_date = *t;
  p.sex = Text(pid->Field(8), d);
  if (IsMerge(adt.event)) {
    const auto mrg = m.Find("MRG");
    std::optional<Identifier> prior;
    if (mrg) prior = MrnOf(Identifiers(*mrg, 1, d), facility);
    if (!prior) {
      return base::MakeError(ErrorCode::kNotFound,
                             "MRG-1 has no prior MRN (an identifier of type MR with an assigning "
                             "authority); not merged",
                             mrg ? FieldPosition(*mrg, 1) : FieldPosition(*pid, 0));
    }
    adt.prior_mrn = *prior;
  }
  return adt;
}

base::Result<AdtApplied> ApplyAdt(store::Transaction& tx, const crypto::KeyRing& keys,
                                  const AdtMessage& adt, const store::ClinicScope& feed,
                                  std::string_view source, std::int64_t now_us) {
  AdtApplied applied;
  auto found = FindByMrn(tx, keys, adt.mrn, feed);
  if (!found) return found.error();
  std::string action = "patient.update";
  std::string detail = "event=" + adt.event;
  if (IsMerge(adt.event)) {
    auto prior = FindByMrn(tx, keys, *adt.prior_mrn, feed);
    if (!prior) return prior.error();
    if (!*prior) return base::MakeError(ErrorCode::kNotFound, "unknown prior patient");
    if (!*found) {
      // A merge into an MRN we never saw: the prior record takes the new MRN (HL7 A40 allows
      // the surviving identifier to be new), so there is nothing to move.
      applied.patient_id = **prior;
      if (auto s = store::UpdatePatientDemographics(tx, keys, applied.patient_id, adt.patient);
          !s) {
        return s.error();
      }
      return Audit(tx, applied, "patient.update", detail + " renamed=1", source, now_us);
    }
    auto s = store::MergePatients(tx, keys, **prior, **found, {adt.sender, adt.control_id}, now_us);
    if (!s) return s.error();
    applied.patient_id = **found;
    applied.merged_from = **prior;
    action = "patient.merge";
    detail += fmt::format(" from={}", **prior);
  } else if (*found) {
    applied.patient_id = **found;
    if (auto s = store::UpdatePatientDemographics(tx, keys, applied.patient_id, adt.patient); !s) {
      return s.error();
    }
  } else {
    // Registration creates an ordinary patient; an update of a patient we never registered is
    // doubtful (a feed that started mid-stream, a typo in the MRN) and waits on the work list.
    const bool update = adt.event == "A08" || adt.event == "A31";
    auto id = store::CreatePatient(tx, keys, adt.patient, feed.home(), update, now_us);
    if (!id) return id.error();
    applied.patient_id = *id;
    applied.created = true;
    action = "patient.create";
    if (update) detail += " unmatched=1";
  }
  return Audit(tx, applied, action, detail, source, now_us);
}

}  // namespace heartbase::ingest
