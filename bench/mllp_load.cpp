// MLLP load generator for the durable-ingest comparison (shared/reference/performance.md, B2):
// sends a corpus to any MLLP server over CONNECTIONS TCP connections, one message in flight per
// connection, and checks every ACK (MSA-1 AA or CA, MSA-2 echoing the control ID sent).
// Messages are dealt round robin over the connections; message i is corpus file i mod the corpus
// size. Every message sent gets a unique MSH-10 for the run ("<original>-<nonce>-<index>"), as
// the servers de-duplicate on sender + MSH-10.
// --warmup N sends N more messages (control IDs "...-w<i>") before the clock starts; they count
// as failures if not acknowledged but not in the figures.
// Usage: mllp_load [--impl NAME] [--warmup N] [--timeout SECS] CORPUS_DIR HOST:PORT CONNECTIONS
//                  MESSAGES
// Prints one JSON line; the exit status is non-zero if any message was not acknowledged.
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr char kStartBlock = '\x0b';
constexpr char kEndBlock = '\x1c';
constexpr char kCarriageReturn = '\r';

// One corpus message, split around its MSH-10 so a fresh control ID can be put in between.
struct Template {
  std::string head;        // everything before MSH-10
  std::string control_id;  // the original MSH-10
  std::string tail;        // everything after MSH-10
};

struct Options {
  std::string impl = "unnamed";
  int timeout_seconds = 120;
  std::string corpus;
  std::string host;
  std::string port;
  std::size_t connections = 0;
  std::size_t messages = 0;
  std::size_t warmup = 0;
};

struct ConnectionResult {
  std::vector<double> latency_ms;  // one per acknowledged message
  std::size_t failures = 0;
  std::uint64_t bytes = 0;
};

void Usage() {
  std::fprintf(stderr,
               "usage: mllp_load [--impl NAME] [--warmup N] [--timeout SECS] CORPUS_DIR HOST:PORT "
               "CONNECTIONS MESSAGES\n");
}

std::optional<std::size_t> ParseCount(const char* text) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-') return std::nullopt;
  return static_cast<std::size_t>(value);
}

std::optional<Options> ParseArgs(int argc, char** argv) {
  Options o;
  std::vector<const char*> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if ((arg == "--impl" || arg == "--timeout" || arg == "--warmup") && i + 1 < argc) {
      const char* value = argv[++i];
      if (arg == "--impl") {
        o.impl = value;
      } else if (arg == "--warmup") {
        const auto count = ParseCount(value);
        if (!count) return std::nullopt;
        o.warmup = *count;
      } else {
        const auto seconds = ParseCount(value);
        if (!seconds || *seconds == 0 || *seconds > 86400) return std::nullopt;
        o.timeout_seconds = static_cast<int>(*seconds);
      }
    } else if (arg.size() > 1 && arg[0] == '-') {
      return std::nullopt;
    } else {
      positional.push_back(argv[i]);
    }
  }
  if (positional.size() != 4) return std::nullopt;
  o.corpus = positional[0];
  const std::string address = positional[1];
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return std::nullopt;
  o.host = address.substr(0, colon);
  if (o.host.size() > 2 && o.host.front() == '[' && o.host.back() == ']') {
    o.host = o.host.substr(1, o.host.size() - 2);
  }
  o.port = address.substr(colon + 1);
  const auto connections = ParseCount(positional[2]);
  const auto messages = ParseCount(positional[3]);
  if (!connections || *connections == 0 || *connections > 4096 || !messages) return std::nullopt;
  o.connections = *connections;
  o.messages = *messages;
  return o;
}

// Splits a message around MSH-10. The MSH segment's first character after "MSH" is the field
// separator and is itself MSH-1, so MSH-2 is the first separated piece and MSH-10 the ninth.
std::optional<Template> MakeTemplate(std::string text) {
  // Tolerate a file that holds one MLLP-framed message.
  if (!text.empty() && text.front() == kStartBlock) {
    const std::size_t end = text.rfind(kEndBlock);
    text = text.substr(1, end == std::string::npos ? std::string::npos : end - 1);
  }
  if (text.size() < 4 || text.compare(0, 3, "MSH") != 0) return std::nullopt;
  const char separator = text[3];
  const std::size_t segment_end = std::min(text.find_first_of("\r\n"), text.size());
  // The n-th separator of the segment precedes MSH-(n+1); the first one is text[3].
  std::size_t at = 3;
  for (int n = 2; n <= 9; ++n) {
    at = text.find(separator, at + 1);
    if (at >= segment_end) return std::nullopt;
  }
  const std::size_t id_begin = at + 1;  // text[at] is the 9th separator, before MSH-10
  const std::size_t id_end = std::min(text.find(separator, id_begin), segment_end);
  Template t;
  t.head = text.substr(0, id_begin);
  t.control_id = text.substr(id_begin, id_end - id_begin);
  t.tail = text.substr(id_end);
  return t;
}

