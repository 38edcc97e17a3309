#include "ingest/pipeline.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <span>
#include <thread>
#include <vector>

#include "base/base64.h"
#include "hl7/message.h"
#include "ingest/missed_transmissions.h"
#include "rules/rule_set.h"
#include "store/alerts.h"
#include "store/blobs.h"
#include "store/followup.h"
#include "store/interrogations.h"
#include "store/outbox.h"
#include "store/patients.h"
#include "store/quarantine.h"
#include "store/review.h"
#include "store/testing/temp_dir.h"
#include "store/testing/test_store.h"

namespace heartbase::ingest {
namespace {

using store::testing::TempDir;

struct Message {
  std::string control = "C1";
  std::string serial = "PZK600806S";
  std::string family = "Doe";
  std::string given = "Jane";
  std::string mrn = "MRN123456";
  std::string dob = "19480312";
  std::string session_id = "S-1";
  std::string session_time = "20260101120000+0000";
  std::string status = "F";
  std::string voltage = "2.95";
  std::string implanter = "Dr. Miller";
  std::string lead = "LEADSER77";

  std::string Text() const {
    return "MSH|^~\\&|CARELINK|MDT|||20260101120500+0000||ORU^R01^ORU_R01|" + control +
           "|P|2.6|||AL|NE\r"
           "PID|||model:A3DR01/serial:" +
           serial + "^^^MDT^U~" + mrn + "^^^HOSP^MR||" + family + "^" + given + "||" + dob +
           "|F\r"
           "OBR|1||" +
           session_id + "|754053^MDC_IDC_ENUM_SESS_TYPE_RemoteScheduled^MDC|||" + session_time +
           "||||||||||||||||||" + status +
           "\r"
           "OBX|1|CWE|720897^MDC_IDC_DEV_TYPE^MDC||753665^MDC_IDC_ENUM_DEV_TYPE_IPG^MDC\r"
           "OBX|2|ST|720899^MDC_IDC_DEV_SERIAL^MDC||" +
           serial +
           "\r"
           "OBX|3|ST|720902^MDC_IDC_DEV_IMPLANTER^MDC||" +
           implanter +
           "\r"
           "OBX|4|DTM|721025^MDC_IDC_SESS_DTM^MDC||" +
           session_time +
           "\r"
           "OBX|5|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC||" +
           voltage +
           "|V\r"
           "OBX|6|ST|720961^MDC_IDC_LEAD_MODEL^MDC|1|5076\r"
           "OBX|7|ST|720962^MDC_IDC_LEAD_SERIAL^MDC|1|" +
           lead + "\r";
  }
};

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::testing::OpenTestStore(dir_);
    ASSERT_TRUE(store) << store.error().Describe();
    db_ = std::move(store->db);
    migrations_ = store->migrations;
    reopen_ = std::move(store->reopen);
    ASSERT_TRUE(store::Migrate(*db_, migrations_, false));
    auto keys = crypto::KeyRing::Generate();
    ASSERT_TRUE(keys);
    keys_ = std::make_unique<crypto::KeyRing>(std::move(*keys));
    IngestOptions o;
    o.now_us = [this] { return now_ += 1'000'000; };
    pipeline_ = std::make_unique<Pipeline>(*db_, *keys_, o);
  }

  Outcome Ingest(const std::string& text) {
    auto r = pipeline_->Ingest(text, "test");
    EXPECT_TRUE(r) << r.error().Describe();
    return r ? *r : Outcome{};
  }

  std::unique_ptr<store::Transaction> Read() {
    auto tx = db_->Begin(store::Access::kRead);
    EXPECT_TRUE(tx);
    return std::move(*tx);
  }

