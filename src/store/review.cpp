#include "store/review.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace heartbase::store {
namespace {

using base::ErrorCode;

std::optional<ReviewState> ParseState(std::string_view s) {
  if (s == "new") return ReviewState::kNew;
  if (s == "reviewed") return ReviewState::kReviewed;
  if (s == "signed") return ReviewState::kSigned;
  return std::nullopt;
}

std::optional<std::int64_t> OptInt(const Row& r, std::size_t i) {
  if (r.IsNull(i)) return std::nullopt;
  return r.Int(i);
}

std::optional<std::string> OptText(const Row& r, std::size_t i) {
  if (r.IsNull(i)) return std::nullopt;
  return std::string(r.Text(i));
}

// The state of the review row; kNotFound if there is none.
base::Result<ReviewState> StateOf(Transaction& tx, std::int64_t interrogation_id) {
  const Param p[] = {{"id", interrogation_id}};
  auto rows = tx.Query("SELECT state FROM interrogation_review WHERE interrogation_id = :id", p);
  if (!rows) return rows.error();
  if (rows->empty()) return base::MakeError(ErrorCode::kNotFound, "no such interrogation");
  const auto state = ParseState(rows->front().Text(0));
  if (!state) return base::MakeError(ErrorCode::kDataLoss, "unknown review state");
  return *state;
}

base::Status Unlocked(Transaction& tx, std::int64_t interrogation_id) {
  auto state = StateOf(tx, interrogation_id);
  if (!state) return state.error();
  if (*state == ReviewState::kSigned) {
    return base::MakeError(ErrorCode::kAlreadyExists, "the interrogation is signed and locked");
  }
  return {};
}

base::Status AddNote(Transaction& tx, const crypto::KeyRing& keys, std::int64_t interrogation_id,
                     std::int64_t user_id, std::string_view kind, std::string_view text,
                     std::int64_t now_us) {
  if (text.empty()) return {};
  // The note id is part of the associated data, so a sealed note cannot be moved to another row.
  const Param insert[] = {{"interrogation", interrogation_id},
                          {"author", user_id},
                          {"kind", std::string(kind)},
                          {"now", now_us}};
  auto rows = tx.Query(
      "INSERT INTO interrogation_note (interrogation_id, author_id, kind, created_us, note) "
      "VALUES (:interrogation, :author, :kind, :now, X'') RETURNING id",
      insert);
  if (!rows) return rows.error();
  const std::int64_t id = rows->front().Int(0);
  const Param seal[] = {{"id", id},
                        {"text", Bytes{keys.Seal(text, {"interrogation_note", "note", id})}}};
  if (auto r = tx.Execute("UPDATE interrogation_note SET note = :text WHERE id = :id", seal); !r) {
    return r.error();
  }
  return {};
}

base::Status CheckNote(std::string_view note) {
  if (note.size() > kMaxNoteBytes) {
    return base::MakeError(ErrorCode::kInvalidArgument,
                           fmt::format("a note is at most {} bytes", kMaxNoteBytes));
  }
  return {};
}

}  // namespace

std::string_view ReviewStateName(ReviewState state) {
  switch (state) {
    case ReviewState::kNew:
      return "new";
    case ReviewState::kReviewed:
      return "reviewed";
    case ReviewState::kSigned:
      return "signed";
  }
  return "new";
}

base::Status CreateReview(Transaction& tx, std::int64_t interrogation_id,
                          std::int64_t received_us) {
  const Param p[] = {{"id", interrogation_id}, {"received", received_us}};
  if (auto r = tx.Execute("INSERT INTO interrogation_review (interrogation_id, state, received_us) "
                          "VALUES (:id, 'new', :received)",
                          p);
      !r) {
    return r.error();
  }
  return {};
}

base::Status SetPriority(Transaction& tx, std::int64_t interrogation_id, int severity,
                         std::optional<std::int64_t> due_us) {
  const Param p[] = {{"id", interrogation_id},
                     {"severity", static_cast<std::int64_t>(std::clamp(severity, 0, kMaxSeverity))},
                     {"due", due_us ? Value(*due_us) : Value()}};
  auto changed = tx.Execute(
      "UPDATE interrogation_review SET severity = :severity, due_us = :due "
      "WHERE interrogation_id = :id",
      p);
  if (!changed) return changed.error();
  if (*changed == 0) return base::MakeError(ErrorCode::kNotFound, "no such interrogation");
  return {};
}

