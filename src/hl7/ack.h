// ACK builder: original (AA/AE/AR) and enhanced (CA/CE/CR) acknowledgments with ERR segments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "hl7/delimiters.h"

namespace heartbase::hl7 {

class Message;

enum class AckMode : std::uint8_t { kOriginal, kEnhanced };
enum class AckOutcome : std::uint8_t { kAccept, kError, kReject };

// What an acknowledgment needs from the message it answers: taken from a parsed Message, or
// recovered leniently from the first line of bytes that did not parse.
struct AckContext {
  Delimiters delimiters;
  std::string sending_application;   // raw MSH-3 of the original
  std::string sending_facility;      // raw MSH-4
  std::string control_id;            // raw MSH-10 (echoed in MSA-2)
  std::string trigger_event;         // MSH-9.2, e.g. "R01"
  std::string processing_id;         // MSH-11
  std::string version;               // MSH-12
  std::string accept_ack_type;       // MSH-15 (AL, NE, ER, SU or empty)
  std::string application_ack_type;  // MSH-16
};

AckContext AckContextFrom(const Message& message);
// Reads what it can from the MSH line of `bytes` (bounded to the first 64 KiB); fields that cannot
// be read stay empty. Never fails.
AckContext AckContextFromBytes(std::string_view bytes);

// HL7 v2: both MSH-15 and MSH-16 empty → original mode; otherwise enhanced mode.
AckMode ModeFor(const AckContext& context);

// Whether the sender asked for the acknowledgment this outcome produces. Original mode: always.
// Enhanced mode (accept acknowledgment): MSH-15 AL or empty → always, NE → never,
// ER → only on error or reject, SU → only on accept.
bool AckRequested(const AckContext& context, AckOutcome outcome);

struct AckError {
  int condition = 207;  // HL7 table 0357, e.g. 102 data type error, 207 application internal error
  char severity = 'E';  // HL7 table 0516: E error, W warning, I information
  std::string text;     // diagnostic text for the sender's operator (no patient data)
  base::Position position;
};

struct AckRequest {
  AckOutcome outcome = AckOutcome::kAccept;
  std::optional<AckMode> mode;  // overrides ModeFor (per-sender configuration)
  std::string sending_application = "heartbase";
  std::string sending_facility;
  std::string control_id;  // the ACK's own MSH-10
  std::string timestamp;   // the ACK's MSH-7, an HL7 DTM
  std::vector<AckError> errors;
};

// The MSA-1 code for an outcome in a mode: AA/AE/AR or CA/CE/CR.
std::string_view AckCode(AckMode mode, AckOutcome outcome);

// Builds the ACK (MSH, MSA, one ERR per error) with the original's delimiters and CR terminators.
// Free text is escaped; echoed identifiers are copied as received (same delimiters).
std::string BuildAck(const AckContext& context, const AckRequest& request);

// An AckError for a base::Error, with the table 0357 code from the error catalogue.
AckError AckErrorFrom(const base::Error& error);

}  // namespace heartbase::hl7
