// Reading one OBX segment into a domain::Observation or domain::Attachment (internal to idco).
#pragma once

#include <string>

#include "base/result.h"
#include "domain/interrogation.h"
#include "hl7/message.h"
#include "idco/mapper.h"
#include "idco/terms.h"

namespace heartbase::idco::internal {

// True for OBX segments that carry a document (OBX-2 ED or RP, or the LOINC report code).
bool IsAttachment(const hl7::Segment& obx);

// Where an OBX belongs, read without copying anything: its term (OBX-3.1, or the name in
// OBX-3.2 when the code is not numeric; the code wins when both are known and disagree), the
// category of that term (guessed from the code's range or the name's family when the dictionary
// does not know it) and the number at the start of OBX-4.
struct Classification {
  std::uint32_t code = 0;
  const Term* term = nullptr;  // the dictionary's entry, when it knows the term
  domain::Category category = domain::Category::kOther;
  std::uint32_t instance = 0;
};
Classification Classify(const hl7::Segment& obx, const hl7::Delimiters& d);

// Fills `out` from an OBX and its classification. Never fails: a value that does not parse as its
// type is kept as text and a warning (without the value) is appended to `warnings`.
void ReadObservation(const hl7::Segment& obx, const hl7::Delimiters& d, const Classification& c,
                     domain::Observation* out, std::vector<std::string>* warnings);

// Reads an ED/RP OBX. Fails (kMalformed) on undecodable base64, (kLimitExceeded) on size.
base::Status ReadAttachment(const hl7::Segment& obx, const hl7::Delimiters& d,
                            const MapOptions& options, domain::Attachment* out,
                            std::vector<std::string>* warnings);

// Reads a CWE/CNE value (components of one repetition, still escaped) for a term.
domain::Coded ReadCoded(std::string_view raw, const hl7::Delimiters& d, std::uint32_t term);

}  // namespace heartbase::idco::internal
