#include "api/static_files.h"

#include <fmt/format.h>

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
    out.files_.emplace("/" + relative, std::move(f));
  }
  return out;
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