  TempDir dir_;
  std::int64_t now_ = 1'767'225'600'000'000;
  std::unique_ptr<store::Database> db_;
  std::span<const store::Migration> migrations_;
  std::function<base::Result<std::unique_ptr<store::Database>>()> reopen_;  // a restart
  std::unique_ptr<crypto::KeyRing> keys_;
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(PipelineTest, StoresAndAcknowledgesAfterCommit) {
  const Outcome out = Ingest(Message{}.Text());
  EXPECT_EQ(out.disposition, Disposition::kStored);
  EXPECT_TRUE(out.new_patient);
  auto ack = hl7::Message::Parse(out.ack);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->Find("MSA")->Field(1), "CA");  // MSH-15 AL: enhanced mode
  EXPECT_EQ(ack->Find("MSA")->Field(2), "C1");
  auto tx = Read();
  auto patients = store::FindPatientsBySerial(*tx, *keys_, "pzk600806s");
  ASSERT_TRUE(patients);
  ASSERT_EQ(patients->size(), 1u);
  auto trend = store::ReadTrend(*tx, patients->front(), 721344, 0, INT64_MAX);
  ASSERT_TRUE(trend);
  ASSERT_EQ(trend->size(), 1u);
  EXPECT_DOUBLE_EQ((*trend)[0].value, 2.95);
  EXPECT_EQ(*store::FindPatientsByIdentifier(*tx, *keys_, "MRN123456", "HOSP"), *patients);
  EXPECT_EQ(*store::FindPatientsByName(*tx, *keys_, "jane DOE"), *patients);
  EXPECT_EQ(*store::FindPatientsBySerial(*tx, *keys_, "LEADSER77"), *patients);
  auto p = store::GetPatient(*tx, *keys_, patients->front());
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->unmatched);
  EXPECT_EQ(p->family_name, "Doe");
  EXPECT_EQ(p->birth_date, "1948-03-12");
}

TEST_F(PipelineTest, AckModeCanBeSetPerSender) {
  IngestOptions o;
  o.ack_modes["CARELINK|MDT"] = hl7::AckMode::kOriginal;
  Pipeline pipeline(*db_, *keys_, o);
  auto out = pipeline.Ingest(Message{}.Text(), "test");
  ASSERT_TRUE(out);
  EXPECT_NE(out->ack.find("MSA|AA|C1"), std::string::npos) << out->ack;  // not CA
}

TEST_F(PipelineTest, DuplicateControlIdIsAcknowledgedButNotStoredTwice) {
  const Outcome first = Ingest(Message{}.Text());
  const Outcome again = Ingest(Message{}.Text());
  EXPECT_EQ(again.disposition, Disposition::kDuplicate);
  EXPECT_EQ(again.id, first.id);
  EXPECT_NE(again.ack.find("MSA|CA|C1"), std::string::npos);
  auto tx = Read();
  EXPECT_EQ((*tx->Query("SELECT COUNT(*) FROM interrogation"))[0].Int(0), 1);
  EXPECT_EQ((*tx->Query("SELECT COUNT(*) FROM trend"))[0].Int(0), 1);  // the voltage
}

// Senders reuse control ids (a counter restarted by a gateway reboot, an id made from a clock with
// one-second resolution): other bytes under a known MSH-10 are a new message, stored and flagged;
// only the same bytes again are a retry.
TEST_F(PipelineTest, ReusedControlIdWithOtherBytesIsStoredAndFlagged) {
  const Message first;
  Message next;
  next.session_id = "S-2";
  next.session_time = "20260401120000+0000";
  next.voltage = "2.91";
  const Outcome a = Ingest(first.Text());
  const Outcome b = Ingest(next.Text());
  ASSERT_EQ(b.disposition, Disposition::kStored);
  EXPECT_NE(b.id, a.id);
  EXPECT_TRUE(b.control_id_reused);
  EXPECT_FALSE(a.control_id_reused);
  EXPECT_FALSE(b.new_patient);  // the same device: the same patient
  EXPECT_NE(b.ack.find("MSA|CA|C1"), std::string::npos) << b.ack;
  // Each one's retry is answered as a duplicate of itself.
  const Outcome b_again = Ingest(next.Text());
  EXPECT_EQ(b_again.disposition, Disposition::kDuplicate);
  EXPECT_EQ(b_again.id, b.id);
  const Outcome a_again = Ingest(first.Text());
  EXPECT_EQ(a_again.disposition, Disposition::kDuplicate);
  EXPECT_EQ(a_again.id, a.id);
  auto tx = Read();
  EXPECT_EQ((*tx->Query("SELECT COUNT(*) FROM interrogation"))[0].Int(0), 2);
  EXPECT_EQ((*tx->Query("SELECT id FROM interrogation WHERE control_id_reused = 1"))[0].Int(0),
            b.id);
  const auto patient = store::FindPatientsBySerial(*tx, *keys_, "PZK600806S")->front();
  auto trend = *store::ReadTrend(*tx, patient, 721344, 0, INT64_MAX);
  ASSERT_EQ(trend.size(), 2u);
  EXPECT_DOUBLE_EQ(trend[0].value, 2.95);
  EXPECT_DOUBLE_EQ(trend[1].value, 2.91);
  auto reuse = store::ListControlIdReuse(*tx);
  ASSERT_TRUE(reuse);
  ASSERT_EQ(reuse->size(), 1u);
  EXPECT_EQ((*reuse)[0].sender, "CARELINK|MDT");
  EXPECT_EQ((*reuse)[0].count, 1);
  EXPECT_EQ((*reuse)[0].last_interrogation_id, b.id);
}

