// The provenance seal: what SealPdf appends is read by PDF tools as two attachments, and
// VerifyPdf accepts the sealed file and names each kind of change.
#include "report/provenance.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace heartbase::report {
namespace {

cairo_status_t Append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// A small PDF as the renderer writes them (cairo), with a title holding ">>" and ")" so that
// the dictionary reader must skip strings.
std::string CairoPdf(const char* text) {
  std::string out;
  cairo_surface_t* surface = cairo_pdf_surface_create_for_stream(Append, &out, 595.28, 841.89);
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, "Report (a >> b)");
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, "2026-12-07T10:00:00Z");
  cairo_t* cr = cairo_create(surface);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, 12);
  cairo_move_to(cr, 72, 72);
  cairo_show_text(cr, text);
  cairo_show_page(cr);
  cairo_destroy(cr);
  cairo_surface_finish(surface);
  cairo_surface_destroy(surface);
  return out;
}

ProvenanceRecord Record() {
  ProvenanceRecord r;
  r.interrogation_id = 42;
  r.source_hashes = {"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"};
  r.mapping_version = "1";
  r.rule_set_version = "3";
  r.page_size = "a4";
  r.draft = false;
  r.signer = "dr.house";
  r.signer_role = "physician";
  r.signed_at = "2026-12-07T10:00:00Z";
  r.rendered_at = "2026-12-07T10:00:01Z";
  return r;
}

class ProvenanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = crypto::SigningKey::Generate();
    ASSERT_TRUE(key);
    key_.emplace(std::move(*key));
    pdf_ = CairoPdf("Battery 2.95 V");
    auto sealed = SealPdf(pdf_, Record(), *key_);
    ASSERT_TRUE(sealed) << sealed.error().message;
    sealed_ = std::move(*sealed);
  }

  std::string Rejection(const std::string& file) {
    auto v = VerifyPdf(file, key_->public_key());
    return v ? "accepted" : v.error().message;
  }

  std::optional<crypto::SigningKey> key_;
  std::string pdf_, sealed_;
};

TEST_F(ProvenanceTest, TheSealedFileVerifiesAndCarriesTheRecord) {
  ASSERT_TRUE(sealed_.starts_with(pdf_));
  auto v = VerifyPdf(sealed_, key_->public_key());
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->content_bytes, static_cast<std::int64_t>(pdf_.size()));
  EXPECT_NE(v->record_json.find("\"signer\":\"dr.house\""), std::string::npos);
  EXPECT_NE(v->record_json.find("\"mapping_version\":\"1\""), std::string::npos);
  EXPECT_NE(v->record_json.find("\"rule_set_version\":\"3\""), std::string::npos);
  EXPECT_EQ(v->key_fingerprint, key_->public_key().Fingerprint());
}