base::Result<Review> GetReview(Transaction& tx, const crypto::KeyRing& keys,
                               std::int64_t interrogation_id) {
  const Param p[] = {{"id", interrogation_id}};
  auto rows = tx.Query(
      "SELECT r.state, r.severity, r.due_us, r.received_us, a.name, rv.name, r.reviewed_us, "
      "s.name, r.signed_us FROM interrogation_review r "
      "LEFT JOIN app_user a ON a.id = r.assigned_to "
      "LEFT JOIN app_user rv ON rv.id = r.reviewed_by "
      "LEFT JOIN app_user s ON s.id = r.signed_by WHERE r.interrogation_id = :id",
      p);
  if (!rows) return rows.error();
  if (rows->empty()) return base::MakeError(ErrorCode::kNotFound, "no such interrogation");
  const Row& r = rows->front();
  Review out;
  out.interrogation_id = interrogation_id;
  const auto state = ParseState(r.Text(0));
  if (!state) return base::MakeError(ErrorCode::kDataLoss, "unknown review state");
  out.state = *state;
  out.severity = static_cast<int>(r.Int(1));
  out.due_us = OptInt(r, 2);
  out.received_us = r.Int(3);
  out.assigned_to = OptText(r, 4);
  out.reviewed_by = OptText(r, 5);
  out.reviewed_us = OptInt(r, 6);
  out.signed_by = OptText(r, 7);
  out.signed_us = OptInt(r, 8);
  auto notes = tx.Query(
      "SELECT n.id, u.name, n.kind, n.created_us, n.note FROM interrogation_note n "
      "JOIN app_user u ON u.id = n.author_id WHERE n.interrogation_id = :id ORDER BY n.id",
      p);
  if (!notes) return notes.error();
  for (const Row& n : *notes) {
    auto text = keys.Open(n.Blob(4), {"interrogation_note", "note", n.Int(0)});
    if (!text) return text.error();
    out.notes.push_back(
        {std::string(n.Text(1)), std::string(n.Text(2)), n.Int(3), std::move(*text)});
  }
  return out;
}

base::Status Assign(Transaction& tx, std::int64_t interrogation_id,
                    std::optional<std::int64_t> user_id) {
  if (auto s = Unlocked(tx, interrogation_id); !s) return s;
  const Param p[] = {{"id", interrogation_id}, {"user", user_id ? Value(*user_id) : Value()}};
  if (auto r = tx.Execute(
          "UPDATE interrogation_review SET assigned_to = :user WHERE interrogation_id = :id", p);
      !r) {
    return r.error();
  }
  return {};
}

base::Status MarkReviewed(Transaction& tx, const crypto::KeyRing& keys,
                          std::int64_t interrogation_id, std::int64_t user_id,
                          std::string_view note, std::int64_t now_us) {
  if (auto s = CheckNote(note); !s) return s;
  if (auto s = Unlocked(tx, interrogation_id); !s) return s;
  const Param p[] = {{"id", interrogation_id}, {"user", user_id}, {"now", now_us}};
  if (auto r =
          tx.Execute("UPDATE interrogation_review SET state = 'reviewed', reviewed_by = :user, "
                     "reviewed_us = :now WHERE interrogation_id = :id",
                     p);
      !r) {
    return r.error();
  }
  return AddNote(tx, keys, interrogation_id, user_id, "review", note, now_us);
}

base::Status SignOff(Transaction& tx, const crypto::KeyRing& keys, std::int64_t interrogation_id,
                     std::int64_t user_id, std::string_view note, std::int64_t now_us) {
  if (auto s = CheckNote(note); !s) return s;
  if (auto s = Unlocked(tx, interrogation_id); !s) return s;
  const Param p[] = {{"id", interrogation_id}, {"user", user_id}, {"now", now_us}};
  // A physician who signs without a separate review has reviewed it too.
  if (auto r = tx.Execute(
          "UPDATE interrogation_review SET state = 'signed', signed_by = :user, signed_us = :now, "
          "reviewed_by = coalesce(reviewed_by, :user), reviewed_us = coalesce(reviewed_us, :now) "
          "WHERE interrogation_id = :id",
          p);
      !r) {
    return r.error();
  }
  return AddNote(tx, keys, interrogation_id, user_id, "signoff", note, now_us);
}

