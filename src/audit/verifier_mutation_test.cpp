// Security requirement L2: 100 % of random single mutations of a signed trail are detected.
// Each round plays an attacker who can write the database file (the append-only triggers are
// dropped first) and makes one change: a field of a row, a deleted, forged, swapped or moved row,
// a truncation, a row rewritten together with every later hash, or a changed, deleted or forged
// checkpoint. The mutation runs in a write transaction, Verify sees it there, and the rollback
// restores the pristine trail for the next round.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "audit/internal/canonical.h"
#include "audit/testing/trail_fixture.h"
#include "audit/trail.h"
#include "audit/verifier.h"

namespace heartbase::audit {
namespace {

constexpr std::int64_t kEvents = 120;
constexpr std::int64_t kCheckpointEvery = 25;  // and one at the tail: every event is signed
constexpr int kRounds = 1000;
constexpr std::uint64_t kSeed = 20261123;

// audit_event columns: kHashedColumns, then hash.
constexpr std::array<std::string_view, 16> kColumns = {
    "seq",     "time_us", "user_name",   "user_id",   "role",       "clinic_id",
    "address", "action",  "object_type", "object_id", "patient_id", "outcome",
    "detail",  "note",    "prev_hash",   "hash"};
constexpr std::size_t kPrevHash = 14, kHash = 15;

using Values = std::vector<store::Value>;

enum class Kind {
  kChangeField,
  kDeleteRow,
  kInsertForgedRow,
  kSwapRows,
  kMoveRow,
  kTruncate,
  kRewriteAndRechain,
  kChangeCheckpoint,
  kDeleteCheckpoint,
  kForgeCheckpoint,
};
constexpr Kind kKinds[] = {Kind::kChangeField,       Kind::kDeleteRow,
                           Kind::kInsertForgedRow,   Kind::kSwapRows,
                           Kind::kMoveRow,           Kind::kTruncate,
                           Kind::kRewriteAndRechain, Kind::kChangeCheckpoint,
                           Kind::kDeleteCheckpoint,  Kind::kForgeCheckpoint};

class Attacker {
 public:
  Attacker(store::Transaction& tx, std::mt19937_64& rng, const crypto::SigningKey& own_key)
      : tx_(tx), rng_(rng), own_key_(own_key) {}

  // Applies one mutation of `kind`; returns what it did.
  std::string Mutate(Kind kind) {
    for (const char* table : {"audit_event", "audit_checkpoint"}) {
      for (const char* what : {"update", "delete"}) {
        Exec(testing::DropTriggerSql(fmt::format("{}_no_{}", table, what), table));
      }
    }
    switch (kind) {
      case Kind::kChangeField:
        return ChangeField(Pick(1, kEvents));
      case Kind::kDeleteRow: {
        const std::int64_t seq = Pick(1, kEvents);
        Exec("DELETE FROM audit_event WHERE seq = :seq", {{"seq", seq}});
        return fmt::format("delete row {}", seq);
      }
      case Kind::kInsertForgedRow:
        return InsertForged(Pick(1, kEvents));
      case Kind::kSwapRows: {
        const std::int64_t a = Pick(1, kEvents);
        std::int64_t b = Pick(1, kEvents - 1);
        if (b >= a) ++b;
        Values va = Read(a), vb = Read(b);
        Write(a, vb);
        Write(b, va);
        return fmt::format("swap rows {} and {}", a, b);
      }
      case Kind::kMoveRow: {
        const std::int64_t a = Pick(1, kEvents);
        std::int64_t b = Pick(1, kEvents - 1);
        if (b >= a) ++b;
        // Row `from` moves to `to`; the rows between shift by one towards `from`.
        std::vector<Values> rows;
        const std::int64_t lo = std::min(a, b), hi = std::max(a, b);
        for (std::int64_t s = lo; s <= hi; ++s) rows.push_back(Read(s));
        if (a < b) {
          std::rotate(rows.begin(), rows.begin() + 1, rows.end());
        } else {
          std::rotate(rows.rbegin(), rows.rbegin() + 1, rows.rend());
        }
        for (std::int64_t s = lo; s <= hi; ++s) Write(s, rows[static_cast<std::size_t>(s - lo)]);
        return fmt::format("move row {} to {}", a, b);
      }
      case Kind::kTruncate: {
        const std::int64_t from = Pick(1, kEvents);
        Exec("DELETE FROM audit_event WHERE seq >= :seq", {{"seq", from}});
        return fmt::format("truncate from {}", from);
      }
      case Kind::kRewriteAndRechain:
        return Rechain(Pick(1, kEvents));
      case Kind::kChangeCheckpoint:
        return ChangeCheckpoint();
      case Kind::kDeleteCheckpoint: {
        // Not the newest: removing that one only un-signs the tail (the documented limit).
        const auto seqs = CheckpointSeqs();
        const std::int64_t seq = seqs[static_cast<std::size_t>(Pick(0, Size(seqs) - 2))];
        Exec("DELETE FROM audit_checkpoint WHERE seq = :seq", {{"seq", seq}});
        return fmt::format("delete checkpoint {}", seq);
      }
      case Kind::kForgeCheckpoint:
        return ForgeCheckpoint();
    }
    return "none";
  }

