#include "report/render.h"

namespace heartbase::report {

base::Result<std::string> RenderPdf(const ReportModel& /*model*/,
                                    const RenderOptions& /*options*/) {
  return base::Error{base::ErrorCode::kUnsupported, "the renderer is being written"};
}

}  // namespace heartbase::report
