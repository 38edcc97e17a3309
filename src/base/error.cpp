// The error catalogue: one row per code, so HTTP and HL7 callers never disagree.
#include "base/error.h"

#include <fmt/format.h>

#include <array>

namespace heartbase::base {
namespace {

struct Row {
  ErrorCode code;
  std::string_view name;
  int http;
  std::string_view ack;  // original-mode acknowledgment code
  int hl7_condition;     // HL7 table 0357
};

// AR = the message was rejected for what it is (syntax, type, size): resending it will not help.
// AE = an application error; the sender may resend later.
constexpr std::array<Row, 13> kTable{{
    {ErrorCode::kInvalidArgument, "invalid_argument", 400, "AR", 207},
    {ErrorCode::kMalformed, "malformed", 400, "AR", 102},
    {ErrorCode::kLimitExceeded, "limit_exceeded", 413, "AR", 207},
    {ErrorCode::kUnsupported, "unsupported", 422, "AR", 200},
    {ErrorCode::kNotFound, "not_found", 404, "AE", 204},
    {ErrorCode::kAlreadyExists, "already_exists", 409, "AE", 205},
    {ErrorCode::kConflict, "conflict", 409, "AE", 206},
    {ErrorCode::kUnauthenticated, "unauthenticated", 401, "AR", 207},
    {ErrorCode::kPermissionDenied, "permission_denied", 403, "AR", 207},
    {ErrorCode::kUnavailable, "unavailable", 503, "AE", 207},
    {ErrorCode::kIo, "io", 500, "AE", 207},
    {ErrorCode::kDataLoss, "data_loss", 500, "AE", 207},
    {ErrorCode::kInternal, "internal", 500, "AE", 207},
}};

const Row& Find(ErrorCode code) {
  for (const Row& row : kTable) {
    if (row.code == code) return row;
  }
  return kTable.back();
}

}  // namespace

std::string Error::Describe() const {
  if (!position.known()) return message;
  std::string where;
  if (position.segment_seq != 0) {
    where = fmt::format("segment {}", position.segment_seq);
    if (position.segment[0] != '\0') where += fmt::format(" {}", position.segment);
    if (position.field != 0) where += fmt::format(", field {}", position.field);
    if (position.component != 0) where += fmt::format(", component {}", position.component);
  }
  if (position.offset != SIZE_MAX) {
    if (!where.empty()) where += ", ";
    where += fmt::format("byte {}", position.offset);
  }
  return fmt::format("{} ({})", message, where);
}

Error MakeError(ErrorCode code, std::string message, Position position) {
  return Error{code, std::move(message), position};
}

std::string_view ErrorCodeName(ErrorCode code) { return Find(code).name; }
int HttpStatus(ErrorCode code) { return Find(code).http; }
std::string_view Hl7AckCode(ErrorCode code) { return Find(code).ack; }
int Hl7ErrorCondition(ErrorCode code) { return Find(code).hl7_condition; }

}  // namespace heartbase::base
