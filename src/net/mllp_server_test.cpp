#include "net/mllp_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "net/mllp.h"

namespace heartbase::net {
namespace {

int Connect(const std::string& address) {
  const int port = std::stoi(address.substr(address.rfind(':') + 1));
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
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

}  // namespace
}  // namespace heartbase::net
