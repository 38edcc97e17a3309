// The web application's built files (web/dist), read into memory once at start-up and served
// under the API's security headers. Only files found at start-up exist; a request path can never
// reach the file system.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "base/result.h"

namespace heartbase::api {

struct StaticFileLimits {
  std::size_t max_files = 2000;
  std::size_t max_total_bytes = 64u << 20;
};

class StaticFiles {
 public:
  struct File {
    std::string body;
    std::string content_type;
    bool immutable = false;  // a content-hashed asset (assets/…): cacheable for a year
    // The body gzip-compressed once at start-up, for clients that accept it; empty when the type
    // does not compress (images, fonts) or it saves less than a tenth. Only these public files
    // are ever compressed: compressing responses that mix secrets with attacker-influenced text
    // (BREACH) is not done.
    std::string gzip;
  };

  // Every regular file under `root` (symbolic links are not followed). kNotFound if `root` is not
  // a directory or has no index.html; kLimitExceeded over the limits; kIo if a file cannot be read.
  static base::Result<StaticFiles> Load(const std::string& root,
                                        const StaticFileLimits& limits = {});

  // The file for a request path ("/" and unknown paths without a dot are index.html, so that a
  // reload of the application's own routes works); nullptr if there is none.
  const File* Find(std::string_view path) const;
  // Whether an Accept-Encoding header value allows gzip (a "gzip" or "*" entry without q=0).
  static bool AcceptsGzip(std::string_view accept_encoding);
  std::size_t size() const { return files_.size(); }

 private:
  std::map<std::string, File, std::less<>> files_;  // "/index.html", "/assets/app-1a2b.js"
};

}  // namespace heartbase::api
