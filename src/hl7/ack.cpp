// Acknowledgments. The builder never fails: it is what answers bad input, so it must work with
// whatever could be recovered from that input.
#include "hl7/ack.h"

#include <fmt/format.h>

#include <algorithm>

#include "hl7/escape.h"
#include "hl7/message.h"

namespace heartbase::hl7 {
namespace {

constexpr std::size_t kMaxEchoedField = 199;  // HL7 ST limit for MSH-10 in v2.5+: bounded echo

std::string Bounded(std::string_view s) { return std::string(s.substr(0, kMaxEchoedField)); }

// Drops bytes that would break the ACK's structure if echoed (terminators).
std::string Clean(std::string_view s) {
  std::string out = Bounded(s);
  out.erase(std::remove_if(out.begin(), out.end(), [](char c) { return c == '\r' || c == '\n'; }),
            out.end());
  return out;
}

}  // namespace

AckContext AckContextFrom(const Message& message) {
  AckContext c;
  c.delimiters = message.delimiters();
  const auto msh = message.Find("MSH");
  if (!msh) return c;
  c.sending_application = Clean(msh->Field(3));
  c.sending_facility = Clean(msh->Field(4));
  c.control_id = Clean(msh->Field(10));
  c.trigger_event = Clean(msh->Component(9, 2));
  c.processing_id = Clean(msh->Field(11));
  c.version = Clean(msh->Component(12, 1));
  c.accept_ack_type = Clean(msh->Field(15));
  c.application_ack_type = Clean(msh->Field(16));
  return c;
}

AckContext AckContextFromBytes(std::string_view bytes) {
  bytes = bytes.substr(0, 64 * 1024);
  const std::size_t start = bytes.find("MSH");
  if (start == std::string_view::npos) return {};
  std::size_t end = bytes.find_first_of("\r\n", start);
  if (end == std::string_view::npos) end = bytes.size();
  ParseOptions options;
  options.join_continuation_lines = false;
  auto parsed = Message::Parse(bytes.substr(start, end - start), options);
  if (!parsed) return {};
  return AckContextFrom(*parsed);
}

AckMode ModeFor(const AckContext& context) {
  return context.accept_ack_type.empty() && context.application_ack_type.empty()
             ? AckMode::kOriginal
             : AckMode::kEnhanced;
}

bool AckRequested(const AckContext& context, AckOutcome outcome) {
  if (ModeFor(context) == AckMode::kOriginal) return true;
  const std::string_view t = context.accept_ack_type;
  if (t.empty() || t == "AL") return true;
  if (t == "NE") return false;
  if (t == "ER") return outcome != AckOutcome::kAccept;
  if (t == "SU") return outcome == AckOutcome::kAccept;
  return true;  // unknown value: answering is the safe choice
}

std::string_view AckCode(AckMode mode, AckOutcome outcome) {
  const bool enhanced = mode == AckMode::kEnhanced;
  switch (outcome) {
    case AckOutcome::kAccept:
      return enhanced ? "CA" : "AA";
    case AckOutcome::kError:
      return enhanced ? "CE" : "AE";
    case AckOutcome::kReject:
      return enhanced ? "CR" : "AR";
  }
  return "AE";
}

AckError AckErrorFrom(const base::Error& error) {
  return AckError{.condition = base::Hl7ErrorCondition(error.code),
                  .severity = 'E',
                  .text = error.message,
                  .position = error.position};
}

std::string BuildAck(const AckContext& context, const AckRequest& request) {
  const Delimiters& d = context.delimiters;
  const char f = d.field;
  const char c = d.component;
  const AckMode mode = request.mode.value_or(ModeFor(context));
  std::string out;
  out.reserve(256);
  // MSH-2 written from the declared delimiters, in their standard order.
  std::string encoding{d.component, d.repetition, d.escape, d.subcomponent};
  if (d.truncation != '\0') encoding.push_back(d.truncation);
  encoding.erase(std::remove(encoding.begin(), encoding.end(), '\0'), encoding.end());

  auto field = [&](std::string_view value) {
    out.push_back(f);
    out.append(value);
  };
  auto text_field = [&](std::string_view value) {
    out.push_back(f);
    AppendEscaped(value, d, &out);
  };
  out.append("MSH");
  out.push_back(f);
  out.append(encoding);
  text_field(request.sending_application);  // MSH-3
  text_field(request.sending_facility);     // MSH-4
  field(context.sending_application);       // MSH-5
  field(context.sending_facility);          // MSH-6
  text_field(request.timestamp);            // MSH-7
  field("");                                // MSH-8
  out.push_back(f);                         // MSH-9
  out.append("ACK");
  if (!context.trigger_event.empty()) {
    out.push_back(c);
    out.append(context.trigger_event);
    out.push_back(c);
    out.append("ACK");
  }
  text_field(request.control_id);                                      // MSH-10
  field(context.processing_id.empty() ? "P" : context.processing_id);  // MSH-11
  field(context.version.empty() ? "2.6" : context.version);            // MSH-12
  out.push_back('\r');

  out.append("MSA");
  field(AckCode(mode, request.outcome));
  field(context.control_id);
  out.push_back('\r');

  for (const AckError& e : request.errors) {
    out.append("ERR");
    field("");         // ERR-1 not used in v2.5+
    out.push_back(f);  // ERR-2 error location (ERL)
    if (e.position.segment[0] != '\0') {
      out.append(e.position.segment);
      out.push_back(c);
      out.append(fmt::format(
          "{}", e.position.segment_occurrence == 0 ? 1 : e.position.segment_occurrence));
      if (e.position.field != 0) {
        out.push_back(c);
        out.append(fmt::format("{}", e.position.field));
        if (e.position.component != 0) {
          out.push_back(c);
          out.push_back(c);
          out.append(fmt::format("{}", e.position.component));
        }
      }
    }
    out.push_back(f);  // ERR-3 HL7 error code (CWE, table 0357)
    out.append(fmt::format("{}", e.condition));
    out.push_back(c);
    AppendEscaped(fmt::format("{}", e.condition == 0     ? "Message accepted"
                                    : e.condition == 100 ? "Segment sequence error"
                                    : e.condition == 101 ? "Required field missing"
                                    : e.condition == 102 ? "Data type error"
                                    : e.condition == 103 ? "Table value not found"
                                    : e.condition == 200 ? "Unsupported message type"
                                    : e.condition == 201 ? "Unsupported event code"
                                    : e.condition == 202 ? "Unsupported processing id"
                                    : e.condition == 203 ? "Unsupported version id"
                                    : e.condition == 204 ? "Unknown key identifier"
                                    : e.condition == 205 ? "Duplicate key identifier"
                                    : e.condition == 206 ? "Application record locked"
                                                         : "Application internal error"),
                  d, &out);
    out.push_back(c);
    out.append("HL70357");
    field(std::string_view(&e.severity, 1));  // ERR-4 severity
    field("");                                // ERR-5 application error code
    field("");                                // ERR-6 application error parameter
    field("");                                // ERR-7 diagnostic information
    text_field(e.text);                       // ERR-8 user message
    out.push_back('\r');
  }
  return out;
}

}  // namespace heartbase::hl7
