// The applied ADT messages (table adt_message, migration 15).
#include "store/adt_messages.h"

namespace heartbase::store {

base::Result<std::vector<StoredAdtMessage>> ListAdtByControlId(Transaction& tx,
                                                               std::string_view sender,
                                                               std::string_view control_id) {
  const Param p[] = {{"sender", std::string(sender)}, {"control", std::string(control_id)}};
  auto rows = tx.Query(
      "SELECT id, raw_blob_id, patient_id FROM adt_message WHERE sender = :sender AND "
      "control_id = :control ORDER BY id",
      p);
  if (!rows) return rows.error();
  std::vector<StoredAdtMessage> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.push_back({r.Int(0), r.Int(1), r.Int(2)});
  return out;
}

base::Result<std::int64_t> RecordAdtMessage(Transaction& tx, std::string_view sender,
                                            std::string_view control_id, std::string_view event,
                                            std::int64_t raw_blob_id, std::int64_t patient_id,
                                            std::int64_t now_us) {
  auto id = tx.NextId("adt_message");
  if (!id) return id.error();
  const Param p[] = {{"id", *id},
                     {"sender", std::string(sender)},
                     {"control", std::string(control_id)},
                     {"event", std::string(event)},
                     {"raw", raw_blob_id},
                     {"patient", patient_id},
                     {"now", now_us}};
  if (auto r = tx.Execute(
          "INSERT INTO adt_message (id, sender, control_id, event, raw_blob_id, patient_id, "
          "received_us) VALUES (:id, :sender, :control, :event, :raw, :patient, :now)",
          p);
      !r) {
    return r.error();
  }
  return *id;
}

}  // namespace heartbase::store