 private:
  static std::int64_t Size(const std::vector<std::int64_t>& v) {
    return static_cast<std::int64_t>(v.size());
  }
  std::int64_t Pick(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_);
  }

  std::int64_t Exec(const std::string& sql, std::vector<store::Param> params = {}) {
    auto r = tx_.Execute(sql, params);
    EXPECT_TRUE(r) << sql << ": " << r.error().Describe();
    return r ? *r : 0;
  }

  Values Read(std::int64_t seq) {
    const store::Param p[] = {{"seq", seq}};
    auto rows = tx_.Query(
        fmt::format("SELECT {}, hash FROM audit_event WHERE seq = :seq", internal::kHashedColumns),
        p);
    EXPECT_TRUE(rows && rows->size() == 1) << seq;
    Values v;
    for (std::size_t i = 0; i < kColumns.size(); ++i) v.push_back(rows->front().at(i));
    return v;
  }

  // Replaces every column but seq of row `seq` with `v`'s.
  void Write(std::int64_t seq, const Values& v) {
    std::string set;
    std::vector<store::Param> params{{"seq", seq}};
    for (std::size_t i = 1; i < kColumns.size(); ++i) {
      set += fmt::format("{}{} = :{}", i > 1 ? ", " : "", kColumns[i], kColumns[i]);
      params.push_back({kColumns[i], v[i]});
    }
    EXPECT_EQ(Exec(fmt::format("UPDATE audit_event SET {} WHERE seq = :seq", set), params), 1);
  }

  void Insert(const Values& v) {
    std::string names, values;
    std::vector<store::Param> params;
    for (std::size_t i = 0; i < kColumns.size(); ++i) {
      names += fmt::format("{}{}", i > 0 ? ", " : "", kColumns[i]);
      values += fmt::format("{}:{}", i > 0 ? ", " : "", kColumns[i]);
      params.push_back({kColumns[i], v[i]});
    }
    EXPECT_EQ(Exec(fmt::format("INSERT INTO audit_event ({}) VALUES ({})", names, values), params),
              1);
  }

  std::string Bits(std::string s) {
    if (s.empty()) return "x";
    s[static_cast<std::size_t>(Pick(0, static_cast<std::int64_t>(s.size()) - 1))] ^=
        static_cast<char>(1 << Pick(0, 7));
    return s;
  }
  // One changed bit of an ASCII text that stays valid text on both drivers (PostgreSQL refuses
  // invalid UTF-8 and NUL in TEXT).
  std::string TextBits(std::string s) {
    if (s.empty()) return "x";
    char& c = s[static_cast<std::size_t>(Pick(0, static_cast<std::int64_t>(s.size()) - 1))];
    const char flipped = static_cast<char>(c ^ (1 << Pick(0, 5)));
    c = flipped != '\0' ? flipped : static_cast<char>(c ^ (c == 1 ? 2 : 1));
    return s;
  }

  // A value of the column's kind that differs from `v`.
  store::Value Different(std::size_t column, const store::Value& v) {
    const std::string_view name = kColumns[column];
    const bool null = std::holds_alternative<std::monostate>(v);
    if (name == "outcome") {
      const std::string now = std::get<std::string>(v);
      const std::string others[] = {"success", "denied", "failed"};
      std::string pick;
      do pick = others[Pick(0, 2)];
      while (pick == now);
      return pick;
    }
    if (name == "time_us" || name == "user_id" || name == "clinic_id" || name == "patient_id") {
      if (null) return Pick(-1000, 1000);
      if (name != "time_us" && Pick(0, 2) == 0) return std::monostate{};
      std::int64_t delta = Pick(-1'000'000, 1'000'000);
      if (delta == 0) delta = 1;
      return std::get<std::int64_t>(v) + delta;
    }
    if (name == "note") {
      if (null) return store::Bytes{std::string(static_cast<std::size_t>(Pick(1, 60)), 'n')};
      if (Pick(0, 2) == 0) return std::monostate{};
      return store::Bytes{Bits(std::get<store::Bytes>(v).data)};
    }
    if (name == "prev_hash" || name == "hash") {
      const std::string h = std::get<store::Bytes>(v).data;
      if (Pick(0, 4) == 0) return store::Bytes{h.substr(0, h.size() - 1)};
      return store::Bytes{Bits(h)};
    }
    const std::string text = std::get<std::string>(v);  // the remaining TEXT NOT NULL columns
    switch (Pick(0, 3)) {
      case 0:
        return text.empty() ? std::string("a") : std::string();
      case 1:
        return text + " ";
      case 2:
        return text.empty() ? std::string("b") : text.substr(1);
      default:
        return TextBits(text);
    }
  }

