#include "report/render.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

namespace heartbase::report {
namespace {

constexpr std::int64_t kUsPerDay = 86'400'000'000;
constexpr std::int64_t kJan2016Us = 1'451'606'400'000'000;  // 2016-01-01T00:00:00Z

bool HavePopplerUtils() {
  return std::system(
             "command -v pdftotext >/dev/null 2>&1 && command -v pdfinfo >/dev/null 2>&1"
             " && command -v pdftoppm >/dev/null 2>&1") == 0;
}

std::string RunCommand(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  pclose(pipe);
  return out;
}

std::string WithoutSpacesAndBidiMarks(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    // U+202A..U+202E are E2 80 AA..AE in UTF-8.
    if (text.compare(i, 2, "\xE2\x80") == 0 && i + 2 < text.size() &&
        static_cast<unsigned char>(text[i + 2]) >= 0xAA &&
        static_cast<unsigned char>(text[i + 2]) <= 0xAE) {
      i += 2;
      continue;
    }
    if (text[i] != ' ') out += text[i];
  }
  return out;
}

// A PDF written to a fresh temporary directory, inspected with poppler-utils.
class PdfFile {
 public:
  explicit PdfFile(const std::string& bytes) {
    static int counter = 0;
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("render_test_" + std::to_string(getpid()) + "_" + std::to_string(++counter));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "report.pdf").string();
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  ~PdfFile() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  PdfFile(const PdfFile&) = delete;
  PdfFile& operator=(const PdfFile&) = delete;

  std::string Info() const { return RunCommand("pdfinfo '" + path_ + "' 2>/dev/null"); }
  int Pages() const {
    const std::string info = Info();
    const auto at = info.find("Pages:");
    return at == std::string::npos ? -1 : std::stoi(info.substr(at + 6));
  }
  std::string Text() const { return RunCommand("pdftotext -layout '" + path_ + "' - 2>/dev/null"); }
  std::string PageText(int page) const {
    return RunCommand("pdftotext -layout -f " + std::to_string(page) + " -l " +
                      std::to_string(page) + " '" + path_ + "' - 2>/dev/null");
  }
  int RasterisedPages() const {
    const std::string prefix = (dir_ / "page").string();
    if (std::system(("pdftoppm -r 30 -png '" + path_ + "' '" + prefix + "' 2>/dev/null").c_str()) !=
        0) {
      return -1;
    }
    int count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      count += entry.path().extension() == ".png" ? 1 : 0;
    }
    return count;
  }

 private:
  std::filesystem::path dir_;
  std::string path_;
};

std::vector<TrendPoint> MonthlyPoints(double start, double slope) {
  std::vector<TrendPoint> points;
  points.reserve(120);
  for (int month = 0; month < 120; ++month) {
    points.push_back({.time_us = kJan2016Us + month * 30 * kUsPerDay,
                      .value = start + slope * month + std::sin(month * 0.7) * 0.02 * start});
  }
  return points;
}

cairo_status_t AppendToString(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// A small PDF (made with cairo) of `pages` pages, each saying "Attached page N".
std::string AttachmentPdf(int pages) {
  std::string bytes;
  cairo_surface_t* surface = cairo_pdf_surface_create_for_stream(AppendToString, &bytes, 300, 400);
  cairo_t* cr = cairo_create(surface);
  for (int i = 1; i <= pages; ++i) {
    cairo_move_to(cr, 40, 100);
    cairo_set_font_size(cr, 14);
    cairo_show_text(cr, ("Attached page " + std::to_string(i)).c_str());
    cairo_show_page(cr);
  }
  cairo_destroy(cr);
  cairo_surface_finish(surface);
  cairo_surface_destroy(surface);
  return bytes;
}

std::string LogoPng() {
  std::string bytes;
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 64, 32);
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 0.8, 0.1, 0.2);
  cairo_paint(cr);
  cairo_destroy(cr);
  cairo_surface_write_to_png_stream(surface, AppendToString, &bytes);
  cairo_surface_destroy(surface);
  return bytes;
}

