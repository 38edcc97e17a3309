// HTTP/1.1 keep-alive load generator for the API benchmark (bench/api; shared/reference/
// performance.md B3a/B3c): CONNECTIONS plain-TCP connections to HOST:PORT, one request in flight
// on each, driven by one thread with epoll (like wrk -t1), so that the client takes as little of
// the machine's two cores as it can and the same for every server it loads.
//
// TARGETS_FILE holds one request target per line ("/api/v1/patients/17/trends?code=…"). Each
// connection walks the file from its own starting line (connection i starts at line i·N/C) and
// wraps around. Every response must be complete and well-formed (Content-Length or chunked);
// status 200 is a success, anything else (and a body without the --expect text) a failure.
// A connection the server closes is reopened and counted.
//
// Usage: http_load [--impl NAME] [--header 'Name: value']... [--warmup SECONDS]
//                  [--expect TEXT] [--timeout SECONDS] HOST:PORT CONNECTIONS SECONDS|REQUESTS
//                  TARGETS_FILE
//   SECONDS|REQUESTS  "10s" runs for ten seconds (requests started before the end are waited
//                     for and counted); "5000" sends 5,000 requests.
//   --warmup S        send for S seconds first, uncounted (default 0).
// Prints one JSON line: req_per_s, p50/p90/p99/max latency in ms, failures, statuses. The exit
// status is 1 if any request failed.
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxHeadBytes = 64 << 10;
constexpr std::size_t kMaxBodyBytes = 64 << 20;

struct Options {
  std::string impl = "unnamed";
  std::string host, port;
  std::size_t connections = 0;
  double seconds = 0;        // duration mode when > 0
  std::size_t requests = 0;  // count mode when seconds == 0
  std::string targets_file;
  std::vector<std::string> headers;
  double warmup_seconds = 0;
  std::string expect;
  int timeout_seconds = 30;
};

void Usage() {
  std::fprintf(stderr,
               "usage: http_load [--impl NAME] [--header 'Name: value']... [--warmup SECONDS] "
               "[--expect TEXT] [--timeout SECONDS] HOST:PORT CONNECTIONS SECONDS|REQUESTS "
               "TARGETS_FILE\n");
}

std::optional<double> ParseDouble(const char* text) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !(v >= 0) || v > 1e6) return std::nullopt;
  return v;
}

std::optional<std::size_t> ParseCount(std::string_view text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  std::size_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  return v;
}