base::Result<std::int64_t> SignHistory(Transaction& tx, std::int64_t before_us,
                                       std::int64_t now_us) {
  const Param p[] = {{"before", before_us}, {"now", now_us}};
  return tx.Execute(
      "UPDATE interrogation_review SET state = 'signed', signed_us = :now, "
      "reviewed_us = coalesce(reviewed_us, :now) WHERE state <> 'signed' AND interrogation_id IN "
      "(SELECT id FROM interrogation WHERE coalesce(session_us, received_us) < :before)",
      p);
}

base::Result<std::vector<LastTransmission>> ListLastTransmissions(Transaction& tx,
                                                                  std::int64_t after_patient,
                                                                  int limit) {
  const Param p[] = {{"after", after_patient},
                     {"limit", static_cast<std::int64_t>(std::clamp(limit, 1, 10000))}};
  auto rows = tx.Query(
      "SELECT i.patient_id, pt.clinic_id, d.type, coalesce(i.session_us, i.received_us) AS t "
      "FROM patient pt JOIN interrogation i ON i.id = (SELECT id FROM interrogation "
      "WHERE patient_id = pt.id AND superseded_by IS NULL "
      "ORDER BY coalesce(session_us, received_us) DESC, id DESC LIMIT 1) "
      "JOIN device d ON d.id = i.device_id "
      "WHERE pt.id > :after AND NOT EXISTS (SELECT 1 FROM alert a WHERE a.patient_id = pt.id "
      "AND a.rule = 'missed_transmission' AND a.interrogation_id IS NULL "
      "AND a.created_us > coalesce(i.session_us, i.received_us)) "
      "ORDER BY pt.id LIMIT :limit",
      p);
  if (!rows) return rows.error();
  std::vector<LastTransmission> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) {
    out.push_back({r.Int(0), r.Int(1), std::string(r.Text(2)), r.Int(3)});
  }
  return out;
}

std::string FormatQueueCursor(const QueueCursor& c) {
  return fmt::format("{}.{}.{}", c.severity, c.received_us, c.interrogation_id);
}

std::optional<QueueCursor> ParseQueueCursor(std::string_view text) {
  std::int64_t parts[3];
  for (int i = 0; i < 3; ++i) {
    const std::size_t dot = i < 2 ? text.find('.') : text.size();
    if (dot == std::string_view::npos) return std::nullopt;
    const std::string_view part = text.substr(0, dot);
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), parts[i]);
    if (ec != std::errc() || p != part.data() + part.size() || part.empty()) return std::nullopt;
    text.remove_prefix(std::min(dot + 1, text.size()));
  }
  if (parts[0] < 0 || parts[0] > kMaxSeverity || parts[2] <= 0) return std::nullopt;
  return QueueCursor{static_cast<int>(parts[0]), parts[1], parts[2]};
}