Section LeadSection(const std::string& lead, int base) {
  Section section{
      .title = "Lead " + lead, .note = "Changed since 2025-11-02: 1 of 4", .has_previous = true};
  section.rows.push_back({.label = lead + " pacing impedance",
                          .current = std::to_string(base) + " \u03a9",
                          .previous = std::to_string(base + 20) + " \u03a9",
                          .change = "\u221220 \u03a9"});
  section.rows.push_back({.label = lead + " capture threshold",
                          .current = "0.75 V @ 0.4 ms",
                          .previous = "0.5 V @ 0.4 ms",
                          .change = "+0.25 V",
                          .flagged = true});
  section.rows.push_back({.label = lead + " sensing amplitude",
                          .current = std::string(kMissing),
                          .previous = "11.2 mV",
                          .change = ""});
  section.rows.push_back({.label = lead + " HV impedance",
                          .current = std::to_string(base / 8) + " \u03a9",
                          .previous = std::to_string(base / 8) + " \u03a9",
                          .change = ""});
  return section;
}

// A full, signed model: every block filled, names in several scripts.
ReportModel FullModel() {
  ReportModel model;
  model.clinic = {.name = "Main clinic",
                  .address_lines = {"Herzzentrum, Station 4", "Hauptstraße 1, 10115 Berlin"},
                  .time_zone = "Europe/Berlin"};
  model.patient = {.name = "Müller-Łukasiewicz, Zoë",
                   .birth_date = "1948-03-12",
                   .mrn = "MRN 123456 (HOSP)",
                   .sex = "F"};
  model.session_type = "Remote, scheduled";
  model.session_time = "2026-12-07 09:12";
  model.source = "Remote monitoring (CARELINK|MDT)";
  model.result_status = "final";
  model.previous_session = "2025-11-02 (remote)";
  model.hardware = {
      {"Device", "Medtronic", "DTBA1D4 (Cobalt XT)", "RNB123456S", "2021-04-02", ""},
      {"Lead RA", "Medtronic", "5076", "PJN1234567", "2021-04-02", ""},
      {"Lead RV", "Medtronic", "6935M", "TDH987654V", "2021-04-02", ""},
      {"Lead LV", "Abbott", "Quartet 1458Q", std::string(kMissing), "2021-04-02", ""},
      {"Device", "Medtronic", "D314DRG", "PZC000111H", "2014-02-11", "replaced 2021-04-02"}};
  Section battery{.title = "Battery and charge", .has_previous = true};
  battery.rows.push_back({"Battery voltage", "2.98 V", "3.01 V", "\u22120.03 V", false});
  battery.rows.push_back({"Remaining longevity", "6.5 years", "7.0 years", "\u22120.5 years"});
  battery.rows.push_back({"Last charge time", "8.7 s", "8.5 s", "+0.2 s"});
  model.sections.push_back(battery);
  model.sections.push_back(LeadSection("RA", 480));
  model.sections.push_back(LeadSection("RV", 520));
  model.sections.push_back(LeadSection("LV", 710));
  Section params{.title = "Programmed parameters", .note = "", .has_previous = false};
  params.rows.push_back({.label = "Mode", .current = "DDD"});
  params.rows.push_back({.label = "Lower rate", .current = "60 bpm"});
  model.sections.push_back(params);
  for (int i = 0; i < 40; ++i) {
    model.episodes.push_back(
        {.time = "2026-11-" + std::to_string(10 + i % 20) + " 03:04",
         .type = i % 3 == 0 ? "VT" : "AT/AF",
         .duration = std::to_string(12 + i) + " s",
         .therapy = i % 3 == 0 ? "ATP \u00d72, shock 35 J: terminated" : std::string(kMissing),
         .id = "EP" + std::to_string(1000 + i)});
  }
  model.episodes_note = "40 episodes since the last session";
  model.alerts = {{"red", "battery_eri", "Battery at elective replacement (2.61 V)"},
                  {"yellow", "af_burden", "AT/AF burden 12.5 % (threshold 6 %)"},
                  {"info", "sensing", "RV sensing amplitude not reported"}};
  const std::int64_t change = kJan2016Us + 62 * 30 * kUsPerDay;
  const std::int64_t session = kJan2016Us + 119 * 30 * kUsPerDay;
  model.trends.push_back({.title = "Battery voltage",
                          .unit = "V",
                          .series = {{.label = "", .points = MonthlyPoints(3.1, -0.002)}},
                          .device_changes_us = {change},
                          .this_session_us = session});
  model.trends.push_back({.title = "Lead impedance",
                          .unit = "\u03a9",
                          .series = {{.label = "RA", .points = MonthlyPoints(480, 0.2)},
                                     {.label = "RV", .points = MonthlyPoints(520, -0.3)},
                                     {.label = "LV", .points = MonthlyPoints(710, 0.1)}},
                          .device_changes_us = {change},
                          .this_session_us = session});
  model.trends.push_back({.title = "Capture threshold",
                          .unit = "V",
                          .series = {{.label = "RV", .points = MonthlyPoints(0.75, 0.001)}},
                          .device_changes_us = {change},
                          .this_session_us = session});
  model.trends.push_back({.title = "AT/AF burden",
                          .unit = "%",
                          .series = {{.label = "", .points = MonthlyPoints(5, 0.05)}},
                          .device_changes_us = {change},
                          .this_session_us = session});
  model.notes = {
      {"O'Brien", "Review", "2026-12-07 10:00", "Reviewed with 王秀英; RV threshold rising."},
      {"שרה כהן", "Note", "2026-12-07 11:00", "Patient informed by phone (محمد, son)."}};
  model.interpretation = NoteRow{"Dr. Weiß", "Interpretation", "2026-12-07 14:00",
                                 "Normal device function. ERI reached: schedule replacement."};
  model.signature =
      SignatureBlock{"Dr. Weiß", "Electrophysiologist", "2026-12-07 14:03 Europe/Berlin"};
  model.attachments = {{.description = "Manufacturer's session report",
                        .media_type = "application/pdf",
                        .bytes = 120'000,
                        .status = "listed"}};
  model.warnings = {"OBX 12: unknown term MDC_IDC_XYZ, skipped"};
  model.reference = "Interrogation 42 \u00b7 report 7";
  model.generated_at = "2026-12-07 14:05 Europe/Berlin";
  return model;
}

