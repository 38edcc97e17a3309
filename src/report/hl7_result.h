// The signed result as an HL7 v2.5.1 message for the hospital's EHR (issue 19): ORU^R01 (the
// default) or MDM^T02, with the patient's identifiers for the destination's assigning authority,
// the session and the signing physician, a discrete summary (battery, lead values, burden, alerts,
// the interpretation) and the report's PDF as an ED attachment. Every field passes through the hl7
// encoder's escaping, so `| ^ ~ \ &`, line breaks and any UTF-8 survive.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "report/build.h"
#include "store/database.h"

namespace heartbase::report {

enum class ResultMessageType : std::uint8_t { kOruR01, kMdmT02 };
std::string_view ToString(ResultMessageType t);  // "ORU^R01", "MDM^T02"

// One EHR destination, from the configuration.
struct ResultDestination {
  std::string name;  // heartbase's own name for it, e.g. "epic"
  std::string sending_application = "HEARTBASE";
  std::string sending_facility;
  std::string receiving_application;
  std::string receiving_facility;
  // PID-3 carries the patient's identifiers issued by this authority only (e.g. the hospital's
  // MRN); a patient without one cannot be sent to this destination.
  std::string assigning_authority;
  ResultMessageType type = ResultMessageType::kOruR01;
  bool pv1 = false;                 // send a PV1 segment (patient class below)
  std::string patient_class = "O";  // PV1-2
  std::string processing_id = "P";  // MSH-11
};

struct ResultIdentifier {
  std::string id, authority, type;  // CX-1, CX-4, CX-5
};

struct ResultObservation {
  std::string value_type;     // "NM", "ST", "TX", "CWE"
  std::string code;           // IEEE 11073-10103 code, or "" (then the text is the identifier)
  std::string text;           // reference id, e.g. MDC_IDC_MSMT_BATTERY_VOLTAGE
  std::string coding_system;  // "MDC" (a local text identifier uses "L")
  std::string sub_id;         // OBX-4 (lead or episode instance), or ""
  std::string value;          // as text; escaped by the builder
  std::string unit;           // UCUM
};

struct ResultInput {
  std::int64_t interrogation_id = 0;
  std::string control_id;    // MSH-10: stable across retries of the same delivery
  std::string message_time;  // MSH-7, HL7 DTM
  std::string session_time;  // OBR-7, HL7 DTM
  std::vector<ResultIdentifier> identifiers;
  std::string family_name, given_name;
  std::string birth_date;  // YYYYMMDD or ""
  std::string sex;
  std::string signer_id, signer_name;  // OBR-32 (and TXA-22): the signing physician
  std::string signed_time;             // HL7 DTM
  std::vector<ResultObservation> observations;
  std::vector<std::string> alerts;  // "red: reason" …
  std::string interpretation;       // the physician's sign-off note
  std::string pdf;                  // the signed report
  std::string report_sha256;
};

// The message, segments separated by CR. kFailedPrecondition-like kInvalidArgument when the
// patient has no identifier of the destination's assigning authority (the error names the
// authority, never an identifier); kInvalidArgument for an empty PDF or control id.
base::Result<std::string> BuildResultMessage(const ResultDestination& destination,
                                             const ResultInput& input);

// Reads what BuildResultMessage needs about a signed interrogation: identifiers, demographics,
// signer, alerts, the discrete summary (re-mapped from the raw message) and the stored signed
// report. kNotFound if it has no signed report yet (the renderer has not reached it).
base::Result<ResultInput> PrepareResult(store::Transaction& tx, const crypto::KeyRing& keys,
                                        std::int64_t interrogation_id, const ParseStored& parse);

}  // namespace heartbase::report
