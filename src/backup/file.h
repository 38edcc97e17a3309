// The backup file of a data directory: one file holding a header, the database image (a consistent
// SQLite copy) and a BLAKE2b-256 hash over both. Never holds a secret: the database's identifying
// values are sealed, and the key ring and signing keys are not in it (docs/recovery.md).
//
// Layout (integers little-endian):
//   "HBBACKUP" | u32 format version | u32 header bytes (from the magic to the image)
//   | u32 schema version | i64 created (µs since the epoch) | u64 image bytes | u32 file count
//   | per file: u16 name length, name, u32 content length, content
//   | image | 32-byte BLAKE2b-256 (unkeyed) of everything before it
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace heartbase::backup {

inline constexpr std::string_view kBackupMagic = "HBBACKUP";
inline constexpr std::uint32_t kBackupFormatVersion = 1;
inline constexpr std::size_t kBackupHashBytes = 32;
// Limits checked before anything is allocated for them: a header holds a few small text files.
inline constexpr std::uint32_t kMaxBackupHeaderBytes = 1 << 20;
inline constexpr std::uint32_t kMaxBackupFiles = 8;
inline constexpr std::uint32_t kMaxBackupFileBytes = 64 * 1024;

// A non-secret file of the data directory that a restored directory needs, by its path relative
// to the directory. Only the names of BackupFileNames() are written into or read from a backup.
struct BackupFileEntry {
  std::string name;
  std::string content;
};
// "key-check", "report-signing.pub", "tls/cert.pem".
std::span<const std::string_view> BackupFileNames();

struct BackupHeader {
  int schema_version = 0;
  std::int64_t created_us = 0;
  std::uint64_t image_bytes = 0;
  std::vector<BackupFileEntry> files;
};

// The encoded header (its length is the header-bytes field).
std::string EncodeBackupHeader(const BackupHeader& header);

// What a backup file holds, from its header: the file must be exactly header + image + hash
// bytes long. Reads only the header. Fails with kNotFound / kIo if it cannot be read,
// kMalformed naming what is wrong (not a backup, truncated, a length beyond the file or a
// limit, a file name that is not one of BackupFileNames()), kUnsupported for another format
// version.
struct BackupInfo {
  BackupHeader header;
  std::uint32_t header_bytes = 0;
  std::uint64_t file_bytes = 0;
};
base::Result<BackupInfo> ReadBackupHeader(const std::string& path);

// Recomputes the hash over header and image and compares it with the stored one; when `image_out`
// is not empty, also writes the image there (created exclusively, mode 0600, synced; removed
// again if anything fails). kDataLoss if the hash differs ("altered or damaged"), kIo otherwise.
base::Status CheckBackupHash(const std::string& path, const BackupInfo& info,
                             const std::string& image_out = {});

// Writes the backup `path` from `header` and the image file `image`: through a temporary file in
// the same directory, synced, then renamed into place without replacing anything (kAlreadyExists
// if `path` exists; nothing is left behind on failure). Mode 0600. Returns the hash in hex.
base::Result<std::string> WriteBackupFile(const std::string& path, const BackupHeader& header,
                                          const std::string& image);

// Renames `from` to `to` unless `to` exists (kAlreadyExists), then syncs the directory.
base::Status RenameNoReplace(const std::string& from, const std::string& to);

}  // namespace heartbase::backup
