// Interrogation storage: the interrogation row, its trend points, episodes and attachments, in
// the caller's transaction together with its raw bytes.
#include "store/interrogations.h"

#include <fmt/format.h>

#include "store/blobs.h"
#include "store/followup.h"
#include "store/internal/sealing.h"
#include "store/review.h"

namespace heartbase::store {
namespace {

using domain::Observation;
using ObservationValue = domain::Value;

int StatusRank(std::string_view status) {
  if (status == "corrected") return 2;
  if (status == "final") return 1;
  return 0;
}

using internal::Index;

template <typename Fn>
void ForEachObservation(const domain::Interrogation& in, Fn&& fn) {
  for (const auto* list : {&in.device_observations, &in.session_observations, &in.measurements,
                           &in.settings, &in.statistics, &in.other_observations}) {
    for (const Observation& o : *list) fn(o);
  }
  for (const auto* groups :
       {&in.lead_groups, &in.zones, &in.episode_counters, &in.episode_groups}) {
    for (const auto& g : *groups) {
      for (const Observation& o : g.observations) fn(o);
    }
  }
}

// Whether an observation belongs in the trend table: numeric or coded values of measurements and
// statistics, and of terms outside the IDC families (vendors' own measurements). Settings,
// identities, zones and episode details stay only in the raw message.
bool Trended(const Observation& o) {
  switch (o.category) {
    case domain::Category::kMeasurement:
    case domain::Category::kStatistic:
    case domain::Category::kEpisodeCounter:
    case domain::Category::kOther:
      break;
    default:
      return false;
  }
  switch (o.value.kind) {
    case ObservationValue::Kind::kNumber:
    case ObservationValue::Kind::kCoded:
      return true;
    case ObservationValue::Kind::kStructured:
      return o.value.structured.num1.has_value();
    default:
      return false;
  }
}

// Rows of one INSERT written kBatch to a statement: a message carries hundreds of trend rows and
// dozens of episodes, and on PostgreSQL every statement is a round trip to the server.
constexpr std::size_t kBatch = 64;
constexpr std::string_view kLetters = "abcdefgh";  // per-row parameters: :a0, :b0, … :h63

const std::string& BatchName(std::size_t column, std::size_t row) {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (char c : kLetters) {
      for (std::size_t r = 0; r < kBatch; ++r) out.push_back(fmt::format("{}{}", c, r));
    }
    return out;
  }();
  return names[column * kBatch + row];
}

class BatchInsert {
 public:
  // `row` is one row's tuple with {0} where the row number goes and per-row parameters named by
  // letters in the order Add takes them: "(:id, :a{0}, :b{0})". `shared` are bound once.
  BatchInsert(Transaction& tx, std::string_view head, std::string_view row, std::string_view tail,
              std::initializer_list<Param> shared)
      : tx_(tx), head_(head), row_(row), tail_(tail), params_(shared), shared_(shared.size()) {}

  base::Status Add(std::initializer_list<Value> values) {
    std::size_t column = 0;
    for (const Value& v : values) params_.push_back({BatchName(column++, rows_), v});
    if (++rows_ == kBatch) return Flush();
    return {};
  }

  base::Status Flush() {
    if (rows_ == 0) return {};
    std::string sql(head_);
    for (std::size_t r = 0; r < rows_; ++r) {
      if (r) sql += ", ";
      sql += fmt::format(fmt::runtime(row_), r);
    }
    sql += tail_;
    auto e = tx_.Execute(sql, params_);
    params_.resize(shared_);
    rows_ = 0;
    if (!e) return e.error();
    return {};
  }

 private:
  Transaction& tx_;
  std::string_view head_, row_, tail_;
  std::vector<Param> params_;
  std::size_t shared_;
  std::size_t rows_ = 0;
};

BatchInsert TrendRows(Transaction& tx, std::int64_t id, std::int64_t patient) {
  return BatchInsert(tx,
                     "INSERT INTO trend (patient_id, code, observed_us, interrogation_id, seq, "
                     "instance, value_num, value_code, unit) VALUES ",
                     "(:patient, :a{0}, :b{0}, :id, :c{0}, :d{0}, :e{0}, :f{0}, :g{0})", "",
                     {{"patient", patient}, {"id", id}});
}

base::Status AddTrendRow(BatchInsert& rows, std::int64_t session_us, const Observation& o) {
  Value num, code;
  switch (o.value.kind) {
    case ObservationValue::Kind::kNumber:
      num = o.value.number;
      break;
    case ObservationValue::Kind::kCoded:
      code = o.value.coded.mnemonic.empty() ? o.value.coded.code : o.value.coded.mnemonic;
      if (o.value.coded.enum_code != 0) num = static_cast<double>(o.value.coded.enum_code);
      break;
    case ObservationValue::Kind::kStructured:
      code = o.value.structured.comparator;
      num = *o.value.structured.num1;
      break;
    default:
      break;
  }
  return rows.Add({static_cast<std::int64_t>(o.code),
                   o.observed_at ? o.observed_at->ToUnixMicros() : session_us,
                   static_cast<std::int64_t>(o.segment), static_cast<std::int64_t>(o.instance),
                   std::move(num), std::move(code), o.unit.empty() ? Value() : Value(o.unit)});
}

std::int64_t CountObservations(const domain::Interrogation& in) {
  std::int64_t n = 0;
  ForEachObservation(in, [&](const Observation&) { ++n; });
  return n;
}

}  // namespace

