// Attached device PDFs appended to the report: opened before the report is laid out (so that its
// attachment list can say what happened to each), then drawn page by page as vector graphics with
// poppler after the report's own pages. Untrusted bytes: any failure to open is a status, never a
// crash or an error of the rendering.
#pragma once

#include <cairo.h>
#include <poppler.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "report/model.h"

namespace heartbase::report::internal {

inline constexpr std::size_t kMaxAttachmentBytes = 2 * 1024 * 1024;  // per document
inline constexpr int kMaxAppendedPages = 200;                        // per report

class AppendedAttachments {
 public:
  // Opens each readable attachment with PDF bytes when `append` is set (within the limits above);
  // without `append` nothing is opened and every row keeps its status.
  AppendedAttachments(const std::vector<AttachmentRow>& rows, bool append);
  ~AppendedAttachments();
  AppendedAttachments(const AppendedAttachments&) = delete;
  AppendedAttachments& operator=(const AppendedAttachments&) = delete;

  int pages() const { return pages_; }
  // The status to list for row `index`, given that the first appended page is `first_page`:
  // "appended as pages 7–12", "unreadable: <reason>", "not appended: too large", or the row's own.
  std::string Status(std::size_t index, int first_page) const;
  // Draws every appended page on `surface` (a PDF surface) through `cr`, each at its own size;
  // `footer(page_index, width, height)` then draws on it (0-based index among appended pages).
  void Draw(cairo_surface_t* surface, cairo_t* cr,
            const std::function<void(int, double, double)>& footer) const;

 private:
  struct Entry {
    std::string status;  // when not appended
    PopplerDocument* document = nullptr;
    GBytes* bytes = nullptr;  // held while the document reads from it
    int first = 0;            // 0-based among appended pages
    int pages = 0;
  };
  std::vector<Entry> entries_;
  int pages_ = 0;
};

}  // namespace heartbase::report::internal