TEST_F(ProvenanceTest, PdfToolsReadTheUpdateAndListBothAttachments) {
  if (std::system("command -v pdfdetach >/dev/null 2>&1") != 0) GTEST_SKIP() << "no poppler-utils";
  const auto dir =
      std::filesystem::temp_directory_path() / ("hb-provenance-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / "report.pdf";
  std::ofstream(path, std::ios::binary) << sealed_;
  auto run = [](const std::string& command) {
    std::string out;
    if (FILE* p = ::popen(command.c_str(), "r")) {
      char buffer[4096];
      std::size_t n = 0;
      while ((n = std::fread(buffer, 1, sizeof buffer, p)) > 0) out.append(buffer, n);
      ::pclose(p);
    }
    return out;
  };
  const std::string list = run("pdfdetach -list " + path.string() + " 2>&1");
  EXPECT_NE(list.find("2 embedded files"), std::string::npos) << list;
  EXPECT_NE(list.find("heartbase-provenance.json"), std::string::npos) << list;
  EXPECT_NE(list.find("heartbase-provenance.sig"), std::string::npos) << list;
  const std::string text = run("pdftotext " + path.string() + " - 2>&1");
  EXPECT_NE(text.find("Battery 2.95 V"), std::string::npos) << text;
  const std::string info = run("pdfinfo " + path.string() + " 2>&1");
  EXPECT_NE(info.find("\nPages: "), std::string::npos) << info;
  EXPECT_NE(info.find("Custom Metadata: yes"), std::string::npos) << info;
  EXPECT_EQ(info.find("Error"), std::string::npos) << info;
  std::filesystem::remove_all(dir);
}

TEST_F(ProvenanceTest, OneByteOfThePageContentChangedIsNamed) {
  std::string copy = sealed_;
  const std::size_t stream = copy.find("stream\n");
  ASSERT_NE(stream, std::string::npos);
  copy[stream + 10] = static_cast<char>(copy[stream + 10] ^ 0x01);
  EXPECT_EQ(Rejection(copy), "the page content does not match the provenance record");
}

TEST_F(ProvenanceTest, OneByteOfTheRecordChangedIsNamed) {
  std::string copy = sealed_;
  const std::size_t at = copy.find("\"signer\":\"dr.house\"");
  ASSERT_NE(at, std::string::npos);
  copy[at + 11] = 'D';  // dr.house → Dr.house, same length
  EXPECT_NE(Rejection(copy).find("the signature does not match the provenance record"),
            std::string::npos);
}

TEST_F(ProvenanceTest, OneByteOfTheSignatureChangedIsNamed) {
  std::string copy = sealed_;
  const std::size_t at = copy.find("\nsignature ");
  ASSERT_NE(at, std::string::npos);
  char& digit = copy[at + 20];
  digit = digit == '0' ? '1' : '0';
  EXPECT_NE(Rejection(copy).find("the signature does not match the provenance record"),
            std::string::npos);
}

TEST_F(ProvenanceTest, AnotherKeyIsNamed) {
  auto other = crypto::SigningKey::Generate();
  ASSERT_TRUE(other);
  auto v = VerifyPdf(sealed_, other->public_key());
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("signed by another key"), std::string::npos);
  // A report sealed by the other key does not verify under ours either.
  auto forged = SealPdf(pdf_, Record(), *other);
  ASSERT_TRUE(forged);
  EXPECT_NE(Rejection(*forged).find("signed by another key"), std::string::npos);
}

TEST_F(ProvenanceTest, ChangesOutsideTheSignedContentAreNamed) {
  const std::string changed = "the file was changed after it was signed";
  // A later incremental update (it could make a viewer show other pages).
  EXPECT_NE(Rejection(sealed_ + "1 0 obj\n<< >>\nendobj\n").find(changed), std::string::npos);
  // The copy of the record in the information dictionary.
  std::string copy = sealed_;
  const std::size_t at = copy.find("/HeartbaseProvenance <");
  ASSERT_NE(at, std::string::npos);
  char& digit = copy[at + 30];
  digit = digit == '0' ? '1' : '0';
  EXPECT_NE(Rejection(copy).find(changed), std::string::npos);
}

TEST_F(ProvenanceTest, FilesWithoutASealAreRefused) {
  EXPECT_NE(Rejection(pdf_).find("no heartbase provenance"), std::string::npos);
  EXPECT_NE(Rejection("").find("no heartbase provenance"), std::string::npos);
  EXPECT_NE(Rejection(sealed_.substr(0, pdf_.size() + 60)).find("no heartbase provenance"),
            std::string::npos);
}

TEST_F(ProvenanceTest, SealingIsDeterministic) {
  auto again = SealPdf(pdf_, Record(), *key_);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, sealed_);
}

TEST_F(ProvenanceTest, OnlyTheRenderersFilesAreSealed) {
  EXPECT_FALSE(SealPdf("not a pdf", Record(), *key_));
  EXPECT_FALSE(SealPdf(sealed_, Record(), *key_));  // already sealed: /Prev, embedded files
}

}  // namespace
}  // namespace heartbase::report