base::Result<std::vector<ReviewQueueItem>> ListQueue(Transaction& tx,
                                                     const ReviewQueueFilter& filter, int limit,
                                                     const std::optional<QueueCursor>& after) {
  // A page is at most 1,000 items; callers ask for one more to learn whether another follows.
  limit = std::clamp(limit, 1, 1001);
  static constexpr std::string_view kClinicNames[] = {"c0",  "c1",  "c2",  "c3", "c4",  "c5",
                                                      "c6",  "c7",  "c8",  "c9", "c10", "c11",
                                                      "c12", "c13", "c14", "c15"};
  if (filter.clinics.size() > std::size(kClinicNames)) {
    return base::MakeError(ErrorCode::kLimitExceeded, "more than 16 clinics in one query");
  }
  std::vector<Param> params = {
      {"clinic", filter.clinic ? Value(*filter.clinic) : Value()},
      {"manufacturer", filter.manufacturer ? Value(*filter.manufacturer) : Value()},
      {"type", filter.device_type ? Value(*filter.device_type) : Value()},
      {"session", filter.session_type ? Value(*filter.session_type) : Value()},
      {"assigned", filter.assigned_to ? Value(*filter.assigned_to) : Value()},
      {"sev", after ? Value(static_cast<std::int64_t>(after->severity)) : Value()},
      {"rec", after ? Value(after->received_us) : Value(std::int64_t{0})},
      {"iid", after ? Value(after->interrogation_id) : Value(std::int64_t{0})},
      {"limit", static_cast<std::int64_t>(limit)},
  };
  std::string clinics;
  for (std::size_t i = 0; i < filter.clinics.size(); ++i) {
    clinics += fmt::format("{}:{}", i == 0 ? "" : ", ", kClinicNames[i]);
    params.push_back({kClinicNames[i], filter.clinics[i]});
  }
  // Walks the partial index of open work in queue order; the joins are by primary key.
  const std::string sql = fmt::format(
      "SELECT r.interrogation_id, i.patient_id, p.clinic_id, r.state, r.severity, r.due_us, "
      "r.received_us, a.name, d.manufacturer, d.type, i.session_type, d.id "
      "FROM interrogation_review r JOIN interrogation i ON i.id = r.interrogation_id "
      "JOIN patient p ON p.id = i.patient_id JOIN device d ON d.id = i.device_id "
      "LEFT JOIN app_user a ON a.id = r.assigned_to "
      "WHERE r.state <> 'signed' AND i.superseded_by IS NULL "
      "AND (r.severity < :sev OR (r.severity = :sev AND "
      "(r.received_us > :rec OR (r.received_us = :rec AND r.interrogation_id > :iid))) "
      "OR :sev IS NULL) "
      "AND (p.clinic_id = :clinic OR :clinic IS NULL) "
      "AND (d.manufacturer = :manufacturer OR :manufacturer IS NULL) "
      "AND (d.type = :type OR :type IS NULL) AND (i.session_type = :session OR :session IS NULL) "
      "AND (r.assigned_to = :assigned OR :assigned IS NULL) {} "
      "ORDER BY r.severity DESC, r.received_us, r.interrogation_id LIMIT :limit",
      clinics.empty() ? "" : "AND p.clinic_id IN (" + clinics + ")");
  auto rows = tx.Query(sql, params);
  if (!rows) return rows.error();
  std::vector<ReviewQueueItem> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) {
    ReviewQueueItem q;
    q.interrogation_id = r.Int(0);
    q.patient_id = r.Int(1);
    q.clinic_id = r.Int(2);
    q.state = ParseState(r.Text(3)).value_or(ReviewState::kNew);
    q.severity = static_cast<int>(r.Int(4));
    q.due_us = OptInt(r, 5);
    q.received_us = r.Int(6);
    q.assigned_to = OptText(r, 7);
    q.manufacturer = std::string(r.Text(8));
    q.device_type = std::string(r.Text(9));
    q.session_type = std::string(r.Text(10));
    q.device_id = r.Int(11);
    out.push_back(std::move(q));
  }
  return out;
}

base::Result<std::optional<std::int64_t>> PreviousInterrogation(Transaction& tx,
                                                                std::int64_t interrogation_id) {
  const Param p[] = {{"id", interrogation_id}};
  auto rows = tx.Query(
      "SELECT prev.id FROM interrogation cur JOIN interrogation prev "
      "ON prev.patient_id = cur.patient_id AND prev.superseded_by IS NULL "
      "AND (coalesce(prev.session_us, prev.received_us) < coalesce(cur.session_us, "
      "cur.received_us) "
      "OR (coalesce(prev.session_us, prev.received_us) = "
      "coalesce(cur.session_us, cur.received_us) AND prev.id < cur.id)) "
      "WHERE cur.id = :id "
      "ORDER BY coalesce(prev.session_us, prev.received_us) DESC, prev.id DESC LIMIT 1",
      p);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>{rows->front().Int(0)};
}

}  // namespace heartbase::store
