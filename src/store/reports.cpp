// Signed reports and the clinic's report header. SQL text is fixed; values are bound parameters.
#include "store/reports.h"

#include <fmt/format.h>

#include "crypto/hash.h"
#include "store/blobs.h"

namespace heartbase::store {
namespace {

using base::ErrorCode;

bool IsPageSize(std::string_view s) { return s == "a4" || s == "letter"; }

bool IsHex(std::string_view s, std::size_t length) {
  if (s.size() != length) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

constexpr std::string_view kReportColumns =
    "id, interrogation_id, blob_id, page_size, sha256, bytes, signing_key, created_us";

ReportRow ReadReportRow(const Row& r) {
  return ReportRow{.id = r.Int(0),
                   .interrogation_id = r.Int(1),
                   .blob_id = r.Int(2),
                   .page_size = std::string(r.Text(3)),
                   .sha256 = std::string(r.Text(4)),
                   .bytes = r.Int(5),
                   .signing_key = std::string(r.Text(6)),
                   .created_us = r.Int(7)};
}

}  // namespace

base::Result<ReportRow> InsertSignedReport(Transaction& tx, const crypto::KeyRing& keys,
                                           std::int64_t interrogation_id, std::string_view pdf,
                                           std::string_view page_size, std::string_view signing_key,
                                           std::int64_t now_us) {
  if (!IsPageSize(page_size)) return base::MakeError(ErrorCode::kInvalidArgument, "bad page size");
  if (!IsHex(signing_key, 32)) {
    return base::MakeError(ErrorCode::kInvalidArgument, "bad signing key fingerprint");
  }
  auto existing = FindSignedReport(tx, interrogation_id);
  if (!existing) return existing.error();
  if (*existing) {
    return base::MakeError(ErrorCode::kAlreadyExists,
                           fmt::format("interrogation {} already has a signed report (report {})",
                                       interrogation_id, (*existing)->id));
  }
  auto blob = PutBlob(tx, keys, "report", pdf, now_us);
  if (!blob) return blob.error();
  ReportRow row{.interrogation_id = interrogation_id,
                .blob_id = *blob,
                .page_size = std::string(page_size),
                .sha256 = crypto::Sha256Hex(pdf),
                .bytes = static_cast<std::int64_t>(pdf.size()),
                .signing_key = std::string(signing_key),
                .created_us = now_us};
  const Param p[] = {{"interrogation", interrogation_id},
                     {"blob", row.blob_id},
                     {"page_size", row.page_size},
                     {"sha256", row.sha256},
                     {"bytes", row.bytes},
                     {"key", row.signing_key},
                     {"now", now_us}};
  auto id = tx.Query(
      "INSERT INTO report (interrogation_id, blob_id, page_size, signed, sha256, bytes, "
      "signing_key, created_us) VALUES (:interrogation, :blob, :page_size, 1, :sha256, :bytes, "
      ":key, :now) RETURNING id",
      p);
  if (!id) return id.error();
  row.id = id->at(0).Int(0);
  return row;
}

base::Result<std::optional<ReportRow>> FindSignedReport(Transaction& tx,
                                                        std::int64_t interrogation_id) {
  const Param p[] = {{"id", interrogation_id}};
  auto rows =
      tx.Query(fmt::format("SELECT {} FROM report WHERE interrogation_id = :id AND signed = 1",
                           kReportColumns),
               p);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<ReportRow>();
  return std::optional<ReportRow>(ReadReportRow(rows->front()));
}

base::Result<ReportRow> GetReport(Transaction& tx, std::int64_t report_id) {
  const Param p[] = {{"id", report_id}};
  auto rows = tx.Query(fmt::format("SELECT {} FROM report WHERE id = :id", kReportColumns), p);
  if (!rows) return rows.error();
  if (rows->empty()) {
    return base::MakeError(ErrorCode::kNotFound, fmt::format("no report {}", report_id));
  }
  return ReadReportRow(rows->front());
}

base::Result<std::string> ReadReportPdf(Transaction& tx, const crypto::KeyRing& keys,
                                        const ReportRow& report) {
  auto pdf = GetBlob(tx, keys, report.blob_id);
  if (!pdf) return pdf.error();
  if (crypto::Sha256Hex(*pdf) != report.sha256) {
    return base::MakeError(
        ErrorCode::kDataLoss,
        fmt::format("report {}: the stored PDF does not match its hash", report.id));
  }
  return pdf;
}

base::Result<std::vector<std::int64_t>> ListSignedWithoutReport(Transaction& tx, int limit) {
  const Param p[] = {{"limit", static_cast<std::int64_t>(std::max(limit, 1))}};
  auto rows = tx.Query(
      "SELECT r.interrogation_id FROM interrogation_review r "
      "WHERE r.state = 'signed' AND r.signed_by IS NOT NULL AND NOT EXISTS "
      "(SELECT 1 FROM report WHERE report.interrogation_id = r.interrogation_id "
      "AND report.signed = 1) ORDER BY r.signed_us, r.interrogation_id LIMIT :limit",
      p);
  if (!rows) return rows.error();
  std::vector<std::int64_t> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.push_back(r.Int(0));
  return out;
}

base::Result<ClinicReportSettings> GetClinicReportSettings(Transaction& tx,
                                                           const crypto::KeyRing& keys,
                                                           std::int64_t clinic_id) {
  const Param p[] = {{"id", clinic_id}};
  auto rows = tx.Query(
      "SELECT name, address, time_zone, page_size, logo_blob_id FROM clinic WHERE id = :id", p);
  if (!rows) return rows.error();
  if (rows->empty()) {
    return base::MakeError(ErrorCode::kNotFound, fmt::format("no clinic {}", clinic_id));
  }
  const Row& r = rows->front();
  ClinicReportSettings s{.clinic_id = clinic_id,
                         .name = std::string(r.Text(0)),
                         .address = std::string(r.Text(1)),
                         .time_zone = std::string(r.Text(2)),
                         .page_size = std::string(r.Text(3))};
  if (!r.IsNull(4)) {
    auto logo = GetBlob(tx, keys, r.Int(4));
    if (!logo) return logo.error();
    s.logo_png = std::move(*logo);
  }
  return s;
}

base::Status SetClinicReportSettings(Transaction& tx, const crypto::KeyRing& keys,
                                     const ClinicReportSettings& settings, std::int64_t now_us) {
  if (settings.address.size() > kMaxClinicAddressBytes) {
    return base::MakeError(ErrorCode::kInvalidArgument, "the clinic address is too long");
  }
  if (settings.logo_png.size() > kMaxLogoBytes) {
    return base::MakeError(ErrorCode::kInvalidArgument, "the logo is larger than 512 KiB");
  }
  if (!IsPageSize(settings.page_size)) {
    return base::MakeError(ErrorCode::kInvalidArgument, "the page size is a4 or letter");
  }
  std::optional<std::int64_t> logo;
  if (!settings.logo_png.empty()) {
    auto id = PutBlob(tx, keys, "logo", settings.logo_png, now_us);
    if (!id) return id.error();
    logo = *id;
  }
  const Param p[] = {{"id", settings.clinic_id},
                     {"address", settings.address},
                     {"zone", settings.time_zone},
                     {"page", settings.page_size},
                     {"logo", logo ? Value(*logo) : Value()}};
  auto changed = tx.Execute(
      "UPDATE clinic SET address = :address, time_zone = :zone, page_size = :page, "
      "logo_blob_id = :logo WHERE id = :id",
      p);
  if (!changed) return changed.error();
  if (*changed == 0) {
    return base::MakeError(ErrorCode::kNotFound, fmt::format("no clinic {}", settings.clinic_id));
  }
  return {};
}

}  // namespace heartbase::store
