// Audit trail queries. The SQL is assembled from fixed fragments only; every value is a named
// parameter.
#include "audit/queries.h"

#include <algorithm>
#include <utility>

namespace heartbase::audit {
namespace {

constexpr std::string_view kSelect =
    "SELECT seq, time_us, user_name, user_id, role, clinic_id, address, action, object_type, "
    "object_id, patient_id, outcome, detail, note FROM audit_event WHERE seq > :after";

std::optional<std::int64_t> OptionalInt(const store::Row& row, std::size_t i) {
  if (row.IsNull(i)) return std::nullopt;
  return row.Int(i);
}

Record ToRecord(const store::Row& row) {
  Record r;
  r.seq = row.Int(0);
  Event& e = r.event;
  e.time_us = row.Int(1);
  e.user_name = row.Text(2);
  e.user_id = OptionalInt(row, 3);
  e.role = row.Text(4);
  e.clinic_id = OptionalInt(row, 5);
  e.address = row.Text(6);
  e.action = row.Text(7);
  e.object_type = row.Text(8);
  e.object_id = row.Text(9);
  e.patient_id = OptionalInt(row, 10);
  e.outcome = row.Text(11);
  e.detail = row.Text(12);
  r.sealed_note = row.Blob(13);
  return r;
}

std::int64_t Clamp(std::size_t limit) {
  return static_cast<std::int64_t>(std::clamp<std::size_t>(limit, 1, kMaxPageSize));
}

// Runs `sql` (which ends in "LIMIT :n") asking for one row more than the page, to know whether
// another page follows.
base::Result<Page> Fetch(store::Transaction& tx, const std::string& sql,
                         std::vector<store::Param> params, std::int64_t limit) {
  params.push_back({"n", limit + 1});
  auto rows = tx.Query(sql, params);
  if (!rows) return rows.error();
  Page page;
  const bool more = static_cast<std::int64_t>(rows->size()) > limit;
  if (more) rows->pop_back();
  page.records.reserve(rows->size());
  for (const store::Row& row : *rows) page.records.push_back(ToRecord(row));
  if (more) page.next_after_seq = page.records.back().seq;
  return page;
}

}  // namespace

base::Result<Page> WhoAccessedPatient(store::Transaction& tx, std::int64_t patient_id,
                                      std::size_t limit, std::int64_t after_seq) {
  return List(tx, Filter{.patient_id = patient_id}, limit, after_seq);
}

base::Result<Page> List(store::Transaction& tx, const Filter& filter, std::size_t limit,
                        std::int64_t after_seq) {
  std::string sql(kSelect);
  std::vector<store::Param> params;
  params.push_back({"after", after_seq});
  if (filter.patient_id) {
    sql += " AND patient_id = :patient";
    params.push_back({"patient", *filter.patient_id});
  }
  if (filter.user_id) {
    sql += " AND user_id = :user_id";
    params.push_back({"user_id", *filter.user_id});
  }
  if (filter.user_name) {
    sql += " AND user_name = :user_name";
    params.push_back({"user_name", *filter.user_name});
  }
  if (filter.action) {
    sql += " AND action = :action";
    params.push_back({"action", *filter.action});
  }
  if (filter.from_us) {
    sql += " AND time_us >= :from";
    params.push_back({"from", *filter.from_us});
  }
  if (filter.to_us) {
    sql += " AND time_us < :to";
    params.push_back({"to", *filter.to_us});
  }
  sql += " ORDER BY seq LIMIT :n";
  return Fetch(tx, sql, std::move(params), Clamp(limit));
}

base::Result<std::string> OpenNote(const crypto::KeyRing& keys, const Record& record) {
  if (record.sealed_note.empty()) {
    return base::MakeError(base::ErrorCode::kNotFound, "the audit record has no note");
  }
  return keys.Open(record.sealed_note, {"audit_event", "note", record.seq});
}

}  // namespace heartbase::audit
