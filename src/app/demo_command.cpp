// `heartbase demo-data generate`: writes the deterministic synthetic clinic (or a benchmark
// corpus) as one HL7 file per message, plus facts.jsonl describing what each message encodes.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "app/commands.h"
#include "demo/generator.h"

namespace heartbase::app {

int RunDemoDataGenerate(const DemoDataCommand& command) {
  namespace fs = std::filesystem;
  const fs::path root(command.out);
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) {
    std::fprintf(stderr, "heartbase: %s: %s\n", command.out.c_str(), ec.message().c_str());
    return 1;
  }
  std::ofstream facts(root / "facts.jsonl", std::ios::trunc);
  std::size_t count = 0;
  std::uint64_t bytes = 0;
  const demo::Sink sink = [&](const demo::GeneratedMessage& m) -> base::Status {
    const fs::path path = root / m.path;
    std::error_code mkdir_error;
    fs::create_directories(path.parent_path(), mkdir_error);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(m.bytes.data(), static_cast<std::streamsize>(m.bytes.size()));
    out.close();
    if (!out || mkdir_error) {
      return base::MakeError(base::ErrorCode::kIo, "cannot write " + path.string());
    }
    if (!m.facts.empty()) facts << m.facts << '\n';
    ++count;
    bytes += m.bytes.size();
    return {};
  };
  base::Status status;
  if (command.bench) {
    status = demo::GenerateBench(demo::BenchOptions{.count = command.count,
                                                    .obx_count = command.obx,
                                                    .pdf_kb = command.pdf_kb,
                                                    .seed = command.seed},
                                 sink);
  } else {
    demo::GeneratorOptions options;
    options.patients = command.patients;
    options.years = command.years;
    if (!command.end_date.empty()) options.end_date = command.end_date;
    options.seed = command.seed;
    options.pdf = command.pdf;
    status = demo::Generate(options, sink);
  }
  facts.close();
  if (!status) {
    std::fprintf(stderr, "heartbase: demo-data: %s\n", status.error().Describe().c_str());
    return 1;
  }
  std::printf("wrote %zu messages (%.1f MB) to %s\n", count, static_cast<double>(bytes) / 1e6,
              command.out.c_str());
  return 0;
}

}  // namespace heartbase::app
