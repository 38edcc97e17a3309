// MakePdf: a small valid one-page PDF 1.4 (Helvetica text) for generated reports and EGM strips.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace heartbase::demo {

// Lines of body text that fit on the page; further lines are dropped.
inline constexpr std::size_t kPdfMaxLines = 50;

// Returns the bytes of a PDF 1.4 file: catalog, page tree, one A4 page, the Type 1 Helvetica
// font, one content stream with `title` (16 pt) and `lines` (10 pt), an Info dictionary with the
// title, and a cross-reference table with exact offsets. The file starts with "%PDF-1.4" and
// ends with "%%EOF\n". Text is UTF-8; characters outside Latin-1 are written as '?'.
// When pad_to_bytes exceeds the natural size, an unreferenced stream of deterministic filler
// bytes brings the file to pad_to_bytes (±16 bytes); otherwise pad_to_bytes is ignored.
// Deterministic: the same arguments always give the same bytes. Thread-safe.
std::string MakePdf(std::string_view title, const std::vector<std::string>& lines,
                    std::size_t pad_to_bytes = 0);

}  // namespace heartbase::demo
