// The page flow of the report: pages of one size drawn top to bottom, each decorated by a callback
// (running header, footer, watermark), with paragraphs and tables that continue on the next page
// line by line, so that nothing is ever drawn over the footer. Every string is shaped by Pango as
// plain text (never markup). Not thread-safe: one PageFlow per rendering.
#pragma once

#include <cairo.h>
#include <pango/pangocairo.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace heartbase::report::internal {

struct Rgb {
  double r = 0;
  double g = 0;
  double b = 0;
};

inline constexpr Rgb kInk{0.1, 0.1, 0.1};
inline constexpr Rgb kGrey{0.4, 0.4, 0.4};
inline constexpr Rgb kRule{0.75, 0.75, 0.75};
inline constexpr Rgb kAlarm{0.75, 0.05, 0.05};

void SetColor(cairo_t* cr, Rgb color);

struct TextStyle {
  double size = 9;  // points
  bool bold = false;
  Rgb color = kInk;
  bool single_line = false;  // ellipsize at the width instead of wrapping
};

struct GObjectUnref {
  void operator()(void* object) const;
};
using LayoutPtr = std::unique_ptr<PangoLayout, GObjectUnref>;
using ContextPtr = std::unique_ptr<PangoContext, GObjectUnref>;

// `text` made safe for Pango: invalid UTF-8 and control characters (other than newline and tab)
// become U+FFFD, so odd bytes in a value show as a visible mark instead of a Pango warning.
std::string CleanText(std::string_view text);

// `text` between first-strong isolate marks (U+2068, U+2069): a right-to-left name composed into
// a line ("Note · שרה כהן · 2026-12-07 11:00") then does not reorder its neighbours.
std::string Isolated(std::string_view text);

// A layout of `text` (plain text) in the "DejaVu Sans" family (fontconfig falls back per script),
// wrapped at word or character boundaries at `width` points; width <= 0 means unbounded.
LayoutPtr MakeText(PangoContext* context, std::string_view text, const TextStyle& style,
                   double width);
double HeightOf(PangoLayout* layout);
double WidthOf(PangoLayout* layout);
// Draws the whole layout with its top-left corner at (x, y).
void DrawText(cairo_t* cr, PangoLayout* layout, double x, double y);

struct PageBox {
  double width = 0;   // points
  double height = 0;  // points
  double margin = 0;
  double header = 0;  // height of the running header band inside the top margin edge
  double footer = 0;  // height of the footer band inside the bottom margin edge
};

struct Column {
  std::string title;
  double weight = 1;  // share of the table width
};

struct TableRow {
  std::vector<std::string> cells;
  bool emphasised = false;  // bold and red: out of range or named by an alert
  std::optional<Rgb> chip;  // a colour square before the first cell's text
};

class PageFlow {
 public:
  // Draws a page's header, footer and watermark when the page begins (page is 1-based).
  using Decorate = std::function<void(cairo_t* cr, PangoContext* context, int page)>;

  PageFlow(cairo_t* cr, PageBox box, Decorate decorate);

  cairo_t* cr() const { return cr_; }
  PangoContext* pango() const { return context_.get(); }
  double left() const { return box_.margin; }
  double width() const { return box_.width - 2 * box_.margin; }
  double y() const { return y_; }
  int page() const { return page_; }
  double Remaining() const { return bottom() - y_; }

  // Ends the current page (if any) and begins the next.
  void NewPage();
  // Ends the last page.
  void Finish();
  // Moves to a new page unless `height` fits below the cursor or the page is still empty.
  void Reserve(double height);
  void Skip(double height) { y_ += height; }

  // Draws text at the cursor, `indent` points in, continuing on later pages line by line.
  void Text(std::string_view text, const TextStyle& style, double indent = 0);
  // A section title kept together with at least `keep_with` points of what follows.
  void Heading(std::string_view text, double keep_with = 48);
  // A table across the full width; the header row (when any title is non-empty) is repeated on
  // every page the table continues on. A row too tall for a page is split between its lines.
  void Table(const std::vector<Column>& columns, const std::vector<TableRow>& rows);

 private:
  double top() const { return box_.margin + box_.header; }
  double bottom() const { return box_.height - box_.margin - box_.footer; }
  bool AtTop() const { return y_ <= top(); }

  cairo_t* cr_;
  ContextPtr context_;
  PageBox box_;
  Decorate decorate_;
  int page_ = 0;
  double y_ = 0;
};

}  // namespace heartbase::report::internal
