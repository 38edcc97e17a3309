// libFuzzer target for the report verifier, which reads files from anywhere (a report received
// by email, a copy on a share). Each input is checked twice: as a sealed report (VerifyPdf must
// return, never crash, and accept nothing it did not seal), and as the renderer's output (when
// SealPdf accepts it, the sealed file must verify, and fail once a byte of its content changes).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/signing_key.h"
#include "report/provenance.h"

namespace {

using heartbase::crypto::SigningKey;
using heartbase::report::ProvenanceRecord;

const SigningKey& Key() {
  static const SigningKey key = *SigningKey::Generate();
  return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // A fresh key per process: nothing an input holds can carry a valid signature under it.
  if (heartbase::report::VerifyPdf(in, Key().public_key())) std::abort();
  ProvenanceRecord record;
  record.interrogation_id = 1;
  record.page_size = "a4";
  auto sealed = heartbase::report::SealPdf(in, record, Key());
  if (!sealed) return 0;
  if (!heartbase::report::VerifyPdf(*sealed, Key().public_key())) std::abort();
  if (!in.empty()) {
    std::string changed = *sealed;
    changed[changed.size() / 2 % in.size()] ^= 0x20;
    if (heartbase::report::VerifyPdf(changed, Key().public_key())) std::abort();
  }
  return 0;
}
