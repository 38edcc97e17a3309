#include "report/internal/attachments.h"

#include <cairo-pdf.h>
#include <fmt/format.h>

#include <string_view>
#include <utility>

namespace heartbase::report::internal {
namespace {

// A page size outside these bounds (points) is replaced by A4: cairo refuses some, and a
// hostile document could ask for absurd ones.
constexpr double kMinPageSide = 36;
constexpr double kMaxPageSide = 14400;
constexpr std::size_t kMaxReasonLength = 80;

// poppler's message says why a document failed ("PDF document is damaged"); it is listed in the
// report, so only printable ASCII of bounded length is kept.
std::string Reason(const GError* error) {
  std::string reason;
  const std::string_view message = error != nullptr && error->message != nullptr
                                       ? std::string_view(error->message)
                                       : std::string_view("cannot be opened");
  for (const char c : message) {
    if (reason.size() >= kMaxReasonLength) break;
    if (c >= 0x20 && c < 0x7f) reason += c;
  }
  return reason.empty() ? "cannot be opened" : reason;
}

}  // namespace

AppendedAttachments::AppendedAttachments(const std::vector<AttachmentRow>& rows, bool append) {
  for (const AttachmentRow& row : rows) {
    Entry entry;
    entry.status = row.status.empty() ? (row.readable ? "listed" : "unreadable") : row.status;
    if (append && row.readable && !row.pdf.empty()) {
      if (row.pdf.size() > kMaxAttachmentBytes) {
        entry.status = "not appended: too large";
      } else {
        entry.bytes = g_bytes_new(row.pdf.data(), row.pdf.size());
        GError* error = nullptr;
        entry.document = poppler_document_new_from_bytes(entry.bytes, nullptr, &error);
        if (entry.document == nullptr) {
          entry.status = "unreadable: " + Reason(error);
        } else {
          const int pages = poppler_document_get_n_pages(entry.document);
          if (pages <= 0) {
            entry.status = "unreadable: no pages";
          } else if (pages_ + pages > kMaxAppendedPages) {
            entry.status = "not appended: too large";
          } else {
            entry.first = pages_;
            entry.pages = pages;
            pages_ += pages;
          }
        }
        if (error != nullptr) g_error_free(error);
        if (entry.pages == 0) {
          if (entry.document != nullptr) g_object_unref(entry.document);
          g_bytes_unref(entry.bytes);
          entry.document = nullptr;
          entry.bytes = nullptr;
        }
      }
    }
    entries_.push_back(std::move(entry));
  }
}

AppendedAttachments::~AppendedAttachments() {
  for (Entry& entry : entries_) {
    if (entry.document != nullptr) g_object_unref(entry.document);
    if (entry.bytes != nullptr) g_bytes_unref(entry.bytes);
  }
}

std::string AppendedAttachments::Status(std::size_t index, int first_page) const {
  if (index >= entries_.size()) return {};
  const Entry& entry = entries_[index];
  if (entry.pages == 0) return entry.status;
  const int from = first_page + entry.first;
  const int to = from + entry.pages - 1;
  return from == to ? fmt::format("appended as page {}", from)
                    : fmt::format("appended as pages {}\u2013{}", from, to);
}

void AppendedAttachments::Draw(cairo_surface_t* surface, cairo_t* cr,
                               const std::function<void(int, double, double)>& footer) const {
  for (const Entry& entry : entries_) {
    for (int i = 0; i < entry.pages; ++i) {
      PopplerPage* page = poppler_document_get_page(entry.document, i);
      double width = 0;
      double height = 0;
      if (page != nullptr) poppler_page_get_size(page, &width, &height);
      if (!(width >= kMinPageSide && width <= kMaxPageSide && height >= kMinPageSide &&
            height <= kMaxPageSide)) {
        width = 595.28;
        height = 841.89;
      }
      cairo_pdf_surface_set_size(surface, width, height);
      if (page != nullptr) {
        cairo_save(cr);
        poppler_page_render(page, cr);
        cairo_restore(cr);
        g_object_unref(page);
      }
      cairo_save(cr);
      footer(entry.first + i, width, height);
      cairo_restore(cr);
      cairo_show_page(cr);
    }
  }
}

}  // namespace heartbase::report::internal
