// Merging patients. Identifiers are sealed with their patient's id as associated data, so moving
// one means opening and sealing it again; every other row is moved by its patient_id.
#include "store/patient_merge.h"

#include <string>
#include <string_view>

#include "store/patients.h"

namespace heartbase::store {
namespace {

using base::ErrorCode;

// Moves every row of `from` to `into` and deletes `from`. Both exist and differ.
base::Status MoveRows(Transaction& tx, const crypto::KeyRing& keys, std::int64_t from,
                      std::int64_t into) {
  const Param both[] = {{"from", from}, {"into", into}};
  const Param only_from[] = {{"from", from}};
  // Identifiers the target already has stay once (UNIQUE (patient_id, lookup)); the rest are
  // deleted with `from` below.
  auto identifiers =
      tx.Query("SELECT id, value FROM patient_identifier WHERE patient_id = :from", only_from);
  if (!identifiers) return identifiers.error();
  for (const Row& r : *identifiers) {
    auto value = keys.Open(r.Blob(1), {"patient_identifier", "value", from});
    if (!value) return value.error();
    const Param moved[] = {{"id", r.Int(0)},
                           {"into", into},
                           {"v", Bytes{keys.Seal(*value, {"patient_identifier", "value", into})}}};
    if (auto u = tx.Execute(
            "UPDATE patient_identifier SET patient_id = :into, value = :v WHERE id = :id "
            "AND NOT EXISTS (SELECT 1 FROM patient_identifier o WHERE o.patient_id = :into "
            "AND o.lookup = patient_identifier.lookup)",
            moved);
        !u) {
      return u.error();
    }
  }
  // The survivor's own monitoring plan wins; the merged record's is kept only if it has none.
  // (Only patient plans have a patient id; the others hold 0.)
  static constexpr std::string_view kMovePlan =
      "UPDATE monitoring_plan SET patient_id = :into WHERE patient_id = :from AND NOT EXISTS "
      "(SELECT 1 FROM monitoring_plan o WHERE o.patient_id = :into AND o.scope = "
      "monitoring_plan.scope AND o.clinic_id = monitoring_plan.clinic_id AND o.device_type = "
      "monitoring_plan.device_type)";
  static constexpr std::string_view kMoves[] = {
      "UPDATE device SET patient_id = :into WHERE patient_id = :from",
      "UPDATE lead SET patient_id = :into WHERE patient_id = :from",
      "UPDATE interrogation SET patient_id = :into WHERE patient_id = :from",
      "UPDATE trend SET patient_id = :into WHERE patient_id = :from",
      "UPDATE episode SET patient_id = :into WHERE patient_id = :from",
      "UPDATE alert SET patient_id = :into WHERE patient_id = :from",
      "UPDATE result_delivery SET patient_id = :into WHERE patient_id = :from",
      "UPDATE charge SET patient_id = :into WHERE patient_id = :from",
      "UPDATE clinic_visit SET patient_id = :into WHERE patient_id = :from",
      kMovePlan,
      "DELETE FROM monitoring_plan WHERE patient_id = :from",
      "DELETE FROM patient_identifier WHERE patient_id = :from",
      "DELETE FROM patient_name_token WHERE patient_id = :from",
      "DELETE FROM patient WHERE id = :from",
  };
  for (std::string_view sql : kMoves) {
    const bool uses_into = sql.find(":into") != std::string_view::npos;
    if (auto r = uses_into ? tx.Execute(sql, both) : tx.Execute(sql, only_from); !r) {
      return r.error();
    }
  }
  return {};
}

}  // namespace

base::Status MergePatients(Transaction& tx, const crypto::KeyRing& keys, std::int64_t from,
                           std::int64_t into, const MergeSource& source, std::int64_t now_us) {
  if (from == into) {
    return base::MakeError(ErrorCode::kAlreadyExists, "a patient cannot be merged into itself");
  }
  auto from_clinic = GetPatientClinic(tx, from);
  if (!from_clinic) {
    if (from_clinic.error().code != ErrorCode::kNotFound) return from_clinic.error();
    return base::MakeError(ErrorCode::kNotFound, "unknown prior patient");
  }
  auto into_clinic = GetPatientClinic(tx, into);
  if (!into_clinic) return into_clinic.error();
  if (*from_clinic != *into_clinic) {
    return base::MakeError(ErrorCode::kPermissionDenied,
                           "the patients belong to different clinics; not merged");
  }
  if (auto s = MoveRows(tx, keys, from, into); !s) return s;
  const Param history[] = {{"from", from},
                           {"into", into},
                           {"clinic", *into_clinic},
                           {"sender", source.sender},
                           {"control", source.control_id},
                           {"now", now_us}};
  if (auto r = tx.Execute(
          "INSERT INTO patient_merge (merged_from, merged_into, clinic_id, sender, control_id, "
          "merged_us) VALUES (:from, :into, :clinic, :sender, :control, :now)",
          history);
      !r) {
    return r.error();
  }
  return {};
}

base::Result<std::vector<MergeRecord>> ListMergesInto(Transaction& tx, std::int64_t patient) {
  const Param p[] = {{"into", patient}};
  auto rows = tx.Query(
      "SELECT merged_from, merged_into, clinic_id, merged_us, sender, control_id "
      "FROM patient_merge WHERE merged_into = :into ORDER BY id",
      p);
  if (!rows) return rows.error();
  std::vector<MergeRecord> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) {
    out.push_back({.merged_from = r.Int(0),
                   .merged_into = r.Int(1),
                   .clinic_id = r.Int(2),
                   .merged_us = r.Int(3),
                   .sender = std::string(r.Text(4)),
                   .control_id = std::string(r.Text(5))});
  }
  return out;
}

base::Status LinkUnmatchedPatient(Transaction& tx, const crypto::KeyRing& keys, std::int64_t from,
                                  std::int64_t into) {
  if (from == into) {
    return base::MakeError(ErrorCode::kAlreadyExists, "a patient cannot be linked to itself");
  }
  const Param p[] = {{"id", from}};
  auto rows = tx.Query("SELECT unmatched FROM patient WHERE id = :id", p);
  if (!rows) return rows.error();
  if (rows->empty()) return base::MakeError(ErrorCode::kNotFound, "no such patient");
  if (rows->front().Int(0) == 0) {
    return base::MakeError(ErrorCode::kAlreadyExists, "the patient is already matched");
  }
  const Param target[] = {{"id", into}};
  auto exists = tx.Query("SELECT 1 FROM patient WHERE id = :id", target);
  if (!exists) return exists.error();
  if (exists->empty()) return base::MakeError(ErrorCode::kNotFound, "no such patient");
  return MoveRows(tx, keys, from, into);
}

}  // namespace heartbase::store
