// Prepare: everything a follow-up report shows, read from the store and made display-ready
// (ReportModel), with the provenance record that will be signed into it. Reads only: it runs in
// a read transaction, so rendering never holds the writer.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "domain/interrogation.h"
#include "report/model.h"
#include "report/provenance.h"
#include "store/database.h"

namespace heartbase::report {

// Maps a stored raw message back to an Interrogation (ingest's mapping), given by the caller so
// that this module does not depend on ingest (ARCHITECTURE.md).
using ParseStored = std::function<base::Result<domain::Interrogation>(std::string_view raw)>;

struct PrepareOptions {
  std::string mapping_version;  // of the mapping `parse` uses
  std::int64_t now_us = 0;      // a draft's "generated at"; a signed report uses its sign-off time
  bool attachment_bytes = false;  // keep attached device PDFs' bytes (to append them as pages)
};

struct Prepared {
  ReportModel model;
  ProvenanceRecord record;
  std::string page_size;  // the clinic's: "a4" or "letter"
  std::int64_t patient_id = 0;
  std::int64_t clinic_id = 0;
};

// kNotFound if there is no such interrogation; kDataLoss if a sealed value does not open; the
// parser's errors for a raw message that no longer maps.
base::Result<Prepared> Prepare(store::Transaction& tx, const crypto::KeyRing& keys,
                               std::int64_t interrogation_id, const ParseStored& parse,
                               const PrepareOptions& options);

// "RV pacing impedance" for MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE: the words a clinician uses,
// from the term's reference id. Unknown words are kept, lower-cased.
std::string TermLabel(std::string_view reference_id);

}  // namespace heartbase::report