std::optional<Options> ParseArgs(int argc, char** argv) {
  Options o;
  std::vector<const char*> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--impl" && has_value) {
      o.impl = argv[++i];
    } else if (arg == "--header" && has_value) {
      const std::string_view h = argv[++i];
      if (h.find(':') == std::string_view::npos || h.find_first_of("\r\n") != std::string::npos) {
        return std::nullopt;
      }
      o.headers.emplace_back(h);
    } else if (arg == "--warmup" && has_value) {
      const auto v = ParseDouble(argv[++i]);
      if (!v) return std::nullopt;
      o.warmup_seconds = *v;
    } else if (arg == "--expect" && has_value) {
      o.expect = argv[++i];
    } else if (arg == "--timeout" && has_value) {
      const auto v = ParseCount(argv[++i]);
      if (!v || *v == 0 || *v > 3600) return std::nullopt;
      o.timeout_seconds = static_cast<int>(*v);
    } else if (arg.size() > 1 && arg[0] == '-') {
      return std::nullopt;
    } else {
      positional.push_back(argv[i]);
    }
  }
  if (positional.size() != 4) return std::nullopt;
  const std::string address = positional[0];
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return std::nullopt;
  o.host = address.substr(0, colon);
  o.port = address.substr(colon + 1);
  const auto connections = ParseCount(positional[1]);
  if (!connections || *connections == 0 || *connections > 4096) return std::nullopt;
  o.connections = *connections;
  std::string_view amount = positional[2];
  if (!amount.empty() && amount.back() == 's') {
    const auto v = ParseDouble(std::string(amount.substr(0, amount.size() - 1)).c_str());
    if (!v || *v <= 0) return std::nullopt;
    o.seconds = *v;
  } else {
    const auto v = ParseCount(amount);
    if (!v || *v == 0) return std::nullopt;
    o.requests = *v;
  }
  o.targets_file = positional[3];
  return o;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (std::tolower(x) != std::tolower(y)) return false;
  }
  return true;
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (EqualsIgnoreCase(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct Response {
  std::size_t consumed = 0;  // bytes of the buffer this response took
  int status = 0;
  std::string body;
  bool close = false;  // the server ends the connection after it
};

enum class ParseState : std::uint8_t { kIncomplete, kComplete, kMalformed };

// Parses one response from the start of `in`.
ParseState ParseResponse(std::string_view in, Response* r) {
  const std::size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    return in.size() > kMaxHeadBytes ? ParseState::kMalformed : ParseState::kIncomplete;
  }
  const std::string_view head = in.substr(0, head_end);
  if (head.size() < 12 || head.substr(0, 7) != "HTTP/1.") return ParseState::kMalformed;
  const bool http10 = head[7] == '0';
  const std::string_view code = head.substr(9, 3);
  r->status = 0;
  for (const char c : code) {
    if (c < '0' || c > '9') return ParseState::kMalformed;
    r->status = r->status * 10 + (c - '0');
  }
  std::optional<std::size_t> length;
  bool chunked = false;
  r->close = http10;
  std::size_t at = head.find("\r\n");
  while (at != std::string_view::npos && at < head.size()) {
    const std::size_t line_start = at + 2;
    std::size_t line_end = head.find("\r\n", line_start);
    if (line_end == std::string_view::npos) line_end = head.size();
    const std::string_view line = head.substr(line_start, line_end - line_start);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      const std::string_view name = Trim(line.substr(0, colon));
      const std::string_view value = Trim(line.substr(colon + 1));
      if (EqualsIgnoreCase(name, "content-length")) {
        length = ParseCount(value);
        if (!length || *length > kMaxBodyBytes) return ParseState::kMalformed;
      } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
        chunked = ContainsIgnoreCase(value, "chunked");
      } else if (EqualsIgnoreCase(name, "connection")) {
        if (ContainsIgnoreCase(value, "close")) r->close = true;
        if (ContainsIgnoreCase(value, "keep-alive")) r->close = false;
      }
    }
    at = line_end;
  }
  std::size_t pos = head_end + 4;
  if (chunked) {
    r->body.clear();
    for (;;) {
      const std::size_t line_end = in.find("\r\n", pos);
      if (line_end == std::string_view::npos) return ParseState::kIncomplete;
      std::size_t size = 0;
      std::size_t i = pos;
      for (; i < line_end; ++i) {
        const char c = in[i];
        int digit = -1;
        if (c >= '0' && c <= '9') digit = c - '0';
        if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        if (digit < 0) break;
        size = size * 16 + static_cast<std::size_t>(digit);
        if (size > kMaxBodyBytes) return ParseState::kMalformed;
      }
      if (i == pos) return ParseState::kMalformed;
      pos = line_end + 2;
      if (size == 0) {
        // Trailer fields (normally none), then the empty line.
        for (;;) {
          const std::size_t end = in.find("\r\n", pos);
          if (end == std::string_view::npos) return ParseState::kIncomplete;
          const bool empty = end == pos;
          pos = end + 2;
          if (empty) break;
        }
        break;
      }
      if (in.size() < pos + size + 2) return ParseState::kIncomplete;
      r->body.append(in.substr(pos, size));
      pos += size + 2;
    }
  } else if (length) {
    if (in.size() < pos + *length) return ParseState::kIncomplete;
    r->body.assign(in.substr(pos, *length));
    pos += *length;
  } else if (r->status == 204 || r->status == 304 || (r->status >= 100 && r->status < 200)) {
    r->body.clear();
  } else {
    return ParseState::kMalformed;  // a body delimited by the end of the connection
  }
  r->consumed = pos;
  return ParseState::kComplete;
}

