// The clinical workflow through the API: the triage queue, review and sign-off, unmatched
// interrogations and the clinics they belong to, the unassigned pool, HL7 upload, paged lists.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/testing/api_fixture.h"

namespace heartbase::api {
namespace {

using testing::ApiTest;
using testing::Contains;
using testing::kCanaryMrn;
using testing::kCanaryName;
using testing::ListPage;
using testing::Message;
using testing::ReadListPage;
using testing::Role;

// The triage workflow: the queue lists the new interrogation; a clinician assigns and reviews it;
// the physician's sign-off needs the password again and locks it; it leaves the queue; each step
// is in the audit trail.
TEST_F(ApiTest, QueueReviewAndSignOffWithReauthentication) {
  const std::string nurse_pw = "copper kettle morning drizzle";
  const std::string doc_pw = "violet anchor sixteen orchards";
  AddPerson("nurse", Role::kDeviceClinician, nurse_pw);
  AddPerson("doc", Role::kPhysician, doc_pw);
  const auto nurse = SignIn("nurse", nurse_pw);
  const auto doc = SignIn("doc", doc_pw);
  const std::string base = fmt::format("/api/v1/interrogations/{}", interrogation_);

  auto queue = Call("GET", "/api/v1/queue", nurse);
  ASSERT_EQ(queue.status, 200) << queue.body;
  EXPECT_NE(queue.body.find(fmt::format("\"interrogation_id\":{}", interrogation_)),
            std::string::npos);
  EXPECT_NE(queue.body.find(kCanaryName), std::string::npos);  // the clinic sees its patient
  EXPECT_NE(queue.body.find("\"state\":\"new\""), std::string::npos);
  // Another clinic's clinician sees an empty queue.
  auto other = As("device_clinician-2", "GET", "/api/v1/queue");
  ASSERT_EQ(other.status, 200);
  EXPECT_EQ(other.body.find(kCanaryName), std::string::npos);

  auto assign = Call("POST", base + "/assign", nurse, R"({"assignee":"me"})");
  ASSERT_EQ(assign.status, 200) << assign.body;
  EXPECT_NE(assign.body.find("\"assigned_to\":\"nurse\""), std::string::npos);
  auto mine = Call("GET", "/api/v1/queue?assigned=me", nurse);
  EXPECT_NE(mine.body.find(fmt::format("\"interrogation_id\":{}", interrogation_)),
            std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v1/queue?assigned=me", doc).body.find("interrogation_id"),
            std::string::npos);

  auto review = Call("POST", base + "/review", nurse, R"({"note":"RV impedance stable"})");
  ASSERT_EQ(review.status, 200) << review.body;
  EXPECT_NE(review.body.find("\"state\":\"reviewed\""), std::string::npos);
  EXPECT_NE(review.body.find("RV impedance stable"), std::string::npos);
  // The note is sealed in the database.
  {
    auto tx = db_->Begin(store::Access::kRead);
    auto rows = (*tx)->Query("SELECT note FROM interrogation_note");
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ(std::string((*rows)[0].Blob(0)).find("impedance"), std::string::npos);
  }
  // A clinician may not sign off; a physician must give the password again.
  EXPECT_EQ(Call("POST", base + "/signoff", nurse, fmt::format(R"({{"password":"{}"}})", nurse_pw))
                .status,
            403);
  auto wrong = Call("POST", base + "/signoff", doc, R"({"password":"not my password at all"})");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_NE(wrong.body.find("reauth_failed"), std::string::npos);
  auto sign = Call("POST", base + "/signoff", doc,
                   fmt::format(R"({{"password":"{}","note":"No action needed"}})", doc_pw));
  ASSERT_EQ(sign.status, 200) << sign.body;
  EXPECT_NE(sign.body.find("\"state\":\"signed\""), std::string::npos);
  EXPECT_NE(sign.body.find("\"signed_by\":\"doc\""), std::string::npos);

  // Locked: out of the queue; no more review, assignment or sign-off.
  EXPECT_EQ(Call("GET", "/api/v1/queue", nurse).body.find("interrogation_id"), std::string::npos);
  EXPECT_EQ(Call("POST", base + "/review", nurse, R"({"note":"late"})").status, 409);
  EXPECT_EQ(Call("POST", base + "/assign", nurse, R"({"assignee":null})").status, 409);
  EXPECT_EQ(
      Call("POST", base + "/signoff", doc, fmt::format(R"({{"password":"{}"}})", doc_pw)).status,
      409);
  auto detail = Call("GET", base, doc);
  ASSERT_EQ(detail.status, 200);
  EXPECT_NE(detail.body.find("\"review\":{\"state\":\"signed\""), std::string::npos) << detail.body;
  EXPECT_NE(detail.body.find("\"previous_id\":null"), std::string::npos);

  const auto actions = AuditActions();
  for (const char* a :
       {"queue.read:success", "interrogation.assign:success", "interrogation.review:success",
        "reauthenticate:denied", "reauthenticate:success", "interrogation.signoff:success",
        "interrogation.signoff:denied"}) {
    EXPECT_TRUE(Contains(actions, a)) << a;
  }
}

// A sign-off tells the configured recipients in its own transaction: one job each, keyed so that
// it exists once, naming a ticket and never the patient; a refused sign-off tells nobody.
TEST_F(ApiTest, SignOffQueuesNoticeForEachRecipient) {
  options_.signoff_recipients = {{store::OutboxChannel::kEmail, "billing@clinic.example"},
                                 {store::OutboxChannel::kPager, "4711"}};
  api_ = std::make_unique<Api>(*db_, *keys_, *authenticator_, options_);
  const std::string doc_pw = "violet anchor sixteen orchards";
  AddPerson("doc", Role::kPhysician, doc_pw);
  const auto doc = SignIn("doc", doc_pw);
  const std::string base = fmt::format("/api/v1/interrogations/{}", interrogation_);
  auto pending = [&] {
    auto tx = db_->Begin(store::Access::kRead);
    return *store::ListOutboxJobs(**tx, store::OutboxState::kPending, 10);
  };

  EXPECT_EQ(Call("POST", base + "/signoff", doc, R"({"password":"not my password at all"})").status,
            401);
  EXPECT_TRUE(pending().empty());
  ASSERT_EQ(
      Call("POST", base + "/signoff", doc, fmt::format(R"({{"password":"{}"}})", doc_pw)).status,
      200);
  EXPECT_EQ(
      Call("POST", base + "/signoff", doc, fmt::format(R"({{"password":"{}"}})", doc_pw)).status,
      409);
  const auto jobs = pending();
  ASSERT_EQ(jobs.size(), 2u);
  std::vector<std::string> keys;
  for (const auto& j : jobs) {
    EXPECT_EQ(j.kind, store::OutboxKind::kSignoff);
    keys.push_back(j.idempotency_key);
  }
  EXPECT_TRUE(
      Contains(keys, fmt::format("signoff:{}:email:billing@clinic.example", interrogation_)));
  EXPECT_TRUE(Contains(keys, fmt::format("signoff:{}:pager:4711", interrogation_)));

  auto tx = db_->Begin(store::Access::kWrite);
  auto leased = store::LeaseJobs(**tx, db_->dialect(), *keys_, "test", 10, 60'000'000, now_);
  ASSERT_TRUE(leased) << leased.error().Describe();
  ASSERT_EQ(leased->size(), 2u);
  for (const store::LeasedJob& j : *leased) {
    const std::string text = j.message.subject + j.message.body + j.message.link;
    EXPECT_NE(text.find(fmt::format("HB-{:06}", interrogation_)), std::string::npos) << text;
    EXPECT_EQ(text.find(kCanaryName), std::string::npos) << text;
    EXPECT_EQ(text.find(kCanaryMrn), std::string::npos) << text;
  }
}

// Most severe first, then oldest; pages follow each other with the cursor; overdue is against the
// request's time.
TEST_F(ApiTest, QueueOrdersBySeverityThenAgeAcrossPages) {
  ingest::Pipeline pipeline(*db_, *keys_);
  std::vector<std::int64_t> ids = {interrogation_};
  for (int i = 0; i < 3; ++i) {
    now_ += 1'000'000;
    auto out = pipeline.Ingest(
        Message(fmt::format("Q{}", i), "PZK600806S", kCanaryName, kCanaryMrn), "test");
    ASSERT_TRUE(out);
    ids.push_back(out->id);
  }
  // ids[2] red (overdue), ids[3] yellow, the others none.
  ASSERT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& t) {
    if (auto s = store::SetPriority(t, ids[2], 3, now_ - 1); !s) return s;
    return store::SetPriority(t, ids[3], 2, now_ + 1'000'000'000);
  }));
  std::vector<std::int64_t> seen;
  std::string cursor;
  for (int page = 0; page < 4; ++page) {
    auto r = As("physician-1", "GET",
                "/api/v1/queue?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    for (std::size_t at = r.body.find("\"interrogation_id\":"); at != std::string::npos;
         at = r.body.find("\"interrogation_id\":", at + 1)) {
      seen.push_back(std::stoll(r.body.substr(at + 19)));
    }
    if (page == 0) {
      EXPECT_NE(r.body.find("\"severity\":\"red\""), std::string::npos);
      EXPECT_NE(r.body.find("\"overdue\":true"), std::string::npos);
    }
    const auto c = r.body.find("\"next_cursor\":\"");
    if (c == std::string::npos) break;
    cursor = r.body.substr(c + 15, r.body.find('"', c + 15) - c - 15);
  }
  // Sessions of the same device are distinct messages here (different OBR-3), so all four are
  // current.
  const std::vector<std::int64_t> expected = {ids[2], ids[3], ids[0], ids[1]};
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(As("physician-1", "GET", "/api/v1/queue?cursor=garbage").status, 400);
}