std::optional<std::vector<Template>> LoadCorpus(const std::string& dir) {
  std::vector<fs::path> paths;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".hl7") paths.push_back(it->path());
  }
  if (ec) {
    std::fprintf(stderr, "mllp_load: %s: %s\n", dir.c_str(), ec.message().c_str());
    return std::nullopt;
  }
  std::sort(paths.begin(), paths.end());
  std::vector<Template> corpus;
  corpus.reserve(paths.size());
  for (const fs::path& path : paths) {
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto t = MakeTemplate(std::move(text));
    if (!t) {
      std::fprintf(stderr, "mllp_load: %s: no MSH segment with an MSH-10\n", path.c_str());
      return std::nullopt;
    }
    corpus.push_back(std::move(*t));
  }
  return corpus;
}

int Connect(const Options& o) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(o.host.c_str(), o.port.c_str(), &hints, &found); rc != 0) {
    std::fprintf(stderr, "mllp_load: %s: %s\n", o.host.c_str(), ::gai_strerror(rc));
    return -1;
  }
  int fd = -1;
  for (const addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) {
    std::fprintf(stderr, "mllp_load: cannot connect to %s:%s: %s\n", o.host.c_str(), o.port.c_str(),
                 std::strerror(errno));
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval timeout{};
  timeout.tv_sec = o.timeout_seconds;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  return fd;
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

// Reads one MLLP frame into *frame (without the framing bytes). False on EOF, error or timeout.
bool ReceiveFrame(int fd, std::string* buffer, std::string* frame) {
  for (;;) {
    const std::size_t end = buffer->find("\x1c\r");
    if (end != std::string::npos) {
      const std::size_t start = buffer->find(kStartBlock);
      const std::size_t from = start != std::string::npos && start < end ? start + 1 : 0;
      frame->assign(*buffer, from, end - from);
      buffer->erase(0, end + 2);
      return true;
    }
    char chunk[16384];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buffer->append(chunk, static_cast<std::size_t>(n));
  }
}

// The MSA segment of an ACK: its field separator is the ACK's own MSH-1.
bool AckAccepts(std::string_view ack, std::string_view control_id) {
  const char separator = ack.size() > 3 && ack.substr(0, 3) == "MSH" ? ack[3] : '|';
  const std::string msa = std::string("MSA") + separator;
  std::size_t at = ack.find(msa);
  while (at != std::string_view::npos && at != 0 && ack[at - 1] != '\r' && ack[at - 1] != '\n') {
    at = ack.find(msa, at + 1);
  }
  if (at == std::string_view::npos) return false;
  std::string_view segment = ack.substr(at + msa.size());
  segment = segment.substr(0, segment.find_first_of("\r\n"));
  const std::string_view code = segment.substr(0, segment.find(separator));
  if (code != "AA" && code != "CA") return false;
  const std::size_t second = segment.find(separator);
  if (second == std::string_view::npos) return false;
  std::string_view echoed = segment.substr(second + 1);
  echoed = echoed.substr(0, echoed.find(separator));
  return echoed == control_id;
}

// One connection's sending side: builds each frame in reused buffers, sends it, waits for the ACK.
class Sender {
 public:
  Sender(const std::vector<Template>& corpus, std::string nonce, std::size_t connection, int fd)
      : corpus_(corpus), nonce_(std::move(nonce)), connection_(connection), fd_(fd) {}
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;
  ~Sender() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Sends message `i` (corpus file i mod size) under control ID "<original>-<nonce>-<tag><i>".
  // Returns the round-trip time in milliseconds, or nothing when the message was not accepted.
  std::optional<double> Send(std::size_t i, const char* tag, ConnectionResult* result) {
    if (fd_ < 0) return std::nullopt;
    const Template& t = corpus_[i % corpus_.size()];
    id_ = t.control_id;
    id_ += '-';
    id_ += nonce_;
    id_ += '-';
    id_ += tag;
    id_ += std::to_string(i);
    frame_.clear();
    frame_ += kStartBlock;
    frame_ += t.head;
    frame_ += id_;
    frame_ += t.tail;
    frame_ += kEndBlock;
    frame_ += kCarriageReturn;
    const auto start = Clock::now();
    errno = 0;
    if (!SendAll(fd_, frame_) || !ReceiveFrame(fd_, &buffer_, &ack_)) {
      std::fprintf(stderr, "mllp_load: connection %zu: message %s: %s\n", connection_, id_.c_str(),
                   errno != 0 ? std::strerror(errno) : "connection closed");
      ::close(fd_);
      fd_ = -1;
      return std::nullopt;
    }
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    result->bytes += frame_.size();
    if (!AckAccepts(ack_, id_)) {
      if (result->failures < 3) {
        std::string shown = ack_.substr(0, 300);
        std::replace(shown.begin(), shown.end(), '\r', '\n');
        std::fprintf(stderr, "mllp_load: message %s not accepted:\n%s\n", id_.c_str(),
                     shown.c_str());
      }
      return std::nullopt;
    }
    return ms;
  }

 private:
  const std::vector<Template>& corpus_;
  std::string nonce_;
  std::size_t connection_;
  int fd_;
  std::string frame_;
  std::string buffer_;
  std::string ack_;
  std::string id_;
};

struct StartGate {
  std::atomic<std::size_t> warmed{0};
  std::atomic<bool> go{false};
};

void RunConnection(const Options& o, const std::vector<Template>& corpus, const std::string& nonce,
                   std::size_t index, int fd, StartGate* gate, ConnectionResult* result) {
  Sender sender(corpus, nonce, index, fd);
  for (std::size_t i = index; i < o.warmup; i += o.connections) {
    if (!sender.Send(i, "w", result)) ++result->failures;
  }
  result->bytes = 0;
  gate->warmed.fetch_add(1, std::memory_order_acq_rel);
  while (!gate->go.load(std::memory_order_acquire)) std::this_thread::yield();
  // Measured messages continue after the warm-up ones in the corpus, so that no content is sent
  // twice when the corpus holds warm-up + measured messages (attachments are content-addressed).
  for (std::size_t i = index; i < o.messages; i += o.connections) {
    if (const auto ms = sender.Send(o.warmup + i, "", result)) {
      result->latency_ms.push_back(*ms);
    } else {
      ++result->failures;
    }
  }
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank =
      static_cast<std::size_t>(std::llround(p * static_cast<double>(sorted.size() - 1)));
  return sorted[std::min(rank, sorted.size() - 1)];
}

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

int Run(int argc, char** argv) {
  const auto options = ParseArgs(argc, argv);
  if (!options) {
    Usage();
    return 2;
  }
  const Options& o = *options;
  const auto corpus = LoadCorpus(o.corpus);
  if (!corpus) return 1;
  if (corpus->empty()) {
    std::fprintf(stderr, "mllp_load: no *.hl7 files under %s\n", o.corpus.c_str());
    return 1;
  }
  // The run nonce keeps control IDs unique across runs against the same database, too.
  std::random_device entropy;
  char nonce[32];
  std::snprintf(nonce, sizeof nonce, "%08x%04x", entropy(), static_cast<unsigned>(::getpid()));

  std::vector<int> sockets;
  for (std::size_t c = 0; c < o.connections; ++c) {
    const int fd = Connect(o);
    if (fd < 0) {
      for (const int open : sockets) ::close(open);
      return 1;
    }
    sockets.push_back(fd);
  }
  StartGate gate;
  std::vector<ConnectionResult> results(o.connections);
  std::vector<std::thread> threads;
  threads.reserve(o.connections);
  for (std::size_t c = 0; c < o.connections; ++c) {
    threads.emplace_back(RunConnection, std::cref(o), std::cref(*corpus), std::string(nonce), c,
                         sockets[c], &gate, &results[c]);
  }
  // Warm-up messages (untimed) first, then every connection starts at once.
  while (gate.warmed.load(std::memory_order_acquire) < o.connections) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  const auto start = Clock::now();
  gate.go.store(true, std::memory_order_release);
  for (std::thread& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<double> latency;
  std::size_t failures = 0;
  std::uint64_t bytes = 0;
  for (const ConnectionResult& r : results) {
    latency.insert(latency.end(), r.latency_ms.begin(), r.latency_ms.end());
    failures += r.failures;
    bytes += r.bytes;
  }
  std::sort(latency.begin(), latency.end());
  const double acked = static_cast<double>(latency.size());
  std::printf(
      "{\"impl\":%s,\"connections\":%zu,\"messages\":%zu,\"warmup\":%zu,\"acked\":%zu,\"seconds\":%"
      ".3f,"
      "\"msg_per_s\":%.1f,\"mb_per_s\":%.2f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
      "\"failures\":%zu}\n",
      JsonString(o.impl).c_str(), o.connections, o.messages, o.warmup, latency.size(), seconds,
      seconds > 0 ? acked / seconds : 0.0,
      seconds > 0 ? static_cast<double>(bytes) / seconds / 1e6 : 0.0, Percentile(latency, 0.50),
      Percentile(latency, 0.99), latency.empty() ? 0.0 : latency.back(), failures);
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mllp_load: %s\n", e.what());
    return 1;
  }
}
