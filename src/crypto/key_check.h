// The key check of a data directory: the check values of the key ring that belongs to it, kept
// beside the data, so that another directory's ring is refused before it reads or seals anything.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/key_ring.h"

namespace heartbase::crypto {

// A short name of a ring for operators ("3fa2-91c0-77de-0b15"): the first 8 bytes of a BLAKE2b
// hash of its check values. Not secret (it is computed from check values, never from keys);
// it changes when a data key is added.
std::string Fingerprint(const KeyCheck& check);

// Whether the ring with check `ring` belongs where `recorded` was taken: the same index key, and
// every recorded data key present with the same key. Data keys that only `ring` has are allowed,
// since rotation only ever adds keys (the caller then records the longer list). Fails with
// kInvalidArgument naming both fingerprints and the first difference.
base::Status VerifyKeyCheck(const KeyCheck& recorded, const KeyCheck& ring);

// The text of a key check file, and its parser (kMalformed for anything else).
std::string FormatKeyCheck(const KeyCheck& check);
base::Result<KeyCheck> ParseKeyCheck(std::string_view text);

// Reads a key check file; std::nullopt when there is none. The file must be private to its
// owner, like the key file (kPermissionDenied otherwise); kMalformed, kIo as ParseKeyCheck and
// reading say.
base::Result<std::optional<KeyCheck>> LoadKeyCheck(const std::string& path);
// Writes it with mode 0400, atomically and durably (a crash leaves the old or the new file).
base::Status SaveKeyCheck(const std::string& path, const KeyCheck& check);

}  // namespace heartbase::crypto
