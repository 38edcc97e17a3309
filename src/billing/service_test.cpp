// Billing and scheduling over a real SQLite store filled through the ingest pipeline with a
// generated year of every device type: the close job, its idempotence, late arrivals, merges,
// the exports, booked visits closed by arriving sessions, and the work list.
#include "billing/service.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <map>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "base/time.h"
#include "demo/generator.h"
#include "ingest/pipeline.h"
#include "store/charges.h"
#include "store/followup.h"
#include "store/migrations.h"
#include "store/patient_merge.h"
#include "store/patients.h"
#include "store/review.h"
#include "store/testing/temp_dir.h"
#include "store/testing/test_store.h"

namespace heartbase::billing {
namespace {

constexpr std::int64_t kDayUs = 86'400'000'000LL;

std::int64_t UsOfDay(std::string_view iso) { return *ParseDay(iso) * kDayUs; }

class BillingServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    auto store = store::testing::OpenTestStore(dir_);
    ASSERT_TRUE(store) << store.error().Describe();
    db_ = std::move(store->db);
    migrations_ = store->migrations;
    ASSERT_TRUE(store::Migrate(*db_, migrations_, false));
    auto keys = crypto::KeyRing::Generate();
    ASSERT_TRUE(keys);
    keys_.emplace(std::move(*keys));
    ASSERT_TRUE(Write([](store::Transaction& tx) {
      auto r = tx.Execute(
          "INSERT INTO app_user (id, name, display_name, role, created_us, updated_us) VALUES "
          "(1, 'doc', 'Dr Doc', 'physician', 0, 0), (2, 'two', 'Dr Two', 'physician', 0, 0)");
      return r ? base::Status() : base::Status(r.error());
    }));
  }

  base::Status Write(const std::function<base::Status(store::Transaction&)>& work) {
    return store::RunUnitOfWork(*db_, store::Access::kWrite, work);
  }
  template <typename T>
  T Read(const std::function<base::Result<T>(store::Transaction&)>& work) {
    T out{};
    auto s = store::RunUnitOfWork(*db_, store::Access::kRead,
                                  [&](store::Transaction& tx) -> base::Status {
                                    auto r = work(tx);
                                    if (!r) return r.error();
                                    out = std::move(*r);
                                    return {};
                                  });
    EXPECT_TRUE(s) << s.error().Describe();
    return out;
  }

  // A year of generated follow-ups (every device type among the patients), all accepted as
  // known patients.
  // Messages whose path contains `hold` are kept in held_ instead.
  void Generate(std::uint32_t patients, const std::string& hold = "") {
    ingest::Pipeline pipeline(*db_, *keys_);
    auto s = demo::Generate({.patients = patients, .years = 1, .seed = 1},
                            [&](const demo::GeneratedMessage& m) -> base::Status {
                              messages_.push_back(m);
                              if (!hold.empty() && m.path.find(hold) != std::string::npos) {
                                held_.push_back(m);
                                return {};
                              }
                              auto out = pipeline.Ingest(m.bytes, "test");
                              if (!out) return out.error();
                              return {};
                            });
    ASSERT_TRUE(s) << s.error().Describe();
    ASSERT_TRUE(Write([](store::Transaction& tx) {
      auto n = store::AcceptPatientsCreatedSince(tx, 0);
      return n ? base::Status() : base::Status(n.error());
    }));
  }

  std::vector<store::BillingSession> Sessions() {
    return Read<std::vector<store::BillingSession>>(
        [](store::Transaction& tx) { return store::ListBillingSessions(tx, {}); });
  }

  // Signs every session two days after it, by `user`, except those `skip` names.
  void SignAll(std::int64_t user, const std::function<bool(const store::BillingSession&)>& skip) {
    for (const auto& s : Sessions()) {
      if (s.signed_off || (skip && skip(s))) continue;
      ASSERT_TRUE(Write([&](store::Transaction& tx) {
        return store::SignOff(tx, *keys_, s.interrogation_id, user, "",
                              s.effective_us + 2 * kDayUs);
      }));
    }
  }

