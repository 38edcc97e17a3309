// The follow-up report as display-ready values: what the PDF shows, already chosen, compared and
// formatted (BuildModel), so that the renderer only lays it out and draws it (RenderPdf). Holds
// patient data: it lives in memory for one rendering and is never logged.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace heartbase::report {

enum class PageSize : std::uint8_t { kA4, kLetter };
std::string_view ToString(PageSize size);  // "a4", "letter"
// "a4" or "letter" (either case). nullopt otherwise.
std::optional<PageSize> ParsePageSize(std::string_view text);

// The text shown for a missing value, everywhere.
inline constexpr std::string_view kMissing = "\u2014";  // "—"

struct ClinicHeader {
  std::string name;                        // "Main clinic"
  std::vector<std::string> address_lines;  // may be empty
  std::string logo_png;                    // PNG bytes, or empty for none
  std::string time_zone;                   // IANA name the times below were formatted in
};

struct PatientHeader {
  std::string name;        // "Müller-Łukasiewicz, Zoë" (family, given), or kMissing
  std::string birth_date;  // "1948-03-12" or kMissing
  std::string mrn;         // "MRN 123456 (HOSP)" or kMissing
  std::string sex;         // "F", "M", … or ""
};

// One implanted device or lead, for the hardware table (current ones first).
struct HardwareRow {
  std::string role;          // "Device", "Lead RA", "Lead RV", "Lead LV" …
  std::string manufacturer;  // "Medtronic"
  std::string model;         // "A3DR01 (Azure XT DR)" or kMissing
  std::string serial;        // or kMissing
  std::string implanted;     // "2021-04-02" or kMissing
  std::string status;        // "" (current), "replaced 2024-05-01", "explanted" …
};

// A value beside the previous interrogation's. Empty `previous` and `change` when there is no
// previous interrogation: the renderer then draws two columns (label, value).
struct ValueRow {
  std::string label;     // "RV pacing impedance"
  std::string current;   // "520 Ω" or kMissing
  std::string previous;  // "540 Ω", kMissing, or "" (no previous interrogation)
  std::string change;    // "−20 Ω", "changed", "new", or ""
  bool flagged = false;  // out of range or named by an alert: drawn emphasised
};

// A titled table of ValueRows: "Battery and charge", "Lead RV", "Programmed parameters" …
struct Section {
  std::string title;
  std::string note;  // one line under the title, e.g. "Changed since 2025-11-02: 3 of 41", or ""
  bool has_previous = false;  // draw previous/change columns
  std::vector<ValueRow> rows;
};

struct EpisodeRow {
  std::string time;      // onset in the clinic's time zone, "2026-01-02 03:04" or kMissing
  std::string type;      // "VT", "AT/AF", "VF" …
  std::string duration;  // "12 s", "3 h 2 min" or kMissing
  std::string therapy;   // "ATP ×2, shock 35 J: terminated" or kMissing
  std::string id;        // the device's episode id, or ""
};

struct AlertRow {
  std::string severity;  // "red", "yellow", "info"
  std::string rule;      // "battery_eri"
  std::string reason;    // "Battery at elective replacement (2.61 V)"
};

struct TrendPoint {
  std::int64_t time_us = 0;  // UTC microseconds
  double value = 0;
};

struct TrendSeries {
  std::string label;               // "RV" (lead location), "" for a single series
  std::vector<TrendPoint> points;  // oldest first
};

// One vector plot: one or more series against time, on a shared axis.
struct TrendPlot {
  std::string title;  // "Battery voltage", "Lead impedance", "AT/AF burden"
  std::string unit;   // "V", "Ω", "%"
  std::vector<TrendSeries> series;
  std::vector<std::int64_t> device_changes_us;  // drawn as vertical markers ("device replaced")
  std::int64_t this_session_us = 0;             // drawn as the "this report" marker; 0 = none
};

struct NoteRow {
  std::string author;  // user name
  std::string kind;    // "Note", "Review", "Interpretation"
  std::string time;    // in the clinic's time zone
  std::string text;    // any length: wrapped and paginated
};

struct SignatureBlock {
  std::string signer;  // user name (or display name)
  std::string role;    // "Physician", "Electrophysiologist" …
  std::string time;    // "2026-12-07 14:03 Europe/Berlin"
};

struct AttachmentRow {
  std::string description;  // "Manufacturer's session report", "EGM, episode 3"
  std::string media_type;   // "application/pdf"
  std::int64_t bytes = 0;
  bool readable = true;  // false: listed as unreadable, never appended
  std::string status;    // "appended as pages 7–12", "unreadable: not a PDF", "listed" …
  std::string pdf;       // the document's bytes when it is to be appended; else empty
};

struct ReportModel {
  ClinicHeader clinic;
  PatientHeader patient;
  std::string title = "Device follow-up report";
  // Session.
  std::string session_type;      // "Remote, scheduled", "In clinic" …
  std::string session_time;      // in the clinic's time zone
  std::string source;            // "Remote monitoring (CARELINK|MDT)" / "In-clinic programmer"
  std::string result_status;     // "final", "corrected" …
  std::string previous_session;  // "2025-11-02 (remote)" or "" when this is the first
  std::vector<HardwareRow> hardware;
  // Battery and charge, one section per lead, programmed parameters (changes first), counters.
  std::vector<Section> sections;
  std::vector<EpisodeRow> episodes;
  std::string episodes_note;  // e.g. "40 episodes since the last session" or ""
  std::vector<AlertRow> alerts;
  std::vector<TrendPlot> trends;
  std::vector<NoteRow> notes;               // the clinicians' review notes, oldest first
  std::optional<NoteRow> interpretation;    // the physician's interpretation (sign-off note)
  std::optional<SignatureBlock> signature;  // nullopt: unsigned, DRAFT on every page
  std::vector<AttachmentRow> attachments;
  std::vector<std::string> warnings;  // mapping warnings worth a reviewer's eye
  std::string reference;              // footer: "Interrogation 42 · report 7" (internal ids only)
  std::string generated_at;           // "2026-12-07 14:05 Europe/Berlin"
  bool draft() const { return !signature.has_value(); }
};

}  // namespace heartbase::report
