#include "net/mllp_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "net/mllp.h"

namespace heartbase::net {
namespace {

// Connects from `from` (any 127.0.0.0/8 address: Linux routes them all to loopback).
int Connect(const std::string& address, const char* from = nullptr) {
  const int port = std::stoi(address.substr(address.rfind(':') + 1));
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (from != nullptr) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, from, &local.sin_addr);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

void SendAll(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

// Reads until the peer closes or a full frame arrives; returns what was read.
std::string Receive(int fd) {
  std::string out;
  char buf[4096];
  while (out.size() < 2 || out.substr(out.size() - 2) != "\x1c\r") {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// True when the server closed the connection (EOF or reset) within `limit`.
bool ClosedWithin(int fd, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[256];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) == 1) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n <= 0) return true;
    }
  }
  return false;
}

constexpr char kStalledFrame[] = "\x0bMSH|^~\\&|";  // a frame begun and never finished

std::unique_ptr<MllpServer> Start(MllpServerOptions o) {
  o.port = 0;
  auto s = MllpServer::Start(o, [](std::string_view frame, const MllpPeer& peer) {
    return "ACK " + std::to_string(frame.size()) + " from " + peer.address;
  });
  EXPECT_TRUE(s);
  return s ? std::move(*s) : nullptr;
}

TEST(MllpServer, AnswersEachFrameInOrder) {
  auto server = Start({});
  const int fd = Connect(server->local_address());
  SendAll(fd, MllpFrame("MSH|one") + MllpFrame("MSH|three"));
  std::string replies = Receive(fd);
  if (replies.find("ACK 9") == std::string::npos) replies += Receive(fd);
  EXPECT_NE(replies.find(MllpFrame("ACK 7 from 127.0.0.1")), std::string::npos);
  EXPECT_LT(replies.find("ACK 7"), replies.find("ACK 9"));
  ::close(fd);
  server->Stop();
}

// Handlers of different connections run at the same time on the worker pool (the ingest group
// commit depends on it): each handler here waits until the other one has started.
TEST(MllpServer, RunsHandlersOfDifferentConnectionsConcurrently) {
  std::atomic<int> inside{0};
  MllpServerOptions o;
  o.port = 0;
  auto s = MllpServer::Start(o, [&](std::string_view, const MllpPeer&) {
    ++inside;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (inside.load() < 2 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return std::string(inside.load() >= 2 ? "together" : "alone");
  });
  ASSERT_TRUE(s);
  const int a = Connect((*s)->local_address());
  const int b = Connect((*s)->local_address());
  SendAll(a, MllpFrame("MSH|a"));
  SendAll(b, MllpFrame("MSH|b"));
  EXPECT_EQ(Receive(a), MllpFrame("together"));
  EXPECT_EQ(Receive(b), MllpFrame("together"));
  ::close(a);
  ::close(b);
  (*s)->Stop();
}

// A sender that sends frames but never reads its ACKs: once its receive buffer is full the ACK
// cannot be written, and after ack_write_timeout the connection is closed instead of holding its
// place (a connection whose frame is being answered is never evicted).
TEST(MllpServer, ClosesAConnectionThatDoesNotReadItsAcks) {
  MllpServerOptions o;
  o.port = 0;
  o.ack_write_timeout = std::chrono::milliseconds(300);
  std::string big(256 * 1024, 'A');
  std::atomic<int> answered{0};
  auto s = MllpServer::Start(o, [&](std::string_view, const MllpPeer&) {
    ++answered;
    return big;
  });
  ASSERT_TRUE(s);
  const int fd = Connect((*s)->local_address());
  const int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  for (int i = 0; i < 64; ++i) SendAll(fd, MllpFrame("MSH|x"));
  // Not reading: the kernel buffers fill within a few ACKs, then the write waits and times out.
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  EXPECT_LT(answered.load(), 64);  // it stopped answering a sender that does not read
  EXPECT_TRUE(ClosedWithin(fd, std::chrono::milliseconds(5000)));
  ::close(fd);
  (*s)->Stop();
}

TEST(MllpServer, RefusesPlaintextOffLoopback) {
  MllpServerOptions o;
  o.host = "0.0.0.0";
  auto s = MllpServer::Start(o, [](std::string_view, const MllpPeer&) { return std::string(); });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, base::ErrorCode::kPermissionDenied);
}

