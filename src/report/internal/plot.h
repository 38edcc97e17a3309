// Trend plots: one TrendPlot drawn as vector graphics into a box (axes, UTC date ticks, y ticks
// with the unit, one colour per series with a legend, device-change and this-session markers).
#pragma once

#include <cairo.h>
#include <pango/pangocairo.h>

#include "report/model.h"

namespace heartbase::report::internal {

// The height DrawTrendPlot uses for a plot of `width` points, title and legend included.
inline constexpr double kPlotHeight = 170;

// Draws `plot` with its top-left corner at (x, y). Non-finite values are skipped (and break the
// line); a plot without a finite point says "No data". Leaves the cairo state as it found it.
void DrawTrendPlot(cairo_t* cr, PangoContext* context, const TrendPlot& plot, double x, double y,
                   double width);

}  // namespace heartbase::report::internal