TEST_F(ApiTest, UnmatchedInterrogationIsLinkedToAnExistingPatient) {
  const std::string pw = "saffron tide ninety lamps";
  AddPerson("nurse", Role::kDeviceClinician, pw);
  const auto nurse = SignIn("nurse", pw);
  // The first patient is accepted; a second message from another device is unmatched.
  auto accept = Call("POST", fmt::format("/api/v1/interrogations/{}/link", interrogation_), nurse,
                     R"({"create":true})");
  ASSERT_EQ(accept.status, 200) << accept.body;
  ingest::Pipeline pipeline(*db_, *keys_);
  auto second = pipeline.Ingest(Message("C2", "RNB204511S", "Other", "MRN1"), "test");
  ASSERT_TRUE(second);
  auto list = Call("GET", "/api/v1/interrogations?unmatched=1", nurse);
  EXPECT_NE(list.body.find(fmt::format("\"id\":{}", second->id)), std::string::npos) << list.body;
  EXPECT_EQ(list.body.find(fmt::format("\"id\":{},", interrogation_)), std::string::npos);
  const std::string link = fmt::format("/api/v1/interrogations/{}/link", second->id);
  EXPECT_EQ(Call("POST", link, nurse, R"({"patient_id":999999})").status, 404);
  auto linked = Call("POST", link, nurse, fmt::format(R"({{"patient_id":{}}})", patient_));
  ASSERT_EQ(linked.status, 200) << linked.body;
  auto detail = Call("GET", fmt::format("/api/v1/patients/{}", patient_), nurse);
  EXPECT_NE(detail.body.find("RNB204511S"), std::string::npos);            // the device moved
  EXPECT_EQ(Call("POST", link, nurse, R"({"create":true})").status, 409);  // already matched
  // The next message from that device now matches the patient.
  auto third = pipeline.Ingest(Message("C3", "RNB204511S", "Other", "MRN1"), "test");
  ASSERT_TRUE(third);
  EXPECT_FALSE(third->new_patient);
  auto tx = db_->Begin(store::Access::kRead);
  const store::Param p[] = {{"id", third->id}};
  EXPECT_EQ((*(*tx)->Query("SELECT patient_id FROM interrogation WHERE id = :id", p))[0].Int(0),
            patient_);
}