// The same message with other line ends (a file of what MLLP delivered) is the same message.
TEST_F(PipelineTest, TheSameSegmentsWithOtherLineEndsAreADuplicate) {
  const std::string cr = Message{}.Text();
  std::string crlf;
  for (char c : cr) crlf += c == '\r' ? std::string("\r\n") : std::string(1, c);
  const Outcome first = Ingest(cr);
  const Outcome again = Ingest("\n" + crlf + "\n");
  EXPECT_EQ(again.disposition, Disposition::kDuplicate);
  EXPECT_EQ(again.id, first.id);
  EXPECT_FALSE(again.control_id_reused);
  auto tx = Read();
  EXPECT_EQ((*tx->Query("SELECT COUNT(*) FROM interrogation"))[0].Int(0), 1);
  EXPECT_EQ((*tx->Query("SELECT COUNT(*) FROM blob"))[0].Int(0), 1);  // nothing left behind
}

// A correction of the same session under the reused id follows the superseding rules.
TEST_F(PipelineTest, ReusedControlIdForACorrectionSupersedesTheFirstVersion) {
  const Outcome first = Ingest(Message{}.Text());
  Message corrected;
  corrected.status = "C";
  corrected.voltage = "2.99";
  const Outcome second = Ingest(corrected.Text());
  ASSERT_EQ(second.disposition, Disposition::kStored);
  EXPECT_TRUE(second.control_id_reused);
  ASSERT_TRUE(second.supersedes.has_value());
  EXPECT_EQ(*second.supersedes, first.id);
}

// A message without a session id or time cannot be recognised again and is its own session; it
// used to be named by sender and control id, so a reused id would have replaced another message.
TEST_F(PipelineTest, ReusedControlIdWithoutSessionIdentityDoesNotReplaceAnotherMessage) {
  Message one;
  one.session_id.clear();
  one.session_time.clear();
  Message two = one;
  two.voltage = "2.80";
  const Outcome a = Ingest(one.Text());
  const Outcome b = Ingest(two.Text());
  ASSERT_EQ(a.disposition, Disposition::kStored);
  ASSERT_EQ(b.disposition, Disposition::kStored);
  EXPECT_TRUE(b.control_id_reused);
  EXPECT_FALSE(b.supersedes.has_value());
  auto tx = Read();
  EXPECT_EQ(
      (*tx->Query("SELECT COUNT(*) FROM interrogation WHERE superseded_by IS NULL"))[0].Int(0), 2);
}