  std::vector<store::ChargeRow> Charges() {
    auto rows = Read<std::vector<store::ChargeRow>>(
        [](store::Transaction& tx) { return store::ListCharges(tx, {}, 1'000'000); });
    std::sort(rows.begin(), rows.end(),
              [](const store::ChargeRow& a, const store::ChargeRow& b) { return a.id < b.id; });
    return rows;
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::Database> db_;
  std::span<const store::Migration> migrations_;
  std::optional<crypto::KeyRing> keys_;
  std::vector<demo::GeneratedMessage> messages_, held_;
};

// The charge an expectation names: code, modifier, component, period, date of service, reader.
using Row = std::tuple<std::string, std::string, std::string, std::string, std::string, std::string,
                       std::string>;

std::vector<Row> RowsOf(const std::vector<store::ChargeRow>& charges, std::int64_t patient) {
  std::vector<Row> out;
  for (const auto& c : charges) {
    if (c.patient_id != patient) continue;
    out.emplace_back(c.code, c.modifier, std::string(store::ToString(c.component)), c.period_start,
                     c.period_end, c.service_date, c.reading_physician);
  }
  std::sort(out.begin(), out.end(), [](const Row& a, const Row& b) {
    return std::tie(std::get<3>(a), std::get<0>(a), std::get<1>(a)) <
           std::tie(std::get<3>(b), std::get<0>(b), std::get<1>(b));
  });
  return out;
}

// Patients 1 (loop recorder), 2 (pacemaker) and 5 (ICD replaced in June) of the generated year,
// with the expected charges worked out by hand from their sessions (seed 1, ending 2026-11-01):
//   p1 remote 2025-11-11, 2026-02-14, 2026-05-12 (left unsigned), 2026-08-16;
//   p2 remote 2025-11-12, in clinic 2026-02-16, remote 2026-05-08 (signed by Dr Two), 2026-05-16,
//      2026-08-16 (its period ends 2026-11-06: still open);
//   p5 remote 2025-12-10, 2026-03-11, 2026-04-12, 2026-04-20, in clinic 2026-06-02, new ICD
//      implanted 2026-06-06, in clinic 2026-07-27, remote 2026-09-01.
// Everything else is signed by Dr Doc two days after the session.
TEST_F(BillingServiceTest, AGeneratedYearGivesTheChargesWorkedOutByHand) {
  Generate(12);
  const auto sessions = Sessions();
  std::map<std::string, std::int64_t> by_day;  // "p<patient> <day>" → interrogation
  for (const auto& s : sessions) {
    by_day[fmt::format("p{} {}", s.patient_id, FormatDay(s.effective_us / kDayUs))] =
        s.interrogation_id;
  }
  const std::int64_t p2_by_two = by_day.at("p2 2026-05-08");
  const std::int64_t p1_unsigned = by_day.at("p1 2026-05-12");
  ASSERT_TRUE(Write([&](store::Transaction& tx) {
    return store::SignOff(tx, *keys_, p2_by_two, 2, "", UsOfDay("2026-05-09"));
  }));
  SignAll(1, [&](const store::BillingSession& s) { return s.interrogation_id == p1_unsigned; });

  const std::int64_t now = UsOfDay("2026-11-02") + 12 * 3600 * 1'000'000LL;
  auto closed = CloseCharges(*db_, DefaultCodeTable(), now);
  ASSERT_TRUE(closed) << closed.error().Describe();
  EXPECT_GT(closed->created, 40);
  EXPECT_EQ(closed->overlapping, 0);
  const auto charges = Charges();
  EXPECT_EQ(static_cast<std::int64_t>(charges.size()), closed->created);

  const std::string pro = "professional", tech = "technical", global = "global";
  EXPECT_EQ(RowsOf(charges, 1),
            (std::vector<Row>{
                {"93298", "26", pro, "2025-11-11", "2025-12-10", "2025-12-10", "Dr Doc"},
                {"93298", "TC", tech, "2025-11-11", "2025-12-10", "2025-12-10", ""},
                {"93298", "26", pro, "2026-02-09", "2026-03-10", "2026-03-10", "Dr Doc"},
                {"93298", "TC", tech, "2026-02-09", "2026-03-10", "2026-03-10", ""},
                {"93298", "TC", tech, "2026-05-10", "2026-06-08", "2026-06-08", ""},
                {"93298", "26", pro, "2026-08-08", "2026-09-06", "2026-09-06", "Dr Doc"},
                {"93298", "TC", tech, "2026-08-08", "2026-09-06", "2026-09-06", ""},
            }));
  EXPECT_EQ(RowsOf(charges, 2),
            (std::vector<Row>{
                {"93294", "", pro, "2025-11-12", "2026-02-09", "2026-02-09", "Dr Doc"},
                {"93296", "", tech, "2025-11-12", "2026-02-09", "2026-02-09", ""},
                {"93294", "", pro, "2026-02-10", "2026-05-10", "2026-05-10", "Dr Two"},
                {"93296", "", tech, "2026-02-10", "2026-05-10", "2026-05-10", ""},
                {"93288", "", global, "2026-02-16", "2026-02-16", "2026-02-16", "Dr Doc"},
                {"93294", "", pro, "2026-05-11", "2026-08-08", "2026-08-08", "Dr Doc"},
                {"93296", "", tech, "2026-05-11", "2026-08-08", "2026-08-08", ""},
            }));
  // p5: Dr Doc saw the patient in clinic in the second and third periods, which excludes his
  // remote professional charge there; the third period is charged to the new ICD.
  EXPECT_EQ(RowsOf(charges, 5),
            (std::vector<Row>{
                {"93295", "", pro, "2025-12-10", "2026-03-09", "2026-03-09", "Dr Doc"},
                {"93296", "", tech, "2025-12-10", "2026-03-09", "2026-03-09", ""},
                {"93296", "", tech, "2026-03-10", "2026-06-07", "2026-06-07", ""},
                {"93289", "", global, "2026-06-02", "2026-06-02", "2026-06-02", "Dr Doc"},
                {"93296", "", tech, "2026-06-08", "2026-09-05", "2026-09-05", ""},
                {"93289", "", global, "2026-07-27", "2026-07-27", "2026-07-27", "Dr Doc"},
            }));
  for (const auto& c : charges) {
    if (c.patient_id == 5 && c.period_start == "2026-06-08") {
      EXPECT_EQ(c.device_id, 6);
    }
    EXPECT_EQ(c.table_version, "2026.1");
    EXPECT_FALSE(c.interrogations.empty());
  }

  // The missed-charge report names p1's unsigned period and p5's two excluded ones.
  auto run = Read<BillingRun>(
      [&](store::Transaction& tx) { return ComputeBilling(tx, DefaultCodeTable(), {}, now); });
  std::vector<std::string> missed;
  for (const auto& m : run.missed) {
    if (m.patient_id == 1 || m.patient_id == 5) {
      missed.push_back(fmt::format("p{} {} {} {}", m.patient_id, m.missed.code.code,
                                   FormatDay(m.missed.period_start),
                                   m.missed.reason.substr(0, 16)));
    }
  }
  std::sort(missed.begin(), missed.end());
  EXPECT_EQ(missed, (std::vector<std::string>{"p1 93298 2026-05-10 no signed review",
                                              "p5 93295 2026-03-10 excluded: in-per",
                                              "p5 93295 2026-06-08 excluded: in-per"}));

  // Every device type's remote periods: consecutive, of the table's length, never overlapping.
  std::map<std::tuple<std::int64_t, std::string, std::string>, std::vector<std::int64_t>> starts;
  for (const auto& c : charges) {
    if (c.component == store::ChargeComponent::kGlobal) continue;
    const std::int64_t start = *ParseDay(c.period_start), end = *ParseDay(c.period_end);
    EXPECT_EQ(end - start + 1, c.code == "93298" ? 30 : 90) << c.code;
    starts[{c.patient_id, c.code, c.modifier}].push_back(start);
  }
  for (auto& [key, list] : starts) {
    std::sort(list.begin(), list.end());
    for (std::size_t i = 1; i < list.size(); ++i) {
      EXPECT_GE(list[i] - list[i - 1], std::get<1>(key) == "93298" ? 30 : 90);
    }
  }
  std::set<std::string> codes;
  for (const auto& c : charges) codes.insert(c.code);
  // (The generator gives loop recorders no in-clinic sessions, so 93291 does not occur.)
  EXPECT_EQ(codes, (std::set<std::string>{"93288", "93289", "93294", "93295", "93296", "93298"}));
}

TEST_F(BillingServiceTest, TheCloseJobWritesEachChargeOnceWhateverArrivesLate) {
  Generate(12);
  SignAll(1, nullptr);
  const std::int64_t now = UsOfDay("2026-11-02");
  auto first = CloseCharges(*db_, DefaultCodeTable(), now);
  ASSERT_TRUE(first);
  auto again = CloseCharges(*db_, DefaultCodeTable(), now);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->created, 0);
  EXPECT_EQ(again->existing, first->created);
  const auto before = Charges();

