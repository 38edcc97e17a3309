// Loading the blocklist files. They are trusted system files, but their size is still bounded.
#include "auth/blocklist.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <system_error>

#include "auth/internal/secrets.h"

namespace heartbase::auth {
namespace {

using base::ErrorCode;
using base::MakeError;

constexpr const char* kBuiltIn[] = {
#include "auth/internal/common_passwords.inc"
};

constexpr std::string_view kJohnComment = "#!comment";

}  // namespace

Blocklist Blocklist::BuiltIn() {
  Blocklist list;
  list.entries_.reserve(std::size(kBuiltIn));
  for (const char* entry : kBuiltIn) list.entries_.insert(internal::AsciiLower(entry));
  return list;
}

base::Result<Blocklist> Blocklist::Load(const BlocklistOptions& options) {
  Blocklist list = BuiltIn();
  for (const std::string& path : options.files) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) {
      if (ec == std::errc::no_such_file_or_directory) continue;
      return MakeError(ErrorCode::kIo,
                       fmt::format("cannot read blocklist {}: {}", path, ec.message()));
    }
    if (size > options.max_file_bytes) {
      return MakeError(
          ErrorCode::kLimitExceeded,
          fmt::format("blocklist {} is larger than {} bytes", path, options.max_file_bytes));
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return MakeError(ErrorCode::kIo, fmt::format("cannot open blocklist {}", path));
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line.starts_with(kJohnComment)) continue;
      list.entries_.insert(internal::AsciiLower(line));
    }
    if (in.bad()) return MakeError(ErrorCode::kIo, fmt::format("cannot read blocklist {}", path));
    list.sources_.push_back(path);
  }
  return list;
}

bool Blocklist::Contains(std::string_view password) const {
  return entries_.contains(internal::AsciiLower(password));
}

}  // namespace heartbase::auth
