// Error values that cross module boundaries, and the one table mapping them to HTTP and HL7.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace heartbase::base {

// A small closed set. Add a code only when a caller must react differently to it.
enum class ErrorCode : std::uint8_t {
  kInvalidArgument,  // the caller's request or configuration is wrong
  kMalformed,        // untrusted input does not follow its syntax
  kLimitExceeded,    // untrusted input is larger than a configured limit
  kUnsupported,      // well-formed, but a message type/version/profile we do not accept
  kNotFound,
  kAlreadyExists,
  kConflict,  // concurrent modification; the unit of work may retry
  kUnauthenticated,
  kPermissionDenied,
  kUnavailable,  // temporarily unable (back-pressure, disk full); the sender may retry
  kIo,
  kDataLoss,  // stored data failed an integrity check
  kInternal,  // a broken invariant in our code
};

// Where in an input an error was found. Fields a producer does not know stay at their defaults.
struct Position {
  char segment[4] = {};                  // segment id, e.g. "OBX" (NUL-terminated, may be empty)
  std::uint32_t segment_seq = 0;         // 1-based index of the segment in the message, 0 = unknown
  std::uint32_t segment_occurrence = 0;  // 1-based occurrence among segments with this id
  std::uint32_t field = 0;               // 1-based field number (HL7 numbering), 0 = unknown
  std::uint32_t component = 0;           // 1-based component, 0 = unknown
  std::size_t offset = SIZE_MAX;  // byte offset from the start of the input, SIZE_MAX = unknown

  bool known() const { return segment_seq != 0 || offset != SIZE_MAX; }
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  // says what was wrong, for an operator; never carries patient data
  Position position;

  // "message (segment 4 OBX, field 5, byte 1234)" — the position part only where known.
  std::string Describe() const;
};

Error MakeError(ErrorCode code, std::string message, Position position = {});

std::string_view ErrorCodeName(ErrorCode code);
int HttpStatus(ErrorCode code);
// HL7 v2 table 0008 acknowledgment code in original mode ("AE" or "AR"); enhanced-mode callers
// substitute C for A.
std::string_view Hl7AckCode(ErrorCode code);
// HL7 v2 table 0357 message error condition code (e.g. 102 "Data type error").
int Hl7ErrorCondition(ErrorCode code);

}  // namespace heartbase::base
