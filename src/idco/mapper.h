// Map: an IHE IDCO ORU^R01 (PCD-09, HL7 v2.5/v2.6) message → domain::Interrogation.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"
#include "domain/interrogation.h"
#include "hl7/message.h"

namespace heartbase::idco {

struct MapOptions {
  // Decode ED attachments into Attachment::data. When false, only their size is checked.
  bool decode_attachments = true;
  std::size_t max_attachment_bytes = 16u << 20;  // decoded size, per attachment
  std::size_t max_observations = 20'000;         // OBX segments per message
};

// Maps every OBX; nothing is dropped: unknown terms keep their raw code (known_term = false) and
// land in the group their family or code block suggests; values that do not parse as their
// declared type are kept as text (Value::Kind::kUnparsed) with a warning.
// Fails only when the message is not an interrogation at all:
//   kInvalidArgument — `message` holds no parsed message;
//   kUnsupported — MSH-9 is not ORU^R01;
//   kMalformed   — no PID or no OBR segment, or no device identity (neither PID-3 model/serial,
//                  nor a PID-3 identifier of type U, nor DEV_SERIAL), or an ED attachment that
//                  is not valid base64;
//   kLimitExceeded — more observations, or a larger attachment, than the options allow.
// Error messages name positions and term codes, never values (they may reach logs).
base::Result<domain::Interrogation> Map(const hl7::Message& message,
                                        const MapOptions& options = {});

// Manufacturer names and mnemonics folded to one code per company: MDT (Medtronic), BSX (Boston
// Scientific, Guidant), SJM (Abbott, St. Jude), BIO (Biotronik), MCP (MicroPort, Sorin, LivaNova,
// ELA). Anything else is returned as sent.
std::string NormalizeManufacturer(std::string_view sent);

}  // namespace heartbase::idco
