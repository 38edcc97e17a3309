#include "report/internal/layout.h"

#include <algorithm>
#include <cstddef>
#include <utility>

namespace heartbase::report::internal {
namespace {

constexpr double kScale = PANGO_SCALE;
constexpr double kCellPad = 3;     // points left and right of a cell's text
constexpr double kCellVPad = 2.5;  // points above and below
constexpr double kChip = 7;        // side of a severity chip
constexpr double kMinSplit = 14;   // less room than this: a split row starts on the next page

// One line of a layout, in the layout's coordinates (points).
struct LineBox {
  PangoLayoutLine* line = nullptr;
  double x = 0;  // left edge, alignment included (right-to-left paragraphs are right-aligned)
  double top = 0;
  double height = 0;
  double baseline = 0;
};

std::vector<LineBox> LinesOf(PangoLayout* layout) {
  std::vector<LineBox> lines;
  PangoLayoutIter* iter = pango_layout_get_iter(layout);
  do {
    PangoRectangle logical;
    pango_layout_iter_get_line_extents(iter, nullptr, &logical);
    lines.push_back({.line = pango_layout_iter_get_line_readonly(iter),
                     .x = logical.x / kScale,
                     .top = logical.y / kScale,
                     .height = logical.height / kScale,
                     .baseline = pango_layout_iter_get_baseline(iter) / kScale});
  } while (pango_layout_iter_next_line(iter));
  pango_layout_iter_free(iter);
  return lines;
}

double HeightFrom(const std::vector<LineBox>& lines, std::size_t from) {
  if (from >= lines.size()) return 0;
  return lines.back().top + lines.back().height - lines[from].top;
}

// Draws lines from `from` at (x, y) while they fit in `room` points (at least one when `force`);
// returns the index of the first line not drawn and sets `used` to the height drawn.
std::size_t DrawLines(cairo_t* cr, const std::vector<LineBox>& lines, std::size_t from, double x,
                      double y, double room, bool force, double* used) {
  *used = 0;
  if (from >= lines.size()) return from;
  const double origin = lines[from].top;
  std::size_t i = from;
  for (; i < lines.size(); ++i) {
    const double bottom = lines[i].top + lines[i].height - origin;
    if (bottom > room && !(force && i == from)) break;
    cairo_move_to(cr, x + lines[i].x, y + lines[i].baseline - origin);
    pango_cairo_show_layout_line(cr, lines[i].line);
    *used = bottom;
  }
  return i;
}

void Rule(cairo_t* cr, double x0, double x1, double y, double width, Rgb color) {
  cairo_save(cr);
  SetColor(cr, color);
  cairo_set_line_width(cr, width);
  cairo_move_to(cr, x0, y);
  cairo_line_to(cr, x1, y);
  cairo_stroke(cr);
  cairo_restore(cr);
}

// Appends U+FFFD (EF BF BD), the replacement character.
void AppendReplacement(std::string& out) { out += "\xEF\xBF\xBD"; }

}  // namespace

void SetColor(cairo_t* cr, Rgb color) { cairo_set_source_rgb(cr, color.r, color.g, color.b); }

void GObjectUnref::operator()(void* object) const {
  if (object != nullptr) g_object_unref(object);
}

std::string CleanText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const char* p = text.data();
  const char* end = text.data() + text.size();
  while (p < end) {
    const auto c = static_cast<unsigned char>(*p);
    if (c < 0x80) {
      // Pango draws control characters as hex boxes at best; a NUL would cut the string.
      if (c < 0x20 && c != '\n' && c != '\t') {
        AppendReplacement(out);
      } else {
        out += static_cast<char>(c);
      }
      ++p;
      continue;
    }
    const char* next = nullptr;
    if (g_utf8_validate(p, end - p > 4 ? 4 : end - p, &next) || next != p) {
      // Validated a prefix: copy the first whole character.
      const char* after = g_utf8_next_char(p);
      out.append(p, after);
      p = after;
    } else {
      AppendReplacement(out);
      ++p;
    }
  }
  return out;
}