// Sixteen senders at once, each sending the same two messages under one control id: each message
// is stored exactly once and every other copy is answered as its duplicate.
TEST_F(PipelineTest, ConcurrentCopiesOfTwoMessagesUnderOneControlIdStoreEachOnce) {
  const std::string a = Message{}.Text();
  Message other;
  other.session_id = "S-9";
  other.voltage = "2.70";
  const std::string b = other.Text();
  constexpr int kSenders = 16;
  std::vector<std::vector<Outcome>> outcomes(kSenders);
  std::vector<std::thread> threads;
  threads.reserve(kSenders);
  for (int i = 0; i < kSenders; ++i) {
    threads.emplace_back([&, i] {
      for (const std::string* m : i % 2 == 0 ? std::vector{&a, &b} : std::vector{&b, &a}) {
        auto r = pipeline_->Ingest(*m, "test");
        if (r) outcomes[i].push_back(*r);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::map<std::int64_t, int> stored, duplicates;
  for (const auto& per_sender : outcomes) {
    ASSERT_EQ(per_sender.size(), 2u);
    for (const Outcome& o : per_sender) {
      (o.disposition == Disposition::kStored ? stored : duplicates)[o.id]++;
      EXPECT_NE(o.disposition, Disposition::kQuarantined);
    }
  }
  ASSERT_EQ(stored.size(), 2u);
  for (const auto& [id, n] : stored) {
    EXPECT_EQ(n, 1);
    EXPECT_EQ(duplicates[id], kSenders - 1);
  }
  auto tx = Read();
  EXPECT_EQ((*tx->Query("SELECT COUNT(*) FROM interrogation"))[0].Int(0), 2);
  EXPECT_EQ(
      (*tx->Query("SELECT COUNT(*) FROM interrogation WHERE control_id_reused = 1"))[0].Int(0), 1);
}

// Every feed belongs to a clinic: its new patients land there, unmatched; a feed with no clinic
// delivers into the unassigned pool.
TEST_F(PipelineTest, NewPatientsLandInTheFeedsClinicOrTheUnassignedPool) {
  auto in_two = pipeline_->Ingest(Message{}.Text(), "test", store::ClinicScope{.clinics = {2, 3}});
  ASSERT_TRUE(in_two);
  Message other;
  other.control = "C2";
  other.serial = "RNB204511S";
  other.lead = "LEADSER88";
  other.session_id = "S-9";
  auto pooled = pipeline_->Ingest(other.Text(), "test", store::ClinicScope{});
  ASSERT_TRUE(pooled);
  ASSERT_EQ(pooled->disposition, Disposition::kStored);
  auto tx = Read();
  const auto clinic_of = [&](std::int64_t id) {
    const store::Param p[] = {{"id", id}};
    return (
        *tx->Query("SELECT p.clinic_id, p.unmatched FROM interrogation i JOIN patient p ON "
                   "p.id = i.patient_id WHERE i.id = :id",
                   p))[0];
  };
  EXPECT_EQ(clinic_of(in_two->id).Int(0), 2);
  EXPECT_EQ(clinic_of(in_two->id).Int(1), 1);
  EXPECT_EQ(clinic_of(pooled->id).Int(0), store::kUnassignedClinic);
}

// A feed of clinic 2 cannot write to clinic 1's patient: a forged correction (new control id,
// status C, another voltage) is quarantined, not applied; clinic 1's trend and current version
// stay; a copy of clinic 1's message is not answered "duplicate" (which would reveal it), and a
// new generator on clinic 1's lead is refused too. The reason is the same for all three.
TEST_F(PipelineTest, AFeedCannotWriteToAnotherClinicsPatients) {
  const store::ClinicScope clinic1{.clinics = {1}}, clinic2{.clinics = {2}};
  const Outcome original = *pipeline_->Ingest(Message{}.Text(), "test", clinic1);
  ASSERT_EQ(original.disposition, Disposition::kStored);
  Message forged;
  forged.control = "X1";
  forged.status = "C";
  forged.voltage = "0.11";
  Message replacement;  // a new generator on clinic 1's lead
  replacement.control = "X2";
  replacement.serial = "NEWGEN0001";
  std::set<std::string> reasons;
  for (const std::string& text : {forged.Text(), Message{}.Text(), replacement.Text()}) {
    auto out = pipeline_->Ingest(text, "upload", clinic2);
    ASSERT_TRUE(out) << out.error().Describe();
    EXPECT_EQ(out->disposition, Disposition::kQuarantined);
    ASSERT_TRUE(out->reason);
    EXPECT_EQ(out->reason->code, base::ErrorCode::kPermissionDenied);
    reasons.insert(out->reason->message);
    EXPECT_NE(out->ack.find("MSA|CR|"), std::string::npos) << out->ack;
  }
  EXPECT_EQ(reasons.size(), 1u);
  auto tx = Read();
  EXPECT_EQ((*tx->Query("SELECT COUNT(*) FROM interrogation"))[0].Int(0), 1);
  EXPECT_EQ((*tx->Query("SELECT COUNT(*) FROM device"))[0].Int(0), 1);
  const auto patient = store::FindPatientsBySerial(*tx, *keys_, "PZK600806S")->front();
  auto trend = *store::ReadTrend(*tx, patient, 721344, 0, INT64_MAX);
  ASSERT_EQ(trend.size(), 1u);
  EXPECT_DOUBLE_EQ(trend[0].value, 2.95);
  // The same forged correction from clinic 1's own feed is applied.
  auto own = pipeline_->Ingest(forged.Text(), "test", clinic1);
  ASSERT_TRUE(own);
  EXPECT_EQ(own->disposition, Disposition::kStored);
  EXPECT_EQ(own->supersedes, original.id);
}

TEST_F(PipelineTest, NextSessionOfTheSameDeviceMatchesThePatient) {
  const Outcome first = Ingest(Message{}.Text());
  Message next;
  next.control = "C2";
  next.session_id = "S-2";
  next.session_time = "20260401120000+0000";
  next.voltage = "2.93";
  const Outcome second = Ingest(next.Text());
  EXPECT_EQ(second.disposition, Disposition::kStored);
  EXPECT_FALSE(second.new_patient);
  auto tx = Read();
  auto patients = *store::FindPatientsBySerial(*tx, *keys_, "PZK600806S");
  ASSERT_EQ(patients.size(), 1u);
  auto trend = *store::ReadTrend(*tx, patients[0], 721344, 0, INT64_MAX);
  ASSERT_EQ(trend.size(), 2u);
  EXPECT_DOUBLE_EQ(trend[1].value, 2.93);
  EXPECT_EQ((*tx->Query("SELECT COUNT(*) FROM patient"))[0].Int(0), 1);
  EXPECT_EQ((*tx->Query("SELECT COUNT(*) FROM lead"))[0].Int(0), 1);
  (void)first;
}

// A generator replacement: a new device serial on the same (retained) lead is the same patient,
// and the lead now belongs to the new generator.
TEST_F(PipelineTest, NewGeneratorOnAKnownLeadIsTheSamePatient) {
  const Outcome first = Ingest(Message{}.Text());
  Message replaced;
  replaced.control = "C2";
  replaced.serial = "RNB204511S";
  replaced.session_id = "S-9";
  replaced.session_time = "20310401120000+0000";
  const Outcome second = Ingest(replaced.Text());
  EXPECT_EQ(second.disposition, Disposition::kStored);
  EXPECT_FALSE(second.new_patient);
  auto tx = Read();
  EXPECT_EQ((*tx->Query("SELECT COUNT(*) FROM patient"))[0].Int(0), 1);
  auto rows = *tx->Query(
      "SELECT l.patient_id = d.patient_id, d.id = (SELECT max(id) FROM device) FROM lead l "
      "JOIN device d ON d.id = l.device_id");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].Int(0), 1);  // the lead's device is its own patient's
  EXPECT_EQ(rows[0].Int(1), 1);  // and the new generator
  (void)first;
}

// With the alert rules in force, a device-initiated transmission is stored with its alert and
// jumps the triage queue, in the same transaction; a routine one gets no alert and no priority.
TEST_F(PipelineTest, AlertRulesRunInTheStoringTransaction) {
  auto rules = rules::ParseRuleSet("");
  ASSERT_TRUE(rules) << rules.error().Describe();
  IngestOptions o;
  o.now_us = [this] { return now_ += 1'000'000; };
  o.rules = std::make_shared<rules::RuleBook>(std::move(*rules));
  o.alert_recipients.push_back({store::OutboxChannel::kEmail, "oncall@clinic.example", 1});
  pipeline_ = std::make_unique<Pipeline>(*db_, *keys_, o);
  const Outcome routine = Ingest(Message{}.Text());
  Message alert;
  alert.control = "C2";
  alert.session_id = "S-2";
  alert.session_time = "20260301120000+0000";
  std::string text = alert.Text();
  const std::string scheduled = "754053^MDC_IDC_ENUM_SESS_TYPE_RemoteScheduled";
  text.replace(text.find(scheduled), scheduled.size(),
               "754052^MDC_IDC_ENUM_SESS_TYPE_RemoteDeviceInitiated");
  const Outcome urgent = Ingest(text);
  ASSERT_EQ(urgent.disposition, Disposition::kStored);
  auto tx = Read();
  auto alerts = store::ListAlerts(*tx, *keys_, urgent.id);
  ASSERT_TRUE(alerts);
  ASSERT_FALSE(alerts->empty());
  EXPECT_FALSE(alerts->front().alert.reason.empty());
  EXPECT_TRUE(store::ListAlerts(*tx, *keys_, routine.id)->empty());
  auto queue = store::ListQueue(*tx, {}, 10, std::nullopt);
  ASSERT_TRUE(queue);
  ASSERT_EQ(queue->size(), 2u);
  EXPECT_EQ((*queue)[0].interrogation_id, urgent.id);  // first despite arriving last
  EXPECT_GT((*queue)[0].severity, 0);
  EXPECT_EQ((*queue)[1].severity, 0);
  // The on-call address is told about the alert (not the routine one), with a ticket and a link
  // and no patient data; the same message again enqueues nothing.
  auto jobs = store::ListOutboxJobs(*tx, store::OutboxState::kPending, 10);
  ASSERT_TRUE(jobs);
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].idempotency_key,
            "alert:" + std::to_string(urgent.id) + ":email:oncall@clinic.example");
  tx.reset();
  EXPECT_EQ(Ingest(text).disposition, Disposition::kDuplicate);
  std::vector<store::LeasedJob> leased;
  ASSERT_TRUE(
      store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& t) -> base::Status {
        auto r = store::LeaseJobs(t, db_->dialect(), *keys_, "test", 10, 60'000'000, now_);
        if (!r) return r.error();
        leased = std::move(*r);
        return {};
      }));
  ASSERT_EQ(leased.size(), 1u);
  EXPECT_EQ(leased[0].message.body.find("Doe"), std::string::npos);
  EXPECT_NE(leased[0].message.body.find("HB-"), std::string::npos);
}

