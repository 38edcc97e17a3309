// The durable-append ceiling for bench/ingest (shared/reference/performance.md, "durable-log MLLP
// ceiling"): an MLLP server that appends each received frame to one log file, calls fdatasync,
// and only then answers "MSA|AA" echoing the message's MSH-10. Appends are serialized (one
// fdatasync per message, no group commit); one thread per connection.
// Usage: durable_log_server LOGFILE PORT   (binds 127.0.0.1; PORT 0 = any free port)
// Prints "listening mllp 127.0.0.1:PORT" once it accepts connections; stops on SIGTERM/SIGINT.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace {

constexpr char kStartBlock = '\x0b';
constexpr std::string_view kEndOfFrame = "\x1c\r";

struct Log {
  int fd = -1;
  std::mutex mutex;
  unsigned long long appended = 0;
};

// Field n (n >= 3) of the MSH segment at the start of `message`, or "" when absent. MSH-1 is the
// separator itself, so MSH-n follows the (n-1)-th separator.
std::string_view MshField(std::string_view message, int n) {
  if (message.size() < 4 || message.substr(0, 3) != "MSH") return {};
  const char separator = message[3];
  message = message.substr(0, message.find_first_of("\r\n"));
  std::size_t at = 3;
  for (int k = 2; k < n; ++k) {
    at = message.find(separator, at + 1);
    if (at == std::string_view::npos) return {};
  }
  const std::size_t begin = at + 1;
  const std::size_t end = message.find(separator, begin);
  return message.substr(begin, end == std::string_view::npos ? end : end - begin);
}

std::string BuildAck(std::string_view message, unsigned long long sequence) {
  const bool has_msh = message.size() >= 8 && message.substr(0, 3) == "MSH";
  const char sep = has_msh ? message[3] : '|';
  const std::string_view encoding = has_msh ? message.substr(4, 4) : "^~\\&";
  char timestamp[32];
  const std::time_t now = std::time(nullptr);
  tm utc{};
  ::gmtime_r(&now, &utc);
  std::strftime(timestamp, sizeof timestamp, "%Y%m%d%H%M%S+0000", &utc);
  std::string ack;
  ack += kStartBlock;
  ack += "MSH";
  ack += sep;
  ack += encoding.substr(0, encoding.find(sep));
  for (const std::string_view field :
       {std::string_view("DLOG"), std::string_view("BENCH"), MshField(message, 3),
        MshField(message, 4), std::string_view(timestamp), std::string_view(),
        std::string_view("ACK")}) {
    ack += sep;
    ack += field;
  }
  ack += sep;
  ack += "DLOG" + std::to_string(sequence);
  ack += sep;
  ack += "P";
  ack += sep;
  ack += "2.6\rMSA";
  ack += sep;
  ack += "AA";
  ack += sep;
  ack += MshField(message, 10);
  ack += '\r';
  ack += kEndOfFrame;
  return ack;
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void Serve(int client, Log* log) {
  std::string buffer;
  std::size_t scanned = 0;  // bytes of `buffer` known to hold no complete end-of-frame
  char chunk[65536];
  for (;;) {
    const std::size_t end = buffer.find(kEndOfFrame, scanned);
    if (end == std::string::npos) {
      scanned = buffer.empty() ? 0 : buffer.size() - 1;
      const ssize_t n = ::recv(client, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      buffer.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    const std::string_view framed(buffer.data(), end + kEndOfFrame.size());
    const std::size_t start = framed.find(kStartBlock);
    const std::string_view message = start == std::string_view::npos
                                         ? framed.substr(0, end)
                                         : framed.substr(start + 1, end - start - 1);
    unsigned long long sequence = 0;
    {
      const std::lock_guard<std::mutex> lock(log->mutex);
      if (!WriteAll(log->fd, framed) || ::fdatasync(log->fd) != 0) {
        std::perror("durable_log_server: append");
        std::_Exit(1);
      }
      sequence = ++log->appended;
    }
    const std::string ack = BuildAck(message, sequence);
    buffer.erase(0, framed.size());
    scanned = 0;
    if (!SendAll(client, ack)) break;
  }
  ::close(client);
}

void Accept(int listener, Log* log) {
  for (;;) {
    const int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      std::perror("durable_log_server: accept");
      std::_Exit(1);
    }
    const int one = 1;
    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::thread(Serve, client, log).detach();
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: durable_log_server LOGFILE PORT\n");
    return 2;
  }
  char* end = nullptr;
  const long port = std::strtol(argv[2], &end, 10);
  if (end == argv[2] || *end != '\0' || port < 0 || port > 65535) {
    std::fprintf(stderr, "durable_log_server: invalid port '%s'\n", argv[2]);
    return 2;
  }
  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  static Log log;
  log.fd = ::open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log.fd < 0) {
    std::fprintf(stderr, "durable_log_server: %s: %s\n", argv[1], std::strerror(errno));
    return 1;
  }
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener, 128) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    std::fprintf(stderr, "durable_log_server: listen: %s\n", std::strerror(errno));
    return 1;
  }
  std::printf("listening mllp 127.0.0.1:%u\n", static_cast<unsigned>(ntohs(address.sin_port)));
  std::fflush(stdout);
  std::thread(Accept, listener, &log).detach();
  int received = 0;
  sigwait(&signals, &received);
  const std::lock_guard<std::mutex> lock(log.mutex);
  std::fprintf(stderr, "durable_log_server: stopping (signal %d) after %llu messages\n", received,
               log.appended);
  std::_Exit(0);
}