TEST(MllpServer, SharedBufferBudgetClosesTheConnectionThatWouldExceedIt) {
  MllpServerOptions o;
  o.max_buffered_bytes = 1 << 20;
  auto server = Start(o);
  const int a = Connect(server->local_address());
  const int b = Connect(server->local_address());
  SendAll(a, "\x0b" + std::string(700 * 1024, 'x'));  // a frame that has not ended
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  SendAll(b, "\x0b" + std::string(700 * 1024, 'y'));  // together over the budget
  EXPECT_EQ(Receive(b), "");                          // closed
  // Freeing a's partial frame lets a complete frame through on a new connection.
  ::close(a);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const int c = Connect(server->local_address());
  SendAll(c, MllpFrame(std::string(500 * 1024, 'z')));
  EXPECT_NE(Receive(c).find("ACK 512000"), std::string::npos);
  ::close(b);
  ::close(c);
  server->Stop();
}

TEST(MllpServer, OversizedFrameClosesTheConnection) {
  MllpServerOptions o;
  o.max_frame_bytes = 1000;
  auto server = Start(o);
  const int fd = Connect(server->local_address());
  SendAll(fd, "\x0b" + std::string(5000, 'x'));
  EXPECT_EQ(Receive(fd), "");
  ::close(fd);
  server->Stop();
}

// The attack of issue 17: connections that each begin a frame and stop fill the cap. They are
// not idle, yet a real sender must still get in: the slowest frame in progress makes room.
TEST(MllpServer, AtTheCapStalledFramesMakeRoomForARealSender) {
  MllpServerOptions o;
  o.max_connections = 8;
  o.reserved_connections = 0;
  auto server = Start(o);
  std::vector<int> stalled;
  for (int i = 0; i < 8; ++i) {
    stalled.push_back(Connect(server->local_address(), "127.0.0.1"));
    SendAll(stalled.back(), kStalledFrame);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const int real = Connect(server->local_address(), "127.0.0.1");
  SendAll(real, MllpFrame("MSH|real"));
  EXPECT_EQ(Receive(real), MllpFrame("ACK 8 from 127.0.0.1"));
  EXPECT_LE(server->connections(), 8u);
  int closed = 0;
  for (int fd : stalled) closed += ClosedWithin(fd, std::chrono::milliseconds(100)) ? 1 : 0;
  EXPECT_EQ(closed, 1);  // exactly one stalled frame was evicted
  for (int fd : stalled) ::close(fd);
  ::close(real);
  server->Stop();
}

// A frame that trickles in below the minimum rate is closed after one rate window, long before
// the frame timeout; one that keeps up with it is answered.
TEST(MllpServer, ClosesAFrameBelowTheMinimumRateAfterOneWindow) {
  MllpServerOptions o;
  o.min_bytes_per_second = 1000;
  o.rate_window = std::chrono::milliseconds(300);
  auto server = Start(o);
  const int slow = Connect(server->local_address());
  SendAll(slow, kStalledFrame);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(ClosedWithin(slow, std::chrono::milliseconds(2000)));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(250));
  ::close(slow);
  // 400 bytes in each 300 ms window (1,333 bytes/s): above the minimum.
  const int steady = Connect(server->local_address());
  SendAll(steady, "\x0bMSH|");
  for (int i = 0; i < 5; ++i) {
    SendAll(steady, std::string(100, 'x'));
    std::this_thread::sleep_for(std::chrono::milliseconds(75));
  }
  SendAll(steady, "\x1c\r");
  EXPECT_EQ(Receive(steady), MllpFrame("ACK 504 from 127.0.0.1"));
  ::close(steady);
  server->Stop();
}