// A patient silent for longer than the monitoring interval plus grace gets one patient-level
// alert per silence; a new transmission ends the silence.
TEST_F(PipelineTest, MissedTransmissionIsAlertedOncePerSilence) {
  auto parsed = rules::ParseRuleSet("");
  ASSERT_TRUE(parsed);
  const rules::RuleBook book(std::move(*parsed));
  const Outcome first = Ingest(Message{}.Text());  // session 2026-01-01 12:00 UTC
  const std::int64_t session = 1'767'268'800'000'000;
  const std::int64_t day = 86'400'000'000;
  auto scan = [&](std::int64_t at) {
    auto n = ScanMissedTransmissions(*db_, *keys_, book, at);
    EXPECT_TRUE(n) << n.error().Describe();
    return n ? *n : -1;
  };
  EXPECT_EQ(scan(session + 30 * day), 0);   // within the schedule
  EXPECT_EQ(scan(session + 200 * day), 1);  // silent too long
  EXPECT_EQ(scan(session + 201 * day), 0);  // already alerted
  {
    auto tx = Read();
    auto alerts = store::ListPatientAlerts(*tx, *keys_, 1, 0, 10);
    ASSERT_TRUE(alerts);
    ASSERT_EQ(alerts->size(), 1u);
    EXPECT_EQ(alerts->front().alert.rule, "missed_transmission");
    EXPECT_FALSE(alerts->front().interrogation_id.has_value());
  }
  Message next;
  next.control = "C2";
  next.session_id = "S-2";
  next.session_time = "20260801120000+0000";
  Ingest(next.Text());
  EXPECT_EQ(scan(session + 215 * day), 0);  // transmitted again on day 212
  (void)first;
}