  std::string ChangeField(std::int64_t seq) {
    Values v = Read(seq);
    const auto column = static_cast<std::size_t>(Pick(1, static_cast<std::int64_t>(kHash)));
    v[column] = Different(column, v[column]);
    Write(seq, v);
    return fmt::format("row {}: change {}", seq, kColumns[column]);
  }

  // A plausible forged event at `seq`, correctly linked and hashed; later rows move up by one.
  std::string InsertForged(std::int64_t seq) {
    const Values before = seq > 1 ? Read(seq - 1) : Values{};
    Exec("UPDATE audit_event SET seq = -seq WHERE seq >= :seq", {{"seq", seq}});
    Exec("UPDATE audit_event SET seq = 1 - seq WHERE seq < 0");
    Event e = testing::TrailTest::MakeEvent(seq);
    e.user_name = "alibi";
    Values v = internal::EventValues(
        seq, e, std::monostate{},
        seq > 1 ? std::get<store::Bytes>(before[kHash]).data : internal::GenesisHash());
    v.push_back(store::Bytes{internal::EventHash(v)});
    Insert(v);
    return fmt::format("insert forged row at {}", seq);
  }

  // Changes row `seq`, then recomputes prev_hash and hash of it and every later row.
  std::string Rechain(std::int64_t seq) {
    std::string prev =
        seq > 1 ? std::get<store::Bytes>(Read(seq - 1)[kHash]).data : internal::GenesisHash();
    for (std::int64_t s = seq; s <= kEvents; ++s) {
      Values v = Read(s);
      if (s == seq) v[9] = std::string("forged-object");
      v[kPrevHash] = store::Bytes{prev};
      v.pop_back();
      prev = internal::EventHash(v);
      v.push_back(store::Bytes{prev});
      Write(s, v);
    }
    return fmt::format("rewrite row {} and rechain", seq);
  }

  std::vector<std::int64_t> CheckpointSeqs() {
    std::vector<std::int64_t> seqs;
    for (const store::Row& r : *tx_.Query("SELECT seq FROM audit_checkpoint ORDER BY seq")) {
      seqs.push_back(r.Int(0));
    }
    return seqs;
  }

  std::int64_t SeqWithoutCheckpoint() {
    const auto seqs = CheckpointSeqs();
    const std::set<std::int64_t> taken(seqs.begin(), seqs.end());
    std::int64_t s = 0;
    do s = Pick(1, kEvents);
    while (taken.count(s) != 0);
    return s;
  }

  std::string ChangeCheckpoint() {
    const auto seqs = CheckpointSeqs();
    const std::int64_t seq = seqs[static_cast<std::size_t>(Pick(0, Size(seqs) - 1))];
    const store::Param p[] = {{"seq", seq}};
    auto rows = tx_.Query(
        "SELECT hash, time_us, prev_seq, key_id, signature FROM audit_checkpoint WHERE seq = :seq",
        p);
    const store::Row& row = rows->front();
    std::string column;
    store::Value value;
    switch (Pick(0, 5)) {
      case 0:
        column = "signature";
        value = store::Bytes{Bits(std::string(row.Blob(4)))};
        break;
      case 1:
        column = "hash";
        value = store::Bytes{Bits(std::string(row.Blob(0)))};
        break;
      case 2:
        column = "time_us";
        value = row.Int(1) + Pick(1, 1'000'000);
        break;
      case 3:
        column = "prev_seq";
        value = row.Int(2) + (Pick(0, 1) == 0 ? -1 : 1) * Pick(1, 30);
        break;
      case 4:
        column = "key_id";
        value = TextBits(std::string(row.Text(3)));
        break;
      default:
        column = "seq";
        value = SeqWithoutCheckpoint();
        break;
    }
    Exec(fmt::format("UPDATE audit_checkpoint SET {} = :v WHERE seq = :seq", column),
         {{"v", value}, {"seq", seq}});
    return fmt::format("checkpoint {}: change {}", seq, column);
  }

