// The outbound result message. Segment layouts follow HL7 v2.5.1 (ORU^R01: MSH PID [PV1] OBR
// OBX…; MDM^T02: MSH EVN PID [PV1] TXA OBX…) as IHE PCD-09 and the IDCO profile use them.
#include "report/hl7_result.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/base64.h"
#include "base/time.h"
#include "hl7/escape.h"
#include "store/alerts.h"
#include "store/blobs.h"
#include "store/clinical_reads.h"
#include "store/patients.h"
#include "store/reports.h"
#include "store/review.h"

namespace heartbase::report {
namespace {

using base::ErrorCode;

const hl7::Delimiters kDelimiters{};

std::string E(std::string_view text) { return hl7::Escape(text, kDelimiters); }

// The result's discrete summary: what a clinician looks for first in the EHR.
bool InSummary(const domain::Observation& o) {
  const std::string_view id = o.reference_id;
  if (o.value.kind == domain::Value::Kind::kEmpty) return false;
  for (std::string_view part :
       {"BATTERY", "CAP_CHARGE", "LEADCHNL", "LEADHVCHNL", "BURDEN", "PERCENT_PACED"}) {
    if (id.find(part) != std::string_view::npos) return true;
  }
  return false;
}

ResultObservation FromObservation(const domain::Observation& o) {
  using Kind = domain::Value::Kind;
  ResultObservation r{.value_type = o.value.kind == Kind::kNumber ? "NM" : "ST",
                      .code = o.code == 0 ? "" : std::to_string(o.code),
                      .text = o.reference_id.empty() ? o.raw_code : o.reference_id,
                      .coding_system = o.code == 0 ? "L" : "MDC",
                      .sub_id = o.sub_id,
                      .unit = o.unit};
  if (o.value.kind == Kind::kNumber) {
    r.value = fmt::format("{}", o.value.number);
  } else if (o.value.kind == Kind::kCoded) {
    r.value = !o.value.coded.display.empty()    ? o.value.coded.display
              : !o.value.coded.mnemonic.empty() ? o.value.coded.mnemonic
                                                : o.value.coded.text;
  } else {
    r.value = o.value.text;
  }
  return r;
}

// A segment from its non-empty fields by HL7 number (values already escaped): no pipes to count.
std::string Segment(std::string_view id,
                    std::initializer_list<std::pair<int, std::string>> fields) {
  std::string out(id);
  int at = 0;
  for (const auto& [n, value] : fields) {
    for (; at < n; ++at) out += '|';
    out += value;
  }
  return out;
}

std::string Hl7Date(std::string_view iso) {  // "1948-03-12" → "19480312"
  std::string out;
  for (char c : iso) {
    if (c >= '0' && c <= '9') out += c;
  }
  return out.size() == 8 ? out : "";
}

}  // namespace

std::string_view ToString(ResultMessageType t) {
  return t == ResultMessageType::kMdmT02 ? "MDM^T02" : "ORU^R01";
}

base::Result<std::string> BuildResultMessage(const ResultDestination& d, const ResultInput& in) {
  if (in.control_id.empty() || in.pdf.empty()) {
    return base::MakeError(ErrorCode::kInvalidArgument, "a result needs a control id and a PDF");
  }
  std::string pid3;
  for (const ResultIdentifier& id : in.identifiers) {
    if (id.authority != d.assigning_authority) continue;
    if (!pid3.empty()) pid3 += '~';
    pid3 +=
        fmt::format("{}^^^{}^{}", E(id.id), E(id.authority), E(id.type.empty() ? "MR" : id.type));
  }
  if (pid3.empty()) {
    return base::MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("the patient has no identifier of assigning authority {} (destination {})",
                    d.assigning_authority, d.name));
  }
  const bool mdm = d.type == ResultMessageType::kMdmT02;
  std::string m;
  auto segment = [&m](const std::string& s) {
    m += s;
    m += '\r';
  };
  segment(fmt::format("MSH|^~\\&|{}|{}|{}|{}|{}||{}^{}|{}|{}|2.5.1|||AL|NE||UNICODE UTF-8",
                      E(d.sending_application), E(d.sending_facility), E(d.receiving_application),
                      E(d.receiving_facility), E(in.message_time), mdm ? "MDM^T02" : "ORU^R01",
                      mdm ? "MDM_T02" : "ORU_R01", E(in.control_id), E(d.processing_id)));
  if (mdm) segment(fmt::format("EVN|T02|{}", E(in.message_time)));
  segment(fmt::format("PID|1||{}||{}^{}||{}|{}", pid3, E(in.family_name), E(in.given_name),
                      E(in.birth_date), E(in.sex)));
  if (d.pv1) segment(fmt::format("PV1|1|{}", E(d.patient_class)));
  const std::string signer = fmt::format("{}&{}", E(in.signer_id), E(in.signer_name));
  const std::string order = fmt::format("HB{}", in.interrogation_id);
  if (mdm) {
    // TXA-2 document type, -3 presentation (AP: other application data), -4 activity time,
    // -12 unique document number, -17 completion status (AU: authenticated), -22 authenticator.
    segment(Segment("TXA", {{1, "1"},
                            {2, "CN^Cardiac device follow-up report^L"},
                            {3, "AP"},
                            {4, E(in.session_time)},
                            {12, E(order)},
                            {17, "AU"},
                            {22, fmt::format("{}^{}", E(in.signer_id), E(in.signer_name))}}));
  } else {
    // OBR-4 the report's LOINC code, -7 the session, -22 the result's time, -25 F (final),
    // -32 the principal result interpreter (the signing physician).
    segment(Segment("OBR", {{1, "1"},
                            {3, E(order)},
                            {4, "18750-0^Cardiac Electrophysiology Report^LN"},
                            {7, E(in.session_time)},
                            {22, E(in.signed_time)},
                            {25, "F"},
                            {32, signer}}));
  }
  int n = 0;
  for (const ResultObservation& o : in.observations) {
    const std::string identifier =
        o.code.empty() ? fmt::format("^{}^{}", E(o.text), E(o.coding_system))
                       : fmt::format("{}^{}^{}", E(o.code), E(o.text), E(o.coding_system));
    segment(fmt::format("OBX|{}|{}|{}|{}|{}|{}|||||F", ++n, E(o.value_type), identifier,
                        E(o.sub_id), E(o.value), E(o.unit)));
  }
  for (const std::string& alert : in.alerts) {
    segment(fmt::format("OBX|{}|ST|ALERT^Device clinic alert^L||{}||||||F", ++n, E(alert)));
  }
  if (!in.interpretation.empty()) {
    segment(fmt::format("OBX|{}|TX|59776-5^Procedure findings^LN||{}||||||F", ++n,
                        E(in.interpretation)));
  }
  // ED: source application ^ type ^ subtype ^ encoding ^ data. Base64 holds no delimiter, so the
  // data needs no escaping and is sent as one component (no line breaks inside a field).
  std::string pdf;
  base::AppendBase64Encoded(in.pdf, &pdf);
  segment(
      fmt::format("OBX|{}|ED|18750-0^Cardiac Electrophysiology Report^LN||HEARTBASE^"
                  "application^pdf^Base64^{}||||||F",
                  ++n, pdf));
  return m;
}