// The silence is measured against the patient's monitoring plan (store/followup.h), not a fixed
// interval: a patient's own 10-day plan alerts after 10 + 14 days of grace.
TEST_F(PipelineTest, MissedTransmissionFollowsThePatientsMonitoringPlan) {
  auto parsed = rules::ParseRuleSet("");
  ASSERT_TRUE(parsed);
  const rules::RuleBook book(std::move(*parsed));
  Ingest(Message{}.Text());  // session 2026-01-01 12:00 UTC, patient 1
  const std::int64_t session = 1'767'268'800'000'000;
  const std::int64_t day = 86'400'000'000;
  auto scan = [&](std::int64_t at) {
    auto n = ScanMissedTransmissions(*db_, *keys_, book, at);
    EXPECT_TRUE(n) << n.error().Describe();
    return n ? *n : -1;
  };
  EXPECT_EQ(scan(session + 30 * day), 0);  // the default plan: 91 days
  ASSERT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [](store::Transaction& tx) {
    auto p = store::PutPlan(
        tx, {.scope = store::PlanScope::kPatient, .patient_id = 1, .remote_days = 10}, 0, 0);
    return p ? base::Status() : base::Status(p.error());
  }));
  EXPECT_EQ(scan(session + 24 * day), 0);  // 10 days + 14 of grace: not yet
  EXPECT_EQ(scan(session + 25 * day), 1);
}

