// Ingest benchmark: durable ingest of a corpus (one commit per message, ACK after commit) through
// the MLLP listener from one connection, against the machine's durable-append ceiling (the same
// bytes appended to a file with one fdatasync per message) measured in the same run.
// Usage: ingest_bench CORPUS_DIR [MESSAGES]   → JSON lines and the ratio.
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "crypto/key_ring.h"
#include "ingest/pipeline.h"
#include "net/mllp.h"
#include "net/mllp_server.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_database.h"

namespace {

namespace fs = std::filesystem;
using namespace heartbase;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ingest_bench CORPUS_DIR [MESSAGES]\n");
    return 2;
  }
  std::vector<fs::path> paths;
  for (const auto& e : fs::recursive_directory_iterator(argv[1])) {
    if (e.path().extension() == ".hl7") paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  const std::size_t limit = argc > 2 ? std::stoul(argv[2]) : paths.size();
  std::vector<std::string> messages;
  for (std::size_t i = 0; i < paths.size() && i < limit; ++i) {
    std::ifstream in(paths[i], std::ios::binary);
    messages.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const fs::path work = fs::temp_directory_path() / fmt::format("hb-ingest-bench-{}", ::getpid());
  fs::remove_all(work);
  fs::create_directories(work);

  // 1. The ceiling: append + fdatasync per message.
  {
    const int fd = ::open((work / "append.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    const auto t0 = Clock::now();
    for (const auto& m : messages) {
      if (::write(fd, m.data(), m.size()) != static_cast<ssize_t>(m.size()) ||
          ::fdatasync(fd) != 0) {
        std::perror("append");
        return 1;
      }
    }
    const double s = Seconds(t0, Clock::now());
    ::close(fd);
    std::printf("{\"impl\":\"durable-append\",\"messages\":%zu,\"msg_per_s\":%.1f}\n",
                messages.size(), static_cast<double>(messages.size()) / s);
  }

  // 2. heartbase: MLLP over loopback, one connection, ACK after commit.
  auto db = store::OpenSqlite({.path = (work / "heartbase.db").string(), .create = true});
  if (!db || !store::Migrate(**db, store::SqliteMigrations(), false)) return 1;
  auto keys = crypto::KeyRing::Generate();
  ingest::Pipeline pipeline(**db, *keys);
  net::MllpServerOptions options;
  options.port = 0;
  auto server = net::MllpServer::Start(options, [&](std::string_view frame, const net::MllpPeer&) {
    auto out = pipeline.Ingest(frame, "bench");
    return out ? out->ack : pipeline.NegativeAck(frame, out.error());
  });
  if (!server) return 1;
  const std::string address = (*server)->local_address();
  const int port = std::stoi(address.substr(address.rfind(':') + 1));
  const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(sock, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return 1;
  std::vector<double> latency;
  std::size_t accepted = 0;
  const auto t0 = Clock::now();
  std::string reply;
  char buf[65536];
  for (const auto& m : messages) {
    const std::string frame = net::MllpFrame(m);
    const auto s0 = Clock::now();
    if (::send(sock, frame.data(), frame.size(), 0) != static_cast<ssize_t>(frame.size())) return 1;
    reply.clear();
    while (reply.size() < 2 || reply.substr(reply.size() - 2) != "\x1c\r") {
      const ssize_t n = ::recv(sock, buf, sizeof buf, 0);
      if (n <= 0) return 1;
      reply.append(buf, static_cast<std::size_t>(n));
    }
    latency.push_back(Seconds(s0, Clock::now()) * 1000);
    accepted +=
        reply.find("MSA|AA|") != std::string::npos || reply.find("MSA|CA|") != std::string::npos;
  }
  const double s = Seconds(t0, Clock::now());
  ::close(sock);
  (*server)->Stop();
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "{\"impl\":\"heartbase-mllp-1conn\",\"messages\":%zu,\"accepted\":%zu,"
      "\"msg_per_s\":%.1f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"peak_rss_mb\":%.1f}\n",
      messages.size(), accepted, static_cast<double>(messages.size()) / s, Percentile(latency, 0.5),
      Percentile(latency, 0.99), static_cast<double>(usage.ru_maxrss) / 1024.0);
  fs::remove_all(work);
  return accepted == messages.size() ? 0 : 1;
}
