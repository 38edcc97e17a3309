#include "report/internal/plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "report/internal/layout.h"

namespace heartbase::report::internal {
namespace {

constexpr std::int64_t kUsPerDay = 86'400'000'000;
constexpr double kTitleBand = 18;   // title and legend above the axes
constexpr double kXLabelBand = 16;  // date labels below the axes
constexpr double kYLabelBand = 52;  // value labels left of the axes
constexpr int kMaxTicks = 24;       // bounds every tick loop, whatever the data
constexpr std::array<Rgb, 6> kSeriesColors{{{0.12, 0.47, 0.71},
                                            {0.85, 0.37, 0.01},
                                            {0.17, 0.63, 0.17},
                                            {0.58, 0.40, 0.74},
                                            {0.55, 0.34, 0.29},
                                            {0.89, 0.47, 0.76}}};
constexpr Rgb kSessionColor{0.1, 0.3, 0.8};

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Proleptic Gregorian calendar from days since 1970-01-01 (H. Hinnant's algorithms): ticks are
// UTC dates and must not depend on the process's time zone.
struct Date {
  std::int64_t year = 1970;
  int month = 1;
  int day = 1;
};

Date DateFromDays(std::int64_t days) {
  const std::int64_t z = days + 719468;
  const std::int64_t era = FloorDiv(z, 146097);
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {.year = yoe + era * 400 + (month <= 2 ? 1 : 0), .month = month, .day = day};
}

std::int64_t DaysFromDate(std::int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = FloorDiv(year, 400);
  const std::int64_t yoe = year - era * 400;
  const std::int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Tick {
  double at = 0;  // days since the epoch
  std::string label;
};

// Year ticks for spans over three years, else month ticks; at most about a dozen.
std::vector<Tick> TimeTicks(double first_day, double last_day) {
  std::vector<Tick> ticks;
  const Date first = DateFromDays(static_cast<std::int64_t>(std::floor(first_day)));
  const Date last = DateFromDays(static_cast<std::int64_t>(std::ceil(last_day)));
  const double span = last_day - first_day;
  if (span > 3 * 365.25) {
    const std::int64_t years = last.year - first.year;
    std::int64_t step = 1;
    for (const std::int64_t candidate : {1, 2, 5, 10, 20, 50, 100, 1000}) {
      step = candidate;
      if (years / candidate <= 12) break;
    }
    std::int64_t year = FloorDiv(first.year, step) * step;
    for (int i = 0; i < kMaxTicks && year <= last.year; ++i, year += step) {
      const double at = static_cast<double>(DaysFromDate(year, 1, 1));
      if (at >= first_day && at <= last_day) ticks.push_back({at, fmt::format("{}", year)});
    }
    return ticks;
  }
  const std::int64_t months = (last.year - first.year) * 12 + (last.month - first.month);
  int step = 1;
  for (const int candidate : {1, 2, 3, 6, 12}) {
    step = candidate;
    if (months / candidate <= 10) break;
  }
  std::int64_t index = first.year * 12 + (first.month - 1);  // months since year 0
  index = FloorDiv(index, step) * step;
  for (int i = 0; i < kMaxTicks; ++i, index += step) {
    const std::int64_t year = FloorDiv(index, 12);
    const int month = static_cast<int>(index - year * 12) + 1;
    const double at = static_cast<double>(DaysFromDate(year, month, 1));
    if (at > last_day) break;
    if (at >= first_day) ticks.push_back({at, fmt::format("{}-{:02}", year, month)});
  }
  return ticks;
}

struct ValueAxis {
  double low = 0;
  double high = 1;
  double step = 0;  // 0: no ticks
  int decimals = 0;
};

// A "nice" axis (steps of 1, 2 or 5 × 10^n) around the finite values' range.
ValueAxis MakeValueAxis(double low, double high) {
  if (low == high) {
    const double pad = low == 0 ? 1 : std::fabs(low) * 0.1;
    low -= pad;
    high += pad;
  }
  ValueAxis axis{.low = low, .high = high};
  const double raw = (high - low) / 5;
  if (!std::isfinite(raw) || raw <= 0) return axis;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / magnitude;
  const double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude;
  const double nice_low = std::floor(low / step) * step;
  const double nice_high = std::ceil(high / step) * step;
  if (!std::isfinite(nice_low) || !std::isfinite(nice_high) || nice_high <= nice_low) return axis;
  axis.low = nice_low;
  axis.high = nice_high;
  axis.step = step;
  axis.decimals = std::clamp(static_cast<int>(-std::floor(std::log10(step))), 0, 6);
  return axis;
}

void Line(cairo_t* cr, double x0, double y0, double x1, double y1) {
  cairo_move_to(cr, x0, y0);
  cairo_line_to(cr, x1, y1);
  cairo_stroke(cr);
}

void Label(cairo_t* cr, PangoContext* context, const std::string& text, double size, Rgb color,
           double x, double y, double align) {
  LayoutPtr layout = MakeText(context, text, {.size = size, .color = color}, 0);
  SetColor(cr, color);
  DrawText(cr, layout.get(), x - align * WidthOf(layout.get()), y);
}

}  // namespace

void DrawTrendPlot(cairo_t* cr, PangoContext* context, const TrendPlot& plot, double x, double y,
                   double width) {
  cairo_save(cr);
  const std::string title = plot.unit.empty() ? plot.title : plot.title + " (" + plot.unit + ")";
  LayoutPtr title_layout = MakeText(context, title, {.size = 9.5, .bold = true}, width * 0.5);
  SetColor(cr, kInk);
  DrawText(cr, title_layout.get(), x, y);

  // Legend, right-aligned in the title band.
  double legend_x = x + width;
  for (std::size_t s = plot.series.size(); s-- > 0;) {
    std::string label = plot.series[s].label;
    if (label.empty() && plot.series.size() == 1) continue;
    if (label.empty()) label = fmt::format("series {}", s + 1);
    LayoutPtr layout = MakeText(context, label, {.size = 8}, width * 0.2);
    legend_x -= WidthOf(layout.get());
    SetColor(cr, kInk);
    DrawText(cr, layout.get(), legend_x, y + 1);
    legend_x -= 16;
    SetColor(cr, kSeriesColors[s % kSeriesColors.size()]);
    cairo_set_line_width(cr, 2);
    Line(cr, legend_x, y + 7, legend_x + 12, y + 7);
    legend_x -= 10;
  }

  const double left = x + kYLabelBand;
  const double right = x + width - 4;
  const double top = y + kTitleBand;
  const double bottom = y + kPlotHeight - kXLabelBand;
  cairo_set_line_width(cr, 0.6);
  SetColor(cr, kGrey);
  cairo_rectangle(cr, left, top, right - left, bottom - top);
  cairo_stroke(cr);

  // Ranges over finite points only (times in days, as doubles: any int64 is then safe).
  double first_day = 0;
  double last_day = 0;
  double low = 0;
  double high = 0;
  bool any = false;
  for (const TrendSeries& series : plot.series) {
    for (const TrendPoint& point : series.points) {
      if (!std::isfinite(point.value)) continue;
      const double day = static_cast<double>(point.time_us) / kUsPerDay;
      if (!any) {
        first_day = last_day = day;
        low = high = point.value;
        any = true;
      }
      first_day = std::min(first_day, day);
      last_day = std::max(last_day, day);
      low = std::min(low, point.value);
      high = std::max(high, point.value);
    }
  }
  if (!any) {
    Label(cr, context, "No data", 10, kGrey, (left + right) / 2, (top + bottom) / 2 - 6, 0.5);
    cairo_restore(cr);
    return;
  }
  if (plot.this_session_us != 0) {
    const double day = static_cast<double>(plot.this_session_us) / kUsPerDay;
    first_day = std::min(first_day, day);
    last_day = std::max(last_day, day);
  }
  if (last_day - first_day < 1) {
    first_day -= 15;
    last_day += 15;
  }
  const double margin_days = (last_day - first_day) * 0.02;
  first_day -= margin_days;
  last_day += margin_days;
  const ValueAxis axis = MakeValueAxis(low, high);
  auto x_of = [&](double day) {
    return left + (day - first_day) / (last_day - first_day) * (right - left);
  };
  auto y_of = [&](double value) {
    return bottom - (value - axis.low) / (axis.high - axis.low) * (bottom - top);
  };

  // Ticks and grid.
  cairo_set_line_width(cr, 0.3);
  for (const Tick& tick : TimeTicks(first_day, last_day)) {
    const double px = x_of(tick.at);
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    Line(cr, px, top, px, bottom);
    Label(cr, context, tick.label, 7, kGrey, px, bottom + 2, 0.5);
  }
  if (axis.step > 0) {
    for (int i = 0; i <= kMaxTicks; ++i) {
      const double value = axis.low + i * axis.step;
      if (value > axis.high + axis.step * 1e-6) break;
      const double py = y_of(value);
      cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
      Line(cr, left, py, right, py);
      const std::string text = plot.unit.empty()
                                   ? fmt::format("{:.{}f}", value, axis.decimals)
                                   : fmt::format("{:.{}f} {}", value, axis.decimals, plot.unit);
      Label(cr, context, text, 7, kGrey, left - 3, py - 4.5, 1);
    }
  }

  cairo_save(cr);
  cairo_rectangle(cr, left, top, right - left, bottom - top);
  cairo_clip(cr);
  // Markers first, so the data is drawn over them.
  const std::array<double, 2> kDash{3, 2};
  for (const std::int64_t change : plot.device_changes_us) {
    const double day = static_cast<double>(change) / kUsPerDay;
    if (day < first_day || day > last_day) continue;
    const double px = x_of(day);
    cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
    cairo_set_line_width(cr, 0.8);
    cairo_set_dash(cr, kDash.data(), static_cast<int>(kDash.size()), 0);
    Line(cr, px, top, px, bottom);
    cairo_set_dash(cr, nullptr, 0, 0);
    const bool near_right = px > right - 70;
    Label(cr, context, "device replaced", 6.5, kGrey, near_right ? px - 2 : px + 2, top + 1,
          near_right ? 1 : 0);
  }
  if (plot.this_session_us != 0) {
    const double px = x_of(static_cast<double>(plot.this_session_us) / kUsPerDay);
    SetColor(cr, kSessionColor);
    cairo_set_line_width(cr, 1);
    Line(cr, px, top, px, bottom);
    Label(cr, context, "this report", 6.5, kSessionColor, px - 2, bottom - 10, 1);
  }

  for (std::size_t s = 0; s < plot.series.size(); ++s) {
    SetColor(cr, kSeriesColors[s % kSeriesColors.size()]);
    cairo_set_line_width(cr, 1);
    bool drawing = false;
    for (const TrendPoint& point : plot.series[s].points) {
      if (!std::isfinite(point.value)) {
        drawing = false;  // a gap in the data is a gap in the line
        continue;
      }
      const double px = x_of(static_cast<double>(point.time_us) / kUsPerDay);
      const double py = y_of(point.value);
      if (drawing) {
        cairo_line_to(cr, px, py);
      } else {
        cairo_move_to(cr, px, py);
      }
      drawing = true;
    }
    cairo_stroke(cr);
    for (const TrendPoint& point : plot.series[s].points) {
      if (!std::isfinite(point.value)) continue;
      cairo_new_sub_path(cr);
      cairo_arc(cr, x_of(static_cast<double>(point.time_us) / kUsPerDay), y_of(point.value), 1.6, 0,
                2 * M_PI);
    }
    cairo_fill(cr);
  }
  cairo_restore(cr);
  cairo_restore(cr);
}

}  // namespace heartbase::report::internal
