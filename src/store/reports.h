// Follow-up reports as stored (migration 0012): the signed report of an interrogation, a sealed
// content-addressed PDF blob that is written once and never replaced, and each clinic's report
// header (address, time zone, paper size, logo). Drafts are rendered on demand and not stored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::store {

struct ReportRow {
  std::int64_t id = 0;
  std::int64_t interrogation_id = 0;
  std::int64_t blob_id = 0;
  std::string page_size;    // "a4", "letter"
  std::string sha256;       // of the PDF file, 64 lower-case hex digits
  std::int64_t bytes = 0;   // of the PDF file
  std::string signing_key;  // the fingerprint of the key that signed its provenance
  std::int64_t created_us = 0;
};

// Stores `pdf` (sealed, kind "report") as the signed report of the interrogation. kAlreadyExists
// when it already has one: a signed report is never replaced. kInvalidArgument for a page size
// other than "a4"/"letter" or a fingerprint that is not 32 hex digits.
base::Result<ReportRow> InsertSignedReport(Transaction& tx, const crypto::KeyRing& keys,
                                           std::int64_t interrogation_id, std::string_view pdf,
                                           std::string_view page_size, std::string_view signing_key,
                                           std::int64_t now_us);

// The signed report of the interrogation, if it has one.
base::Result<std::optional<ReportRow>> FindSignedReport(Transaction& tx,
                                                        std::int64_t interrogation_id);
// kNotFound if absent.
base::Result<ReportRow> GetReport(Transaction& tx, std::int64_t report_id);

// The PDF bytes of a report. kNotFound if absent; kDataLoss if the blob fails authentication or
// its hash no longer matches the row.
base::Result<std::string> ReadReportPdf(Transaction& tx, const crypto::KeyRing& keys,
                                        const ReportRow& report);

// Interrogations signed off (in heartbase: with a signer) that have no stored report yet, oldest
// sign-off first; at most `limit`. The renderer works through them after each sign-off.
base::Result<std::vector<std::int64_t>> ListSignedWithoutReport(Transaction& tx, int limit);

struct ClinicReportSettings {
  std::int64_t clinic_id = 0;
  std::string name;
  std::string address;    // lines separated by LF
  std::string time_zone;  // IANA name, e.g. "Europe/Berlin"
  std::string page_size;  // "a4", "letter"
  std::string logo_png;   // empty: none
};
inline constexpr std::size_t kMaxClinicAddressBytes = 1000;
inline constexpr std::size_t kMaxLogoBytes = 512u << 10;

// kNotFound if there is no such clinic.
base::Result<ClinicReportSettings> GetClinicReportSettings(Transaction& tx,
                                                           const crypto::KeyRing& keys,
                                                           std::int64_t clinic_id);
// Replaces the address, time zone, paper size and logo (name is not changed here). Validation
// (the time zone exists, the logo is a PNG) is the caller's; limits are checked here:
// kInvalidArgument for an address over kMaxClinicAddressBytes, a logo over kMaxLogoBytes or a bad
// page size; kNotFound if there is no such clinic.
base::Status SetClinicReportSettings(Transaction& tx, const crypto::KeyRing& keys,
                                     const ClinicReportSettings& settings, std::int64_t now_us);

}  // namespace heartbase::store
