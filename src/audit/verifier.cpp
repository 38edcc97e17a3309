// The offline verifier: one pass over events and checkpoints in seq order, a page at a time.
#include "audit/verifier.h"

#include <fmt/format.h>

#include <utility>
#include <vector>

#include "audit/internal/canonical.h"

namespace heartbase::audit {
namespace {

// Pages through one table in seq order (column 0 must be seq). Rows are read kVerifyPageRows at
// a time, so memory does not grow with the trail.
class SeqPager {
 public:
  SeqPager(store::Transaction& tx, std::string_view columns, std::string_view table)
      : tx_(tx),
        first_sql_(fmt::format("SELECT {} FROM {} ORDER BY seq LIMIT :n", columns, table)),
        next_sql_(fmt::format("SELECT {} FROM {} WHERE seq > :after ORDER BY seq LIMIT :n", columns,
                              table)) {}

  // The current row, or nullptr after the last one.
  base::Result<const store::Row*> Peek() {
    if (at_ == rows_.size() && !done_) {
      if (auto s = Fill(); !s) return s.error();
    }
    if (at_ == rows_.size()) return static_cast<const store::Row*>(nullptr);
    return &rows_[at_];
  }
  void Next() { ++at_; }

 private:
  base::Status Fill() {
    const store::Param params[] = {{"n", kVerifyPageRows}, {"after", after_}};
    // The first page has no lower bound, so even rows with a seq below 1 are seen.
    auto rows = started_ ? tx_.Query(next_sql_, params) : tx_.Query(first_sql_, {params, 1});
    if (!rows) return rows.error();
    started_ = true;
    rows_ = std::move(*rows);
    at_ = 0;
    done_ = static_cast<std::int64_t>(rows_.size()) < kVerifyPageRows;
    if (!rows_.empty()) after_ = rows_.back().Int(0);
    return {};
  }

  store::Transaction& tx_;
  std::string first_sql_, next_sql_;
  std::vector<store::Row> rows_;
  std::size_t at_ = 0;
  std::int64_t after_ = 0;
  bool started_ = false, done_ = false;
};

constexpr std::size_t kPrevHashColumn = internal::kHashedColumnCount - 1;
constexpr std::size_t kHashColumn = internal::kHashedColumnCount;

class Walk {
 public:
  Walk(store::Transaction& tx, std::span<const crypto::SigningPublicKey> trusted)
      : events_(tx, fmt::format("{}, hash", internal::kHashedColumns), "audit_event"),
        checkpoints_(tx, "seq, hash, time_us, prev_seq, key_id, signature", "audit_checkpoint"),
        trusted_(trusted) {
    for (const auto& key : trusted_) fingerprints_.push_back(key.Fingerprint());
  }

  base::Result<VerifyReport> Run() {
    for (;;) {
      auto row = events_.Peek();
      if (!row) return row.error();
      if (*row == nullptr) break;
      if (!CheckEvent(**row)) return report_;
      events_.Next();
      if (auto s = CheckCheckpointsUpTo(report_.last_seq); !s) return s.error();
      if (!report_.ok) return report_;
    }
    auto extra = checkpoints_.Peek();
    if (!extra) return extra.error();
    if (*extra != nullptr) {
      const std::int64_t seq = (*extra)->Int(0);
      return Bad(report_.last_seq + 1,
                 fmt::format("events after seq {} are missing: the checkpoint at seq {} covers "
                             "them (the trail was truncated)",
                             report_.last_seq, seq));
    }
    return report_;
  }

 private:
  VerifyReport Bad(std::int64_t seq, std::string reason) {
    report_.ok = false;
    report_.first_bad_seq = seq;
    report_.reason = std::move(reason);
    return report_;
  }

