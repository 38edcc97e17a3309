// `heartbase init` and `heartbase import`: files or folders (recursive) of HL7 — one message per
// file, concatenations, batch envelopes or MLLP-framed streams — through the ingest pipeline.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "app/commands.h"
#include "app/data_dir.h"
#include "hl7/batch.h"
#include "ingest/pipeline.h"
#include "net/mllp.h"

namespace heartbase::app {
namespace {

namespace fs = std::filesystem;

struct Tally {
  std::size_t files = 0, stored = 0, duplicate = 0, quarantined = 0, failed = 0, unreadable = 0;
};

void Count(Tally* t, const base::Result<ingest::Outcome>& r, const std::string& file) {
  if (!r) {
    ++t->failed;
    std::fprintf(stderr, "\nheartbase: %s: not stored: %s\n", file.c_str(),
                 r.error().Describe().c_str());
    return;
  }
  switch (r->disposition) {
    case ingest::Disposition::kStored:
      ++t->stored;
      break;
    case ingest::Disposition::kDuplicate:
      ++t->duplicate;
      break;
    case ingest::Disposition::kQuarantined:
      ++t->quarantined;
      break;
  }
}

void ImportBytes(ingest::Pipeline& pipeline, const std::string& file, std::string_view bytes,
                 std::size_t max_frame, Tally* t) {
  const std::size_t first = bytes.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && bytes[first] == net::kMllpStart) {
    net::MllpDecoder decoder(max_frame);
    auto s = decoder.Feed(bytes, [&](std::string_view frame) {
      Count(t, pipeline.Ingest(frame, "file"), file);
      return base::Status();
    });
    if (!s || !decoder.idle()) {
      // The frames decoded so far are stored; the file as a whole is also kept in quarantine,
      // so the bytes that did not form a frame are never lost.
      base::Error why =
          s ? base::MakeError(base::ErrorCode::kMalformed, "unterminated MLLP frame") : s.error();
      Count(t, pipeline.QuarantineBytes(bytes, "file", why), file);
    }
    return;
  }
  auto batch = hl7::SplitBatch(bytes);
  if (!batch) {
    Count(t, pipeline.Ingest(bytes, "file"), file);  // quarantined with the parser's reason
    return;
  }
  for (const auto& item : batch->messages) Count(t, pipeline.Ingest(item.bytes, "file"), file);
  if (batch->stray_lines > 0) {
    Count(t,
          pipeline.QuarantineBytes(
              bytes, "file",
              base::MakeError(base::ErrorCode::kMalformed,
                              fmt::format("{} line(s) outside any message", batch->stray_lines))),
          file);
  }
}

}  // namespace

int RunInit(const InitCommand& command) {
  DataDirOptions o{.root = command.data, .key_file = command.key_file};
  if (auto s = InitDataDir(o); !s) {
    std::fprintf(stderr, "heartbase: init: %s\n", s.error().Describe().c_str());
    return 1;
  }
  std::printf("initialized %s\n  database: %s\n  key file: %s (mode 0400)\n", o.root.c_str(),
              DatabasePath(o).c_str(), KeyFilePath(o).c_str());
  std::printf(
      "Keep a copy of the key file apart from backups of the data: without it the\n"
      "patient data cannot be read, and with it a stolen backup can.\n");
  return 0;
}

int RunImport(const ImportCommand& command) {
  DataDirOptions o{.root = command.data, .key_file = command.key_file};
  auto opened = OpenDataDir(o);
  if (!opened) {
    std::fprintf(stderr, "heartbase: import: %s\n", opened.error().Describe().c_str());
    return 1;
  }
  ingest::Pipeline pipeline(*opened->db, *opened->keys);
  std::vector<fs::path> files;
  Tally t;
  for (const std::string& p : command.paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (auto it = fs::recursive_directory_iterator(p, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file()) files.push_back(it->path());
      }
    } else if (fs::is_regular_file(p, ec)) {
      files.emplace_back(p);
    } else {
      std::fprintf(stderr, "heartbase: %s: not a file or folder\n", p.c_str());
      ++t.unreadable;
    }
  }
  std::sort(files.begin(), files.end());
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  for (const fs::path& f : files) {
    ++t.files;
    std::error_code ec;
    const auto size = fs::file_size(f, ec);
    if (ec || size > command.max_file_bytes) {
      std::fprintf(stderr, "heartbase: %s: %s\n", f.c_str(),
                   ec ? ec.message().c_str() : "file larger than --max-file-bytes");
      ++t.unreadable;
      continue;
    }
    std::ifstream in(f, std::ios::binary);
    std::string bytes(size, '\0');
    if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) {
      std::fprintf(stderr, "heartbase: %s: cannot read\n", f.c_str());
      ++t.unreadable;
      continue;
    }
    ImportBytes(pipeline, f.string(), bytes, command.max_frame_bytes, &t);
    if (tty) {
      std::fprintf(stderr, "\r[%zu/%zu files] stored %zu, duplicate %zu, quarantined %zu", t.files,
                   files.size(), t.stored, t.duplicate, t.quarantined);
    }
  }
  if (tty) std::fputc('\n', stderr);
  std::printf(
      "imported %zu files: %zu stored, %zu duplicate, %zu quarantined, %zu failed, "
      "%zu unreadable\n",
      t.files, t.stored, t.duplicate, t.quarantined, t.failed, t.unreadable);
  return t.failed == 0 && t.unreadable == 0 ? 0 : 1;
}

}  // namespace heartbase::app