// Another clinic cannot take a clinic's unmatched patients: whatever the interrogation's state
// (unmatched, matched, missing) another clinic's link answers the same 404 and changes nothing;
// enumerating ids claims nothing. Linking never moves a patient between clinics.
TEST_F(ApiTest, AnotherClinicCannotClaimUnmatchedInterrogations) {
  ingest::Pipeline pipeline(*db_, *keys_);
  const store::ClinicScope clinic1{.clinics = {1}};
  auto unmatched = pipeline.Ingest(Message("C7", "RNB204511S", "Other", "MRN7"), "test", clinic1);
  ASSERT_TRUE(unmatched);
  ASSERT_TRUE(unmatched->new_patient);
  const auto patient_of = [&](std::int64_t interrogation) {
    auto tx = db_->Begin(store::Access::kRead);
    const store::Param p[] = {{"id", interrogation}};
    return (
        *(*tx)->Query("SELECT p.id, p.clinic_id, p.unmatched FROM interrogation i JOIN "
                      "patient p ON p.id = i.patient_id WHERE i.id = :id",
                      p))[0];
  };
  const store::Row before = patient_of(unmatched->id);
  EXPECT_EQ(before.Int(1), 1);
  // Clinic 2's physician and device clinician, by token: every id from 1 to 50, both bodies.
  std::set<std::string> answers;
  for (const char* user : {"physician-2", "device_clinician-2"}) {
    for (int id = 1; id <= 50; ++id) {
      for (const std::string& body :
           {std::string(R"({"create":true})"), fmt::format(R"({{"patient_id":{}}})", patient_)}) {
        auto r = Call("POST", fmt::format("/api/v1/interrogations/{}/link", id),
                      {{"authorization", "Bearer " + tokens_[user]}}, body);
        EXPECT_EQ(r.status, 404) << user << " " << id << " " << r.body;
        answers.insert(r.body.substr(0, r.body.find("correlation_id")));
      }
    }
  }
  EXPECT_EQ(answers.size(), 1u);  // one answer for unmatched, matched and missing alike
  const store::Row after = patient_of(unmatched->id);
  EXPECT_EQ(after.Int(0), before.Int(0));
  EXPECT_EQ(after.Int(1), 1);
  EXPECT_EQ(after.Int(2), 1);  // still unmatched, still clinic 1's
  // Clinic 1 may not move it elsewhere by linking or accepting.
  auto moved = Call("POST", fmt::format("/api/v1/interrogations/{}/link", unmatched->id),
                    {{"authorization", "Bearer " + tokens_["physician-1"]}},
                    R"({"create":true,"clinic_id":2})");
  EXPECT_EQ(moved.status, 400) << moved.body;
  auto accepted =
      Call("POST", fmt::format("/api/v1/interrogations/{}/link", unmatched->id),
           {{"authorization", "Bearer " + tokens_["physician-1"]}}, R"({"create":true})");
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(patient_of(unmatched->id).Int(1), 1);
}

