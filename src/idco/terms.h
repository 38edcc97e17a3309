// The compiled-in IEEE 11073-10103 dictionary: IDC terms (terms.inc) and enumerations (enums.inc).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "domain/interrogation.h"

namespace heartbase::idco {

struct Term {
  std::uint32_t code;
  std::string_view reference_id;  // canonical (current) reference id
  domain::Category category;
  std::string_view usual_type;  // HL7 type senders normally use, may be empty
  std::string_view usual_unit;  // UCUM, may be empty
};

struct EnumValue {
  std::uint32_t code;
  std::string_view enumerator;  // e.g. MDC_IDC_ENUM_SESS_TYPE
  std::string_view mnemonic;    // e.g. RemoteScheduled
  std::string_view display;
};

// Exact lookup by numeric code; nullptr if unknown.
const Term* FindTerm(std::uint32_t code);
// Lookup by reference id as senders spell it: canonical, legacy MDC_IDC_PG_* (renamed to
// MDC_IDC_DEV_* in 2012) and known misspellings. Case-sensitive, as the ids are. nullptr if
// unknown.
const Term* FindTermByName(std::string_view reference_id);
// For a code the dictionary does not know: the category of the nearest known code below it
// within the IDC partition (terms are allocated in family blocks), kOther outside it.
domain::Category GuessCategory(std::uint32_t code);
// Category from a reference-id prefix (MDC_IDC_MSMT_… → kMeasurement), kOther if none applies.
domain::Category CategoryFromName(std::string_view reference_id);

const EnumValue* FindEnum(std::uint32_t code);
// The enumeration value with this mnemonic for this enumerator, nullptr if unknown.
const EnumValue* FindEnumByMnemonic(std::string_view enumerator, std::string_view mnemonic);

std::size_t TermCount();
std::span<const EnumValue> AllEnums();

}  // namespace heartbase::idco
