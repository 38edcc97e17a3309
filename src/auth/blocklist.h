// Blocklist: common and breached passwords that are refused whatever their length. A small
// list is compiled in; the lists of installed Debian packages are added at start-up.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/result.h"

namespace heartbase::auth {

struct BlocklistOptions {
  // Newline-separated lists read at start-up, in addition to the built-in list. A missing file is
  // skipped (see Blocklist::sources()); an unreadable or oversized one fails the load.
  //  /usr/share/john/password.lst   Debian package john-data: ~3,500 passwords most seen in
  //                                 breaches and on Unix systems (Openwall, public domain)
  //  /usr/share/dict/cracklib-small Debian package cracklib-runtime: ~55,000 dictionary words
  std::vector<std::string> files = {"/usr/share/john/password.lst",
                                    "/usr/share/dict/cracklib-small"};
  std::size_t max_file_bytes = 64u << 20;  // a file larger than this is refused, not truncated
};

// Immutable after loading; all methods may be called concurrently.
class Blocklist {
 public:
  // Only the compiled-in list (~250 entries).
  static Blocklist BuiltIn();
  // The compiled-in list plus every file of `options.files` that exists. Lines are lower-cased;
  // empty lines and john's "#!comment" lines are skipped. Fails with kIo if a file exists but
  // cannot be read, kLimitExceeded if one is larger than options.max_file_bytes.
  static base::Result<Blocklist> Load(const BlocklistOptions& options);

  // True if `password`, compared without regard to ASCII case, is on the list.
  bool Contains(std::string_view password) const;

  std::size_t size() const { return entries_.size(); }
  // The files that were read (for the start-up log: an operator sees when a package is missing).
  const std::vector<std::string>& sources() const { return sources_; }

 private:
  Blocklist() = default;
  std::unordered_set<std::string> entries_;
  std::vector<std::string> sources_;
};

}  // namespace heartbase::auth