// An ADT update (A08) of an MRN nobody had registered makes an unconfirmed patient: listed for its
// clinic only (unconfirmed=true), 404 to another clinic whatever it asks, and resolved by linking
// it to the patient it is (who gains the MRN) or by accepting it.
TEST_F(ApiTest, UnconfirmedPatientsFromTheHospitalAreListedAndResolvedInTheirClinic) {
  ingest::Pipeline pipeline(*db_, *keys_);
  const store::ClinicScope clinic1{.clinics = {1}};
  const auto adt = [](const std::string& control, const std::string& mrn) {
    return fmt::format(
        "MSH|^~\\&|EPIC|HOSP|HEARTBASE|CLINIC|20260301090000+0000||ADT^A08^ADT_A01|{}|P|2.5.1\r"
        "EVN|A08|20260301090000\r"
        "PID|||{}^^^HOSP^MR||Ruiz^Ana||19610203|F\r",
        control, mrn);
  };
  auto first = pipeline.Ingest(adt("U1", "ADT500"), "test", clinic1);
  auto second = pipeline.Ingest(adt("U2", "ADT600"), "test", clinic1);
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(first->adt_patient && second->adt_patient);
  const std::int64_t linked = *first->adt_patient, accepted = *second->adt_patient;
  auto list = As("physician-1", "GET", "/api/v1/patients?unconfirmed=true");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find(fmt::format("\"id\":{},", linked)), std::string::npos) << list.body;
  EXPECT_NE(list.body.find(fmt::format("\"id\":{},", accepted)), std::string::npos);
  EXPECT_EQ(list.body.find(fmt::format("\"id\":{},", patient_)), std::string::npos);
  EXPECT_EQ(As("physician-2", "GET", "/api/v1/patients?unconfirmed=true").body.find("\"id\":"),
            std::string::npos);
  EXPECT_EQ(As("physician-1", "GET", "/api/v1/patients?unconfirmed=true&q=Ruiz").status, 400);
  // Another clinic: 404 for every body; nothing changes.
  const std::string link = fmt::format("/api/v1/patients/{}/link", linked);
  for (const std::string& body :
       {std::string(R"({"create":true})"), fmt::format(R"({{"patient_id":{}}})", patient_)}) {
    EXPECT_EQ(As("physician-2", "POST", link, body).status, 404);
  }
  EXPECT_EQ(As("physician-1", "POST", link, R"({"create":true,"patient_id":1})").status, 400);
  EXPECT_EQ(As("physician-1", "POST", link, fmt::format(R"({{"patient_id":{}}})", linked)).status,
            409);  // itself
  // Linked: the record goes, the patient gains the MRN; accepted: an ordinary patient.
  auto r = As("physician-1", "POST", link, fmt::format(R"({{"patient_id":{}}})", patient_));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(As("physician-1", "GET", fmt::format("/api/v1/patients/{}", linked)).status, 404);
  auto chart = As("physician-1", "GET", fmt::format("/api/v1/patients/{}", patient_));
  EXPECT_NE(chart.body.find("ADT500"), std::string::npos) << chart.body;
  r = As("physician-1", "POST", fmt::format("/api/v1/patients/{}/link", accepted),
         R"({"create":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(As("physician-1", "POST", fmt::format("/api/v1/patients/{}/link", accepted),
               R"({"create":true})")
                .status,
            409);  // already matched
  list = As("physician-1", "GET", "/api/v1/patients?unconfirmed=true");
  EXPECT_EQ(list.body.find("\"id\":"), std::string::npos) << list.body;
  // The next update of that MRN updates the accepted patient.
  auto third = pipeline.Ingest(adt("U3", "ADT600"), "test", clinic1);
  ASSERT_TRUE(third && third->adt_patient);
  EXPECT_EQ(*third->adt_patient, accepted);
}

