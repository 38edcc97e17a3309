// Secret files (the key ring, the audit signing key): read only while private to their owner,
// written 0400 and durably. One implementation, so that every key file gets the same checks.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace heartbase::crypto::internal {

// The whole file, which must be a regular file (symbolic links are not followed) without group or
// other access, of at most `max_bytes`. Errors name it as `what` ("key file"): kIo (cannot open or
// read, not a regular file), kPermissionDenied (group or others have access), kMalformed (larger
// than max_bytes). On a failed read the partial bytes are wiped.
base::Result<std::string> ReadSecretFile(const std::string& path, std::string_view what,
                                         std::size_t max_bytes);

// Writes `text` to `path` with mode 0400 through `path`.tmp: write, fsync, rename, then fsync of
// the directory so that the rename survives a crash. kIo on failure (the temporary is removed).
// The caller wipes its own copy of `text`.
base::Status WriteSecretFile(const std::string& path, std::string_view text);

}  // namespace heartbase::crypto::internal
