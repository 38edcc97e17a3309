// Parser benchmark: the `extract` task of shared/reference/performance.md on a directory of
// messages — parse, then read MSH-10, PID-3.1 and every OBX's OBX-3.1, OBX-4, OBX-5, OBX-6.1 and
// OBX-14 — timed over rounds (median), with heap allocations counted per message. Also times
// memcpy over the same bytes (the physical ceiling) and the full IDCO mapping.
// Usage: parser_bench CORPUS_DIR [ROUNDS [MODE]]   → one JSON line per mode on stdout
// (MODE limits the run to one mode, e.g. for callgrind instruction counts).
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <new>
#include <string>
#include <vector>

#include "hl7/escape.h"
#include "hl7/message.h"
#include "idco/mapper.h"

namespace {

std::atomic<std::uint64_t> g_allocations{0};

}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using namespace heartbase;
using Clock = std::chrono::steady_clock;

struct Checksum {
  std::uint64_t sum = 0;
  std::uint64_t obx = 0;
};

// The extract task on one parsed message. Values are unescaped on demand (zero-copy when they
// hold no escape sequence), as a consumer would read them.
void Extract(const hl7::Message& m, std::string* scratch, Checksum* c) {
  const hl7::Delimiters& d = m.delimiters();
  c->sum += hl7::Unescape(m.segment(0).Field(10), d, scratch).size();
  for (std::size_t i = 1; i < m.segment_count(); ++i) {
    const hl7::Segment s = m.segment(i);
    const std::string_view id = s.id();
    if (id == "PID") {
      c->sum += hl7::Unescape(s.Component(3, 1), d, scratch).size();
    } else if (id == "OBX") {
      ++c->obx;
      c->sum += hl7::Unescape(s.Component(3, 1), d, scratch).size() +
                hl7::Unescape(s.Field(4), d, scratch).size() +
                hl7::Unescape(s.Field(5), d, scratch).size() +
                hl7::Unescape(s.Component(6, 1), d, scratch).size() +
                hl7::Unescape(s.Component(14, 1), d, scratch).size();
    }
  }
}

template <typename Fn>
double MedianSeconds(int rounds, Fn&& fn) {
  fn();  // warm-up
  std::vector<double> t;
  for (int r = 0; r < rounds; ++r) {
    const auto t0 = Clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: parser_bench CORPUS_DIR [ROUNDS]\n");
    return 2;
  }
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  const std::string only = argc > 3 ? argv[3] : "";
  auto enabled = [&](const char* mode) { return only.empty() || only == mode; };
  std::vector<std::string> files;
  std::vector<std::filesystem::path> paths;
  for (const auto& e : std::filesystem::directory_iterator(argv[1])) {
    if (e.path().extension() == ".hl7") paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  std::uint64_t bytes = 0;
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    files.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    bytes += files.back().size();
  }
  if (files.empty()) {
    std::fprintf(stderr, "parser_bench: no .hl7 files in %s\n", argv[1]);
    return 2;
  }
  const double n = static_cast<double>(files.size());
  auto report = [&](const char* mode, double seconds, std::uint64_t allocs, const Checksum& c) {
    std::printf(
        "%s\n",
        fmt::format(R"({{"impl":"heartbase","mode":"{}","messages":{},"bytes":{},)"
                    R"("obx":{},"checksum":{},"msg_per_s":{:.1f},"mb_per_s":{:.1f},)"
                    R"("allocs_per_msg":{:.3f}}})",
                    mode, files.size(), bytes, c.obx, c.sum, n / seconds,
                    static_cast<double>(bytes) / seconds / 1e6, static_cast<double>(allocs) / n)
            .c_str());
  };

  // 1. extract, reusing one Message (how a connection handler uses it).
  if (enabled("extract")) {
    hl7::Message m;
    std::string scratch;
    Checksum c;
    std::uint64_t allocs = 0;
    const double s = MedianSeconds(rounds, [&] {
      c = {};
      const std::uint64_t a0 = g_allocations.load();
      for (const auto& f : files) {
        if (!m.Reset(f)) std::abort();
        Extract(m, &scratch, &c);
      }
      allocs = g_allocations.load() - a0;
    });
    report("extract", s, allocs, c);
  }
  // 2. extract with a fresh Message per message (allocation count of the simple API).
  if (enabled("extract-fresh")) {
    std::string scratch;
    Checksum c;
    std::uint64_t allocs = 0;
    const double s = MedianSeconds(rounds, [&] {
      c = {};
      const std::uint64_t a0 = g_allocations.load();
      for (const auto& f : files) {
        auto m = hl7::Message::Parse(f);
        if (!m) std::abort();
        Extract(*m, &scratch, &c);
      }
      allocs = g_allocations.load() - a0;
    });
    report("extract-fresh", s, allocs, c);
  }
  // 3. index only: segments and fields located, nothing read.
  if (enabled("index")) {
    hl7::Message m;
    Checksum c;
    const double s = MedianSeconds(rounds, [&] {
      c = {};
      for (const auto& f : files) {
        if (!m.Reset(f)) std::abort();
        c.sum += m.segment_count();
      }
    });
    report("index", s, 0, c);
  }
  // 4. full IDCO mapping to the typed domain model (decodes attachments).
  if (enabled("idco-map")) {
    hl7::Message m;
    Checksum c;
    std::uint64_t allocs = 0;
    const double s = MedianSeconds(std::max(1, rounds / 2), [&] {
      c = {};
      const std::uint64_t a0 = g_allocations.load();
      for (const auto& f : files) {
        if (!m.Reset(f)) std::abort();
        auto r = idco::Map(m);
        if (!r) std::abort();
        c.sum += r->measurements.size();
      }
      allocs = g_allocations.load() - a0;
    });
    report("idco-map", s, allocs, c);
  }
  // 5. the ceiling: memcpy of the same bytes.
  if (enabled("memcpy")) {
    std::string sink;
    sink.resize(std::max_element(files.begin(), files.end(), [](const auto& a, const auto& b) {
                  return a.size() < b.size();
                })->size());
    Checksum c;
    const double s = MedianSeconds(rounds, [&] {
      for (const auto& f : files) {
        std::memcpy(sink.data(), f.data(), f.size());
        asm volatile("" : : "r"(sink.data()) : "memory");
      }
    });
    report("memcpy", s, 0, c);
  }
  return 0;
}
