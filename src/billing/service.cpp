// Billing and scheduling over the store (billing/service.h).
#include "billing/service.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <tuple>
#include <unordered_map>

#include "base/time.h"
#include "crypto/hash.h"
#include "hl7/escape.h"
#include "store/clinical_reads.h"
#include "store/followup.h"
#include "store/patients.h"

namespace heartbase::billing {
namespace {

using base::ErrorCode;

constexpr std::int64_t kMaxExportCharges = 50'000;
constexpr int kPatientPage = 2'000;  // patients per read of the charge computation

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

std::vector<FollowUpStatus> DefaultStatuses() {
  return {FollowUpStatus::kDue, FollowUpStatus::kOverdue, FollowUpStatus::kMissed,
          FollowUpStatus::kBooked};
}

// The billing facts of one export's patients and devices, read once per patient.
struct PatientFacts {
  store::PatientRecord patient;
  std::vector<store::IdentifierRecord> identifiers;
  std::vector<store::DeviceRecord> devices;
  const store::DeviceRecord* Device(std::int64_t id) const {
    for (const auto& d : devices) {
      if (d.id == id) return &d;
    }
    return nullptr;
  }
  // The medical record number (identifier type MR), else the first identifier.
  const store::IdentifierRecord* Mrn() const {
    for (const auto& i : identifiers) {
      if (i.kind == "MR") return &i;
    }
    return identifiers.empty() ? nullptr : &identifiers.front();
  }
};

class FactsCache {
 public:
  FactsCache(store::Transaction& tx, const crypto::KeyRing& keys) : tx_(tx), keys_(keys) {}
  base::Result<const PatientFacts*> Get(std::int64_t patient_id) {
    auto it = cache_.find(patient_id);
    if (it != cache_.end()) return &it->second;
    PatientFacts f;
    auto patient = store::GetPatient(tx_, keys_, patient_id);
    if (!patient) return patient.error();
    f.patient = std::move(*patient);
    auto ids = store::ListIdentifiers(tx_, keys_, patient_id);
    if (!ids) return ids.error();
    f.identifiers = std::move(*ids);
    auto devices = store::ListDevices(tx_, keys_, patient_id);
    if (!devices) return devices.error();
    f.devices = std::move(*devices);
    return &cache_.emplace(patient_id, std::move(f)).first->second;
  }

