#include "report/render.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "report/internal/attachments.h"
#include "report/internal/layout.h"
#include "report/internal/sections.h"

namespace heartbase::report {
namespace {

using internal::LayoutPtr;
using internal::MakeText;

constexpr double kMargin = 40;
constexpr double kHeaderBand = 30;
constexpr double kFooterBand = 24;
constexpr std::uint32_t kMaxLogoSide = 4096;  // checked before cairo allocates the image
// The page count is unknown until the report has been laid out, and the attachment list names the
// pages the attachments get: each pass uses the count of the previous one until it is stable.
constexpr int kMaxPasses = 4;

struct CairoDeleter {
  void operator()(cairo_surface_t* surface) const { cairo_surface_destroy(surface); }
  void operator()(cairo_t* cr) const { cairo_destroy(cr); }
};
using SurfacePtr = std::unique_ptr<cairo_surface_t, CairoDeleter>;
using ContextPtr = std::unique_ptr<cairo_t, CairoDeleter>;

cairo_status_t AppendBytes(void* closure, const unsigned char* data, unsigned int length) {
  try {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  } catch (...) {  // cairo is C: nothing may unwind through it
    return CAIRO_STATUS_NO_MEMORY;
  }
  return CAIRO_STATUS_SUCCESS;
}

struct PngSource {
  std::string_view bytes;
  std::size_t offset = 0;
};

cairo_status_t ReadPng(void* closure, unsigned char* data, unsigned int length) {
  auto* source = static_cast<PngSource*>(closure);
  if (source->bytes.size() - source->offset < length) return CAIRO_STATUS_READ_ERROR;
  std::copy_n(source->bytes.data() + source->offset, length, data);
  source->offset += length;
  return CAIRO_STATUS_SUCCESS;
}

std::uint32_t BigEndian32(std::string_view bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i)
    value = value << 8 | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

// The logo, or null when the bytes are not a PNG cairo can read (the report goes without it).
// The header's dimensions are checked first so that a hostile PNG cannot make cairo allocate
// gigabytes.
SurfacePtr LoadLogo(std::string_view png) {
  constexpr std::string_view kSignature("\x89PNG\r\n\x1a\n", 8);
  if (png.size() < 24 || png.substr(0, 8) != kSignature || png.substr(12, 4) != "IHDR") {
    return nullptr;
  }
  const std::uint32_t width = BigEndian32(png, 16);
  const std::uint32_t height = BigEndian32(png, 20);
  if (width == 0 || height == 0 || width > kMaxLogoSide || height > kMaxLogoSide) return nullptr;
  PngSource source{.bytes = png};
  SurfacePtr logo(cairo_image_surface_create_from_png_stream(ReadPng, &source));
  if (cairo_surface_status(logo.get()) != CAIRO_STATUS_SUCCESS) return nullptr;
  return logo;
}

// The PDF's creation date from the model ("2026-12-07 14:05 Europe/Berlin" gives
// "2026-12-07T14:05:00"), never from the clock: equal models must give equal bytes. A value of
// another shape gives a fixed date.
std::string PdfDate(std::string_view generated_at) {
  constexpr std::string_view kShape = "dddd-dd-dd dd:dd";
  bool matches = generated_at.size() >= kShape.size();
  for (std::size_t i = 0; matches && i < kShape.size(); ++i) {
    const char c = generated_at[i];
    matches = kShape[i] == 'd' ? (c >= '0' && c <= '9') : (c == kShape[i] || (i == 10 && c == 'T'));
  }
  if (!matches) return "2000-01-01T00:00:00";
  return fmt::format("{}T{}:00", generated_at.substr(0, 10), generated_at.substr(11, 5));
}

void DrawWatermark(cairo_t* cr, PangoContext* context, double width, double height, double alpha) {
  // Sized for A4 and scaled down on smaller (appended) pages so that it stays on the page.
  const double size = 130 * std::min(1.0, std::hypot(width, height) / 1030);
  LayoutPtr layout = MakeText(context, "DRAFT", {.size = size, .bold = true}, 0);
  cairo_save(cr);
  cairo_translate(cr, width / 2, height / 2);
  cairo_rotate(cr, -std::atan2(height, width));
  cairo_set_source_rgba(cr, 0.82, 0.82, 0.82, alpha);
  internal::DrawText(cr, layout.get(), -internal::WidthOf(layout.get()) / 2,
                     -internal::HeightOf(layout.get()) / 2);
  cairo_restore(cr);
}

// One line of text in a band: left, centred or right-aligned (align 0, 0.5, 1), ellipsized.
void BandText(cairo_t* cr, PangoContext* context, std::string_view text,
              const internal::TextStyle& style, double x, double y, double width, double align) {
  internal::TextStyle single = style;
  single.single_line = true;
  LayoutPtr layout = MakeText(context, text, single, width);
  const double natural = std::min(internal::WidthOf(layout.get()), width);
  internal::SetColor(cr, style.color);
  internal::DrawText(cr, layout.get(), x + (width - natural) * align, y);
}

struct Pass {
  std::string bytes;
  int report_pages = 0;
};

struct PageSizePoints {
  double width;
  double height;
};

base::Result<Pass> RenderPass(const ReportModel& model, PageSizePoints size,
                              const internal::AppendedAttachments& appended, int assumed_pages,
                              cairo_surface_t* logo) {
  Pass pass;
  SurfacePtr surface(
      cairo_pdf_surface_create_for_stream(AppendBytes, &pass.bytes, size.width, size.height));
  const std::string date = PdfDate(model.generated_at);
  // Patient-free metadata: the title is the report's kind, not its subject.
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE,
                                 internal::CleanText(model.title).c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "heartbase");
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATE_DATE, date.c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_MOD_DATE, date.c_str());
  ContextPtr cr(cairo_create(surface.get()));

