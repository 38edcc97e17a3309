// libFuzzer target for ADT in (ingest/adt.h): any message that parses is read as ADT or refused
// with an error, and what is read keeps the bounds ReadAdt promises (an MRN with an authority and
// at most 64 bytes, no control characters; a merge always has its prior MRN).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "hl7/message.h"
#include "ingest/adt.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace heartbase;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto m = hl7::Message::Parse(bytes);
  if (!m || !ingest::IsAdt(*m)) return 0;
  auto adt = ingest::ReadAdt(*m);
  if (!adt) return 0;
  const auto bounded = [](const domain::PatientIdentity::Identifier& i) {
    if (i.id.empty() || i.id.size() > 64 || i.authority.empty()) return false;
    for (const char c : i.id) {
      if (static_cast<unsigned char>(c) < 0x20) return false;
    }
    return true;
  };
  if (!bounded(adt->mrn)) std::abort();
  const bool merge = adt->event == "A40" || adt->event == "A39" || adt->event == "A18";
  if (merge != adt->prior_mrn.has_value()) std::abort();
  if (adt->prior_mrn && !bounded(*adt->prior_mrn)) std::abort();
  return 0;
}