 private:
  store::Transaction& tx_;
  const crypto::KeyRing& keys_;
  std::unordered_map<std::int64_t, PatientFacts> cache_;
};

// A CSV field (RFC 4180), with a leading = + - @ tab or CR neutralised so that a spreadsheet does
// not run it as a formula (CSV injection).
void CsvField(std::string_view v, std::string* out) {
  std::string text(v);
  if (!text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos) {
    text.insert(text.begin(), '\'');
  }
  if (text.find_first_of(",\"\r\n") == std::string::npos) {
    *out += text;
    return;
  }
  *out += '"';
  for (char c : text) {
    if (c == '"') *out += '"';
    *out += c;
  }
  *out += '"';
}

std::string Hl7Date(std::string_view iso_day) {  // YYYY-MM-DD → YYYYMMDD
  std::string out;
  for (char c : iso_day) {
    if (c != '-') out += c;
  }
  return out;
}

}  // namespace

base::Result<ClinicCalendar> ClinicCalendar::Load(store::Transaction& tx) {
  auto zones = store::ListClinicTimeZones(tx);
  if (!zones) return zones.error();
  ClinicCalendar out;
  for (const auto& [clinic, name] : *zones) {
    auto zone = base::TimeZone::Load(name);
    out.zones_.emplace(clinic, zone ? std::move(*zone) : base::TimeZone::Utc());
  }
  return out;
}

std::int64_t ClinicCalendar::DayOf(std::int64_t clinic_id, std::int64_t utc_us) const {
  const std::int64_t seconds = FloorDiv(utc_us, 1'000'000);
  auto it = zones_.find(clinic_id);
  const std::int64_t offset = it == zones_.end() ? 0 : it->second.OffsetAt(seconds);
  return FloorDiv(seconds + offset, 86'400);
}

namespace {

FollowUpInput InputOf(const store::FollowUpFacts& f, const ClinicCalendar& calendar,
                      const store::PlanBook& plans) {
  FollowUpInput in{.patient_id = f.patient_id,
                   .clinic_id = f.clinic_id,
                   .device_type = f.device_type,
                   .first_day = calendar.DayOf(f.clinic_id, f.first_seen_us)};
  if (f.last_remote_us) in.last_remote_day = calendar.DayOf(f.clinic_id, *f.last_remote_us);
  if (f.last_in_clinic_us)
    in.last_in_clinic_day = calendar.DayOf(f.clinic_id, *f.last_in_clinic_us);
  in.plan = plans.Resolve(f.clinic_id, f.patient_id, f.device_type);
  return in;
}

}  // namespace

base::Result<WorkList> BuildWorkList(store::Transaction& tx, const WorkListFilter& filter,
                                     std::int64_t now_us) {
  std::vector<std::int64_t> clinics = filter.clinics;
  if (filter.clinic) {
    if (!clinics.empty() &&
        std::find(clinics.begin(), clinics.end(), *filter.clinic) == clinics.end()) {
      return WorkList{};
    }
    clinics = {*filter.clinic};
  }
  auto facts = store::ListFollowUpFacts(tx, clinics);
  if (!facts) return facts.error();
  auto plan_rows = store::ListPlans(tx);
  if (!plan_rows) return plan_rows.error();
  const store::PlanBook plans(std::move(*plan_rows));
  auto booked = store::ListBookedVisits(tx, clinics);
  if (!booked) return booked.error();
  auto calendar = ClinicCalendar::Load(tx);
  if (!calendar) return calendar.error();
  std::unordered_map<std::int64_t, std::vector<std::pair<std::int64_t, std::int64_t>>> visits;
  for (const auto& v : *booked) {
    if (auto day = ParseDay(v.day)) visits[v.patient_id].emplace_back(v.id, *day);
  }
  const std::vector<FollowUpStatus> statuses =
      filter.statuses.empty() ? DefaultStatuses() : filter.statuses;
  WorkList out;
  std::vector<WorkItem> items;
  std::vector<WorkItem> scratch;
  for (const store::FollowUpFacts& f : *facts) {
    if (filter.device_type && f.device_type != *filter.device_type) continue;
    FollowUpInput in = InputOf(f, *calendar, plans);
    if (auto it = visits.find(f.patient_id); it != visits.end()) in.booked = it->second;
    scratch.clear();
    FollowUps(in, calendar->DayOf(f.clinic_id, now_us), scratch);
    for (WorkItem& w : scratch) {
      if (std::find(statuses.begin(), statuses.end(), w.status) == statuses.end()) continue;
      if (filter.min_days_overdue && w.days_overdue < *filter.min_days_overdue) continue;
      ++out.counts[w.status];
      items.push_back(std::move(w));
    }
  }
  out.total = static_cast<std::int64_t>(items.size());
  const std::size_t keep = std::min<std::size_t>(items.size(), std::max(1, filter.limit));
  const auto order = [](const WorkItem& a, const WorkItem& b) {
    return std::tie(b.days_overdue, a.patient_id, a.kind) <
           std::tie(a.days_overdue, b.patient_id, b.kind);
  };
  std::partial_sort(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(keep), items.end(),
                    order);
  items.resize(keep);
  out.items = std::move(items);
  return out;
}

base::Result<std::vector<WorkItem>> PatientFollowUps(store::Transaction& tx,
                                                     std::int64_t patient_id, std::int64_t now_us) {
  auto facts = store::ListFollowUpFacts(tx, {}, patient_id - 1, 1);
  if (!facts) return facts.error();
  std::vector<WorkItem> out;
  if (facts->empty() || facts->front().patient_id != patient_id) return out;
  auto plan_rows = store::ListPlansFor(tx, facts->front().clinic_id, patient_id);
  if (!plan_rows) return plan_rows.error();
  const store::PlanBook plans(std::move(*plan_rows));
  auto calendar = ClinicCalendar::Load(tx);
  if (!calendar) return calendar.error();
  FollowUpInput in = InputOf(facts->front(), *calendar, plans);
  auto visits = store::ListVisits(tx, patient_id);
  if (!visits) return visits.error();
  for (auto it = visits->rbegin(); it != visits->rend(); ++it) {
    if (it->state != store::VisitState::kBooked) continue;
    if (auto day = ParseDay(it->day)) in.booked.emplace_back(it->id, *day);
  }
  FollowUps(in, calendar->DayOf(in.clinic_id, now_us), out);
  return out;
}

base::Result<BillingRun> ComputeBilling(store::Transaction& tx, const CodeTable& table,
                                        const std::vector<std::int64_t>& clinics,
                                        std::int64_t now_us) {
  auto plan_rows = store::ListPlans(tx);
  if (!plan_rows) return plan_rows.error();
  const store::PlanBook plans(std::move(*plan_rows));
  auto calendar = ClinicCalendar::Load(tx);
  if (!calendar) return calendar.error();
  BillingRun run;
  BillingOutcome outcome;
  PatientHistory history;
  bool unmatched = false;
  const auto flush = [&] {
    if (history.sessions.empty()) return;
    const store::ResolvedPlan plan =
        plans.Resolve(history.clinic_id, history.patient_id, history.sessions.back().device_type);
    history.payer = plan.payer;
    history.ordering_physician = plan.ordering_physician;
    outcome.charges.clear();
    outcome.missed.clear();
    ComputeCharges(table, history, calendar->DayOf(history.clinic_id, now_us), outcome);
    if (unmatched) {
      // Nothing is billed before the patient is linked or accepted; every period waits.
      for (Charge& c : outcome.charges) {
        outcome.missed.push_back({.period_key = std::move(c.period_key),
                                  .code = std::move(c.code),
                                  .component = c.component,
                                  .device_id = c.device_id,
                                  .period_start = c.period_start,
                                  .period_end = c.period_end,
                                  .interrogations = std::move(c.interrogations)});
      }
      outcome.charges.clear();
      for (MissedCharge& m : outcome.missed) m.reason = std::string(kUnmatchedReason);
      run.unmatched += static_cast<std::int64_t>(outcome.missed.size());
    }
    for (Charge& c : outcome.charges) {
      run.charges.push_back({history.patient_id, history.clinic_id, history.payer,
                             history.ordering_physician, std::move(c)});
    }
    for (MissedCharge& m : outcome.missed) {
      run.missed.push_back({history.patient_id, history.clinic_id, std::move(m)});
    }
    ++run.patients;
    history.sessions.clear();
  };
  // A range of patient ids at a time, so that the rows read are never all in memory at once.
  auto last = store::LastPatientId(tx);
  if (!last) return last.error();
  for (std::int64_t after = 0; after < *last; after += kPatientPage) {
    auto sessions = store::ListBillingSessions(tx, clinics, after, after + kPatientPage);
    if (!sessions) return sessions.error();
    run.sessions += static_cast<std::int64_t>(sessions->size());
    for (const store::BillingSession& s : *sessions) {
      if (s.patient_id != history.patient_id) {
        flush();
        history.patient_id = s.patient_id;
        history.clinic_id = s.clinic_id;
        unmatched = s.unmatched;
      }
      Session session{.interrogation_id = s.interrogation_id,
                      .device_id = s.device_id,
                      .device_type = s.device_type,
                      .kind = KindOf(s.session_type),
                      .day = calendar->DayOf(s.clinic_id, s.effective_us),
                      .history = s.history,
                      .signed_off = s.signed_off,
                      .signer = s.signer};
      if (s.signed_off && !s.history) {
        session.signed_day = calendar->DayOf(s.clinic_id, s.signed_us);
      }
      history.sessions.push_back(std::move(session));
    }
  }
  flush();
  return run;
}

namespace {

// A charge's identity and period in a few bytes: what it charges (the period key's kind, series
// or session id and start day), its code and modifier (interned), and its days. Exact: the period
// key is "remote:<series>:<YYYY-MM-DD>" or "session:<interrogation>".
struct Compact {
  std::int64_t patient = 0, series = 0;
  std::int32_t start = 0, end = 0;
  std::uint16_t code = 0;
  bool session = false;
};

class CloseIndex {
 public:
  std::uint16_t Code(const std::string& code, const std::string& modifier) {
    const std::string key = code + "|" + modifier;
    for (std::size_t i = 0; i < codes_.size(); ++i) {
      if (codes_[i] == key) return static_cast<std::uint16_t>(i);
    }
    codes_.push_back(key);
    return static_cast<std::uint16_t>(codes_.size() - 1);
  }

  // nullopt for a period key this version does not write (never skipped: it just is not indexed).
  static std::optional<std::pair<bool, std::int64_t>> ParseKey(std::string_view key) {
    const bool session = key.starts_with("session:");
    if (!session && !key.starts_with("remote:")) return std::nullopt;
    key.remove_prefix(session ? 8 : 7);
    std::int64_t id = 0;
    const auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
    if (ec != std::errc()) return std::nullopt;
    return std::pair{session, id};
  }

  void Add(const Compact& c) {
    keys_.insert(Pack(c));
    if (!c.session) periods_[{c.patient, c.code}].emplace_back(c.start, c.end);
  }
  bool Has(const Compact& c) const { return keys_.contains(Pack(c)); }
  bool Overlaps(const Compact& c) const {
    if (c.session) return false;
    auto it = periods_.find({c.patient, c.code});
    if (it == periods_.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(),
                       [&](const auto& p) { return p.first <= c.end && c.start <= p.second; });
  }

 private:
  // (session, series, start, code): exact, since the period key is (kind, series, start).
  static std::tuple<bool, std::int64_t, std::int32_t, std::uint16_t> Pack(const Compact& c) {
    return {c.session, c.series, c.session ? 0 : c.start, c.code};
  }
  std::vector<std::string> codes_;
  std::set<std::tuple<bool, std::int64_t, std::int32_t, std::uint16_t>> keys_;
  std::map<std::pair<std::int64_t, std::uint16_t>,
           std::vector<std::pair<std::int32_t, std::int32_t>>>
      periods_;
};

constexpr int kKeyPage = 20'000;
constexpr std::size_t kInsertBatch = 2'000;  // per write transaction: ingest waits briefly

}  // namespace

base::Result<CloseResult> CloseCharges(store::Database& db, const CodeTable& table,
                                       std::int64_t now_us) {
  BillingRun run;
  CloseIndex index;
  if (auto s = store::RunUnitOfWork(db, store::Access::kRead,
                                    [&](store::Transaction& tx) -> base::Status {
                                      auto r = ComputeBilling(tx, table, {}, now_us);
                                      if (!r) return r.error();
                                      run = std::move(*r);
                                      index = CloseIndex();
                                      for (std::int64_t after = 0;;) {
                                        auto page = store::ListChargeKeys(tx, after, kKeyPage);
                                        if (!page) return page.error();
                                        for (const store::ChargeKey& k : *page) {
                                          const auto parsed = CloseIndex::ParseKey(k.period_key);
                                          const auto start = ParseDay(k.period_start),
                                                     end = ParseDay(k.period_end);
                                          if (!parsed || !start || !end) continue;
                                          index.Add({.patient = k.patient_id,
                                                     .series = parsed->second,
                                                     .start = static_cast<std::int32_t>(*start),
                                                     .end = static_cast<std::int32_t>(*end),
                                                     .code = index.Code(k.code, k.modifier),
                                                     .session = parsed->first});
                                        }
                                        if (static_cast<int>(page->size()) < kKeyPage) break;
                                        after = page->back().id;
                                      }
                                      return {};
                                    });
      !s) {
    return s.error();
  }
  CloseResult result{.missed = static_cast<std::int64_t>(run.missed.size()) - run.unmatched,
                     .unmatched = run.unmatched};
  // The charges to write: not stored, and (remote periods) overlapping none of the patient's.
  std::vector<const PatientCharge*> fresh;
  for (const PatientCharge& pc : run.charges) {
    const Charge& c = pc.charge;
    const auto parsed = CloseIndex::ParseKey(c.period_key);
    if (!parsed) continue;
    const Compact compact{.patient = pc.patient_id,
                          .series = parsed->second,
                          .start = static_cast<std::int32_t>(c.period_start),
                          .end = static_cast<std::int32_t>(c.period_end),
                          .code = index.Code(c.code.code, c.code.modifier),
                          .session = parsed->first};
    if (index.Has(compact)) {
      ++result.existing;
    } else if (index.Overlaps(compact)) {
      ++result.overlapping;
    } else {
      index.Add(compact);
      fresh.push_back(&pc);
    }
  }
  run.missed.clear();
  for (std::size_t at = 0; at < fresh.size(); at += kInsertBatch) {
    const std::size_t stop = std::min(fresh.size(), at + kInsertBatch);
    std::int64_t created = 0, existing = 0;
    auto s = store::RunUnitOfWork(db, store::Access::kWrite, [&](store::Transaction& tx) {
      created = existing = 0;
      for (std::size_t i = at; i < stop; ++i) {
        const PatientCharge& pc = *fresh[i];
        const Charge& c = pc.charge;
        auto id = store::InsertCharge(tx,
                                      {.patient_id = pc.patient_id,
                                       .clinic_id = pc.clinic_id,
                                       .device_id = c.device_id,
                                       .period_key = c.period_key,
                                       .code = c.code.code,
                                       .modifier = c.code.modifier,
                                       .component = c.component,
                                       .period_start = FormatDay(c.period_start),
                                       .period_end = FormatDay(c.period_end),
                                       .service_date = FormatDay(c.service_day),
                                       .payer = pc.payer,
                                       .ordering_physician = pc.ordering_physician,
                                       .reading_physician = c.reading_physician,
                                       .interrogations = c.interrogations,
                                       .table_version = table.version},
                                      now_us);
        if (!id) return base::Status(id.error());
        // Another close job (another process) may have written it meanwhile.
        ++(*id ? created : existing);
      }
      return base::Status();
    });
    if (!s) return s.error();
    result.created += created;
    result.existing += existing;
  }
  return result;
}

std::string_view ToString(ExportFormat format) {
  return format == ExportFormat::kDft ? "dft" : "csv";
}

base::Result<ExportResult> ExportCharges(store::Database& db, const crypto::KeyRing& keys,
                                         const std::vector<std::int64_t>& clinics,
                                         ExportFormat format, const DftOptions& dft,
                                         std::int64_t user_id, std::int64_t now_us) {
  ExportResult result;
  auto s = store::RunUnitOfWork(db, store::Access::kWrite, [&](store::Transaction& tx) {
    result = ExportResult{};
    auto charges = store::ListCharges(tx, {.clinics = clinics, .exported = false},
                                      static_cast<int>(kMaxExportCharges));
    if (!charges) return base::Status(charges.error());
    if (charges->empty()) {
      return base::Status(base::MakeError(ErrorCode::kNotFound, "no charge waits for export"));
    }
    std::sort(charges->begin(), charges->end(),
              [](const store::ChargeRow& a, const store::ChargeRow& b) { return a.id < b.id; });
    auto batch = tx.NextId("charge_export");
    if (!batch) return base::Status(batch.error());
    auto file = format == ExportFormat::kDft ? RenderDft(tx, keys, *charges, dft, *batch, now_us)
                                             : RenderCsv(tx, keys, *charges, *batch);
    if (!file) return base::Status(file.error());
    result.file = std::move(*file);
    result.sha256 = crypto::Sha256Hex(result.file);
    for (const auto& c : *charges) {
      result.charge_ids.push_back(c.id);
      result.patient_ids.push_back(c.patient_id);
    }
    std::sort(result.patient_ids.begin(), result.patient_ids.end());
    result.patient_ids.erase(std::unique(result.patient_ids.begin(), result.patient_ids.end()),
                             result.patient_ids.end());
    if (auto recorded =
            store::RecordChargeExport(tx, keys, *batch, ToString(format), result.charge_ids,
                                      result.file, result.sha256, user_id, now_us);
        !recorded) {
      return recorded;
    }
    result.export_id = *batch;
    result.charges = static_cast<std::int64_t>(charges->size());
    return base::Status();
  });
  if (!s) return s.error();
  return result;
}

base::Result<std::string> RenderCsv(store::Transaction& tx, const crypto::KeyRing& keys,
                                    const std::vector<store::ChargeRow>& charges,
                                    std::int64_t batch_id) {
  FactsCache facts(tx, keys);
  std::string out =
      "batch,charge_id,patient_id,mrn,mrn_authority,family_name,given_name,birth_date,"
      "device_manufacturer,device_model,device_serial,cpt_code,modifier,component,period_start,"
      "period_end,date_of_service,payer,ordering_physician,reading_physician,interrogations,"
      "code_table\r\n";
  for (const store::ChargeRow& c : charges) {
    auto f = facts.Get(c.patient_id);
    if (!f) return f.error();
    const store::IdentifierRecord* mrn = (*f)->Mrn();
    const store::DeviceRecord* device = (*f)->Device(c.device_id);
    const std::string fields[] = {std::to_string(batch_id),
                                  std::to_string(c.id),
                                  std::to_string(c.patient_id),
                                  mrn != nullptr ? mrn->id : "",
                                  mrn != nullptr ? mrn->authority : "",
                                  (*f)->patient.family_name,
                                  (*f)->patient.given_name,
                                  (*f)->patient.birth_date,
                                  device != nullptr ? device->manufacturer : "",
                                  device != nullptr ? device->model : "",
                                  device != nullptr ? device->serial : "",
                                  c.code,
                                  c.modifier,
                                  std::string(store::ToString(c.component)),
                                  c.period_start,
                                  c.period_end,
                                  c.service_date,
                                  c.payer,
                                  c.ordering_physician,
                                  c.reading_physician,
                                  fmt::format("{}", fmt::join(c.interrogations, " ")),
                                  c.table_version};
    for (std::size_t i = 0; i < std::size(fields); ++i) {
      if (i) out += ',';
      CsvField(fields[i], &out);
    }
    out += "\r\n";
  }
  return out;
}

base::Result<std::string> RenderDft(store::Transaction& tx, const crypto::KeyRing& keys,
                                    const std::vector<store::ChargeRow>& charges,
                                    const DftOptions& o, std::int64_t batch_id,
                                    std::int64_t now_us) {
  const hl7::Delimiters d;
  const auto E = [&](std::string_view text) { return hl7::Escape(text, d); };
  FactsCache facts(tx, keys);
  const std::string now = base::Hl7Utc(now_us);
  // An HL7 batch file (FHS BHS … BTS FTS) around one DFT^P03 per charge.
  std::string out = fmt::format(
      "FHS|^~\\&|{}|{}|{}|{}|{}||HBEXPORT{}\rBHS|^~\\&|{}|{}|{}|{}|{}||HBEXPORT{}\r",
      E(o.sending_application), E(o.sending_facility), E(o.receiving_application),
      E(o.receiving_facility), now, batch_id, E(o.sending_application), E(o.sending_facility),
      E(o.receiving_application), E(o.receiving_facility), now, batch_id);
  for (const store::ChargeRow& c : charges) {
    auto f = facts.Get(c.patient_id);
    if (!f) return f.error();
    std::string pid3;
    for (const auto& id : (*f)->identifiers) {
      if (!pid3.empty()) pid3 += '~';
      pid3 += fmt::format("{}^^^{}^{}", E(id.id), E(id.authority), E(id.kind));
    }
    const std::string modifier =
        c.modifier.empty() ? "" : fmt::format("{}^^CPT-4 modifier", E(c.modifier));
    // One message per charge; MSH-10 names the charge, so a receiver recognises a resend.
    out += fmt::format(
        "MSH|^~\\&|{}|{}|{}|{}|{}||DFT^P03^DFT_P03|HBCHG{}|{}|2.5.1|||AL|NE||UNICODE "
        "UTF-8\r",
        E(o.sending_application), E(o.sending_facility), E(o.receiving_application),
        E(o.receiving_facility), now, c.id, E(o.processing_id));
    out += fmt::format("EVN|P03|{}\r", now);
    out += fmt::format("PID|1||{}||{}^{}||{}|{}\r", pid3, E((*f)->patient.family_name),
                       E((*f)->patient.given_name), Hl7Date((*f)->patient.birth_date),
                       E((*f)->patient.sex));
    out += "PV1|1|O\r";
    // FT1: 1 set id, 2 transaction id, 3 batch, 4 date of service, 5 posting date, 6 type (CG
    // charge), 7 transaction code, 8 description, 10 quantity, 20 performed by, 21 ordered by,
    // 25 procedure code (CPT-4), 26 modifier.
    out += fmt::format(
        "FT1|1|{}|{}|{}|{}|CG|{}^^C4|{}||1||||||||||{}|{}||||{}^^C4|{}\r", c.id, batch_id,
        Hl7Date(c.service_date), now, E(c.code),
        E(c.component == store::ChargeComponent::kGlobal
              ? fmt::format("in-person evaluation {}", c.period_start)
              : fmt::format("{} component, monitoring period {} to {}",
                            store::ToString(c.component), c.period_start, c.period_end)),
        c.reading_physician.empty() ? "" : "^" + E(c.reading_physician),
        c.ordering_physician.empty() ? "" : "^" + E(c.ordering_physician), E(c.code), modifier);
  }
  out += fmt::format("BTS|{}\rFTS|1\r", charges.size());
  return out;
}

}  // namespace heartbase::billing