std::string Render(const ReportModel& model, RenderOptions options = {}) {
  base::Result<std::string> pdf = RenderPdf(model, options);
  EXPECT_TRUE(pdf.ok()) << (pdf.ok() ? "" : pdf.error().Describe());
  return pdf.ok() ? *pdf : std::string();
}

#define REQUIRE_POPPLER_UTILS() \
  if (!HavePopplerUtils()) GTEST_SKIP() << "poppler-utils (pdftotext, pdfinfo, pdftoppm) absent"

TEST(RenderPdf, FullModelShowsValuesPreviousValuesNamesAndSigner) {
  REQUIRE_POPPLER_UTILS();
  const ReportModel model = FullModel();
  const auto start = std::chrono::steady_clock::now();
  const std::string bytes = Render(model);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("full model: %.1f ms, %.1f KB\n", ms, static_cast<double>(bytes.size()) / 1024);
  ASSERT_EQ(bytes.substr(0, 5), "%PDF-");
  const PdfFile pdf(bytes);
  const std::string text = pdf.Text();
  for (const char* expected : {"Main clinic",
                               "Hauptstraße 1",
                               "Device follow-up report",
                               "Müller-Łukasiewicz, Zoë",
                               "1948-03-12",
                               "MRN 123456 (HOSP)",
                               "Remote, scheduled",
                               "2025-11-02 (remote)",
                               "RNB123456S",
                               "520 Ω",
                               "540 Ω",
                               "−20 Ω",
                               "0.75 V @ 0.4 ms",
                               "2.98 V",
                               "3.01 V",
                               "EP1039",
                               "ATP ×2, shock 35 J: terminated",
                               "battery_eri",
                               "Battery at elective replacement",
                               "Battery voltage (V)",
                               "device replaced",
                               "this report",
                               "O'Brien",
                               "王秀英",
                               "Dr. Weiß",
                               "Electrophysiologist",
                               "2026-12-07 14:03 Europe/Berlin",
                               "Manufacturer's session report",
                               "MDC_IDC_XYZ",
                               "Interrogation 42 · report 7",
                               "Generated 2026-12-07 14:05 Europe/Berlin"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected;
  }
  // pdftotext wraps right-to-left runs in embedding marks and splits off final letters ("כה ן"):
  // compare without spaces and those marks.
  const std::string letters = WithoutSpacesAndBidiMarks(text);
  EXPECT_NE(letters.find("שרהכהן"), std::string::npos) << "Hebrew name";
  EXPECT_NE(letters.find("محمد"), std::string::npos) << "Arabic name";
  EXPECT_EQ(text.find("DRAFT"), std::string::npos);
  const int pages = pdf.Pages();
  ASSERT_GT(pages, 1);
  EXPECT_NE(text.find("Page " + std::to_string(pages) + " of " + std::to_string(pages)),
            std::string::npos);
  EXPECT_EQ(pdf.RasterisedPages(), pages);
}

TEST(RenderPdf, UsesTheRequestedPageSize) {
  REQUIRE_POPPLER_UTILS();
  const ReportModel model = FullModel();
  EXPECT_NE(
      PdfFile(Render(model, {.page_size = PageSize::kA4})).Info().find("595.28 x 841.89 pts (A4)"),
      std::string::npos);
  EXPECT_NE(PdfFile(Render(model, {.page_size = PageSize::kLetter}))
                .Info()
                .find("612 x 792 pts (letter)"),
            std::string::npos);
}

TEST(RenderPdf, MetadataHasTitleCreatorAndModelDateButNoPatient) {
  REQUIRE_POPPLER_UTILS();
  const std::string info = PdfFile(Render(FullModel())).Info();
  EXPECT_NE(info.find("Device follow-up report"), std::string::npos) << info;
  EXPECT_NE(info.find("heartbase"), std::string::npos) << info;
  EXPECT_NE(info.find("2026"), std::string::npos) << info;  // CreationDate from generated_at
  EXPECT_EQ(info.find("Müller"), std::string::npos);
  EXPECT_EQ(info.find("123456"), std::string::npos);
}

TEST(RenderPdf, EqualInputsGiveIdenticalBytes) {
  ReportModel model = FullModel();
  model.clinic.logo_png = LogoPng();
  model.attachments[0].pdf = AttachmentPdf(2);
  const RenderOptions options{.append_attachments = true};
  const std::string first = Render(model, options);
  const std::string second = Render(model, options);
  ASSERT_FALSE(first.empty());
  EXPECT_TRUE(first == second) << "sizes " << first.size() << " and " << second.size();
}

TEST(RenderPdf, DraftSaysDraftOnEveryPage) {
  REQUIRE_POPPLER_UTILS();
  ReportModel model = FullModel();
  model.signature.reset();
  model.attachments[0].pdf = AttachmentPdf(1);  // appended pages say DRAFT too
  const PdfFile pdf(Render(model, {.append_attachments = true}));
  const int pages = pdf.Pages();
  ASSERT_GT(pages, 1);
  for (int page = 1; page <= pages; ++page) {
    const std::string text = pdf.PageText(page);
    EXPECT_NE(text.find("DRAFT"), std::string::npos) << "page " << page;
  }
  EXPECT_NE(pdf.Text().find("Not signed"), std::string::npos);
  EXPECT_NE(pdf.Text().find("DRAFT — not signed"), std::string::npos);
}

TEST(RenderPdf, LongNoteWrapsAndContinuesAcrossPages) {
  REQUIRE_POPPLER_UTILS();
  const int base_pages = PdfFile(Render(FullModel())).Pages();
  for (const bool spaces : {true, false}) {
    ReportModel model = FullModel();
    std::string note;
    while (note.size() < 10'000) note += spaces ? "pacing threshold stable " : "abcdefghij";
    note += spaces ? "LASTWORD" : "Z";
    model.notes.push_back({"O'Brien", "Note", "2026-12-07 12:00", note});
    const PdfFile pdf(Render(model));
    EXPECT_GT(pdf.Pages(), base_pages) << (spaces ? "with spaces" : "without spaces");
    const std::string text = pdf.Text();
    if (spaces) {
      EXPECT_NE(text.find("LASTWORD"), std::string::npos);
    } else {
      // Broken anywhere, the run ends with "...hijZ" on its last line.
      EXPECT_NE(text.find("hijZ"), std::string::npos);
    }
    EXPECT_EQ(pdf.RasterisedPages(), pdf.Pages());
  }
}

TEST(RenderPdf, FiveHundredEpisodesPaginateWithEveryId) {
  REQUIRE_POPPLER_UTILS();
  ReportModel model = FullModel();
  model.episodes.clear();
  for (int i = 0; i < 500; ++i) {
    model.episodes.push_back({.time = "2026-11-01 00:00",
                              .type = "AT/AF",
                              .duration = "5 min",
                              .therapy = "none",
                              .id = "EPI" + std::to_string(10000 + i)});
  }
  const PdfFile pdf(Render(model));
  const std::string text = pdf.Text();
  for (int i = 0; i < 500; ++i) {
    ASSERT_NE(text.find("EPI" + std::to_string(10000 + i)), std::string::npos) << i;
  }
  EXPECT_GT(pdf.Pages(), 10);
  // The header row is repeated on the pages the table continues on.
  EXPECT_NE(pdf.PageText(5).find("Therapy"), std::string::npos);
}

TEST(RenderPdf, MissingValuesRenderAsDash) {
  REQUIRE_POPPLER_UTILS();
  ReportModel model;
  model.patient = {.name = std::string(kMissing), .birth_date = "", .mrn = "", .sex = ""};
  model.signature = SignatureBlock{};  // signed: no watermark between the words
  model.sections.push_back(
      {.title = "Battery", .rows = {{.label = "Battery voltage", .current = ""}}});
  model.trends.push_back({.title = "Battery voltage", .unit = "V"});
  const std::string text = PdfFile(Render(model)).Text();
  const auto label = text.find("Battery voltage");
  ASSERT_NE(label, std::string::npos);
  EXPECT_LT(text.find("\u2014", label), text.find('\n', label)) << text;
  EXPECT_NE(text.find("Date of birth"), std::string::npos);
  EXPECT_NE(text.find("\u2014"), std::string::npos);
  EXPECT_NE(text.find("No data"), std::string::npos);
}

TEST(RenderPdf, BrokenAttachmentsAreListedUnreadableAndTheReportIsProduced) {
  REQUIRE_POPPLER_UTILS();
  ReportModel model = FullModel();
  const std::string valid = AttachmentPdf(1);
  model.attachments = {
      {.description = "Garbage", .media_type = "application/pdf", .bytes = 5, .pdf = "xxxxx"},
      {.description = "Truncated",
       .media_type = "application/pdf",
       .bytes = 100,
       .pdf = valid.substr(0, valid.size() / 3)},
      {.description = "Empty", .media_type = "application/pdf", .bytes = 0, .pdf = ""},
      {.description = "Header only",
       .media_type = "application/pdf",
       .bytes = 9,
       .pdf = "%PDF-1.7\n"}};
  const PdfFile pdf(Render(model, {.append_attachments = true}));
  const std::string text = pdf.Text();
  EXPECT_NE(text.find("Garbage"), std::string::npos);
  EXPECT_NE(text.find("unreadable"), std::string::npos) << text;
  EXPECT_EQ(text.find("appended as"), std::string::npos);
  EXPECT_EQ(text.find("Attached page"), std::string::npos);
  EXPECT_EQ(pdf.RasterisedPages(), pdf.Pages());
}

TEST(RenderPdf, ReadableAttachmentIsAppendedAfterTheReport) {
  REQUIRE_POPPLER_UTILS();
  ReportModel model = FullModel();
  const int report_pages = PdfFile(Render(model)).Pages();
  model.attachments[0].pdf = AttachmentPdf(3);
  model.attachments.push_back({.description = "Unreadable EGM",
                               .media_type = "application/pdf",
                               .readable = false,
                               .status = "unreadable: not a PDF"});
  const PdfFile pdf(Render(model, {.append_attachments = true}));
  ASSERT_EQ(pdf.Pages(), report_pages + 3);
  const std::string text = pdf.Text();
  EXPECT_NE(text.find("appended as pages " + std::to_string(report_pages + 1) + "\u2013" +
                      std::to_string(report_pages + 3)),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("unreadable: not a PDF"), std::string::npos);
  EXPECT_NE(pdf.PageText(report_pages + 2).find("Attached page 2"), std::string::npos);
  EXPECT_NE(pdf.PageText(1).find("of " + std::to_string(report_pages + 3)), std::string::npos);
  EXPECT_EQ(pdf.RasterisedPages(), pdf.Pages());
  // Without the option nothing is appended.
  EXPECT_EQ(PdfFile(Render(model)).Pages(), report_pages);
}

TEST(RenderPdf, AttachmentsBeyondTheLimitsAreListedNotAppended) {
  REQUIRE_POPPLER_UTILS();
  ReportModel model = FullModel();
  std::string oversized = AttachmentPdf(1);
  oversized.append(2 * 1024 * 1024, ' ');  // trailing whitespace: still a valid PDF, but too big
  model.attachments = {
      {.description = "Oversized",
       .media_type = "application/pdf",
       .bytes = static_cast<std::int64_t>(oversized.size()),
       .pdf = oversized},
      {.description = "Long", .media_type = "application/pdf", .pdf = AttachmentPdf(150)},
      {.description = "Longer", .media_type = "application/pdf", .pdf = AttachmentPdf(51)},
      {.description = "Short", .media_type = "application/pdf", .pdf = AttachmentPdf(50)}};
  const PdfFile pdf(Render(model, {.append_attachments = true}));
  // 150 + 50 pages fit the 200-page budget; the 51-page document does not.
  const int pages = pdf.Pages();
  const int report_pages = pages - 200;
  ASSERT_GT(report_pages, 1);
  EXPECT_NE(pdf.PageText(report_pages)
                .find("Page " + std::to_string(report_pages) + " of " + std::to_string(pages)),
            std::string::npos);
  const std::string text = pdf.Text();
  EXPECT_NE(text.find("not appended: too large"), std::string::npos) << text;
  EXPECT_NE(text.find("appended as pages " + std::to_string(report_pages + 1) + "\u2013" +
                      std::to_string(report_pages + 150)),
            std::string::npos);
  EXPECT_NE(text.find("appended as pages " + std::to_string(report_pages + 151) + "\u2013" +
                      std::to_string(report_pages + 200)),
            std::string::npos);
  EXPECT_NE(pdf.PageText(pages).find("Attached page 50"), std::string::npos);
}

TEST(RenderPdf, RowTallerThanAPageIsSplitBetweenPages) {
  REQUIRE_POPPLER_UTILS();
  ReportModel model = FullModel();
  std::string therapy;
  while (therapy.size() < 8'000) therapy += "ATP burst sequence delivered ";
  therapy += "FINALTHERAPY";
  model.episodes[3].therapy = therapy;
  const PdfFile pdf(Render(model));
  const std::string text = pdf.Text();
  EXPECT_NE(text.find("FINALTHERAPY"), std::string::npos);
  EXPECT_NE(text.find("EP1039"), std::string::npos);
  EXPECT_EQ(pdf.RasterisedPages(), pdf.Pages());
}

TEST(RenderPdf, MarkupInValuesIsLiteralText) {
  REQUIRE_POPPLER_UTILS();
  ReportModel model = FullModel();
  model.patient.name = "<b>Bold</b> & <i>co";
  const std::string text = PdfFile(Render(model)).Text();
  EXPECT_NE(text.find("<b>Bold</b> & <i>co"), std::string::npos);
}

TEST(RenderPdf, LogoIsDrawnAndABrokenLogoIsSkipped) {
  REQUIRE_POPPLER_UTILS();
  ReportModel model = FullModel();
  const std::string without = Render(model);
  model.clinic.logo_png = LogoPng();
  const std::string with = Render(model);
  EXPECT_GT(with.size(), without.size());
  for (const std::string& broken :
       {std::string("not a png"), model.clinic.logo_png.substr(0, 40),
        std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\x7f\xff\xff\xff\x7f\xff\xff\xff", 24)}) {
    model.clinic.logo_png = broken;
    const PdfFile pdf(Render(model));
    EXPECT_NE(pdf.Text().find("Main clinic"), std::string::npos);
  }
}

TEST(RenderPdf, OddPlotsRender) {
  REQUIRE_POPPLER_UTILS();
  ReportModel model = FullModel();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  model.trends = {
      {.title = "Empty", .unit = "V"},
      {.title = "Single", .unit = "V", .series = {{.points = {{kJan2016Us, 2.5}}}}},
      {.title = "NaN only", .unit = "V", .series = {{.points = {{kJan2016Us, nan}}}}},
      {.title = "Mixed",
       .unit = "%",
       .series = {{.label = "A",
                   .points = {{kJan2016Us, 1},
                              {kJan2016Us + kUsPerDay, nan},
                              {kJan2016Us + 40 * kUsPerDay, inf},
                              {kJan2016Us + 90 * kUsPerDay, 3}}},
                  {.label = "B", .points = {}}},
       .device_changes_us = {kJan2016Us - 1000 * kUsPerDay, kJan2016Us + 30 * kUsPerDay}},
      {.title = "Extremes",
       .unit = "",
       .series = {{.points = {{std::numeric_limits<std::int64_t>::min(), -1e300},
                              {std::numeric_limits<std::int64_t>::max(), 1e300}}}},
       .this_session_us = -5}};
  const PdfFile pdf(Render(model));
  const std::string text = pdf.Text();
  EXPECT_NE(text.find("No data"), std::string::npos);
  EXPECT_NE(text.find("2016-01"), std::string::npos);  // month ticks for a short span
  EXPECT_EQ(pdf.RasterisedPages(), pdf.Pages());
}

TEST(RenderPdf, EmptyModelRenders) {
  REQUIRE_POPPLER_UTILS();
  const PdfFile pdf(Render(ReportModel{}));
  EXPECT_EQ(pdf.Pages(), 1);
  EXPECT_NE(pdf.Text().find("Not signed"), std::string::npos);
}

}  // namespace
}  // namespace heartbase::report

// fontconfig's pattern cache, filled through Pango's process-wide font map, lives until exit by
// design; LeakSanitizer would report it on every run.
// NOLINTNEXTLINE(bugprone-reserved-identifier): the name is the sanitizer runtime's hook.
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }
