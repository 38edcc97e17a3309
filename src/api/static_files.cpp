#include "api/static_files.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace heartbase::api {
namespace {

namespace fs = std::filesystem;

std::string ContentType(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json; charset=utf-8"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext) {
      return std::string(type);
    }
  }
  return "application/octet-stream";
}

bool Compressible(std::string_view type) {
  return type.starts_with("text/") || type.starts_with("application/json") ||
         type == "image/svg+xml";
}

// The gzip member for `body` (zlib, best compression); empty if zlib fails.
std::string Gzip(std::string_view body) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    return {};
  }
  std::string out(deflateBound(&z, body.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  z.avail_in = static_cast<uInt>(body.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

base::Result<StaticFiles> StaticFiles::Load(const std::string& root,
                                            const StaticFileLimits& limits) {
  std::error_code ec;
  if (!fs::is_directory(root, ec) || !fs::is_regular_file(fs::path(root) / "index.html", ec)) {
    return base::MakeError(base::ErrorCode::kNotFound,
                           fmt::format("{} has no index.html (build the web application)", root));
  }
  StaticFiles out;
  std::size_t total = 0;
  fs::recursive_directory_iterator it(root, ec), end;
  if (ec) return base::MakeError(base::ErrorCode::kIo, fmt::format("cannot list {}", root));
  for (; it != end; it.increment(ec)) {
    if (ec) return base::MakeError(base::ErrorCode::kIo, fmt::format("cannot list {}", root));
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    const std::string relative = fs::relative(it->path(), root, ec).generic_string();
    if (ec || relative.empty()) continue;
    if (out.files_.size() >= limits.max_files) {
      return base::MakeError(base::ErrorCode::kLimitExceeded, "too many web files");
    }
    std::ifstream in(it->path(), std::ios::binary);
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      return base::MakeError(base::ErrorCode::kIo, fmt::format("cannot read {}", relative));
    }
    total += body.size();
    if (total > limits.max_total_bytes) {
      return base::MakeError(base::ErrorCode::kLimitExceeded, "web files too large");
    }
    File f{.body = std::move(body),
           .content_type = ContentType(relative),
           .immutable = relative.rfind("assets/", 0) == 0};
    if (Compressible(f.content_type) && f.body.size() >= 256) {
      std::string packed = Gzip(f.body);
      if (!packed.empty() && packed.size() < f.body.size() - f.body.size() / 10) {
        f.gzip = std::move(packed);
      }
    }
    out.files_.emplace("/" + relative, std::move(f));
  }
  return out;
}

bool StaticFiles::AcceptsGzip(std::string_view accept_encoding) {
  std::string_view rest = accept_encoding;
  while (!rest.empty()) {
    const std::size_t comma = std::min(rest.find(','), rest.size());
    std::string_view entry = rest.substr(0, comma);
    rest.remove_prefix(std::min(comma + 1, rest.size()));
    const std::size_t semi = std::min(entry.find(';'), entry.size());
    const std::string_view coding = Trim(entry.substr(0, semi));
    if (coding != "gzip" && coding != "*") continue;
    // q=0 (q=0.0, q=0.000) refuses it; any other weight accepts it.
    std::string_view params = semi < entry.size() ? entry.substr(semi + 1) : std::string_view();
    bool refused = false;
    if (const std::size_t q = params.find("q="); q != std::string_view::npos) {
      const std::string_view w = Trim(params.substr(q + 2));
      refused = !w.empty() && w.find_first_not_of("0.") == std::string_view::npos;
    }
    return !refused;
  }
  return false;
}

const StaticFiles::File* StaticFiles::Find(std::string_view path) const {
  if (auto it = files_.find(path); it != files_.end()) return &it->second;
  const std::string_view last = path.substr(path.rfind('/') + 1);
  if (last.find('.') == std::string_view::npos) {
    if (auto it = files_.find(std::string_view("/index.html")); it != files_.end()) {
      return &it->second;
    }
  }
  return nullptr;
}

}  // namespace heartbase::api
