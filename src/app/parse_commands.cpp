// `heartbase hl7 parse` and `heartbase idco parse`: JSON Lines on stdout, one object per message;
// errors on stderr naming the file and position; the other files are still processed.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>

#include "app/commands.h"
#include "base/json_writer.h"
#include "hl7/batch.h"
#include "hl7/json.h"
#include "hl7/message.h"
#include "idco/json.h"
#include "idco/mapper.h"

namespace heartbase::app {
namespace {

namespace fs = std::filesystem;

base::Result<std::string> ReadFile(const std::string& path, std::uint64_t limit) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return base::MakeError(base::ErrorCode::kIo, ec.message());
  if (size > limit) {
    return base::MakeError(base::ErrorCode::kLimitExceeded,
                           fmt::format("file is {} bytes, more than the limit of {}", size, limit));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return base::MakeError(base::ErrorCode::kIo, "cannot open file");
  std::string bytes(size, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (static_cast<std::uint64_t>(in.gcount()) != size) {
    return base::MakeError(base::ErrorCode::kIo, "short read");
  }
  return bytes;
}

void ReportError(const std::string& file, std::size_t index, std::size_t base_offset,
                 base::Error error) {
  if (error.position.offset != SIZE_MAX) error.position.offset += base_offset;
  const std::string where = index == 0 ? file : fmt::format("{}: message {}", file, index);
  std::fprintf(stderr, "heartbase: %s: %s\n", where.c_str(), error.Describe().c_str());
}

void Emit(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
}

// Runs `each` on every message of every file; returns 1 if anything failed.
int ForEachMessage(const ParseCommand& command,
                   const std::function<base::Status(const std::string& file, std::size_t index,
                                                    const hl7::Batch::Item& item,
                                                    const hl7::Message& message)>& each) {
  int status = 0;
  hl7::Message message;
  for (const std::string& file : command.files) {
    auto bytes = ReadFile(file, command.max_file_bytes);
    if (!bytes) {
      ReportError(file, 0, 0, bytes.error());
      status = 1;
      continue;
    }
    auto batch = hl7::SplitBatch(*bytes);
    if (!batch) {
      ReportError(file, 0, 0, batch.error());
      status = 1;
      continue;
    }
    if (batch->declared_batch_messages &&
        *batch->declared_batch_messages != batch->messages.size()) {
      std::fprintf(stderr, "heartbase: %s: batch trailer declares %llu messages, file holds %zu\n",
                   file.c_str(), static_cast<unsigned long long>(*batch->declared_batch_messages),
                   batch->messages.size());
    }
    // Lines in no message (e.g. after a BHS nested in a batch) would otherwise vanish without a
    // word while the file's messages parse: they are the file's error.
    for (const hl7::Batch::Orphan& orphan : batch->orphans) {
      ReportError(file, 0, 0, hl7::OrphanError(orphan));
      status = 1;
    }
    for (std::size_t i = 0; i < batch->messages.size(); ++i) {
      const auto& item = batch->messages[i];
      if (auto s = message.Reset(item.bytes); !s) {
        ReportError(file, i + 1, item.offset, s.error());
        status = 1;
        continue;
      }
      if (auto s = each(file, i + 1, item, message); !s) {
        ReportError(file, i + 1, item.offset, s.error());
        status = 1;
      }
    }
  }
  std::fflush(stdout);
  return status;
}

std::string SafeStem(const std::string& file) {
  std::string stem = fs::path(file).stem().string();
  for (char& c : stem) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  }
  return stem.empty() ? "message" : stem;
}

}  // namespace

int RunHl7Parse(const ParseCommand& command) {
  return ForEachMessage(command, [&](const std::string& file, std::size_t index,
                                     const hl7::Batch::Item& item, const hl7::Message& m) {
    if (command.summary) {
      const hl7::Segment msh = m.segment(0);
      Emit(fmt::format("{}#{}: {} control={} version={} segments={}", file, index, msh.Field(9),
                       msh.Field(10), msh.Field(12), m.segment_count()));
      return base::Status();
    }
    std::string body;
    base::JsonWriter inner(&body);
    if (auto s = hl7::WriteMessageJson(m, &inner); !s) return s;
    std::string line;
    base::JsonWriter w(&line);
    w.BeginObject();
    w.Field("file", file);
    w.Field("index", static_cast<std::uint32_t>(index));
    w.Key("offset");
    w.Uint(item.offset);
    w.EndObject();
    line.pop_back();  // splice the message's keys into the same object
    line += ",";
    line.append(body, 1, std::string::npos);
    Emit(line);
    return base::Status();
  });
}

int RunIdcoParse(const ParseCommand& command) {
  if (!command.attachments_dir.empty()) {
    std::error_code ec;
    fs::create_directories(command.attachments_dir, ec);
    if (ec) {
      std::fprintf(stderr, "heartbase: %s: %s\n", command.attachments_dir.c_str(),
                   ec.message().c_str());
      return 1;
    }
  }
  return ForEachMessage(command, [&](const std::string& file, std::size_t index,
                                     const hl7::Batch::Item&, const hl7::Message& m) {
    auto mapped = idco::Map(m);
    if (!mapped) return base::Status(mapped.error());
    const domain::Interrogation& r = *mapped;
    std::vector<std::string> written;
    if (!command.attachments_dir.empty()) {
      for (std::size_t k = 0; k < r.attachments.size(); ++k) {
        const auto& a = r.attachments[k];
        if (a.data.empty()) {
          written.emplace_back();
          continue;
        }
        const std::string name = fmt::format("{}.{}.{}{}", SafeStem(file), index, k + 1,
                                             a.media_type == "application/pdf" ? ".pdf" : ".bin");
        const fs::path path = fs::path(command.attachments_dir) / name;
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(a.data.data(), static_cast<std::streamsize>(a.data.size()));
        out.close();
        if (!out)
          return base::Status(
              base::MakeError(base::ErrorCode::kIo, "cannot write attachment " + path.string()));
        written.push_back(path.string());
      }
    }
    if (command.summary) {
      std::size_t observations = r.device_observations.size() + r.session_observations.size() +
                                 r.measurements.size() + r.settings.size() + r.statistics.size() +
                                 r.other_observations.size();
      for (const auto* g : {&r.lead_groups, &r.zones, &r.episode_counters, &r.episode_groups}) {
        for (const auto& group : *g) observations += group.observations.size();
      }
      Emit(
          fmt::format("{}#{}: {} {} {} session={} {} observations={} leads={} episodes={} "
                      "attachments={} warnings={}",
                      file, index, r.device.manufacturer, domain::ToString(r.device.type),
                      r.device.model, domain::ToString(r.session_type),
                      r.session_time ? r.session_time->ToIso8601() : "-", observations,
                      r.leads.size(), r.episodes.size(), r.attachments.size(), r.warnings.size()));
      return base::Status();
    }
    std::string line;
    base::JsonWriter w(&line);
    w.BeginObject();
    w.Field("file", file);
    w.Field("index", static_cast<std::uint32_t>(index));
    w.Key("interrogation");
    idco::WriteInterrogationJson(r, &w, written);
    w.EndObject();
    Emit(line);
    return base::Status();
  });
}

}  // namespace heartbase::app
