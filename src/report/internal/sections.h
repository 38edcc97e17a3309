// The report's content in reading order (clinic, patient, session, hardware, value sections,
// episodes, alerts, trends, notes, interpretation, signature, attachments, warnings), drawn into
// a PageFlow. Empty values are drawn as "—".
#pragma once

#include <cairo.h>

#include <string>
#include <vector>

#include "report/internal/layout.h"
#include "report/model.h"

namespace heartbase::report::internal {

// `attachment_statuses[i]` is what to list for model.attachments[i]; `logo` may be null.
void DrawBody(PageFlow& flow, const ReportModel& model,
              const std::vector<std::string>& attachment_statuses, cairo_surface_t* logo);

}  // namespace heartbase::report::internal
