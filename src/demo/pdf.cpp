// MakePdf: writes the handful of PDF objects a one-page text document needs, with a byte-exact
// cross-reference table.
#include "demo/pdf.h"

#include <fmt/format.h>

#include <cstdint>

namespace heartbase::demo {
namespace {

// Reads one code point from UTF-8 at *i; an invalid sequence yields its first byte (Latin-1).
std::uint32_t NextCodePoint(std::string_view s, std::size_t* i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(*i);
  std::size_t extra = 0;
  std::uint32_t cp = b0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    extra = 1, cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    extra = 2, cp = b0 & 0x0Fu;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    extra = 3, cp = b0 & 0x07u;
  }
  if (extra == 0 || *i + extra >= s.size()) {
    ++*i;
    return b0;
  }
  for (std::size_t k = 1; k <= extra; ++k) {
    if ((byte(*i + k) & 0xC0u) != 0x80u) {
      ++*i;
      return b0;
    }
    cp = (cp << 6) | (byte(*i + k) & 0x3Fu);
  }
  *i += extra + 1;
  return cp;
}

// A PDF literal string in WinAnsiEncoding: Latin-1 code points, octal escapes for the rest.
std::string PdfString(std::string_view utf8) {
  std::string out = "(";
  for (std::size_t i = 0; i < utf8.size();) {
    std::uint32_t cp = NextCodePoint(utf8, &i);
    if (cp > 0xFF || (cp >= 0x80 && cp < 0xA0)) cp = '?';
    if (cp == '(' || cp == ')' || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp < 0x20 || cp >= 0x7F) {
      out += fmt::format("\\{:03o}", cp);
    } else {
      out += static_cast<char>(cp);
    }
  }
  out += ')';
  return out;
}

std::string ContentStream(std::string_view title, const std::vector<std::string>& lines) {
  std::string s =
      "BT\n/F1 16 Tf\n50 790 Td\n" + PdfString(title) + " Tj\n/F1 10 Tf\n14 TL\n0 -10 Td\n";
  const std::size_t n = lines.size() < kPdfMaxLines ? lines.size() : kPdfMaxLines;
  for (std::size_t i = 0; i < n; ++i) s += "T* " + PdfString(lines[i]) + " Tj\n";
  s += "ET\n";
  return s;
}

// Deterministic incompressible-looking bytes, like the compressed streams of a real report.
void AppendFiller(std::size_t n, std::string* out) {
  std::uint64_t x = 0x9E3779B97F4A7C15ull ^ n;
  out->reserve(out->size() + n);
  for (std::size_t i = 0; i < n; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    out->push_back(static_cast<char>(x >> 56));
  }
}

std::string Assemble(const std::vector<std::string>& objects) {
  std::string pdf = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += fmt::format("{} 0 obj\n", i + 1);
    pdf += objects[i];
    pdf += "\nendobj\n";
  }
  const std::size_t xref = pdf.size();
  pdf += fmt::format("xref\n0 {}\n0000000000 65535 f \n", objects.size() + 1);
  for (std::size_t off : offsets) pdf += fmt::format("{:010} 00000 n \n", off);
  pdf += fmt::format("trailer\n<< /Size {} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{}\n%%EOF\n",
                     objects.size() + 1, xref);
  return pdf;
}

std::string StreamObject(std::string_view data) {
  return fmt::format("<< /Length {} >>\nstream\n", data.size()) + std::string(data) + "\nendstream";
}

}  // namespace

std::string MakePdf(std::string_view title, const std::vector<std::string>& lines,
                    std::size_t pad_to_bytes) {
  std::vector<std::string> objects = {
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      std::string("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] ") +
          "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
      StreamObject(ContentStream(title, lines)),
      "<< /Title " + PdfString(title) + " /Producer (heartbase demo-data) >>",
  };
  std::string pdf = Assemble(objects);
  if (pad_to_bytes <= pdf.size() + 64) return pdf;
  // The filler object's own overhead and the longer xref change the size slightly; two passes
  // settle the length to within a few bytes of the target.
  std::size_t filler = pad_to_bytes - pdf.size() - 64;
  for (int pass = 0; pass < 2; ++pass) {
    std::string data;
    AppendFiller(filler, &data);
    objects.resize(6);
    objects.push_back(StreamObject(data));
    pdf = Assemble(objects);
    if (pdf.size() > pad_to_bytes) {
      const std::size_t over = pdf.size() - pad_to_bytes;
      filler = over < filler ? filler - over : 0;
    } else {
      filler += pad_to_bytes - pdf.size();
    }
  }
  return pdf;
}

}  // namespace heartbase::demo