std::string Isolated(std::string_view text) { return "\u2068" + std::string(text) + "\u2069"; }

LayoutPtr MakeText(PangoContext* context, std::string_view text, const TextStyle& style,
                   double width) {
  LayoutPtr layout(pango_layout_new(context));
  PangoFontDescription* font = pango_font_description_from_string("DejaVu Sans");
  pango_font_description_set_size(font, static_cast<int>(style.size * PANGO_SCALE));
  pango_font_description_set_weight(font, style.bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_layout_set_font_description(layout.get(), font);
  pango_font_description_free(font);
  if (width > 0) {
    pango_layout_set_width(layout.get(), static_cast<int>(width * PANGO_SCALE));
    if (style.single_line) {
      pango_layout_set_ellipsize(layout.get(), PANGO_ELLIPSIZE_END);
    } else {
      pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
    }
  }
  const std::string clean = CleanText(text);
  pango_layout_set_text(layout.get(), clean.data(), static_cast<int>(clean.size()));
  return layout;
}

double HeightOf(PangoLayout* layout) {
  PangoRectangle logical;
  pango_layout_get_extents(layout, nullptr, &logical);
  return logical.height / kScale;
}

double WidthOf(PangoLayout* layout) {
  PangoRectangle logical;
  pango_layout_get_extents(layout, nullptr, &logical);
  return logical.width / kScale;
}

void DrawText(cairo_t* cr, PangoLayout* layout, double x, double y) {
  cairo_move_to(cr, x, y);
  pango_cairo_show_layout(cr, layout);
}

PageFlow::PageFlow(cairo_t* cr, PageBox box, Decorate decorate)
    : cr_(cr), context_(pango_cairo_create_context(cr)), box_(box), decorate_(std::move(decorate)) {
  // Font sizes are in points and the PDF surface's unit is the point.
  pango_cairo_context_set_resolution(context_.get(), 72);
}

void PageFlow::NewPage() {
  if (page_ > 0) cairo_show_page(cr_);
  ++page_;
  y_ = top();
  cairo_save(cr_);
  decorate_(cr_, context_.get(), page_);
  cairo_restore(cr_);
}

void PageFlow::Finish() {
  if (page_ > 0) cairo_show_page(cr_);
}

void PageFlow::Reserve(double height) {
  if (height > Remaining() && !AtTop()) NewPage();
}

void PageFlow::Text(std::string_view text, const TextStyle& style, double indent) {
  LayoutPtr layout = MakeText(pango(), text, style, width() - indent);
  const std::vector<LineBox> lines = LinesOf(layout.get());
  SetColor(cr_, style.color);
  std::size_t next = 0;
  while (next < lines.size()) {
    double used = 0;
    // A fresh page always takes at least one line, so this loop ends.
    next = DrawLines(cr_, lines, next, left() + indent, y_, Remaining(), AtTop(), &used);
    y_ += used;
    if (next < lines.size()) {
      NewPage();
      SetColor(cr_, style.color);
    }
  }
}

void PageFlow::Heading(std::string_view text, double keep_with) {
  const TextStyle style{.size = 11.5, .bold = true};
  LayoutPtr layout = MakeText(pango(), text, style, width());
  const double height = HeightOf(layout.get());
  if (!AtTop()) y_ += 8;
  Reserve(height + keep_with);
  SetColor(cr_, style.color);
  DrawText(cr_, layout.get(), left(), y_);
  y_ += height + 3;
}

void PageFlow::Table(const std::vector<Column>& columns, const std::vector<TableRow>& rows) {
  if (columns.empty()) return;
  double total_weight = 0;
  for (const Column& column : columns) total_weight += column.weight;
  std::vector<double> xs;
  std::vector<double> widths;
  double x = left();
  for (const Column& column : columns) {
    const double w = width() * column.weight / total_weight;
    xs.push_back(x);
    widths.push_back(w);
    x += w;
  }
  const double right = left() + width();

  const bool has_header = std::any_of(columns.begin(), columns.end(),
                                      [](const Column& column) { return !column.title.empty(); });
  const TextStyle header_style{.size = 8, .bold = true};
  std::vector<LayoutPtr> header_cells;
  double header_height = 0;
  if (has_header) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
      header_cells.push_back(
          MakeText(pango(), columns[c].title, header_style, widths[c] - 2 * kCellPad));
      header_height = std::max(header_height, HeightOf(header_cells.back().get()));
    }
    header_height += 2 * kCellVPad;
  }
  auto draw_header = [&] {
    if (!has_header) return;
    cairo_save(cr_);
    cairo_set_source_rgb(cr_, 0.92, 0.93, 0.95);
    cairo_rectangle(cr_, left(), y_, width(), header_height);
    cairo_fill(cr_);
    SetColor(cr_, header_style.color);
    for (std::size_t c = 0; c < header_cells.size(); ++c) {
      DrawText(cr_, header_cells[c].get(), xs[c] + kCellPad, y_ + kCellVPad);
    }
    cairo_restore(cr_);
    y_ += header_height;
    Rule(cr_, left(), right, y_, 0.6, kGrey);
  };
  const double page_room = bottom() - top() - header_height;

  for (std::size_t r = 0; r < rows.size(); ++r) {
    const TableRow& row = rows[r];
    const TextStyle style{.bold = row.emphasised, .color = row.emphasised ? kAlarm : kInk};
    std::vector<LayoutPtr> cells;
    std::vector<std::vector<LineBox>> lines;
    double full = 0;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const std::string_view text = c < row.cells.size() ? row.cells[c] : std::string_view();
      const double inset = c == 0 && row.chip ? kChip + 4 : 0;
      cells.push_back(MakeText(pango(), text, style, widths[c] - 2 * kCellPad - inset));
      lines.push_back(LinesOf(cells.back().get()));
      full = std::max(full, HeightFrom(lines.back(), 0));
    }
    full += 2 * kCellVPad;
    if (r == 0) {
      Reserve(header_height + std::min(full, page_room));
      draw_header();
    }

    std::vector<std::size_t> next(columns.size(), 0);
    bool first_piece = true;
    while (true) {
      double rest = 0;
      for (std::size_t c = 0; c < columns.size(); ++c) {
        rest = std::max(rest, HeightFrom(lines[c], next[c]));
      }
      rest += 2 * kCellVPad;
      const bool fresh = y_ <= top() + header_height + 0.01;
      const bool fits = rest <= Remaining();
      if (!fits && !fresh && (rest <= page_room || Remaining() < kMinSplit)) {
        NewPage();
        draw_header();
        continue;
      }
      if (first_piece && row.chip) {
        cairo_save(cr_);
        SetColor(cr_, *row.chip);
        const double line_height = lines[0].empty() ? kChip : lines[0][0].height;
        cairo_rectangle(cr_, xs[0] + kCellPad, y_ + kCellVPad + (line_height - kChip) / 2, kChip,
                        kChip);
        cairo_fill(cr_);
        cairo_restore(cr_);
      }
      first_piece = false;
      // Draws everything left when it fits, else as many lines of each cell as fit.
      const double room = fits ? rest : Remaining() - 2 * kCellVPad;
      double used = 0;
      SetColor(cr_, style.color);
      for (std::size_t c = 0; c < columns.size(); ++c) {
        const double inset = c == 0 && row.chip ? kChip + 4 : 0;
        double cell_used = 0;
        next[c] = DrawLines(cr_, lines[c], next[c], xs[c] + kCellPad + inset, y_ + kCellVPad, room,
                            fresh, &cell_used);
        used = std::max(used, cell_used);
      }
      y_ += used + 2 * kCellVPad;
      Rule(cr_, left(), right, y_, 0.3, kRule);
      bool done = true;
      for (std::size_t c = 0; c < columns.size(); ++c) done = done && next[c] >= lines[c].size();
      if (fits || done) break;
      NewPage();
      draw_header();
    }
  }
}

}  // namespace heartbase::report::internal
