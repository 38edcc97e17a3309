// The client side against a fake serve on a Unix socket: replayed, forged and altered replies and
// job records are refused, stale leases are not delivered, and the worker reports every outcome.
#include "notify/worker.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <thread>
#include <vector>

namespace heartbase::notify {
namespace {

using base::ErrorCode;

MacKey TestKey(char fill = 'k') { return *MacKey::FromBytes(std::string(MacKey::kBytes, fill)); }

std::int64_t Future() { return 4'000'000'000'000'000; }  // year 2096

Job MakeJob(std::uint64_t id, std::int64_t expires = Future()) {
  return Job{.id = id,
             .attempt = 1,
             .max_attempts = 3,
             .lease_expires_us = expires,
             .kind = JobKind::kAlert,
             .channel = Channel::kEmail,
             .idempotency_key = "alert:" + std::to_string(id),
             .recipient = "a@clinic.example",
             .subject = "s",
             .body = "b",
             .ticket = "HB-1",
             .link = "/queue/1"};
}

// A fake serve: answers each lease request with `respond(request)` and records outcomes.
class FakeServe {
 public:
  using Respond = std::function<std::string(const LeaseRequest&)>;
  explicit FakeServe(Respond respond) : respond_(std::move(respond)) {
    path_ = ::testing::TempDir() + "/hb-fake-serve-" + std::to_string(::getpid()) + ".sock";
    ::unlink(path_.c_str());
    listen_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path_.data(), path_.size());
    EXPECT_EQ(::bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listen_, 1), 0);
    thread_ = std::thread([this] { Run(); });
  }
  ~FakeServe() {
    Join();
    ::close(listen_);
    ::unlink(path_.c_str());
  }
  // Waits until the client has gone; then `outcomes` may be read.
  void Join() {
    ::shutdown(listen_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
  }
  const std::string& path() const { return path_; }
  std::vector<Outcome> outcomes;

 private:
  void Run() {
    const int fd = ::accept(listen_, nullptr, nullptr);
    if (fd < 0) return;
    SetSocketTimeouts(fd, std::chrono::milliseconds(2000));
    while (auto frame = ReadFrame(fd, ProtocolLimits::kMaxRequestBytes)) {
      auto q = DecodeRequest(*frame, key_);
      if (!q) break;
      std::string reply;
      if (const auto* lease = std::get_if<LeaseRequest>(&*q)) {
        reply = respond_(*lease);
      } else {
        const auto& o = std::get<Outcome>(*q);
        outcomes.push_back(o);
        reply = *EncodeReply({.nonce = o.nonce, .status = ReplyStatus::kOk, .message = ""}, key_);
      }
      if (!WriteFrame(fd, reply)) break;
    }
    ::close(fd);
  }
  MacKey key_ = TestKey();
  Respond respond_;
  std::string path_;
  int listen_ = -1;
  std::thread thread_;
};

class RecordingSender final : public Sender {
 public:
  Delivery Deliver(const Job& job, const std::atomic<bool>&) override {
    delivered.push_back(job.id);
    if (job.id == 13) return {.error = "curl 28: Timeout was reached"};
    return {.delivered = true};
  }
  std::vector<std::uint64_t> delivered;
};

TEST(LeaseClient, RefusesReplayedReplyFromAnEarlierRequest) {
  const MacKey key = TestKey();
  const Nonce old = RandomNonce();
  FakeServe serve([&](const LeaseRequest&) {
    return *EncodeLeaseResponse({.nonce = old, .jobs = {*EncodeJob(MakeJob(1), key)}}, key);
  });
  auto client = LeaseClient::Connect(serve.path(), key, std::chrono::milliseconds(2000));
  ASSERT_TRUE(client) << client.error().Describe();
  auto batch = client->Lease("n", 4, 60);
  ASSERT_FALSE(batch);
  EXPECT_EQ(batch.error().code, ErrorCode::kUnauthenticated);
}

TEST(LeaseClient, RefusesReplyMacedWithAnotherKey) {
  const MacKey key = TestKey();
  const MacKey other = TestKey('o');
  FakeServe serve([&](const LeaseRequest& q) {
    return *EncodeLeaseResponse({.nonce = q.nonce, .jobs = {}}, other);
  });
  auto client = LeaseClient::Connect(serve.path(), key, std::chrono::milliseconds(2000));
  ASSERT_TRUE(client);
  EXPECT_EQ(client->Lease("n", 4, 60).error().code, ErrorCode::kUnauthenticated);
}

TEST(LeaseClient, DropsForgedAndAlteredJobRecordsAndKeepsTheRest) {
  const MacKey key = TestKey();
  FakeServe serve([&](const LeaseRequest& q) {
    std::string altered = *EncodeJob(MakeJob(2), key);
    altered[20] ^= 1;
    return *EncodeLeaseResponse({.nonce = q.nonce,
                                 .jobs = {*EncodeJob(MakeJob(1), TestKey('f')), altered, "short",
                                          *EncodeJob(MakeJob(3), key)}},
                                key);
  });
  auto client = LeaseClient::Connect(serve.path(), key, std::chrono::milliseconds(2000));
  ASSERT_TRUE(client);
  auto batch = client->Lease("n", 4, 60);
  ASSERT_TRUE(batch) << batch.error().Describe();
  EXPECT_EQ(batch->rejected, 3);
  ASSERT_EQ(batch->jobs.size(), 1u);
  EXPECT_EQ(batch->jobs[0].id, 3u);
}

TEST(Worker, DeliversReportsEachOutcomeAndSkipsStaleOrRepeatedLeases) {
  const MacKey key = TestKey();
  int round = 0;
  FakeServe serve([&](const LeaseRequest& q) {
    std::vector<std::string> jobs;
    if (round++ == 0) {
      jobs = {*EncodeJob(MakeJob(12), key), *EncodeJob(MakeJob(13), key),
              *EncodeJob(MakeJob(14, /*expires=*/1), key)};
    } else {
      jobs = {*EncodeJob(MakeJob(12), key)};  // the same lease again (a replay)
    }
    return *EncodeLeaseResponse({.nonce = q.nonce, .jobs = jobs}, key);
  });
  RecordingSender sender;
  Worker worker({.socket = serve.path(), .holder = "w"}, key, {.email = &sender});
  std::atomic<bool> stop{false};
  {
    auto client = LeaseClient::Connect(serve.path(), key, std::chrono::milliseconds(2000));
    ASSERT_TRUE(client);
    auto first = worker.RunRound(*client, stop);
    ASSERT_TRUE(first) << first.error().Describe();
    EXPECT_EQ(first->delivered, 1);
    EXPECT_EQ(first->failed, 1);
    EXPECT_EQ(first->rejected, 1);  // the expired lease
    auto second = worker.RunRound(*client, stop);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->rejected, 1);  // job 12, attempt 1 was already handled
  }
  serve.Join();
  EXPECT_EQ(sender.delivered, (std::vector<std::uint64_t>{12, 13}));
  ASSERT_EQ(serve.outcomes.size(), 2u);
  EXPECT_EQ(serve.outcomes[0].job_id, 12u);
  EXPECT_TRUE(serve.outcomes[0].delivered);
  EXPECT_EQ(serve.outcomes[1].job_id, 13u);
  EXPECT_FALSE(serve.outcomes[1].delivered);
  EXPECT_FALSE(serve.outcomes[1].permanent);
  EXPECT_EQ(serve.outcomes[1].error, "curl 28: Timeout was reached");
  EXPECT_EQ(serve.outcomes[1].holder, "w");
}

TEST(Worker, JobForAChannelWithoutSenderFailsPermanently) {
  const MacKey key = TestKey();
  FakeServe serve([&](const LeaseRequest& q) {
    Job pager = MakeJob(5);
    pager.channel = Channel::kPager;
    pager.recipient = "4711";
    return *EncodeLeaseResponse({.nonce = q.nonce, .jobs = {*EncodeJob(pager, key)}}, key);
  });
  Worker worker({.socket = serve.path(), .holder = "w"}, key, {});
  std::atomic<bool> stop{false};
  {
    auto client = LeaseClient::Connect(serve.path(), key, std::chrono::milliseconds(2000));
    ASSERT_TRUE(client);
    auto r = worker.RunRound(*client, stop);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->failed, 1);
  }
  serve.Join();
  ASSERT_EQ(serve.outcomes.size(), 1u);
  EXPECT_TRUE(serve.outcomes[0].permanent);
  EXPECT_EQ(serve.outcomes[0].error, "channel pager is not configured");
}

}  // namespace
}  // namespace heartbase::notify