  // A checkpoint over the true chain, signed with the attacker's own key: either replacing an
  // existing signature or added at a new seq.
  std::string ForgeCheckpoint() {
    const auto seqs = CheckpointSeqs();
    const bool replace = Pick(0, 1) == 0;
    const std::int64_t seq =
        replace ? seqs[static_cast<std::size_t>(Pick(0, Size(seqs) - 1))] : SeqWithoutCheckpoint();
    const std::string hash = std::get<store::Bytes>(Read(seq)[kHash]).data;
    std::int64_t prev = 0;
    for (std::int64_t s : seqs) {
      if (s < seq) prev = s;
    }
    const std::string signature = own_key_.Sign(internal::CheckpointMessage(seq, hash, 42, prev));
    std::vector<store::Param> params{{"seq", seq},
                                     {"hash", store::Bytes{hash}},
                                     {"prev", prev},
                                     {"key", own_key_.public_key().Fingerprint()},
                                     {"sig", store::Bytes{signature}}};
    Exec("DELETE FROM audit_checkpoint WHERE seq = :seq", {{"seq", seq}});
    Exec(
        "INSERT INTO audit_checkpoint (seq, hash, time_us, prev_seq, key_id, signature) "
        "VALUES (:seq, :hash, 42, :prev, :key, :sig)",
        params);
    return fmt::format("{} checkpoint {} signed by another key", replace ? "replace" : "add", seq);
  }

  store::Transaction& tx_;
  std::mt19937_64& rng_;
  const crypto::SigningKey& own_key_;
};

class VerifierMutationTest : public testing::TrailTest {
 protected:
  void SetUp() override {
    TrailTest::SetUp();
    std::mt19937_64 rng(kSeed);
    ASSERT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& tx) {
      for (std::int64_t i = 1; i <= kEvents; ++i) {
        Event e = MakeEvent(i);
        if (rng() % 4 == 0) e.user_id.reset();
        if (rng() % 3 == 0) e.patient_id.reset();
        if (rng() % 5 == 0) e.outcome = std::string(kDenied);
        if (rng() % 6 == 0) e.detail.clear();
        if (rng() % 7 == 0) e.note = "reason " + std::to_string(rng());
        if (auto s = Append(tx, e, *keys_); !s) return s;
        if (i % kCheckpointEvery == 0 || i == kEvents) {
          if (auto s = Checkpoint(tx, *signer_, i * 10); !s) return s;
        }
      }
      return base::Status();
    }));
  }

  VerifyReport VerifyIn(store::Transaction& tx) {
    auto report = Verify(tx, {&signer_->public_key(), 1});
    EXPECT_TRUE(report) << report.error().Describe();
    return report ? *report : VerifyReport{};
  }
};

TEST_F(VerifierMutationTest, DetectsEveryOneOfAThousandRandomSingleMutations) {
  {
    auto tx = db_->Begin(store::Access::kWrite);
    ASSERT_TRUE(tx);
    const VerifyReport pristine = VerifyIn(**tx);
    ASSERT_TRUE(pristine.ok) << pristine.reason;
    ASSERT_EQ(pristine.last_checkpoint_seq, kEvents);
  }
  auto attacker_key = crypto::SigningKey::Generate();
  ASSERT_TRUE(attacker_key);
  std::mt19937_64 rng(kSeed + 1);
  std::map<Kind, int> tried, detected;
  std::vector<std::string> missed;
  for (int round = 0; round < kRounds; ++round) {
    const Kind kind = kKinds[rng() % std::size(kKinds)];
    auto tx = db_->Begin(store::Access::kWrite);
    ASSERT_TRUE(tx);
    const std::string what = Attacker(**tx, rng, *attacker_key).Mutate(kind);
    const VerifyReport report = VerifyIn(**tx);
    ++tried[kind];
    if (!report.ok) {
      ++detected[kind];
      EXPECT_GE(report.first_bad_seq, 1) << what;
      EXPECT_FALSE(report.reason.empty()) << what;
    } else {
      missed.push_back(fmt::format("round {}: {}", round, what));
    }
  }  // each transaction rolls back: the next round starts from the pristine trail
  EXPECT_TRUE(missed.empty()) << fmt::format("{} of {} mutations undetected, e.g. {}",
                                             missed.size(), kRounds, missed.front());
  for (const Kind kind : kKinds) {
    EXPECT_GE(tried[kind], 50) << static_cast<int>(kind);
    EXPECT_EQ(detected[kind], tried[kind]) << static_cast<int>(kind);
  }
  auto tx = db_->Begin(store::Access::kRead);
  ASSERT_TRUE(tx);
  EXPECT_TRUE(VerifyIn(**tx).ok);
}

}  // namespace
}  // namespace heartbase::audit