std::string SenderOf(const domain::Interrogation& in) {
  return in.sending_application + "|" + in.sending_facility;
}

base::Result<std::optional<std::int64_t>> FindByControlId(Transaction& tx, std::string_view sender,
                                                          std::string_view control_id) {
  const Param p[] = {{"sender", std::string(sender)}, {"control", std::string(control_id)}};
  auto rows =
      tx.Query("SELECT id FROM interrogation WHERE sender = :sender AND control_id = :control", p);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>{rows->front().Int(0)};
}

base::Result<std::vector<StoredMessage>> ListByControlId(Transaction& tx, std::string_view sender,
                                                         std::string_view control_id) {
  const Param p[] = {{"sender", std::string(sender)}, {"control", std::string(control_id)}};
  auto rows = tx.Query(
      "SELECT id, raw_blob_id FROM interrogation WHERE sender = :sender AND control_id = :control "
      "ORDER BY id",
      p);
  if (!rows) return rows.error();
  std::vector<StoredMessage> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.push_back({r.Int(0), r.Int(1)});
  return out;
}

base::Result<std::int64_t> GetInterrogationClinic(Transaction& tx, std::int64_t interrogation_id) {
  const Param p[] = {{"id", interrogation_id}};
  auto rows = tx.Query(
      "SELECT p.clinic_id FROM interrogation i JOIN patient p ON p.id = i.patient_id "
      "WHERE i.id = :id",
      p);
  if (!rows) return rows.error();
  if (rows->empty()) return base::MakeError(base::ErrorCode::kNotFound, "no such interrogation");
  return rows->front().Int(0);
}

base::Result<std::vector<ControlIdReuse>> ListControlIdReuse(Transaction& tx) {
  auto rows = tx.Query(
      "SELECT sender, count(*), max(id), max(received_us) FROM interrogation "
      "WHERE control_id_reused = 1 GROUP BY sender ORDER BY sender");
  if (!rows) return rows.error();
  std::vector<ControlIdReuse> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.push_back({std::string(r.Text(0)), r.Int(1), r.Int(2), r.Int(3)});
  return out;
}