TEST_F(PipelineTest, CorrectedResultSupersedesAndKeepsHistory) {
  const Outcome first = Ingest(Message{}.Text());
  Message corrected;
  corrected.control = "C1-corr";
  corrected.status = "C";
  corrected.voltage = "2.99";
  const Outcome second = Ingest(corrected.Text());
  ASSERT_EQ(second.disposition, Disposition::kStored);
  ASSERT_TRUE(second.supersedes.has_value());
  EXPECT_EQ(*second.supersedes, first.id);
  // A late preliminary copy of the same session does not override the correction.
  Message late;
  late.control = "C1-late";
  late.status = "P";
  late.voltage = "2.50";
  ASSERT_EQ(Ingest(late.Text()).disposition, Disposition::kStored);
  auto tx = Read();
  const auto patient = store::FindPatientsBySerial(*tx, *keys_, "PZK600806S")->front();
  auto trend = *store::ReadTrend(*tx, patient, 721344, 0, INT64_MAX);
  ASSERT_EQ(trend.size(), 1u);
  EXPECT_DOUBLE_EQ(trend[0].value, 2.99);
  EXPECT_EQ((*tx->Query("SELECT COUNT(*) FROM interrogation"))[0].Int(0), 3);
  EXPECT_EQ(
      (*tx->Query("SELECT COUNT(*) FROM interrogation WHERE superseded_by IS NULL"))[0].Int(0), 1);
}

// Once the database is known to be damaged, nothing is stored or quarantined (and so nothing is
// acknowledged): the caller answers AE and the sender keeps the message.
TEST_F(PipelineTest, ADamagedDatabaseStoresAndAcknowledgesNothing) {
  db_->MarkDamaged(base::MakeError(base::ErrorCode::kDataLoss, "test: page 7"));
  auto out = pipeline_->Ingest(Message{}.Text(), "test");
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, base::ErrorCode::kDataLoss);
  EXPECT_NE(pipeline_->NegativeAck(Message{}.Text(), out.error()).find("MSA|CE|C1"),
            std::string::npos);
  auto junk = pipeline_->Ingest("not a message", "test");
  ASSERT_FALSE(junk);
  auto tx = Read();
  EXPECT_EQ((*tx->Query("SELECT COUNT(*) FROM interrogation"))[0].Int(0), 0);
  EXPECT_EQ((*tx->Query("SELECT COUNT(*) FROM quarantine"))[0].Int(0), 0);
}