// A feed configured with no clinic delivers into the unassigned pool: no clinic's users see it;
// an administrator lists it and moves the patient, with a reason that is sealed in the trail.
TEST_F(ApiTest, TheUnassignedPoolIsRoutedOnlyByAnAdministrator) {
  ingest::Pipeline pipeline(*db_, *keys_);
  auto pooled =
      pipeline.Ingest(Message("C8", "RNB204599S", "Pooled", "MRN8"), "test", store::ClinicScope{});
  ASSERT_TRUE(pooled);
  for (const char* user : {"physician-1", "physician-2", "device_clinician-1"}) {
    auto list = As(user, "GET", "/api/v1/interrogations?unmatched=1");
    EXPECT_EQ(list.body.find(fmt::format("\"id\":{},", pooled->id)), std::string::npos) << user;
    EXPECT_EQ(As(user, "GET", fmt::format("/api/v1/interrogations/{}", pooled->id)).status, 404);
  }
  EXPECT_EQ(As("physician-1", "GET", "/api/v1/admin/unassigned").status, 403);
  auto tx = db_->Begin(store::Access::kRead);
  const store::Param p[] = {{"id", pooled->id}};
  const std::int64_t patient =
      (*(*tx)->Query("SELECT patient_id FROM interrogation WHERE id = :id", p))[0].Int(0);
  tx->reset();
  EXPECT_EQ(
      As("physician-1", "POST", fmt::format("/api/v1/admin/patients/{}/move", patient)).status,
      403);
  const auto h = SteppedUpAdministrator();
  auto pool = Call("GET", "/api/v1/admin/unassigned", h);
  ASSERT_EQ(pool.status, 200) << pool.body;
  EXPECT_NE(pool.body.find(fmt::format("\"id\":{},", pooled->id)), std::string::npos);
  EXPECT_EQ(pool.body.find("Pooled"), std::string::npos);  // ids and senders, no names
  const std::string move = fmt::format("/api/v1/admin/patients/{}/move", patient);
  EXPECT_EQ(Call("POST", move, h, R"({"clinic_id":1})").status, 400);  // no reason
  EXPECT_EQ(Call("POST", move, h, R"({"clinic_id":77,"reason":"x"})").status, 400);
  auto moved = Call("POST", move, h, R"({"clinic_id":1,"reason":"Pooled Smith is ours"})");
  ASSERT_EQ(moved.status, 200) << moved.body;
  auto list = As("physician-1", "GET", "/api/v1/interrogations?unmatched=1");
  EXPECT_NE(list.body.find(fmt::format("\"id\":{},", pooled->id)), std::string::npos);
  auto rtx = db_->Begin(store::Access::kRead);
  auto audit = (*rtx)->Query(
      "SELECT detail, note FROM audit_event WHERE action = 'patient.move' ORDER BY seq DESC");
  ASSERT_TRUE(audit);
  ASSERT_FALSE(audit->empty());
  EXPECT_NE((*audit)[0].Text(0).find("from_clinic=0 to_clinic=1"), std::string::npos);
  EXPECT_EQ((*audit)[0].Blob(1).find("Pooled"), std::string::npos);  // sealed
}