base::Result<InsertedInterrogation> InsertInterrogation(
    Transaction& tx, const crypto::KeyRing& keys, const domain::Interrogation& in,
    const PatientMatch& match, std::int64_t raw_blob_id, std::int64_t now, bool control_id_reused) {
  const DeviceKey device = DeviceKeyOf(in);
  const std::string status(domain::ToString(in.status));
  const std::int64_t session_us = in.session_time ? in.session_time->ToUnixMicros() : now;
  // A session is the device plus the reporter's session id and time; without either, the
  // message cannot be recognised again and is its own session, named by its bytes (its blob): a
  // control id may be reused for another message.
  const std::string session_key =
      in.session_id.empty() && !in.session_time
          ? fmt::format("raw|{}", raw_blob_id)
          : fmt::format("{}|{}|{}|{}", device.manufacturer, device.serial, in.session_id,
                        in.session_time ? in.session_time->ToIso8601() : "");
  const Bytes session_lookup = Index(keys, "session", session_key);

  InsertedInterrogation result;
  const Param find[] = {{"lookup", session_lookup}};
  auto current = tx.Query(
      "SELECT id, result_status, patient_id FROM interrogation WHERE session_lookup = :lookup "
      "AND superseded_by IS NULL",
      find);
  if (!current) return current.error();
  std::optional<std::int64_t> older;
  std::int64_t older_patient = 0;
  bool outranked = false;
  if (!current->empty()) {
    older = current->front().Int(0);
    older_patient = current->front().Int(2);
    outranked = StatusRank(status) < StatusRank(current->front().Text(1));
  }
  const Param insert[] = {
      {"patient", match.patient_id},
      {"device", match.device_id},
      {"sender", SenderOf(in)},
      {"control", in.control_id},
      {"lookup", session_lookup},
      {"type", std::string(domain::ToString(in.session_type))},
      {"session", in.session_time ? Value(session_us) : Value()},
      {"status", status},
      {"superseded", outranked ? Value(*older) : Value()},
      {"raw", raw_blob_id},
      {"now", now},
      {"observations", CountObservations(in)},
      {"warnings", static_cast<std::int64_t>(in.warnings.size())},
      {"reused", std::int64_t{control_id_reused ? 1 : 0}},
  };
  auto rows = tx.Query(
      "INSERT INTO interrogation (patient_id, device_id, sender, control_id, session_lookup, "
      "session_type, session_us, result_status, superseded_by, raw_blob_id, received_us, "
      "observation_count, warning_count, control_id_reused) VALUES (:patient, :device, :sender, "
      ":control, :lookup, :type, :session, :status, :superseded, :raw, :now, :observations, "
      ":warnings, :reused) RETURNING id",
      insert);
  if (!rows) return rows.error();
  result.id = rows->front().Int(0);
  if (auto r = CreateReview(tx, result.id, now); !r) return r.error();
  if (in.session_type == domain::SessionType::kInClinic && !outranked) {
    // A booked visit of the day is kept by this session (store/followup.h).
    if (auto r = CloseVisitFor(
            tx, match.patient_id, result.id,
            EffectiveSessionUs(in.session_time ? std::optional(session_us) : std::nullopt, now),
            now);
        !r) {
      return r.error();
    }
  }
  if (older && outranked) {
    result.superseded_by = older;
  } else if (older) {
    result.supersedes = older;
    const Param sup[] = {{"new", result.id}, {"old", *older}};
    if (auto r = tx.Execute("UPDATE interrogation SET superseded_by = :new WHERE id = :old", sup);
        !r) {
      return r.error();
    }
    // A rare event: the scan covers the patient's trend rows, not the whole table.
    const Param old[] = {{"patient", older_patient}, {"old", *older}};
    if (auto r = tx.Execute(
            "DELETE FROM trend WHERE patient_id = :patient AND interrogation_id = :old", old);
        !r) {
      return r.error();
    }
  }
  base::Status status_ok;
  if (!outranked) {
    BatchInsert trend = TrendRows(tx, result.id, match.patient_id);
    ForEachObservation(in, [&](const Observation& o) {
      if (status_ok && Trended(o)) status_ok = AddTrendRow(trend, session_us, o);
    });
    if (status_ok) status_ok = trend.Flush();
  }
  if (!status_ok) return status_ok.error();
  BatchInsert episodes(tx,
                       "INSERT INTO episode (interrogation_id, instance, patient_id, type, "
                       "onset_us, duration_s) VALUES ",
                       "(:id, :a{0}, :patient, :b{0}, :c{0}, :d{0})", " ON CONFLICT DO NOTHING",
                       {{"id", result.id}, {"patient", match.patient_id}});
  for (const domain::Episode& e : in.episodes) {
    if (auto r = episodes.Add({static_cast<std::int64_t>(e.instance),
                               e.type.empty() ? Value() : Value(e.type),
                               e.onset ? Value(e.onset->ToUnixMicros()) : Value(),
                               e.duration_s ? Value(*e.duration_s) : Value()});
        !r) {
      return r.error();
    }
  }
  if (auto r = episodes.Flush(); !r) return r.error();
  for (const domain::Attachment& a : in.attachments) {
    // The bytes stay in the raw message (sealed once, with it); the row says where they are.
    const Param p[] = {
        {"id", result.id},
        {"instance", static_cast<std::int64_t>(a.instance)},
        {"media", a.media_type},
        {"size", static_cast<std::int64_t>(a.data.size())},
        {"segment", a.data.empty() ? Value() : Value(static_cast<std::int64_t>(a.segment))},
        {"reference",
         a.reference.empty()
             ? Value()
             : Value(Bytes{keys.Seal(a.reference, {"attachment", "reference", result.id})})},
    };
    if (auto r = tx.Execute("INSERT INTO attachment (interrogation_id, instance, media_type, size, "
                            "segment, reference) VALUES (:id, :instance, :media, :size, :segment, "
                            ":reference)",
                            p);
        !r) {
      return r.error();
    }
  }
  return result;
}

base::Result<std::vector<TrendPoint>> ReadTrend(Transaction& tx, std::int64_t patient_id,
                                                std::uint32_t code, std::int64_t from_us,
                                                std::int64_t to_us) {
  const Param p[] = {{"patient", patient_id},
                     {"code", static_cast<std::int64_t>(code)},
                     {"from", from_us},
                     {"to", to_us}};
  auto rows = tx.Query(
      "SELECT observed_us, value_num FROM trend WHERE patient_id = :patient AND code = :code "
      "AND observed_us BETWEEN :from AND :to AND value_num IS NOT NULL ORDER BY observed_us",
      p);
  if (!rows) return rows.error();
  std::vector<TrendPoint> points;
  points.reserve(rows->size());
  for (const Row& r : *rows) points.push_back({r.Int(0), r.Real(1)});
  return points;
}

}  // namespace heartbase::store
