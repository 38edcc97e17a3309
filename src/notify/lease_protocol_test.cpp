// Lease channel messages: round trips; forged, altered, replayed (wrong nonce is the client's
// check: see lease_client.cpp) and oversized messages are refused; frames over the limit are
// refused before anything is allocated.
#include "notify/lease_protocol.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace heartbase::notify {
namespace {

using base::ErrorCode;

MacKey TestKey(char fill = 'k') { return *MacKey::FromBytes(std::string(MacKey::kBytes, fill)); }

TEST(LeaseProtocol, RoundTripsEveryMessage) {
  const MacKey key = TestKey();
  const LeaseRequest lease{
      .nonce = RandomNonce(), .holder = "notify-1", .max_jobs = 4, .lease_ms = 60'000};
  const Outcome outcome{.nonce = RandomNonce(),
                        .holder = "notify-1",
                        .job_id = 9,
                        .attempt = 2,
                        .delivered = false,
                        .permanent = true,
                        .error = "curl 60: bad cert"};
  for (const Request& q : {Request(lease), Request(outcome)}) {
    auto bytes = EncodeRequest(q, key);
    ASSERT_TRUE(bytes) << bytes.error().Describe();
    auto back = DecodeRequest(*bytes, key);
    ASSERT_TRUE(back) << back.error().Describe();
    EXPECT_EQ(*back, q);
  }
  const LeaseResponse response{.nonce = RandomNonce(), .jobs = {"one", std::string(300, 'x')}};
  auto r = EncodeLeaseResponse(response, key);
  ASSERT_TRUE(r);
  EXPECT_EQ(*DecodeLeaseResponse(*r, key), response);
  const Reply reply{.nonce = RandomNonce(), .status = ReplyStatus::kLeaseLost, .message = "lost"};
  auto p = EncodeReply(reply, key);
  ASSERT_TRUE(p);
  EXPECT_EQ(*DecodeReply(*p, key), reply);
}

TEST(LeaseProtocol, RefusesForgedAlteredAndMistypedMessages) {
  const MacKey key = TestKey();
  auto bytes = EncodeRequest(LeaseRequest{.nonce = RandomNonce(), .holder = "n"}, key);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(DecodeRequest(*bytes, TestKey('z')).error().code, ErrorCode::kUnauthenticated);
  for (std::size_t i = 0; i < bytes->size(); ++i) {
    std::string altered = *bytes;
    altered[i] = static_cast<char>(altered[i] ^ 0x01);
    EXPECT_EQ(DecodeRequest(altered, key).error().code, ErrorCode::kUnauthenticated) << i;
  }
  // A request is not a reply nor a lease response, though its MAC is good.
  EXPECT_EQ(DecodeReply(*bytes, key).error().code, ErrorCode::kMalformed);
  EXPECT_EQ(DecodeLeaseResponse(*bytes, key).error().code, ErrorCode::kMalformed);
  EXPECT_EQ(DecodeRequest(std::string(ProtocolLimits::kMaxRequestBytes + 1, 'a'), key).error().code,
            ErrorCode::kLimitExceeded);
}

TEST(LeaseProtocol, EncodersRefuseOutOfRangeFields) {
  const MacKey key = TestKey();
  EXPECT_FALSE(EncodeRequest(LeaseRequest{.holder = "bad holder"}, key));
  EXPECT_FALSE(EncodeRequest(LeaseRequest{.holder = "n", .max_jobs = 9}, key));
  EXPECT_FALSE(EncodeRequest(LeaseRequest{.holder = "n", .lease_ms = 10}, key));
  EXPECT_FALSE(
      EncodeRequest(Outcome{.holder = "n", .job_id = 1, .attempt = 1, .error = "a\nb"}, key));
  EXPECT_FALSE(EncodeLeaseResponse(LeaseResponse{.jobs = std::vector<std::string>(9, "x")}, key));
}

TEST(LeaseProtocol, FramesRoundTripAndOversizedFrameIsRefusedBeforeReading) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  SetSocketTimeouts(fds[1], std::chrono::milliseconds(500));
  ASSERT_TRUE(WriteFrame(fds[0], "hello"));
  auto f = ReadFrame(fds[1], 16);
  ASSERT_TRUE(f);
  EXPECT_EQ(*f, "hello");
  // A length of 4 GiB - 1 with no body: refused from the prefix alone.
  const char huge[4] = {'\xff', '\xff', '\xff', '\xff'};
  ASSERT_EQ(::write(fds[0], huge, 4), 4);
  EXPECT_EQ(ReadFrame(fds[1], 1024).error().code, ErrorCode::kLimitExceeded);
  // A frame that never completes times out instead of blocking forever.
  const char partial[5] = {0, 0, 0, 10, 'x'};
  ASSERT_EQ(::write(fds[0], partial, 5), 5);
  EXPECT_EQ(ReadFrame(fds[1], 1024).error().code, ErrorCode::kUnavailable);
  ::close(fds[0]);
  ::close(fds[1]);
}

}  // namespace
}  // namespace heartbase::notify
