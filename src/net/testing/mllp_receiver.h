// MllpReceiver: a plaintext MLLP receiver on 127.0.0.1 for tests and benchmarks of the sending
// side (net::MllpClient, ehr::ResultDelivery). It reads frames on any number of connections and
// answers each as `answer` says: an ACK naming the frame's MSH-10, or another one, or half an ACK
// before it hangs up. Header-only: the tests and the benchmarks link nothing more.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace heartbase::net::testing {

// What the receiver does with the n-th frame (0-based, over all connections).
struct MllpAnswer {
  std::string code = "AA";      // MSA-1
  std::string text;             // MSA-3 (already escaped)
  bool other_control = false;   // MSA-2 names another message
  bool hang_up_midway = false;  // write half of the ACK, then close
};

class MllpReceiver {
 public:
  using Script = std::function<MllpAnswer(std::size_t n)>;

  // Every frame answered AA.
  MllpReceiver() : MllpReceiver([](std::size_t) { return MllpAnswer{}; }) {}
  explicit MllpReceiver(Script script) : script_(std::move(script)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t n = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(fd_, 8) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &n) != 0) {
      throw std::runtime_error("MllpReceiver: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(a.sin_port);
    accept_ = std::thread([this] { Accept(); });
  }
  ~MllpReceiver() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    accept_.join();
    for (auto& t : connections_) t.join();
  }
  MllpReceiver(const MllpReceiver&) = delete;
  MllpReceiver& operator=(const MllpReceiver&) = delete;

  std::uint16_t port() const { return port_; }
  std::int64_t frames() const { return frames_.load(); }
  // The MSH-10 of every frame received, in order.
  std::vector<std::string> controls() const {
    std::lock_guard<std::mutex> g(mutex_);
    return controls_;
  }

  // MSH-10 of a frame (its first segment's tenth field).
  static std::string ControlOf(std::string_view frame) {
    std::string_view msh = frame.substr(0, frame.find('\r'));
    std::string_view field;
    for (int i = 0; i < 10 && !msh.empty(); ++i) {
      const std::size_t bar = std::min(msh.find('|'), msh.size());
      field = msh.substr(0, bar);
      msh.remove_prefix(std::min(bar + 1, msh.size()));
    }
    return std::string(field);
  }

 private:
  void Accept() {
    for (;;) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      connections_.emplace_back([this, c] { Serve(c); });
    }
  }
  void Serve(int c) {
    std::string buffer;
    std::vector<char> chunk(65536);
    bool open = true;
    while (open) {
      const ssize_t n = ::read(c, chunk.data(), chunk.size());
      if (n <= 0) break;
      buffer.append(chunk.data(), static_cast<std::size_t>(n));
      for (std::size_t end; open && (end = buffer.find("\x1c\r")) != std::string::npos;) {
        const std::string control = ControlOf(std::string_view(buffer).substr(1, end - 1));
        buffer.erase(0, end + 2);
        MllpAnswer answer;
        {
          std::lock_guard<std::mutex> g(mutex_);
          answer = script_(controls_.size());
          controls_.push_back(control);
        }
        const std::string ack = "\x0bMSH|^~\\&|EHR|HOSP|HEARTBASE||20261207||ACK^R01^ACK|A" +
                                control + "|P|2.5.1\rMSA|" + answer.code + "|" +
                                (answer.other_control ? "SOMETHING-ELSE" : control) + "|" +
                                answer.text + "\r\x1c\r";
        const std::size_t length = answer.hang_up_midway ? ack.size() / 2 : ack.size();
        open = !answer.hang_up_midway &&
               ::write(c, ack.data(), length) == static_cast<ssize_t>(length);
        if (answer.hang_up_midway) (void)::write(c, ack.data(), length);
        ++frames_;
      }
    }
    ::close(c);
  }

  const Script script_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<std::int64_t> frames_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> controls_;
  std::thread accept_;
  std::vector<std::thread> connections_;
};

}  // namespace heartbase::net::testing
