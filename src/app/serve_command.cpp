// `heartbase serve`: the server process. For now the MLLP ingest listener; HTTPS comes with the
// API. Prints each bound address ("listening mllp 127.0.0.1:40123") once it accepts connections,
// and stops cleanly on SIGINT or SIGTERM.
#include <fmt/format.h>
#include <signal.h>

#include <cstdio>

#include "app/commands.h"
#include "app/data_dir.h"
#include "ingest/pipeline.h"
#include "net/mllp_server.h"

namespace heartbase::app {
namespace {

base::Status ParseHostPort(const std::string& text, std::string* host, std::uint16_t* port) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return base::MakeError(base::ErrorCode::kInvalidArgument,
                           fmt::format("expected HOST:PORT, got '{}'", text));
  }
  *host = text.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  const std::string p = text.substr(colon + 1);
  unsigned long value = 0;
  try {
    std::size_t used = 0;
    value = std::stoul(p, &used);
    if (used != p.size() || value > 65535) throw std::out_of_range("port");
  } catch (const std::exception&) {
    return base::MakeError(base::ErrorCode::kInvalidArgument,
                           fmt::format("invalid port in '{}'", text));
  }
  *port = static_cast<std::uint16_t>(value);
  return {};
}

}  // namespace

int RunServe(const ServeCommand& command) {
  // Block the stop signals in every thread; this thread waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  DataDirOptions o{.root = command.data, .key_file = command.key_file,
                   .allow_upgrade = command.upgrade};
  auto opened = OpenDataDir(o);
  if (!opened) {
    std::fprintf(stderr, "heartbase: serve: %s\n", opened.error().Describe().c_str());
    return 1;
  }
  ingest::Pipeline pipeline(*opened->db, *opened->keys);
  net::MllpServerOptions mllp;
  if (auto s = ParseHostPort(command.mllp_listen, &mllp.host, &mllp.port); !s) {
    std::fprintf(stderr, "heartbase: serve: --mllp-listen: %s\n", s.error().Describe().c_str());
    return 1;
  }
  auto server = net::MllpServer::Start(mllp, [&](std::string_view frame, std::string_view peer) {
    auto out = pipeline.Ingest(frame, fmt::format("mllp {}", peer));
    if (!out) {
      // Nothing stored: no patient data in this line, only the reason.
      std::fprintf(stderr, "heartbase: ingest failed, sender told to retry: %s\n",
                   out.error().Describe().c_str());
      return pipeline.NegativeAck(frame, out.error());
    }
    return out->ack;
  });
  if (!server) {
    std::fprintf(stderr, "heartbase: serve: %s\n", server.error().Describe().c_str());
    return 1;
  }
  std::printf("listening mllp %s\n", (*server)->local_address().c_str());
  std::fflush(stdout);
  int received = 0;
  sigwait(&signals, &received);
  std::fprintf(stderr, "heartbase: stopping (signal %d)\n", received);
  (*server)->Stop();
  return 0;
}

}  // namespace heartbase::app
