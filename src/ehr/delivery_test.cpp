// ResultDelivery against scripted MLLP receivers on loopback: what each answer does to a signed
// result (sent, retried under the same MSH-10, dead with the receiver's text), that a destination
// keeps its order and its queue moving, and that a bad destination stops start-up with the key
// named. The receivers are threads here; the database is a real SQLite file.
#include "ehr/delivery.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "crypto/signing_key.h"
#include "ingest/pipeline.h"
#include "ingest/readback.h"
#include "net/testing/mllp_receiver.h"
#include "store/clinical_reads.h"
#include "store/migrations.h"
#include "store/results.h"
#include "store/review.h"
#include "store/testing/temp_dir.h"
#include "store/testing/test_store.h"

namespace heartbase::ehr {
namespace {

using namespace std::chrono_literals;

// What a receiver does with one frame.
enum class Answer {
  kAa,
  kAe,
  kAr,
  kWrongControl,  // AA naming another MSH-10
  kCloseMidAck,   // the start of an ACK, then the connection closes
};

// An MLLP receiver on 127.0.0.1 answering the n-th frame with script[n] (the last repeats).
class Receiver : public net::testing::MllpReceiver {
 public:
  explicit Receiver(std::vector<Answer> script)
      : MllpReceiver([script = std::move(script)](std::size_t n) {
          net::testing::MllpAnswer a;
          switch (script[std::min(n, script.size() - 1)]) {
            case Answer::kAa:
              break;
            case Answer::kAe:
              a.code = "AE";
              break;
            case Answer::kAr:
              a.code = "AR";
              a.text = "Unknown MRN \\F\\ check PID-3";
              break;
            case Answer::kWrongControl:
              a.other_control = true;
              break;
            case Answer::kCloseMidAck:
              a.hang_up_midway = true;
              break;
          }
          return a;
        }) {}
};

std::string Message(int n) {
  return fmt::format(
      "MSH|^~\\&|CARELINK|MDT|||20260101120500+0000||ORU^R01^ORU_R01|EHR{0:03}|P|2.6\r"
      "PID|||model:A3DR01/serial:EHR{0:03}S^^^MDT^U~MRN{0:03}^^^HOSP^MR||Müller^Zoë||19480312|F\r"
      "OBR|1||S-{0}|754053^MDC_IDC_ENUM_SESS_TYPE_RemoteScheduled^MDC|||20260101120000+0000\r"
      "OBX|1|CWE|720897^MDC_IDC_DEV_TYPE^MDC||753665^MDC_IDC_ENUM_DEV_TYPE_IPG^MDC\r"
      "OBX|2|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC||2.95|V\r",
      n);
}

bool WaitFor(const std::function<bool()>& done, std::chrono::seconds limit = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

class DeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    auto store = store::testing::OpenTestStore(dir_);
    ASSERT_TRUE(store) << store.error().Describe();
    db_ = std::move(store->db);
    migrations_ = store->migrations;
    ASSERT_TRUE(store::Migrate(*db_, migrations_, false));
    auto keys = crypto::KeyRing::Generate();
    auto signing = crypto::SigningKey::Generate();
    ASSERT_TRUE(keys && signing);
    keys_.emplace(std::move(*keys));
    signing_.emplace(std::move(*signing));
    ASSERT_TRUE(store::RunUnitOfWork(*db_, store::Access::kWrite, [](store::Transaction& tx) {
      auto r = tx.Execute(
          "INSERT INTO app_user (id, name, display_name, role, created_us, updated_us) VALUES "
          "(1, 'doc', 'Doc', 'physician', 0, 0)");
      return r ? base::Status() : base::Status(r.error());
    }));
  }

  report::ReportServices Services() {
    return {.db = *db_,
            .keys = *keys_,
            .signing_key = *signing_,
            .parse = [](std::string_view raw) { return ingest::MapStored(raw); },
            .mapping_version = std::string(ingest::kMappingVersion),
            .write =
                [this](const std::function<base::Status(store::Transaction&)>& work) {
                  return store::RunUnitOfWork(*db_, store::Access::kWrite, work);
                }};
  }

  // Ingests message `n`, signs it off and queues its result for `destination`: the row id.
  std::int64_t SignedResult(int n, const std::string& destination) {
    ingest::Pipeline pipeline(*db_, *keys_);
    auto out = pipeline.Ingest(Message(n), "test");
    EXPECT_TRUE(out && out->disposition == ingest::Disposition::kStored);
    if (!out) return 0;
    std::int64_t row_id = 0;
    auto s = store::RunUnitOfWork(*db_, store::Access::kWrite, [&](store::Transaction& tx) {
      if (auto r = store::SignOff(tx, *keys_, out->id, 1, "Stable", 1); !r) return r;
      auto row = store::GetInterrogation(tx, out->id);
      if (!row) return base::Status(row.error());
      auto q = store::EnqueueResults(tx, out->id, row->patient_id, {destination}, 1);
      if (!q) return base::Status(q.error());
      row_id = q->front();
      return base::Status();
    });
    EXPECT_TRUE(s) << s.error().message;
    return row_id;
  }