  // A transmission of p2 that arrives late, for the closed period 2026-05-11..2026-08-08, and is
  // signed: the period's charges are already written and do not change.
  const auto late = std::find_if(messages_.begin(), messages_.end(), [](const auto& m) {
    // Database patient 2 is the generator's second patient, p0001.
    return m.path.find("/p0001/20260516") != std::string::npos;
  });
  ASSERT_NE(late, messages_.end());
  std::string bytes = late->bytes;
  for (const auto& [from, to] : {std::pair{std::string("20260516"), std::string("20260601")}}) {
    for (std::size_t at = bytes.find(from); at != std::string::npos; at = bytes.find(from, at)) {
      bytes.replace(at, from.size(), to);
    }
  }
  const std::string control = "LATE0001";
  const std::size_t msh10 = [&] {
    std::size_t at = 0;
    for (int bars = 0; bars < 9; ++bars) at = bytes.find('|', at) + 1;
    return at;
  }();
  bytes.replace(msh10, bytes.find('|', msh10) - msh10, control);
  ingest::Pipeline pipeline(*db_, *keys_);
  auto stored = pipeline.Ingest(bytes, "test");
  ASSERT_TRUE(stored && stored->disposition == ingest::Disposition::kStored)
      << (stored ? std::string(ingest::ToString(stored->disposition)) : stored.error().message);
  ASSERT_TRUE(Write(
      [&](store::Transaction& tx) { return store::SignOff(tx, *keys_, stored->id, 2, "", now); }));
  auto late_close = CloseCharges(*db_, DefaultCodeTable(), now + kDayUs);
  ASSERT_TRUE(late_close);
  EXPECT_EQ(late_close->created, 0);
  const auto after = Charges();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].interrogations, before[i].interrogations);
    EXPECT_EQ(after[i].reading_physician, before[i].reading_physician);
  }
}