TEST(MllpServer, PerAddressCapRefusesFurtherConnectionsFromThatAddressOnly) {
  MllpServerOptions o;
  o.max_connections_per_address = 2;
  auto server = Start(o);
  // Two connections of one address in the middle of a frame: a third from it is refused.
  const int a = Connect(server->local_address(), "127.0.0.2");
  const int b = Connect(server->local_address(), "127.0.0.2");
  SendAll(a, "\x0bMSH|a");
  SendAll(b, "\x0bMSH|b");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const int c = Connect(server->local_address(), "127.0.0.2");
  EXPECT_TRUE(ClosedWithin(c, std::chrono::milliseconds(1000)));
  const int other = Connect(server->local_address(), "127.0.0.3");
  SendAll(other, MllpFrame("MSH|x"));
  EXPECT_EQ(Receive(other), MllpFrame("ACK 5 from 127.0.0.3"));
  SendAll(a, "\x1c\r");
  EXPECT_EQ(Receive(a), MllpFrame("ACK 5 from 127.0.0.2"));
  for (int fd : {a, b, c, other}) ::close(fd);
  server->Stop();
}

// At its own limit, an address's idle connection (between frames) makes room for its next one:
// a sender is not locked out by connections it left open.
TEST(MllpServer, PerAddressCapEvictsThatAddresssIdleConnectionFirst) {
  MllpServerOptions o;
  o.max_connections_per_address = 2;
  auto server = Start(o);
  const int a = Connect(server->local_address(), "127.0.0.2");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const int b = Connect(server->local_address(), "127.0.0.2");
  SendAll(b, "\x0bMSH|b");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const int c = Connect(server->local_address(), "127.0.0.2");
  SendAll(c, MllpFrame("MSH|c"));
  EXPECT_EQ(Receive(c), MllpFrame("ACK 5 from 127.0.0.2"));
  EXPECT_TRUE(ClosedWithin(a, std::chrono::milliseconds(1000)));  // the idle one
  SendAll(b, "\x1c\r");
  EXPECT_EQ(Receive(b), MllpFrame("ACK 5 from 127.0.0.2"));  // the one in a frame stays
  for (int fd : {a, b, c}) ::close(fd);
  server->Stop();
}

// Anonymous connections may not take the reserved capacity, nor evict the sender it is kept for.
TEST(MllpServer, ReservedCapacityAdmitsAConfiguredSenderWhateverTheCrowd) {
  MllpServerOptions o;
  o.max_connections = 6;
  o.reserved_connections = 2;
  o.reserved_addresses = {"127.0.0.9"};
  auto server = Start(o);
  const int trusted = Connect(server->local_address(), "127.0.0.9");
  SendAll(trusted, "\x0bMSH|");  // a frame in progress: the slowest of all, yet kept
  std::vector<int> crowd;
  for (int i = 0; i < 12; ++i) {
    crowd.push_back(Connect(server->local_address(), "127.0.0.4"));
    SendAll(crowd.back(), kStalledFrame);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_LE(server->connections(), 5u);  // 4 anonymous + the trusted one
  SendAll(trusted, "x\x1c\r");
  EXPECT_EQ(Receive(trusted), MllpFrame("ACK 5 from 127.0.0.9"));
  const int second = Connect(server->local_address(), "127.0.0.9");
  SendAll(second, MllpFrame("MSH|2"));
  EXPECT_EQ(Receive(second), MllpFrame("ACK 5 from 127.0.0.9"));
  for (int fd : crowd) ::close(fd);
  ::close(trusted);
  ::close(second);
  server->Stop();
}

TEST(MllpServer, RefusesAReserveThatLeavesNoRoomForAnonymousConnections) {
  MllpServerOptions o;
  o.port = 0;
  o.max_connections = 4;
  o.reserved_connections = 4;
  auto s = MllpServer::Start(o, [](std::string_view, const MllpPeer&) { return std::string(); });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, base::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace heartbase::net