  Destination To(const std::string& name, const Receiver& r, int attempts = 5,
                 const std::string& authority = "HOSP") {
    auto d = ParseDestination(fmt::format(
        "name={},host=127.0.0.1,port={},authority={},backoff-ms=10,attempts={},ack-timeout-ms=500",
        name, r.port(), authority, attempts));
    EXPECT_TRUE(d) << d.error().message;
    return *d;
  }

  store::ResultDeliveryRow Row(std::int64_t id) {
    auto tx = db_->Begin(store::Access::kRead);
    auto row = store::GetResult(**tx, *keys_, id);
    EXPECT_TRUE(row) << row.error().message;
    return row ? *row : store::ResultDeliveryRow{};
  }

  std::function<bool()> Settled(std::int64_t id) {
    return [this, id] { return Row(id).state != store::ResultState::kPending; };
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::Database> db_;
  std::span<const store::Migration> migrations_;
  std::optional<crypto::KeyRing> keys_;
  std::optional<crypto::SigningKey> signing_;
};

TEST_F(DeliveryTest, AeTwiceThenAaIsSentOnceUnderOneControlId) {
  Receiver epic({Answer::kAe, Answer::kAe, Answer::kAa});
  const std::int64_t id = SignedResult(1, "epic");
  ResultDelivery delivery(*db_, *keys_, Services(), {To("epic", epic)});
  delivery.Poke();
  ASSERT_TRUE(WaitFor(Settled(id)));
  const store::ResultDeliveryRow row = Row(id);
  EXPECT_EQ(row.state, store::ResultState::kSent);
  EXPECT_EQ(row.ack_code, "AA");
  EXPECT_EQ(row.attempts, 3);  // every send counts, the accepted one too
  EXPECT_EQ(epic.controls(), std::vector<std::string>(3, row.control_id));
  EXPECT_EQ(delivery.counts().sent, 1);
  EXPECT_EQ(delivery.counts().retried, 2);
}

TEST_F(DeliveryTest, AnAckNamingAnotherMessageIsNotTakenAsAcceptance) {
  Receiver epic({Answer::kWrongControl, Answer::kAa});
  const std::int64_t id = SignedResult(1, "epic");
  ResultDelivery delivery(*db_, *keys_, Services(), {To("epic", epic)});
  delivery.Poke();
  ASSERT_TRUE(WaitFor(Settled(id)));
  EXPECT_EQ(Row(id).state, store::ResultState::kSent);
  const std::vector<std::string> controls = epic.controls();
  ASSERT_EQ(controls.size(), 2u);
  EXPECT_EQ(controls[0], controls[1]);
}

TEST_F(DeliveryTest, AReceiverClosingMidAckIsTriedAgainWithTheSameControlId) {
  Receiver epic({Answer::kCloseMidAck, Answer::kAa});
  const std::int64_t id = SignedResult(1, "epic");
  ResultDelivery delivery(*db_, *keys_, Services(), {To("epic", epic)});
  delivery.Poke();
  ASSERT_TRUE(WaitFor(Settled(id)));
  EXPECT_EQ(Row(id).state, store::ResultState::kSent);
  EXPECT_EQ(epic.controls(), std::vector<std::string>(2, Row(id).control_id));
}

TEST_F(DeliveryTest, ArIsDeadAtOnceWithTheReceiversTextAndTheQueueMovesOn) {
  Receiver epic({Answer::kAr, Answer::kAa});
  const std::int64_t rejected = SignedResult(1, "epic");
  const std::int64_t next = SignedResult(2, "epic");
  ResultDelivery delivery(*db_, *keys_, Services(), {To("epic", epic)});
  delivery.Poke();
  ASSERT_TRUE(WaitFor(Settled(next)));
  const store::ResultDeliveryRow row = Row(rejected);
  EXPECT_EQ(row.state, store::ResultState::kDead);
  EXPECT_EQ(row.ack_code, "AR");
  EXPECT_EQ(row.last_error, "Unknown MRN | check PID-3");  // MSA-3, unescaped
  EXPECT_EQ(Row(next).state, store::ResultState::kSent);
  EXPECT_EQ(epic.controls().size(), 2u);  // the rejected one was not sent again
}

TEST_F(DeliveryTest, AttemptsUsedUpMakeTheResultDead) {
  Receiver epic({Answer::kAe});
  const std::int64_t id = SignedResult(1, "epic");
  ResultDelivery delivery(*db_, *keys_, Services(), {To("epic", epic, /*attempts=*/3)});
  delivery.Poke();
  ASSERT_TRUE(WaitFor(Settled(id)));
  EXPECT_EQ(Row(id).state, store::ResultState::kDead);
  EXPECT_EQ(Row(id).ack_code, "AE");
  EXPECT_EQ(epic.controls().size(), 3u);
}

TEST_F(DeliveryTest, APatientWithoutTheDestinationsIdentifierIsDeadWithoutSending) {
  Receiver epic({Answer::kAa});
  const std::int64_t id = SignedResult(1, "epic");
  ResultDelivery delivery(*db_, *keys_, Services(), {To("epic", epic, 5, "ELSEWHERE")});
  delivery.Poke();
  ASSERT_TRUE(WaitFor(Settled(id)));
  EXPECT_EQ(Row(id).state, store::ResultState::kDead);
  EXPECT_NE(Row(id).last_error.find("ELSEWHERE"), std::string::npos) << Row(id).last_error;
  EXPECT_TRUE(epic.controls().empty());
}

TEST_F(DeliveryTest, ADestinationKeepsItsOrderThroughRetries) {
  Receiver epic({Answer::kAe, Answer::kAe, Answer::kAa});
  const std::int64_t first = SignedResult(1, "epic");
  const std::int64_t second = SignedResult(2, "epic");
  const std::int64_t third = SignedResult(3, "epic");
  ResultDelivery delivery(*db_, *keys_, Services(), {To("epic", epic)});
  delivery.Poke();
  ASSERT_TRUE(WaitFor(Settled(third)));
  const std::string a = Row(first).control_id, b = Row(second).control_id,
                    c = Row(third).control_id;
  EXPECT_EQ(epic.controls(), (std::vector<std::string>{a, a, a, b, c}));
}

TEST_F(DeliveryTest, ASilentDestinationHoldsUpOnlyItself) {
  // A listener that accepts nothing: connections queue in the backlog and no ACK ever comes.
  const int silent = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(silent, 8), 0);
  socklen_t n = sizeof a;
  ::getsockname(silent, reinterpret_cast<sockaddr*>(&a), &n);
  auto stuck = ParseDestination(fmt::format(
      "name=stuck,host=127.0.0.1,port={},authority=HOSP,backoff-ms=10,ack-timeout-ms=500",
      ntohs(a.sin_port)));
  ASSERT_TRUE(stuck);
  Receiver epic({Answer::kAa});
  const std::int64_t held = SignedResult(1, "stuck");
  const std::int64_t free = SignedResult(2, "epic");
  ResultDelivery delivery(*db_, *keys_, Services(), {*stuck, To("epic", epic)});
  delivery.Poke();
  ASSERT_TRUE(WaitFor(Settled(free)));
  EXPECT_EQ(Row(free).state, store::ResultState::kSent);
  EXPECT_EQ(Row(held).state, store::ResultState::kPending);
  ::close(silent);
}

TEST(ParseDestination, NamesWhatIsWrong) {
  const auto error = [](const std::string& spec) {
    auto d = ParseDestination(spec);
    EXPECT_FALSE(d) << spec;
    return d ? std::string() : d.error().message;
  };
  EXPECT_NE(error("name=e,host=127.0.0.1,port=0,authority=H").find("port"), std::string::npos);
  EXPECT_NE(error("name=e,host=127.0.0.1,port=2575").find("authority"), std::string::npos);
  EXPECT_NE(error("host=127.0.0.1,port=2575,authority=H").find("name"), std::string::npos);
  EXPECT_NE(error("name=e,host=127.0.0.1,port=2575,authority=H,type=xml").find("type"),
            std::string::npos);
  EXPECT_NE(error("name=e,host=127.0.0.1,port=2575,authority=H,colour=red").find("colour"),
            std::string::npos);
  EXPECT_NE(error("name=e,host=127.0.0.1,port=2575,authority=H,attempts=0").find("attempts"),
            std::string::npos);
  EXPECT_NE(error("name=e,host=127.0.0.1,port=2575,authority=H,ca=/nonexistent.pem").size(), 0u);
  auto loopback = ParseDestination("name=e,host=127.0.0.1,port=2575,authority=H");
  ASSERT_TRUE(loopback);
  EXPECT_FALSE(loopback->connection.tls);
  // Anything but a loopback address gets TLS with the receiver's certificate verified.
  auto remote = ParseDestination("name=e,host=10.1.2.3,port=2575,authority=H");
  ASSERT_TRUE(remote) << remote.error().message;
  EXPECT_TRUE(remote->connection.tls);
}

}  // namespace
}  // namespace heartbase::ehr