TEST_F(BillingServiceTest, AMergeNeverChargesAPeriodTwice) {
  Generate(12);
  SignAll(1, nullptr);
  const std::int64_t now = UsOfDay("2026-11-02");
  ASSERT_TRUE(CloseCharges(*db_, DefaultCodeTable(), now));
  // p8 and p9 both have pacemakers: merged, their series join and the survivor's periods are
  // anchored elsewhere. Nothing overlapping is written.
  ASSERT_TRUE(Write([&](store::Transaction& tx) {
    return store::MergePatients(tx, *keys_, 9, 8, {.sender = "ADT", .control_id = "M1"}, now);
  }));
  auto after = CloseCharges(*db_, DefaultCodeTable(), now + 1);
  ASSERT_TRUE(after);
  EXPECT_GT(after->overlapping, 0);
  std::map<std::pair<std::string, std::string>, std::vector<std::pair<std::string, std::string>>>
      periods;
  // The two records were charged separately before anyone knew they were one patient (that is
  // for the biller to sort out); what the close job writes after the merge overlaps nothing.
  for (const auto& c : Charges()) EXPECT_NE(c.patient_id, 9);  // moved with the merge
  std::map<std::pair<std::string, std::string>, std::vector<store::ChargeRow>> of_8;
  for (const auto& c : Charges()) {
    if (c.patient_id == 8 && c.component != store::ChargeComponent::kGlobal) {
      of_8[{c.code, c.modifier}].push_back(c);
    }
  }
  for (const auto& [code, list] : of_8) {
    for (const auto& a : list) {
      if (a.created_us != now + 1) continue;  // written after the merge
      for (const auto& b : list) {
        if (a.id == b.id) continue;
        EXPECT_TRUE(a.period_end < b.period_start || b.period_end < a.period_start)
            << code.first << " " << a.period_start << " overlaps " << b.period_start;
      }
    }
  }
}

