// RenderPdf: a ReportModel → a PDF (cairo + pangocairo: vector text and plots, every string shaped
// by Pango, so that any script renders). Pure: reads nothing but its arguments, and equal
// arguments give equal bytes (the PDF's dates come from the model), which is what lets a signed
// report be rendered again and compared.
#pragma once

#include <string>

#include "base/result.h"
#include "report/model.h"

namespace heartbase::report {

struct RenderOptions {
  PageSize page_size = PageSize::kA4;
  // Appends each readable attached device PDF (AttachmentRow::pdf) as further pages; one that
  // cannot be opened is listed as unreadable and the report is still produced.
  bool append_attachments = false;
};

// The PDF bytes. Every page of an unsigned report (model.draft()) says DRAFT. Errors: kInternal
// when cairo fails (out of memory); never for missing or odd values, which render as "—".
base::Result<std::string> RenderPdf(const ReportModel& model, const RenderOptions& options);

}  // namespace heartbase::report
