// Provenance of a report: a record of what the PDF was made from (the keyed hashes of the source
// message blobs, the mapping and rule-set versions), who signed it and when, and the SHA-256 of
// the rendered page content, signed with Ed25519 (the report signing key, separate from the data
// key). The record and its signature are embedded in the PDF as two file attachments and the
// record also in the document information dictionary, by an incremental update appended to the
// renderer's bytes, so that a viewer shows the document unchanged.
//
// Verification needs the public key only. It rebuilds the update from the signed content and the
// embedded record and compares it with the file byte for byte, so that any change anywhere (the
// page content, the record, the signature, or a later incremental update that would make a viewer
// show other pages) is found and named. No patient identifier is in the record: the source hashes
// are keyed (they reveal nothing without the data key), the rest is versions, ids and a user name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/signing_key.h"

namespace heartbase::report {

struct ProvenanceRecord {
  std::int64_t interrogation_id = 0;
  std::vector<std::string> source_hashes;  // keyed hashes of the source blobs, hex
  std::string mapping_version;             // of the IDCO mapping that read the messages
  std::string rule_set_version;            // of the alert rules, "builtin" or a number
  std::string page_size;                   // "a4", "letter"
  bool draft = true;
  std::string signer;       // user name, "" for a draft
  std::string signer_role;  // "" for a draft
  std::string signed_at;    // ISO 8601 UTC, "" for a draft
  std::string rendered_at;  // ISO 8601 UTC
};

// The file name of the two attachments.
inline constexpr std::string_view kRecordName = "heartbase-provenance.json";
inline constexpr std::string_view kSignatureName = "heartbase-provenance.sig";
// Bounds the verifier checks before reading anything.
inline constexpr std::size_t kMaxReportBytes = 256u << 20;
inline constexpr std::size_t kMaxRecordBytes = 64u << 10;

// `pdf` with the signed record appended. The content hash, its length and the key's fingerprint
// are added to the record here. kInternal when `pdf` is not a file this renderer wrote (its
// trailer, catalogue or information dictionary cannot be found, or the catalogue already has
// embedded files).
base::Result<std::string> SealPdf(std::string_view pdf, const ProvenanceRecord& record,
                                  const crypto::SigningKey& key);

struct Verified {
  std::string record_json;  // the signed record, as embedded
  std::string key_fingerprint;
  std::int64_t content_bytes = 0;
};

// Checks a sealed report with the public key only. Errors name what does not match:
//   kLimitExceeded  — larger than kMaxReportBytes (nothing is read);
//   kMalformed      — no heartbase provenance in the file, or it is damaged;
//   kUnauthenticated — "signed by another key", "the signature does not match the provenance
//                      record", "the page content does not match the provenance record", or
//                      "the file was changed after it was signed" (bytes added or altered outside
//                      the signed content: metadata, attachments, a later update).
// Never aborts on any input.
base::Result<Verified> VerifyPdf(std::string_view file, const crypto::SigningPublicKey& key);

}  // namespace heartbase::report