TEST_F(BillingServiceTest, ExportsTakeEachChargeOnceAndReadBack) {
  Generate(6);
  SignAll(1, nullptr);
  const std::int64_t now = UsOfDay("2026-11-02");
  auto closed = CloseCharges(*db_, DefaultCodeTable(), now);
  ASSERT_TRUE(closed);
  ASSERT_GT(closed->created, 0);
  auto csv = ExportCharges(*db_, *keys_, {}, ExportFormat::kCsv, {}, 1, now);
  ASSERT_TRUE(csv) << csv.error().Describe();
  EXPECT_EQ(csv->charges, closed->created);
  // One header line and one line per charge; the date-of-service column is a date.
  EXPECT_EQ(std::count(csv->file.begin(), csv->file.end(), '\n'), closed->created + 1);
  EXPECT_TRUE(csv->file.starts_with("batch,charge_id,patient_id,mrn,"));
  auto none = ExportCharges(*db_, *keys_, {}, ExportFormat::kDft, {}, 1, now);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, base::ErrorCode::kNotFound);
  // The stored file is the file that was returned.
  auto row = Read<store::ChargeExportRow>(
      [&](store::Transaction& tx) { return store::GetChargeExport(tx, csv->export_id); });
  EXPECT_EQ(row.sha256, csv->sha256);
  EXPECT_EQ(row.charges, closed->created);

  // New charges after the export go into the next batch only, here as HL7 DFT^P03.
  Generate(0 + 8);  // two more patients (6, 7): the same messages for 0–5 are duplicates
  SignAll(1, nullptr);
  auto more = CloseCharges(*db_, DefaultCodeTable(), now);
  ASSERT_TRUE(more);
  ASSERT_GT(more->created, 0);
  auto dft =
      ExportCharges(*db_, *keys_, {}, ExportFormat::kDft,
                    {.sending_facility = "DEVCLINIC", .receiving_application = "BILLING"}, 1, now);
  ASSERT_TRUE(dft) << dft.error().Describe();
  EXPECT_EQ(dft->charges, more->created);
  std::size_t messages = 0;
  for (std::size_t at = dft->file.find("\rMSH|"); at != std::string::npos;
       at = dft->file.find("\rMSH|", at + 1)) {
    ++messages;
  }
  EXPECT_EQ(static_cast<std::int64_t>(messages), more->created);
  EXPECT_TRUE(dft->file.starts_with("FHS|^~\\&|HEARTBASE|DEVCLINIC|BILLING|"));
  EXPECT_NE(dft->file.find("|DFT^P03^DFT_P03|HBCHG"), std::string::npos);
  EXPECT_NE(dft->file.find("\rFT1|1|"), std::string::npos);
  EXPECT_TRUE(dft->file.ends_with(fmt::format("BTS|{}\rFTS|1\r", more->created)));
}

TEST_F(BillingServiceTest, AnArrivingInClinicSessionClosesTheBookedVisit) {
  // p2 (the generator's p0001) comes to clinic on 2026-02-16: a visit booked that day is kept by
  // the session when it arrives; another visit the week after stays booked and, once past, shows
  // on the work list as overdue.
  Generate(3, "/p0001/20260216");
  ASSERT_EQ(held_.size(), 1U);
  std::int64_t kept = 0, later = 0;
  ASSERT_TRUE(Write([&](store::Transaction& tx) -> base::Status {
    auto a = store::BookVisit(tx, 2, 1, "2026-02-16", 1, 0);
    auto b = store::BookVisit(tx, 2, 1, "2026-02-23", 1, 0);
    if (!a || !b) return base::MakeError(base::ErrorCode::kInternal, "book");
    kept = *a;
    later = *b;
    return {};
  }));
  ingest::Pipeline pipeline(*db_, *keys_);
  auto stored = pipeline.Ingest(held_.front().bytes, "test");
  ASSERT_TRUE(stored && stored->disposition == ingest::Disposition::kStored);
  auto visits = Read<std::vector<store::VisitRow>>(
      [&](store::Transaction& tx) { return store::ListVisits(tx, 2); });
  ASSERT_EQ(visits.size(), 2U);
  std::map<std::int64_t, store::VisitRow> by_id;
  for (auto& v : visits) by_id[v.id] = v;
  EXPECT_EQ(by_id[kept].state, store::VisitState::kDone);
  EXPECT_TRUE(by_id[kept].interrogation_id.has_value());
  EXPECT_EQ(by_id[later].state, store::VisitState::kBooked);
  auto list = Read<WorkList>([&](store::Transaction& tx) {
    return BuildWorkList(tx, {.statuses = {FollowUpStatus::kOverdue}}, UsOfDay("2026-03-10"));
  });
  const bool listed = std::any_of(list.items.begin(), list.items.end(), [&](const WorkItem& w) {
    return w.kind == FollowUpKind::kVisit && w.visit_id == later;
  });
  EXPECT_TRUE(listed);
}