TEST_F(PipelineTest, UnparseableInputIsQuarantinedAndRejected) {
  const std::string garbage = "MSH|^^\\&|broken\rPID|x";
  auto out = pipeline_->Ingest(garbage, "test");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->disposition, Disposition::kQuarantined);
  EXPECT_NE(out->ack.find("MSA|AR|"), std::string::npos);
  EXPECT_NE(out->ack.find("ERR||"), std::string::npos);
  auto tx = Read();
  auto list = store::ListQuarantine(*tx, 10);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].code, "malformed");
  auto bytes = store::GetBlob(*tx, *keys_, (*list)[0].blob_id);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, garbage);  // kept exactly as received
}

TEST_F(PipelineTest, NonInterrogationIsQuarantinedWithUnsupportedType) {
  // ADT is accepted (adt_test.cpp), except for trigger events that do not concern us.
  const std::string siu = "MSH|^~\\&|A|B|||2026||SIU^S12|X9|P|2.5\rPID|||1^^^H^MR\r";
  auto out = pipeline_->Ingest(siu, "test");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->disposition, Disposition::kQuarantined);
  EXPECT_NE(out->ack.find("MSA|AR|X9"), std::string::npos);
  EXPECT_NE(out->ack.find("|200^Unsupported message type^HL70357|"), std::string::npos);
  const std::string discharge = "MSH|^~\\&|A|B|||2026||ADT^A03|X8|P|2.5\rPID|||1^^^H^MR\r";
  auto a03 = pipeline_->Ingest(discharge, "test");
  ASSERT_TRUE(a03);
  EXPECT_EQ(a03->disposition, Disposition::kQuarantined);
  EXPECT_NE(a03->ack.find("MSA|AR|X8"), std::string::npos) << a03->ack;
}

// Canary: no identifying value may appear in any file of the data directory, in any encoding.
TEST_F(PipelineTest, NoPatientIdentifierReachesTheDiskInTheClear) {
  if (store::testing::TestStoreIsPostgres()) {
    GTEST_SKIP() << "reads SQLite's files (e2e_postgres checks the PostgreSQL server's files)";
  }
  Message m;
  m.family = "Zyxwvutsq";
  m.given = "Qwertyuiop";
  m.mrn = "MRN98765432";
  m.dob = "19311231";
  m.serial = "CANARY4242X";
  m.implanter = "Dr. Plmoknijb";
  ASSERT_EQ(Ingest(m.Text()).disposition, Disposition::kStored);
  db_.reset();  // close, so that nothing is left only in memory
  std::string disk;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path())) {
    std::ifstream in(e.path(), std::ios::binary);
    disk.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_GT(disk.size(), 10'000u);
  for (const std::string& canary :
       {m.family, m.given, m.mrn, std::string("19311231"), std::string("1931-12-31"), m.serial,
        std::string("Plmoknijb")}) {
    std::string utf16;
    for (char c : canary) utf16.push_back(c), utf16.push_back('\0');
    std::string b64;
    base::AppendBase64Encoded(canary, &b64);
    b64 = b64.substr(0, b64.size() - 4);  // the stable prefix
    for (const std::string& needle : {canary, utf16, b64}) {
      EXPECT_EQ(disk.find(needle), std::string::npos) << "found " << canary;
    }
  }
  // Lookups still work after reopening.
  auto db = reopen_();
  ASSERT_TRUE(db);
  auto tx = (*db)->Begin(store::Access::kRead);
  ASSERT_TRUE(tx);
  EXPECT_EQ(store::FindPatientsByIdentifier(**tx, *keys_, "MRN98765432", "HOSP")->size(), 1u);
  EXPECT_EQ(store::FindPatientsByName(**tx, *keys_, "Zyxwvutsq")->size(), 1u);
  EXPECT_EQ(store::FindPatientsBySerial(**tx, *keys_, "CANARY4242X")->size(), 1u);
}

}  // namespace
}  // namespace heartbase::ingest
