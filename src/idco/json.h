// The normalized interrogation as JSON (schema: docs/idco-json.md), for `heartbase idco parse`.
#pragma once

#include <string>
#include <vector>

#include "base/json_writer.h"
#include "domain/interrogation.h"

namespace heartbase::idco {

// Writes one JSON object. `attachment_files`, when not empty, holds the file name each
// attachment was written to (same order as interrogation.attachments).
void WriteInterrogationJson(const domain::Interrogation& interrogation, base::JsonWriter* out,
                            const std::vector<std::string>& attachment_files = {});

}  // namespace heartbase::idco