int Connect(const Options& o) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(o.host.c_str(), o.port.c_str(), &hints, &found); rc != 0) {
    std::fprintf(stderr, "http_load: %s: %s\n", o.host.c_str(), ::gai_strerror(rc));
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
    std::fprintf(stderr, "http_load: cannot connect to %s:%s: %s\n", o.host.c_str(), o.port.c_str(),
                 std::strerror(errno));
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

struct Connection {
  int fd = -1;
  std::size_t cursor = 0;  // next line of the targets file
  const std::string* request = nullptr;
  std::size_t sent = 0;
  std::string in;
  Clock::time_point started;
  bool busy = false;
  bool counted = false;  // started inside the measured phase
};

struct Stats {
  std::vector<double> latency_ms;  // successful requests
  std::size_t failures = 0;
  std::size_t reconnects = 0;
  std::uint64_t body_bytes = 0;
  std::map<int, std::size_t> statuses;  // 0 = no valid response
};

class Load {
 public:
  Load(const Options& o, std::vector<std::string> requests)
      : o_(o), requests_(std::move(requests)), conns_(o.connections) {}

  bool Run() {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) return false;
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      conns_[i].cursor = i * requests_.size() / conns_.size();
      if (!Open(i)) return false;
    }
    const auto now = Clock::now();
    measure_start_ = now + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(o_.warmup_seconds));
    measure_end_ = measure_start_ + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(o_.seconds));
    for (std::size_t i = 0; i < conns_.size(); ++i) Issue(i);
    std::vector<epoll_event> events(conns_.size());
    for (;;) {
      bool any_busy = false;
      for (const Connection& c : conns_) any_busy = any_busy || c.busy;
      if (!any_busy) break;
      const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 100);
      if (n < 0 && errno != EINTR) return false;
      for (int e = 0; e < n; ++e) {
        const std::size_t i = events[static_cast<std::size_t>(e)].data.u64;
        const std::uint32_t what = events[static_cast<std::size_t>(e)].events;
        if (what & EPOLLOUT) Flush(i);
        if (what & (EPOLLIN | EPOLLERR | EPOLLHUP)) Receive(i);
      }
      const auto t = Clock::now();
      for (std::size_t i = 0; i < conns_.size(); ++i) {
        if (conns_[i].busy && t - conns_[i].started > std::chrono::seconds(o_.timeout_seconds)) {
          Fail(i, 0, "timed out");
        }
      }
    }
    end_ = Clock::now();
    for (Connection& c : conns_) {
      if (c.fd >= 0) ::close(c.fd);
    }
    ::close(epoll_);
    return true;
  }

  const Stats& stats() const { return stats_; }
  // From the first counted request to the end of the last one.
  double measured_seconds() const {
    if (!started_measuring_) return 0;
    return std::chrono::duration<double>(end_ - actual_start_).count();
  }

 private:
  bool Open(std::size_t i) {
    Connection& c = conns_[i];
    c.fd = Connect(o_);
    if (c.fd < 0) return false;
    c.in.clear();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    return ::epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev) == 0;
  }

  void Reopen(std::size_t i) {
    Connection& c = conns_[i];
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
    ++stats_.reconnects;
    if (!Open(i)) stopped_ = true;
  }

  bool MayStart(Clock::time_point now) {
    if (stopped_) return false;
    if (now < measure_start_) return true;
    if (!started_measuring_) {
      started_measuring_ = true;
      actual_start_ = now;
    }
    if (o_.seconds > 0) return now < measure_end_;
    return issued_ < o_.requests;
  }

  void Issue(std::size_t i) {
    Connection& c = conns_[i];
    const auto now = Clock::now();
    if (c.fd < 0 || !MayStart(now)) {
      c.busy = false;
      return;
    }
    c.counted = now >= measure_start_;
    if (c.counted) ++issued_;
    c.request = &requests_[c.cursor];
    c.cursor = (c.cursor + 1) % requests_.size();
    c.sent = 0;
    c.busy = true;
    c.started = now;
    Flush(i);
  }

  void Flush(std::size_t i) {
    Connection& c = conns_[i];
    if (!c.busy || c.request == nullptr) return;
    while (c.sent < c.request->size()) {
      const ssize_t n =
          ::send(c.fd, c.request->data() + c.sent, c.request->size() - c.sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        Watch(i, EPOLLIN | EPOLLOUT);
        return;
      }
      if (n <= 0) {
        Fail(i, 0, std::strerror(errno));
        return;
      }
      c.sent += static_cast<std::size_t>(n);
    }
    Watch(i, EPOLLIN);
  }

  void Watch(std::size_t i, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = i;
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, conns_[i].fd, &ev);
  }

  void Receive(std::size_t i) {
    Connection& c = conns_[i];
    char chunk[65536];
    bool eof = false;
    for (;;) {
      const ssize_t n = ::recv(c.fd, chunk, sizeof chunk, 0);
      if (n > 0) {
        c.in.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      eof = true;
      break;
    }
    if (!c.busy) {
      // Nothing asked: the server closed an idle connection (or sent something unasked).
      if (eof) {
        ::epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
        c.fd = -1;
      }
      return;
    }
    Response r;
    const ParseState state = ParseResponse(c.in, &r);
    if (state == ParseState::kMalformed) {
      Fail(i, 0, "malformed response");
      return;
    }
    if (state == ParseState::kIncomplete) {
      if (eof) Fail(i, 0, "connection closed before a complete response");
      return;
    }
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - c.started).count();
    c.in.erase(0, r.consumed);
    const bool ok =
        r.status == 200 && (o_.expect.empty() || r.body.find(o_.expect) != std::string::npos);
    if (c.counted) {
      ++stats_.statuses[r.status];
      if (ok) {
        stats_.latency_ms.push_back(ms);
        stats_.body_bytes += r.body.size();
      } else {
        ++stats_.failures;
        Report(r.status, r.status == 200 ? "body without the --expect text" : r.body);
      }
    }
    c.busy = false;
    if (r.close || eof) Reopen(i);
    Issue(i);
  }

  void Fail(std::size_t i, int status, std::string_view why) {
    Connection& c = conns_[i];
    if (c.counted) {
      ++stats_.failures;
      ++stats_.statuses[status];
    }
    Report(status, why);
    c.busy = false;
    Reopen(i);
    Issue(i);
  }

  void Report(int status, std::string_view what) {
    if (reported_ >= 3) return;
    ++reported_;
    std::fprintf(stderr, "http_load: %s: status %d: %.*s\n", o_.impl.c_str(), status,
                 static_cast<int>(std::min<std::size_t>(what.size(), 300)), what.data());
  }

  const Options& o_;
  std::vector<std::string> requests_;
  std::vector<Connection> conns_;
  int epoll_ = -1;
  Clock::time_point measure_start_, measure_end_, actual_start_, end_;
  bool started_measuring_ = false;
  bool stopped_ = false;
  std::size_t issued_ = 0;
  int reported_ = 0;
  Stats stats_;
};

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
  std::ifstream file(o.targets_file);
  if (!file) {
    std::fprintf(stderr, "http_load: cannot read %s\n", o.targets_file.c_str());
    return 1;
  }
  std::string head_fields = "Host: " + o.host + ":" + o.port + "\r\n";
  for (const std::string& h : o.headers) head_fields += h + "\r\n";
  head_fields += "\r\n";
  std::vector<std::string> requests;
  for (std::string line; std::getline(file, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line.front() != '/' || line.find_first_of(" \t") != std::string::npos) {
      std::fprintf(stderr, "http_load: %s: not a request target: %s\n", o.targets_file.c_str(),
                   line.c_str());
      return 1;
    }
    std::string request = "GET ";
    request += line;
    request += " HTTP/1.1\r\n";
    request += head_fields;
    requests.push_back(std::move(request));
  }
  if (requests.empty()) {
    std::fprintf(stderr, "http_load: no targets in %s\n", o.targets_file.c_str());
    return 1;
  }
  Load load(o, std::move(requests));
  if (!load.Run()) {
    std::fprintf(stderr, "http_load: %s\n", std::strerror(errno));
    return 1;
  }
  Stats stats = load.stats();
  std::sort(stats.latency_ms.begin(), stats.latency_ms.end());
  const double seconds = load.measured_seconds();
  const double ok = static_cast<double>(stats.latency_ms.size());
  std::string statuses = "{";
  for (const auto& [status, count] : stats.statuses) {
    if (statuses.size() > 1) statuses += ',';
    statuses += "\"" + std::to_string(status) + "\":" + std::to_string(count);
  }
  statuses += "}";
  std::printf(
      "{\"impl\":%s,\"connections\":%zu,\"requests\":%zu,\"ok\":%zu,\"failures\":%zu,"
      "\"seconds\":%.3f,\"req_per_s\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,"
      "\"max_ms\":%.3f,\"mean_body_bytes\":%.0f,\"reconnects\":%zu,\"statuses\":%s}\n",
      JsonString(o.impl).c_str(), o.connections, stats.latency_ms.size() + stats.failures,
      stats.latency_ms.size(), stats.failures, seconds, seconds > 0 ? ok / seconds : 0.0,
      Percentile(stats.latency_ms, 0.50), Percentile(stats.latency_ms, 0.90),
      Percentile(stats.latency_ms, 0.99), stats.latency_ms.empty() ? 0.0 : stats.latency_ms.back(),
      ok > 0 ? static_cast<double>(stats.body_bytes) / ok : 0.0, stats.reconnects,
      statuses.c_str());
  return stats.failures == 0 && ok > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "http_load: %s\n", e.what());
    return 1;
  }
}
