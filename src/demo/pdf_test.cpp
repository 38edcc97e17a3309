// Structural checks of the generated PDF: header, objects, byte-exact xref, text encoding.
#include "demo/pdf.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace heartbase::demo {
namespace {

// Checks what a reader relies on: every xref entry points at "<n> 0 obj", startxref points at
// "xref", and the trailer names the catalog.
void ExpectConsistentXref(const std::string& pdf) {
  const std::size_t startxref = pdf.rfind("startxref\n");
  ASSERT_NE(startxref, std::string::npos);
  const std::size_t xref = std::strtoull(pdf.c_str() + startxref + 10, nullptr, 10);
  ASSERT_EQ(pdf.compare(xref, 5, "xref\n"), 0);
  const std::size_t count_at = pdf.find(' ', xref + 5);
  const long count = std::strtol(pdf.c_str() + count_at + 1, nullptr, 10);
  const std::size_t table = pdf.find('\n', count_at) + 1;
  EXPECT_EQ(pdf.compare(table, 20, "0000000000 65535 f \n"), 0);
  for (long n = 1; n < count; ++n) {
    const std::string entry = pdf.substr(table + 20 * static_cast<std::size_t>(n), 20);
    ASSERT_EQ(entry.substr(10), " 00000 n \n");
    const std::size_t offset = std::strtoull(entry.c_str(), nullptr, 10);
    EXPECT_EQ(pdf.compare(offset, std::to_string(n).size() + 6, std::to_string(n) + " 0 obj"), 0)
        << "object " << n;
  }
  EXPECT_NE(pdf.find("/Root 1 0 R", table), std::string::npos);
}

TEST(DemoPdf, WritesAConsistentOnePageDocument) {
  const std::string pdf = MakePdf("Report", {"line one", "line two"});
  EXPECT_EQ(pdf.substr(0, 8), "%PDF-1.4");
  EXPECT_EQ(pdf.substr(pdf.size() - 6), "%%EOF\n");
  EXPECT_NE(pdf.find("/Type /Page "), std::string::npos);
  EXPECT_NE(pdf.find("/Count 1"), std::string::npos);
  EXPECT_NE(pdf.find("/BaseFont /Helvetica"), std::string::npos);
  EXPECT_NE(pdf.find("(line two) Tj"), std::string::npos);
  ExpectConsistentXref(pdf);
}

TEST(DemoPdf, StreamLengthMatchesItsBytes) {
  const std::string pdf = MakePdf("T", {"x"});
  const std::size_t length_at = pdf.find("/Length ");
  const std::size_t length = std::strtoull(pdf.c_str() + length_at + 8, nullptr, 10);
  const std::size_t data = pdf.find("stream\n", length_at) + 7;
  EXPECT_EQ(pdf.compare(data + length, 10, "\nendstream"), 0);
}

TEST(DemoPdf, EscapesParenthesesAndEncodesLatin1) {
  const std::string pdf = MakePdf("a (b) \\ c", {"M\xC3\xBCller \xC5\x81ukasz"});
  EXPECT_NE(pdf.find("(a \\(b\\) \\\\ c) Tj"), std::string::npos);
  EXPECT_NE(pdf.find("(M\\374ller ?ukasz) Tj"), std::string::npos);
}

TEST(DemoPdf, PadsToAboutTheRequestedSizeAndStaysDeterministic) {
  for (std::size_t target : {std::size_t{4096}, std::size_t{150 * 1024}, std::size_t{1 << 20}}) {
    const std::string pdf = MakePdf("EGM", {"strip"}, target);
    EXPECT_LE(pdf.size(), target + 16);
    EXPECT_GE(pdf.size() + 16, target);
    ExpectConsistentXref(pdf);
    EXPECT_EQ(pdf, MakePdf("EGM", {"strip"}, target));
  }
  EXPECT_EQ(MakePdf("x", {}, 10), MakePdf("x", {}));
}

TEST(DemoPdf, DropsLinesThatDoNotFitThePage) {
  std::vector<std::string> lines(kPdfMaxLines + 5, "row");
  lines.back() = "last";
  EXPECT_EQ(MakePdf("t", lines).find("(last)"), std::string::npos);
}

}  // namespace
}  // namespace heartbase::demo