  bool CheckEvent(const store::Row& row) {
    const std::int64_t seq = row.Int(0);
    const std::int64_t expected = report_.last_seq + 1;
    if (seq < expected) {
      Bad(seq, fmt::format("event with seq {} before the start of the trail", seq));
      return false;
    }
    if (seq > expected) {
      Bad(expected, fmt::format("events {} to {} are missing", expected, seq - 1));
      return false;
    }
    if (row.at(kPrevHashColumn) != store::Value(store::Bytes{chain_})) {
      Bad(seq,
          "prev_hash is not the previous event's hash (an event was removed, inserted, "
          "moved or altered)");
      return false;
    }
    values_.clear();
    for (std::size_t i = 0; i < internal::kHashedColumnCount; ++i) values_.push_back(row.at(i));
    std::string hash = internal::EventHash(values_);
    if (row.at(kHashColumn) != store::Value(store::Bytes{hash})) {
      Bad(seq, "hash does not match the event's contents (the event was altered)");
      return false;
    }
    chain_ = std::move(hash);
    ++report_.events;
    report_.last_seq = seq;
    return true;
  }

  // Checks every checkpoint with seq <= `seq` (the event just verified, whose hash is chain_).
  base::Status CheckCheckpointsUpTo(std::int64_t seq) {
    for (;;) {
      auto row = checkpoints_.Peek();
      if (!row) return row.error();
      if (*row == nullptr || (*row)->Int(0) > seq) return {};
      CheckCheckpoint(**row, seq);
      if (!report_.ok) return {};
      checkpoints_.Next();
    }
  }

  void CheckCheckpoint(const store::Row& row, std::int64_t event_seq) {
    const std::int64_t seq = row.Int(0);
    const std::string_view hash = row.Blob(1);
    const std::int64_t time_us = row.Int(2), prev_seq = row.Int(3);
    const std::string_view key_id = row.Text(4), signature = row.Blob(5);
    if (seq != event_seq) {
      Bad(seq, fmt::format("checkpoint at seq {} refers to no event", seq));
      return;
    }
    const crypto::SigningPublicKey* key = nullptr;
    for (std::size_t i = 0; i < trusted_.size(); ++i) {
      if (fingerprints_[i] == key_id) key = &trusted_[i];
    }
    if (key == nullptr) {
      Bad(seq, fmt::format("checkpoint at seq {} names a key that is not trusted", seq));
      return;
    }
    if (!key->Verify(internal::CheckpointMessage(seq, hash, time_us, prev_seq), signature)) {
      Bad(seq, fmt::format("checkpoint at seq {} has an invalid signature", seq));
      return;
    }
    if (hash != chain_) {
      Bad(seq, fmt::format("the chain at seq {} differs from its signed checkpoint (events up to "
                           "here were rewritten)",
                           seq));
      return;
    }
    if (prev_seq != report_.last_checkpoint_seq) {
      Bad(seq, fmt::format("checkpoint at seq {} follows checkpoint {}, but the previous one is "
                           "at {} (a checkpoint was removed or added)",
                           seq, prev_seq, report_.last_checkpoint_seq));
      return;
    }
    ++report_.checkpoints;
    report_.last_checkpoint_seq = seq;
  }

  SeqPager events_, checkpoints_;
  std::span<const crypto::SigningPublicKey> trusted_;
  std::vector<std::string> fingerprints_;
  std::vector<store::Value> values_;
  std::string chain_ = internal::GenesisHash();
  VerifyReport report_;
};

}  // namespace

base::Result<VerifyReport> Verify(store::Transaction& tx,
                                  std::span<const crypto::SigningPublicKey> trusted) {
  return Walk(tx, trusted).Run();
}

base::Result<VerifyReport> Verify(store::Database& db,
                                  std::span<const crypto::SigningPublicKey> trusted) {
  auto tx = db.Begin(store::Access::kRead);
  if (!tx) return tx.error();
  return Verify(**tx, trusted);
}

base::Result<VerifyReport> Verify(store::Database& db, const crypto::SigningPublicKey& trusted) {
  return Verify(db, {&trusted, 1});
}

}  // namespace heartbase::audit