TEST_F(ApiTest, HL7UploadGoesThroughThePipeline) {
  ingest::Pipeline pipeline(*db_, *keys_);
  options_.upload = [&](std::string_view bytes, std::span<const std::int64_t> clinics) {
    auto out = pipeline.Ingest(bytes, "upload",
                               store::ClinicScope{.clinics = {clinics.begin(), clinics.end()}});
    UploadTally t;
    if (!out) {
      ++t.failed;
    } else if (out->disposition == ingest::Disposition::kStored) {
      ++t.stored;
    } else if (out->disposition == ingest::Disposition::kDuplicate) {
      ++t.duplicate;
    } else {
      ++t.quarantined;
    }
    return t;
  };
  api_ = std::make_unique<Api>(*db_, *keys_, *authenticator_, options_);
  const std::vector<std::pair<std::string, std::string>> h = {
      {"authorization", "Bearer " + tokens_["integration-1"]}};
  auto r = Call("POST", "/api/v1/hl7", h, Message("U1", "UPL000001S", "Upload", "MRN9"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body,
            R"({"stored":1,"duplicate":0,"control_id_reused":0,"quarantined":0,"failed":0})");
  auto again = Call("POST", "/api/v1/hl7", h, Message("U1", "UPL000001S", "Upload", "MRN9"));
  EXPECT_NE(again.body.find("\"duplicate\":1"), std::string::npos);
  auto junk = Call("POST", "/api/v1/hl7", h, "this is not HL7");
  EXPECT_NE(junk.body.find("\"quarantined\":1"), std::string::npos);
  EXPECT_EQ(Call("POST", "/api/v1/hl7", {{"authorization", "Bearer " + tokens_["physician-1"]}},
                 Message("U2", "UPL000002S", "Upload", "MRN9"))
                .status,
            403);
  EXPECT_TRUE(Contains(AuditActions(), "hl7.upload:success"));
}

// Every list of clinic objects, paged with limits 1, 3 and 20 by a physician of each of two
// clinics whose patients are interleaved: the pages visit exactly the caller's rows, each once and
// in the list's order; the other clinic's rows never appear, never take room on a page (every page
// but the last is full) and are never counted in the audit record.
TEST_F(ApiTest, ListsPageThroughTheCallersClinicOnly) {
  ingest::Pipeline pipeline(*db_, *keys_);
  std::vector<std::int64_t> interrogations = {interrogation_};
  for (int i = 0; i < 30; ++i) {
    now_ += 1'000'000;
    auto out = pipeline.Ingest(Message(fmt::format("L{}", i), fmt::format("PZK7{:05}S", i),
                                       fmt::format("Family{}", i), fmt::format("MRN9{:05}", i)),
                               "test");
    ASSERT_TRUE(out);
    ASSERT_EQ(out->disposition, ingest::Disposition::kStored);
    interrogations.push_back(out->id);
  }
  std::int64_t other = 0;
  ASSERT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& t) {
    auto c = t.Query("SELECT id FROM clinic WHERE name = 'Other clinic'");
    if (!c) return base::Status(c.error());
    other = (*c)[0].Int(0);
    // 12 of the 31 patients move to the other clinic, spread among the first clinic's.
    const store::Param p[] = {{"other", other}};
    if (auto s = t.Execute("UPDATE patient SET clinic_id = :other WHERE id % 5 IN (1, 3)", p); !s) {
      return base::Status(s.error());
    }
    // Some work is urgent, so the queue's order is not the order of arrival.
    for (std::size_t i = 0; i < interrogations.size(); i += 4) {
      if (auto s = store::SetPriority(t, interrogations[i], 2, now_); !s) return s;
    }
    return base::Status();
  }));

  struct List {
    std::string path;
    std::string id_key;
    std::string expected_sql;  // the caller's rows in the list's order, :clinic bound
  };
  const List lists[] = {
      {"/api/v1/patients", "id",
       "SELECT id FROM patient WHERE clinic_id = :clinic ORDER BY id DESC"},
      {"/api/v1/interrogations", "id",
       "SELECT i.id FROM interrogation i JOIN patient p ON p.id = i.patient_id "
       "WHERE p.clinic_id = :clinic AND i.superseded_by IS NULL ORDER BY i.id DESC"},
      {"/api/v1/queue", "interrogation_id",
       "SELECT r.interrogation_id FROM interrogation_review r "
       "JOIN interrogation i ON i.id = r.interrogation_id JOIN patient p ON p.id = i.patient_id "
       "WHERE p.clinic_id = :clinic AND r.state <> 'signed' AND i.superseded_by IS NULL "
       "ORDER BY r.severity DESC, r.received_us, r.interrogation_id"},
  };
  for (const auto& [user, clinic] :
       {std::pair<std::string, std::int64_t>{"physician-1", 1}, {"physician-2", other}}) {
    for (const List& list : lists) {
      std::vector<std::int64_t> expected;
      {
        auto tx = db_->Begin(store::Access::kRead);
        ASSERT_TRUE(tx);
        const store::Param p[] = {{"clinic", clinic}};
        auto rows = (*tx)->Query(list.expected_sql, p);
        ASSERT_TRUE(rows);
        for (const store::Row& r : *rows) expected.push_back(r.Int(0));
      }
      ASSERT_GE(expected.size(), 12u);
      for (int limit : {1, 3, 20}) {
        SCOPED_TRACE(fmt::format("{} {} limit={}", user, list.path, limit));
        std::vector<std::int64_t> seen;
        std::string cursor;
        for (std::size_t pages = 0; pages <= expected.size(); ++pages) {
          auto r = As(user, "GET",
                      fmt::format("{}?limit={}{}", list.path, limit,
                                  cursor.empty() ? "" : "&cursor=" + cursor));
          ASSERT_EQ(r.status, 200) << r.body;
          const ListPage page = ReadListPage(r.body, list.id_key);
          EXPECT_EQ(page.clinics, std::vector<std::int64_t>(page.ids.size(), clinic)) << r.body;
          if (!page.cursor.empty()) {
            EXPECT_EQ(page.ids.size(), static_cast<std::size_t>(limit)) << r.body;
          } else {
            EXPECT_LE(page.ids.size(), static_cast<std::size_t>(limit));
            EXPECT_FALSE(page.ids.empty()) << "an empty last page";
          }
          // The audit record counts what the caller was shown, nothing more.
          auto tx = db_->Begin(store::Access::kRead);
          ASSERT_TRUE(tx);
          auto newest = (*tx)->Query("SELECT detail FROM audit_event ORDER BY seq DESC LIMIT 1");
          ASSERT_TRUE(newest);
          const std::string detail((*newest)[0].Text(0));
          EXPECT_NE(detail.find(fmt::format("results={}", page.ids.size())), std::string::npos)
              << detail;
          seen.insert(seen.end(), page.ids.begin(), page.ids.end());
          cursor = page.cursor;
          if (cursor.empty()) break;
        }
        EXPECT_EQ(seen, expected);
      }
    }
  }
  // A cursor that is not one is refused rather than read as "from the start".
  EXPECT_EQ(As("physician-1", "GET", "/api/v1/patients?cursor=garbage").status, 400);
  EXPECT_EQ(As("physician-1", "GET", "/api/v1/interrogations?cursor=garbage").status, 400);
}

// A page of the largest size still says whether another follows (the one row more that tells is
// not cut off by the page-size cap).
TEST_F(ApiTest, AFullPageOfTheLargestSizeStillHasACursor) {
  ASSERT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& t) {
    auto n = t.Execute(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000) "
        "INSERT INTO patient (created_us, clinic_id) SELECT 0, 1 FROM n");
    return n ? base::Status() : base::Status(n.error());
  }));
  auto first = As("physician-1", "GET", "/api/v1/patients?limit=1000");
  ASSERT_EQ(first.status, 200);
  const ListPage page = ReadListPage(first.body, "id");
  EXPECT_EQ(page.ids.size(), 1000u);
  ASSERT_FALSE(page.cursor.empty());
  auto rest = As("physician-1", "GET", "/api/v1/patients?limit=1000&cursor=" + page.cursor);
  ASSERT_EQ(rest.status, 200);
  EXPECT_EQ(ReadListPage(rest.body, "id").ids, std::vector<std::int64_t>{patient_});
}

}  // namespace
}  // namespace heartbase::api