base::Result<ResultInput> PrepareResult(store::Transaction& tx, const crypto::KeyRing& keys,
                                        std::int64_t interrogation_id, const ParseStored& parse) {
  auto report = store::FindSignedReport(tx, interrogation_id);
  if (!report) return report.error();
  if (!*report) {
    return base::MakeError(
        ErrorCode::kNotFound,
        fmt::format("interrogation {} has no signed report yet", interrogation_id));
  }
  auto row = store::GetInterrogation(tx, interrogation_id);
  if (!row) return row.error();
  auto patient = store::GetPatient(tx, keys, row->patient_id);
  if (!patient) return patient.error();
  auto identifiers = store::ListIdentifiers(tx, keys, row->patient_id);
  if (!identifiers) return identifiers.error();
  auto review = store::GetReview(tx, keys, interrogation_id);
  if (!review) return review.error();
  auto alerts = store::ListAlerts(tx, keys, interrogation_id);
  if (!alerts) return alerts.error();
  auto raw = store::GetBlob(tx, keys, row->raw_blob_id);
  if (!raw) return raw.error();
  auto now = parse(*raw);
  if (!now) return now.error();
  auto pdf = store::ReadReportPdf(tx, keys, **report);
  if (!pdf) return pdf.error();

  ResultInput in;
  in.interrogation_id = interrogation_id;
  in.session_time = base::Hl7Utc(row->session_us.value_or(row->received_us));
  for (const auto& id : *identifiers) {
    in.identifiers.push_back({.id = id.id, .authority = id.authority, .type = id.kind});
  }
  in.family_name = patient->family_name;
  in.given_name = patient->given_name;
  in.birth_date = Hl7Date(patient->birth_date);
  in.sex = patient->sex;
  if (review->signed_by) {
    in.signer_id = *review->signed_by;
    in.signer_name = *review->signed_by;
  }
  if (review->signed_us) in.signed_time = base::Hl7Utc(*review->signed_us);
  for (const auto& n : review->notes) {
    if (n.kind == "signoff") in.interpretation = n.text;
  }
  for (const auto& a : *alerts) {
    in.alerts.push_back(fmt::format("{}: {}", store::ToString(a.alert.severity), a.alert.reason));
  }
  for (const auto* group : {&now->measurements, &now->statistics}) {
    for (const domain::Observation& o : *group) {
      if (InSummary(o)) in.observations.push_back(FromObservation(o));
    }
  }
  in.pdf = std::move(*pdf);
  in.report_sha256 = (*report)->sha256;
  return in;
}

}  // namespace heartbase::report
