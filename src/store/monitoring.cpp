// Counts for monitoring: each a query over an index the work lists use already.
#include "store/monitoring.h"

namespace heartbase::store {

base::Result<QueueDepths> ReadQueueDepths(Transaction& tx, std::int64_t now_us) {
  QueueDepths d;
  auto triage = tx.Query(
      "SELECT severity, count(*) FROM interrogation_review WHERE state <> 'signed' "
      "GROUP BY severity");
  if (!triage) return triage.error();
  for (const Row& r : *triage) {
    const std::int64_t severity = r.Int(0);
    if (severity >= 0 && severity < 4)
      d.triage_by_severity[static_cast<std::size_t>(severity)] = r.Int(1);
  }
  auto outbox = ReadOutboxStats(tx, now_us);
  if (!outbox) return outbox.error();
  d.outbox = *outbox;
  auto results = tx.Query(
      "SELECT state, count(*) FROM result_delivery WHERE state IN ('pending', 'dead') "
      "AND resent_as IS NULL GROUP BY state");
  if (!results) return results.error();
  for (const Row& r : *results) {
    (r.Text(0) == "pending" ? d.results_pending : d.results_dead) = r.Int(1);
  }
  auto quarantine = tx.Query("SELECT count(*) FROM quarantine WHERE resolved_us IS NULL");
  if (!quarantine) return quarantine.error();
  d.quarantine_open = quarantine->front().Int(0);
  return d;
}

base::Result<std::vector<SenderLastMessage>> ReadLastMessagePerSender(Transaction& tx,
                                                                      std::int64_t limit) {
  const Param p[] = {{"limit", limit}};
  auto rows = tx.Query(
      "SELECT sender, max(last_us) FROM ("
      "  SELECT sender, max(received_us) AS last_us FROM interrogation GROUP BY sender"
      "  UNION ALL"
      "  SELECT sender, max(received_us) AS last_us FROM adt_message GROUP BY sender"
      ") GROUP BY sender ORDER BY sender LIMIT :limit",
      p);
  if (!rows) return rows.error();
  std::vector<SenderLastMessage> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.push_back({std::string(r.Text(0)), r.Int(1)});
  return out;
}

}  // namespace heartbase::store
