// Operational log lines, written whole with one fwrite under a lock.
#include "base/log.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <mutex>

#include "base/time.h"

namespace heartbase::base::log {
namespace {

std::mutex g_mu;
std::FILE* g_sink = nullptr;  // nullptr = stderr
std::atomic<Level> g_level{Level::kInfo};

std::string_view LevelName(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

bool Bare(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '/' || c == '@' || c == '|' || c == '+' || c == '-';
}

}  // namespace

Field::Field(std::string_view k, std::int64_t v) : key(k), value(fmt::format("{}", v)) {}
Field::Field(std::string_view k, std::uint64_t v) : key(k), value(fmt::format("{}", v)) {}
Field::Field(std::string_view k, double v) : key(k), value(fmt::format("{:.3f}", v)) {}
Field::Field(std::string_view k, const base::Error& e)
    : key(k), value(fmt::format("{}: {}", ErrorCodeName(e.code), e.Describe())) {}

std::string Escape(std::string_view value) {
  bool bare = !value.empty();
  for (char c : value) bare = bare && Bare(c);
  if (bare) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

void SetSink(std::FILE* sink) {
  std::lock_guard lock(g_mu);
  g_sink = sink;
}

void SetLevel(Level level) { g_level.store(level); }

void Write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (level < g_level.load()) return;
  const std::int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  std::string line = fmt::format("{} {} {}", IsoUtcMillis(now), LevelName(level), Escape(event));
  for (const Field& f : fields) {
    line += ' ';
    line += Escape(f.key);
    line += '=';
    line += Escape(f.value);
  }
  line += '\n';
  std::lock_guard lock(g_mu);
  std::FILE* sink = g_sink != nullptr ? g_sink : stderr;
  std::fwrite(line.data(), 1, line.size(), sink);
  std::fflush(sink);
}

}  // namespace heartbase::base::log
