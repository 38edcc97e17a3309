#include "report/internal/sections.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>

#include "report/internal/plot.h"

namespace heartbase::report::internal {
namespace {

constexpr double kLogoMaxWidth = 160;
constexpr double kLogoMaxHeight = 56;
constexpr TextStyle kNoteStyle{.size = 8, .color = kGrey};
constexpr TextStyle kMetaStyle{.size = 8, .bold = true, .color = kGrey};

// Whatever the model holds, an empty value is shown as missing rather than as a blank cell.
std::string Shown(std::string_view value) { return std::string(value.empty() ? kMissing : value); }

std::string Size(std::int64_t bytes) {
  if (bytes < 0) return std::string(kMissing);
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{:.1f} KB", static_cast<double>(bytes) / 1024);
  return fmt::format("{:.1f} MB", static_cast<double>(bytes) / (1024 * 1024));
}

Rgb SeverityColor(std::string_view severity) {
  if (severity == "red") return {0.85, 0.1, 0.1};
  if (severity == "yellow") return {0.95, 0.72, 0.05};
  return {0.3, 0.5, 0.85};
}

void KeyValues(PageFlow& flow, const std::vector<TableRow>& rows) {
  flow.Table({{"", 1}, {"", 3}}, rows);
}

void ClinicBlock(PageFlow& flow, const ReportModel& model, cairo_surface_t* logo) {
  cairo_t* cr = flow.cr();
  double logo_width = 0;
  double logo_height = 0;
  if (logo != nullptr) {
    const double w = cairo_image_surface_get_width(logo);
    const double h = cairo_image_surface_get_height(logo);
    const double scale = std::min(kLogoMaxWidth / w, kLogoMaxHeight / h);
    logo_width = w * scale;
    logo_height = h * scale;
    cairo_save(cr);
    cairo_translate(cr, flow.left() + flow.width() - logo_width, flow.y());
    cairo_scale(cr, scale, scale);
    cairo_set_source_surface(cr, logo, 0, 0);
    cairo_paint(cr);
    cairo_restore(cr);
  }
  const double text_width = flow.width() - (logo_width > 0 ? logo_width + 12 : 0);
  double y = flow.y();
  if (!model.clinic.name.empty()) {
    LayoutPtr name =
        MakeText(flow.pango(), model.clinic.name, {.size = 15, .bold = true}, text_width);
    SetColor(cr, kInk);
    DrawText(cr, name.get(), flow.left(), y);
    y += HeightOf(name.get()) + 2;
  }
  for (const std::string& line : model.clinic.address_lines) {
    LayoutPtr layout = MakeText(flow.pango(), line, {.size = 8.5, .color = kGrey}, text_width);
    SetColor(cr, kGrey);
    DrawText(cr, layout.get(), flow.left(), y);
    y += HeightOf(layout.get());
  }
  flow.Skip(std::max(y - flow.y(), logo_height) + 10);
  flow.Text(model.title, {.size = 14, .bold = true});
  flow.Skip(4);
}

void ValueSection(PageFlow& flow, const Section& section) {
  flow.Heading(Shown(section.title));
  if (!section.note.empty()) flow.Text(section.note, kNoteStyle);
  if (section.rows.empty()) {
    flow.Text("No values", kNoteStyle);
    return;
  }
  std::vector<TableRow> rows;
  for (const ValueRow& value : section.rows) {
    TableRow row{.cells = {Shown(value.label), Shown(value.current)}, .emphasised = value.flagged};
    if (section.has_previous) {
      row.cells.push_back(Shown(value.previous));
      row.cells.push_back(value.change);  // empty: unchanged
    }
    rows.push_back(std::move(row));
  }
  if (section.has_previous) {
    flow.Table({{"", 3}, {"Current", 2}, {"Previous", 2}, {"Change", 1.6}}, rows);
  } else {
    flow.Table({{"", 3}, {"Value", 3}}, rows);
  }
}

void Episodes(PageFlow& flow, const ReportModel& model) {
  flow.Heading("Episodes");
  if (!model.episodes_note.empty()) flow.Text(model.episodes_note, kNoteStyle);
  if (model.episodes.empty()) {
    flow.Text("No episodes", kNoteStyle);
    return;
  }
  std::vector<TableRow> rows;
  rows.reserve(model.episodes.size());
  for (const EpisodeRow& episode : model.episodes) {
    rows.push_back({.cells = {Shown(episode.time), Shown(episode.type), Shown(episode.duration),
                              Shown(episode.therapy), Shown(episode.id)}});
  }
  flow.Table({{"Time", 2.2}, {"Type", 1.2}, {"Duration", 1.3}, {"Therapy", 3.6}, {"Episode", 1.2}},
             rows);
}

void Alerts(PageFlow& flow, const ReportModel& model) {
  flow.Heading("Alerts");
  if (model.alerts.empty()) {
    flow.Text("No alerts", kNoteStyle);
    return;
  }
  std::vector<TableRow> rows;
  for (const AlertRow& alert : model.alerts) {
    rows.push_back({.cells = {Shown(alert.severity), Shown(alert.rule), Shown(alert.reason)},
                    .chip = SeverityColor(alert.severity)});
  }
  flow.Table({{"Severity", 1.3}, {"Rule", 2.2}, {"Reason", 5.5}}, rows);
}

void Trends(PageFlow& flow, const ReportModel& model) {
  flow.Heading("Trends", model.trends.empty() ? 48 : kPlotHeight);
  if (model.trends.empty()) {
    flow.Text("No trend data", kNoteStyle);
    return;
  }
  for (const TrendPlot& plot : model.trends) {
    flow.Reserve(kPlotHeight);
    DrawTrendPlot(flow.cr(), flow.pango(), plot, flow.left(), flow.y(), flow.width());
    flow.Skip(kPlotHeight + 10);
  }
}

void Note(PageFlow& flow, const NoteRow& note) {
  std::string meta = Shown(note.kind);
  if (!note.author.empty()) meta += " \u00b7 " + Isolated(note.author);
  if (!note.time.empty()) meta += " \u00b7 " + Isolated(note.time);
  flow.Reserve(30);
  flow.Text(meta, kMetaStyle);
  flow.Text(Shown(note.text), {});
  flow.Skip(6);
}

void Notes(PageFlow& flow, const ReportModel& model) {
  flow.Heading("Review notes");
  if (model.notes.empty()) flow.Text("No review notes", kNoteStyle);
  for (const NoteRow& note : model.notes) Note(flow, note);
  flow.Heading("Interpretation");
  if (model.interpretation) {
    Note(flow, *model.interpretation);
  } else {
    flow.Text("No interpretation", kNoteStyle);
  }
  flow.Heading("Signature");
  if (model.signature) {
    KeyValues(flow, {{.cells = {"Signed by", Shown(model.signature->signer)}},
                     {.cells = {"Role", Shown(model.signature->role)}},
                     {.cells = {"Time", Shown(model.signature->time)}}});
  } else {
    flow.Text("Not signed", {.size = 10, .bold = true, .color = kAlarm});
  }
}

void Attachments(PageFlow& flow, const ReportModel& model,
                 const std::vector<std::string>& statuses) {
  flow.Heading("Attachments");
  if (model.attachments.empty()) {
    flow.Text("No attachments", kNoteStyle);
    return;
  }
  std::vector<TableRow> rows;
  for (std::size_t i = 0; i < model.attachments.size(); ++i) {
    const AttachmentRow& attachment = model.attachments[i];
    rows.push_back({.cells = {Shown(attachment.description), Shown(attachment.media_type),
                              Size(attachment.bytes),
                              Shown(i < statuses.size() ? statuses[i] : attachment.status)}});
  }
  flow.Table({{"Description", 4}, {"Type", 2.2}, {"Size", 1.2}, {"Status", 3}}, rows);
}

}  // namespace

void DrawBody(PageFlow& flow, const ReportModel& model,
              const std::vector<std::string>& attachment_statuses, cairo_surface_t* logo) {
  ClinicBlock(flow, model, logo);
  flow.Heading("Patient");
  KeyValues(flow, {{.cells = {"Name", Shown(model.patient.name)}},
                   {.cells = {"Date of birth", Shown(model.patient.birth_date)}},
                   {.cells = {"MRN", Shown(model.patient.mrn)}},
                   {.cells = {"Sex", Shown(model.patient.sex)}}});
  flow.Heading("Session");
  KeyValues(flow, {{.cells = {"Type", Shown(model.session_type)}},
                   {.cells = {"Time", Shown(model.session_time)}},
                   {.cells = {"Source", Shown(model.source)}},
                   {.cells = {"Result status", Shown(model.result_status)}},
                   {.cells = {"Previous session", model.previous_session.empty()
                                                      ? "none (first session)"
                                                      : model.previous_session}}});
  flow.Heading("Implanted hardware");
  if (model.hardware.empty()) {
    flow.Text("No hardware recorded", kNoteStyle);
  } else {
    std::vector<TableRow> rows;
    for (const HardwareRow& hardware : model.hardware) {
      rows.push_back(
          {.cells = {Shown(hardware.role), Shown(hardware.manufacturer), Shown(hardware.model),
                     Shown(hardware.serial), Shown(hardware.implanted), hardware.status}});
    }
    flow.Table({{"Role", 1.3},
                {"Manufacturer", 1.7},
                {"Model", 2.6},
                {"Serial", 1.6},
                {"Implanted", 1.4},
                {"Status", 1.8}},
               rows);
  }
  for (const Section& section : model.sections) ValueSection(flow, section);
  Episodes(flow, model);
  Alerts(flow, model);
  Trends(flow, model);
  Notes(flow, model);
  Attachments(flow, model, attachment_statuses);
  if (!model.warnings.empty()) {
    flow.Heading("Mapping warnings");
    for (const std::string& warning : model.warnings) flow.Text("\u2022 " + warning, {}, 0);
  }
}

}  // namespace heartbase::report::internal