TEST_F(BillingServiceTest, TheWorkListFollowsThePlans) {
  Generate(12);
  const std::int64_t now = UsOfDay("2026-12-07");
  auto all = Read<WorkList>([&](store::Transaction& tx) {
    return BuildWorkList(tx,
                         {.statuses = {FollowUpStatus::kUpcoming, FollowUpStatus::kDue,
                                       FollowUpStatus::kOverdue, FollowUpStatus::kMissed}},
                         now);
  });
  // Every patient has a remote follow-up; p2's is due 91 days after 2026-08-16.
  std::set<std::int64_t> remote;
  for (const auto& w : all.items) {
    if (w.kind == FollowUpKind::kRemote) remote.insert(w.patient_id);
    if (w.kind == FollowUpKind::kRemote && w.patient_id == 2) {
      EXPECT_EQ(FormatDay(w.due_day), "2026-11-15");
      EXPECT_EQ(w.days_overdue, 22);
      EXPECT_EQ(w.status, FollowUpStatus::kOverdue);
    }
    if (w.device_type == "loop-recorder") {
      EXPECT_NE(w.kind, FollowUpKind::kInClinic);  // no scheduled visit for loop recorders
    }
  }
  EXPECT_EQ(remote.size(), 12U);
  // A clinic plan of 30 days for pacemakers makes p2's follow-up missed; the patient's own plan
  // of 120 days overrides it.
  ASSERT_TRUE(Write([&](store::Transaction& tx) -> base::Status {
    auto a = store::PutPlan(tx,
                            {.scope = store::PlanScope::kClinic,
                             .clinic_id = 1,
                             .device_type = "pacemaker",
                             .remote_days = 30},
                            1, now);
    if (!a) return a.error();
    return {};
  }));
  const auto p2_remote = [&] {
    auto items = Read<std::vector<WorkItem>>(
        [&](store::Transaction& tx) { return PatientFollowUps(tx, 2, now); });
    for (const auto& w : items) {
      if (w.kind == FollowUpKind::kRemote) return w;
    }
    return WorkItem{};
  };
  EXPECT_EQ(p2_remote().status, FollowUpStatus::kMissed);
  EXPECT_EQ(p2_remote().interval_days, 30);
  ASSERT_TRUE(Write([&](store::Transaction& tx) -> base::Status {
    auto a = store::PutPlan(tx,
                            {.scope = store::PlanScope::kPatient,
                             .patient_id = 2,
                             .remote_days = 120,
                             .payer = "medicare"},
                            1, now);
    if (!a) return a.error();
    return {};
  }));
  EXPECT_EQ(p2_remote().interval_days, 120);
  EXPECT_EQ(p2_remote().status, FollowUpStatus::kDue);  // 2026-12-14: in 7 days
  // Filters: clinic 2 has nobody; min_overdue keeps the late ones.
  auto none =
      Read<WorkList>([&](store::Transaction& tx) { return BuildWorkList(tx, {.clinic = 2}, now); });
  EXPECT_EQ(none.total, 0);
  auto late = Read<WorkList>(
      [&](store::Transaction& tx) { return BuildWorkList(tx, {.min_days_overdue = 60}, now); });
  for (const auto& w : late.items) EXPECT_GE(w.days_overdue, 60);
}

TEST_F(BillingServiceTest, AMovedPatientsNewChargesCarryTheNewClinic) {
  Generate(3);
  SignAll(1, nullptr);
  ASSERT_TRUE(CloseCharges(*db_, DefaultCodeTable(), UsOfDay("2026-06-01")));
  const auto before = Charges();
  ASSERT_TRUE(Write([&](store::Transaction& tx) -> base::Status {
    auto n = tx.Execute("INSERT INTO clinic (id, name, created_us) VALUES (2, 'North', 0)");
    if (!n) return n.error();
    return store::MovePatient(tx, 2, 2);
  }));
  ASSERT_TRUE(CloseCharges(*db_, DefaultCodeTable(), UsOfDay("2026-11-02")));
  std::size_t moved_new = 0;
  for (const auto& c : Charges()) {
    const bool old = std::any_of(before.begin(), before.end(),
                                 [&](const store::ChargeRow& b) { return b.id == c.id; });
    if (c.patient_id != 2) continue;
    EXPECT_EQ(c.clinic_id, old ? 1 : 2) << c.period_start;
    if (!old) ++moved_new;
  }
  EXPECT_GT(moved_new, 0U);
}