  const int total = assumed_pages + appended.pages();
  const std::string generated =
      "Generated " + std::string(model.generated_at.empty() ? kMissing : model.generated_at);
  const std::string running_left =
      model.clinic.name.empty() ? model.title : model.clinic.name + " \u00b7 " + model.title;
  std::string running_right =
      internal::Isolated(model.patient.name.empty() ? kMissing : model.patient.name);
  if (!model.patient.mrn.empty()) running_right += " \u00b7 " + model.patient.mrn;
  const internal::PageBox box{.width = size.width,
                              .height = size.height,
                              .margin = kMargin,
                              .header = kHeaderBand,
                              .footer = kFooterBand};
  const double inner = size.width - 2 * kMargin;
  const internal::TextStyle band{.size = 7.5, .color = internal::kGrey};
  auto decorate = [&](cairo_t* c, PangoContext* context, int page) {
    if (model.draft()) DrawWatermark(c, context, size.width, size.height, 1);
    const double top = kMargin - 14;
    BandText(c, context, running_left, band, kMargin, top, inner * 0.55, 0);
    BandText(c, context, running_right, band, kMargin + inner * 0.55, top, inner * 0.45, 1);
    if (model.draft()) {
      BandText(c, context, "DRAFT \u2014 not signed",
               {.size = 8.5, .bold = true, .color = internal::kAlarm}, kMargin, top + 11, inner, 0);
    }
    internal::SetColor(c, internal::kRule);
    cairo_set_line_width(c, 0.5);
    cairo_move_to(c, kMargin, kMargin + kHeaderBand - 6);
    cairo_line_to(c, size.width - kMargin, kMargin + kHeaderBand - 6);
    cairo_stroke(c);
    const double footer_top = size.height - kMargin - kFooterBand + 8;
    cairo_move_to(c, kMargin, footer_top);
    cairo_line_to(c, size.width - kMargin, footer_top);
    cairo_stroke(c);
    BandText(c, context, model.reference, band, kMargin, footer_top + 4, inner * 0.4, 0);
    BandText(c, context, generated, band, kMargin + inner * 0.4, footer_top + 4, inner * 0.35, 0.5);
    BandText(c, context, fmt::format("Page {} of {}", page, total), band, kMargin + inner * 0.75,
             footer_top + 4, inner * 0.25, 1);
  };
  internal::PageFlow flow(cr.get(), box, decorate);

  std::vector<std::string> statuses;
  for (std::size_t i = 0; i < model.attachments.size(); ++i) {
    statuses.push_back(appended.Status(i, assumed_pages + 1));
  }
  flow.NewPage();
  internal::DrawBody(flow, model, statuses, logo);
  flow.Finish();
  pass.report_pages = flow.page();

  appended.Draw(surface.get(), cr.get(), [&](int index, double width, double height) {
    PangoContext* context = flow.pango();
    if (model.draft()) DrawWatermark(cr.get(), context, width, height, 0.35);
    // A thin white strip keeps the footer legible over the attached page.
    cairo_set_source_rgb(cr.get(), 1, 1, 1);
    cairo_rectangle(cr.get(), 0, height - 14, width, 14);
    cairo_fill(cr.get());
    BandText(cr.get(), context,
             fmt::format("{}{} \u00b7 attachment \u00b7 Page {} of {}",
                         model.draft() ? "DRAFT \u2014 not signed \u00b7 " : "", model.reference,
                         pass.report_pages + index + 1, pass.report_pages + appended.pages()),
             {.size = 6.5, .color = internal::kGrey}, 12, height - 11, width - 24, 1);
  });

  const cairo_status_t drawing = cairo_status(cr.get());
  cr.reset();
  cairo_surface_finish(surface.get());
  const cairo_status_t status =
      drawing != CAIRO_STATUS_SUCCESS ? drawing : cairo_surface_status(surface.get());
  if (status != CAIRO_STATUS_SUCCESS) {
    return base::Error{base::ErrorCode::kInternal,
                       std::string("cairo: ") + cairo_status_to_string(status)};
  }
  return pass;
}

}  // namespace

base::Result<std::string> RenderPdf(const ReportModel& model, const RenderOptions& options) {
  const PageSizePoints size = options.page_size == PageSize::kLetter
                                  ? PageSizePoints{612, 792}
                                  : PageSizePoints{595.28, 841.89};
  const internal::AppendedAttachments appended(model.attachments, options.append_attachments);
  const SurfacePtr logo = LoadLogo(model.clinic.logo_png);
  int assumed_pages = 1;
  for (int i = 0; i < kMaxPasses; ++i) {
    base::Result<Pass> pass = RenderPass(model, size, appended, assumed_pages, logo.get());
    if (!pass.ok()) return pass.error();
    if (pass->report_pages == assumed_pages || i + 1 == kMaxPasses) return std::move(pass->bytes);
    assumed_pages = pass->report_pages;
  }
  return base::Error{base::ErrorCode::kInternal, "unreachable"};
}

}  // namespace heartbase::report