// A session time more than a day after arrival (a programmer's clock running ahead) counts as the
// arrival: the store's SQL and EffectiveSessionUs agree.
TEST_F(BillingServiceTest, ASessionFromTheFutureCountsAtItsArrival) {
  Generate(1, "/p0000/2026");  // hold this year's messages back
  ASSERT_FALSE(held_.empty());
  // The session (named by its date in the file's path) moves a year ahead; it arrives now.
  std::string bytes = held_.front().bytes;
  const std::size_t slash = held_.front().path.rfind('/');
  const std::string day = held_.front().path.substr(slash + 1, 8);  // YYYYMMDD
  const std::string later = "2027" + day.substr(4);
  for (std::size_t at = bytes.find(day); at != std::string::npos; at = bytes.find(day, at)) {
    bytes.replace(at, day.size(), later);
  }
  ingest::Pipeline pipeline(*db_, *keys_);
  auto stored = pipeline.Ingest(bytes, "test");
  ASSERT_TRUE(stored && stored->disposition == ingest::Disposition::kStored);
  const auto sessions = Sessions();
  const auto it = std::find_if(sessions.begin(), sessions.end(),
                               [&](const auto& s) { return s.interrogation_id == stored->id; });
  ASSERT_NE(it, sessions.end());
  auto received = Read<std::int64_t>([&](store::Transaction& tx) -> base::Result<std::int64_t> {
    const store::Param p[] = {{"id", stored->id}};
    auto rows = tx.Query("SELECT received_us, session_us FROM interrogation WHERE id = :id", p);
    if (!rows) return rows.error();
    EXPECT_GT((*rows)[0].Int(1), (*rows)[0].Int(0) + store::kMaxSessionSkewUs);
    return (*rows)[0].Int(0);
  });
  EXPECT_EQ(it->effective_us, received);
}

TEST_F(BillingServiceTest, AnUnmatchedPatientIsBilledOnlyOnceAccepted) {
  Generate(3);
  SignAll(1, nullptr);
  ASSERT_TRUE(Write([](store::Transaction& tx) {
    auto n = tx.Execute("UPDATE patient SET unmatched = 1 WHERE id = 2");
    return n ? base::Status() : base::Status(n.error());
  }));
  const std::int64_t now = UsOfDay("2026-11-02");
  auto first = CloseCharges(*db_, DefaultCodeTable(), now);
  ASSERT_TRUE(first);
  EXPECT_GT(first->unmatched, 0);
  for (const auto& c : Charges()) EXPECT_NE(c.patient_id, 2);
  auto run = Read<BillingRun>(
      [&](store::Transaction& tx) { return ComputeBilling(tx, DefaultCodeTable(), {}, now); });
  EXPECT_EQ(run.unmatched, first->unmatched);
  for (const auto& m : run.missed) {
    if (m.patient_id == 2) {
      EXPECT_EQ(m.missed.reason, kUnmatchedReason);
    }
  }
  // Accepted: the next close charges every closed period of theirs.
  ASSERT_TRUE(Write([](store::Transaction& tx) { return store::AcceptUnmatchedPatient(tx, 2); }));
  auto second = CloseCharges(*db_, DefaultCodeTable(), now);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->unmatched, 0);
  // p2's charges worked out by hand above, less one: here Dr Doc also read the remote
  // transmission of 2026-05-08, which his in-person visit of 2026-02-16 excludes.
  EXPECT_EQ(second->created, 6);
}

TEST_F(BillingServiceTest, EffectiveSessionTimeDistrustsAClockAhead) {
  EXPECT_EQ(store::EffectiveSessionUs(100, 200), 100);
  EXPECT_EQ(store::EffectiveSessionUs(std::nullopt, 200), 200);
  EXPECT_EQ(store::EffectiveSessionUs(200 + store::kMaxSessionSkewUs, 200),
            200 + store::kMaxSessionSkewUs);
  EXPECT_EQ(store::EffectiveSessionUs(201 + store::kMaxSessionSkewUs, 200), 200);
}

}  // namespace
}  // namespace heartbase::billing
