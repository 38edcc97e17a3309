// The provenance update: layout of what SealPdf appends (PDF 1.7 §7.5.6 incremental updates,
// §7.11.4 embedded files), and the verifier that reads it back and rebuilds it.
//
//   %heartbase-provenance-v1
//   N 0 obj   the record (EmbeddedFile, application/json)
//   N+1 0 obj its file specification
//   N+2 0 obj the signature file (EmbeddedFile, text/plain)
//   N+3 0 obj its file specification
//   R 0 obj   the catalogue again, with /Names /EmbeddedFiles and /AF naming both files
//   I 0 obj   the information dictionary again, with /HeartbaseProvenance <record as hex>
//   xref, trailer (/Prev the renderer's xref), startxref, %%EOF
#include "report/provenance.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>

#include "base/json_writer.h"
#include "crypto/hash.h"

namespace heartbase::report {
namespace {

using base::ErrorCode;

constexpr std::string_view kMarker = "%heartbase-provenance-v1\n";
constexpr std::string_view kSignatureHeader = "heartbase-report-signature/1\n";
// Domain separation: this key signs nothing else that could be mistaken for a report record.
constexpr std::string_view kSignedPrefix{"heartbase/report/v1\0", 20};

base::Error Internal(std::string_view what) {
  return base::MakeError(ErrorCode::kInternal, fmt::format("report provenance: {}", what));
}

// A cursor over bytes that only moves forward and never reads past the end.
class Reader {
 public:
  explicit Reader(std::string_view bytes, std::size_t at = 0) : bytes_(bytes), at_(at) {}
  bool Literal(std::string_view s) {
    if (bytes_.substr(std::min(at_, bytes_.size())).starts_with(s)) {
      at_ += s.size();
      return true;
    }
    return false;
  }
  bool Number(std::int64_t* out) {
    const char* begin = bytes_.data() + std::min(at_, bytes_.size());
    const char* end = bytes_.data() + bytes_.size();
    auto [ptr, ec] = std::from_chars(begin, end, *out);
    if (ec != std::errc() || ptr == begin || *out < 0) return false;
    at_ += static_cast<std::size_t>(ptr - begin);
    return true;
  }
  bool Take(std::int64_t n, std::string_view* out) {
    if (n < 0 || static_cast<std::uint64_t>(n) > bytes_.size() - std::min(at_, bytes_.size())) {
      return false;
    }
    *out = bytes_.substr(at_, static_cast<std::size_t>(n));
    at_ += static_cast<std::size_t>(n);
    return true;
  }
  std::size_t at() const { return at_; }

 private:
  std::string_view bytes_;
  std::size_t at_;
};

// The text between the outer "<<" and ">>" of the dictionary starting at `from`, skipping
// strings (with their escapes and nested parentheses) so that a ">>" inside a title is not taken
// for the end.
std::optional<std::string_view> DictionaryBody(std::string_view pdf, std::size_t from) {
  const std::size_t open = pdf.find("<<", from);
  if (open == std::string_view::npos) return std::nullopt;
  int depth = 0;
  for (std::size_t i = open; i + 1 < pdf.size(); ++i) {
    const char c = pdf[i];
    if (c == '(') {
      int parens = 1;
      for (++i; i < pdf.size() && parens > 0; ++i) {
        if (pdf[i] == '\\') {
          ++i;
        } else if (pdf[i] == '(') {
          ++parens;
        } else if (pdf[i] == ')') {
          --parens;
        }
      }
      --i;
    } else if (c == '<' && pdf[i + 1] == '<') {
      ++depth;
      ++i;
    } else if (c == '>' && pdf[i + 1] == '>') {
      if (--depth == 0) return pdf.substr(open + 2, i - open - 2);
      ++i;
    }
  }
  return std::nullopt;
}

// The value after `/Key ` in a dictionary body, as a non-negative integer.
std::optional<std::int64_t> IntegerAfter(std::string_view body, std::string_view key) {
  std::size_t at = body.find(key);
  while (at != std::string_view::npos) {
    std::size_t i = at + key.size();
    // The key must end here ("/Size" is not "/SizeX").
    if (i < body.size() && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r')) {
      while (i < body.size() && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r')) ++i;
      std::int64_t n = 0;
      auto [ptr, ec] = std::from_chars(body.data() + i, body.data() + body.size(), n);
      if (ec == std::errc() && n >= 0) return n;
      return std::nullopt;
    }
    at = body.find(key, at + 1);
  }
  return std::nullopt;
}

struct RendererTrailer {
  std::int64_t size = 0;       // /Size: the next object number
  std::int64_t root = 0;       // catalogue
  std::int64_t info = 0;       // information dictionary
  std::int64_t startxref = 0;  // the renderer's xref table
  std::string id;              // "/ID [...]" as written, or empty
};

std::optional<RendererTrailer> ReadTrailer(std::string_view pdf) {
  const std::size_t trailer = pdf.rfind("\ntrailer");
  const std::size_t startxref = pdf.rfind("\nstartxref");
  if (trailer == std::string_view::npos || startxref == std::string_view::npos ||
      startxref < trailer) {
    return std::nullopt;
  }
  const auto body = DictionaryBody(pdf, trailer);
  if (!body) return std::nullopt;
  RendererTrailer t;
  const auto size = IntegerAfter(*body, "/Size");
  const auto root = IntegerAfter(*body, "/Root");
  const auto info = IntegerAfter(*body, "/Info");
  if (!size || !root || !info || body->find("/Prev") != std::string_view::npos ||
      body->find("/Encrypt") != std::string_view::npos) {
    return std::nullopt;
  }
  t.size = *size;
  t.root = *root;
  t.info = *info;
  if (const std::size_t id = body->find("/ID"); id != std::string_view::npos) {
    const std::size_t end = body->find(']', id);
    if (end == std::string_view::npos) return std::nullopt;
    t.id = std::string(body->substr(id, end + 1 - id));
  }
  Reader r(pdf, startxref + 1);
  if (!r.Literal("startxref") || !(r.Literal("\r\n") || r.Literal("\n")) ||
      !r.Number(&t.startxref)) {
    return std::nullopt;
  }
  return t;
}

// The byte offset of object `number` from the renderer's classic xref table.
std::optional<std::int64_t> ObjectOffset(std::string_view pdf, std::int64_t startxref,
                                         std::int64_t number) {
  if (startxref < 0 || static_cast<std::uint64_t>(startxref) >= pdf.size()) return std::nullopt;
  Reader r(pdf, static_cast<std::size_t>(startxref));
  if (!r.Literal("xref") || !(r.Literal("\r\n") || r.Literal("\n"))) return std::nullopt;
  for (;;) {
    std::int64_t first = 0, count = 0;
    if (!r.Number(&first) || !r.Literal(" ") || !r.Number(&count) ||
        !(r.Literal("\r\n") || r.Literal("\n"))) {
      return std::nullopt;
    }
    constexpr std::int64_t kEntry = 20;
    if (number >= first && number < first + count) {
      const std::size_t at = r.at() + static_cast<std::size_t>((number - first) * kEntry);
      Reader entry(pdf, at);
      std::int64_t offset = 0;
      if (!entry.Number(&offset) || !entry.Literal(" 00000 n")) return std::nullopt;
      return offset;
    }
    std::string_view skipped;
    if (!r.Take(count * kEntry, &skipped)) return std::nullopt;
    if (r.Literal("trailer")) return std::nullopt;
  }
}

std::optional<std::string_view> ObjectBody(std::string_view pdf, const RendererTrailer& t,
                                           std::int64_t number) {
  const auto offset = ObjectOffset(pdf, t.startxref, number);
  if (!offset || static_cast<std::uint64_t>(*offset) >= pdf.size()) return std::nullopt;
  Reader r(pdf, static_cast<std::size_t>(*offset));
  std::int64_t n = 0;
  if (!r.Number(&n) || n != number || !r.Literal(" 0 obj")) return std::nullopt;
  return DictionaryBody(pdf, r.at());
}

std::string Hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

// The update appended to `content` for this record and signature file. Deterministic: the
// verifier calls it again and compares.
base::Result<std::string> BuildSealedFile(std::string_view content, std::string_view record,
                                          std::string_view signature_file) {
  const auto trailer = ReadTrailer(content);
  if (!trailer) return Internal("no trailer the provenance can follow");
  const auto catalogue = ObjectBody(content, *trailer, trailer->root);
  const auto info = ObjectBody(content, *trailer, trailer->info);
  if (!catalogue || !info) return Internal("no catalogue or information dictionary");
  if (catalogue->find("/Names") != std::string_view::npos ||
      catalogue->find("/AF") != std::string_view::npos) {
    return Internal("the catalogue already names embedded files");
  }
  std::string out(content);
  if (!out.ends_with('\n')) out += '\n';
  out += kMarker;
  const std::int64_t n = trailer->size;
  std::vector<std::pair<std::int64_t, std::size_t>> offsets;
  auto begin_object = [&](std::int64_t number) {
    offsets.emplace_back(number, out.size());
    out += fmt::format("{} 0 obj\n", number);
  };
  auto embed = [&](std::int64_t number, std::string_view name, std::string_view subtype,
                   std::string_view bytes, std::string_view description) {
    begin_object(number);
    out += fmt::format(
        "<< /Type /EmbeddedFile /Subtype /{} /Params << /Size {} /CheckSum <{}> >> /Length {} "
        ">>\nstream\n",
        subtype, bytes.size(), crypto::Sha256Hex(bytes).substr(0, 32), bytes.size());
    out += bytes;
    out += "\nendstream\nendobj\n";
    begin_object(number + 1);
    out += fmt::format(
        "<< /Type /Filespec /F ({0}) /UF ({0}) /Desc ({1}) /AFRelationship /Supplement "
        "/EF << /F {2} 0 R /UF {2} 0 R >> >>\nendobj\n",
        name, description, number);
  };
  embed(n, kRecordName, "application#2Fjson", record,
        "What this report was made from, and who signed it");
  embed(n + 2, kSignatureName, "text#2Fplain", signature_file,
        "Ed25519 signature of the record; verify with heartbase report verify");
  begin_object(trailer->root);
  out += fmt::format(
      "<<{} /Names << /EmbeddedFiles << /Names [({}) {} 0 R ({}) {} 0 R] >> >> "
      "/AF [{} 0 R {} 0 R] >>\nendobj\n",
      *catalogue, kRecordName, n + 1, kSignatureName, n + 3, n + 1, n + 3);
  begin_object(trailer->info);
  out += fmt::format("<<{} /HeartbaseProvenance <{}> >>\nendobj\n", *info, Hex(record));
  std::sort(offsets.begin(), offsets.end());
  const std::size_t xref = out.size();
  out += "xref\n";
  for (const auto& [number, offset] : offsets) {
    out += fmt::format("{} 1\n{:010d} 00000 n \n", number, offset);
  }
  out += fmt::format("trailer\n<< /Size {} /Root {} 0 R /Info {} 0 R{}{} /Prev {} >>\n", n + 4,
                     trailer->root, trailer->info, trailer->id.empty() ? "" : " ", trailer->id,
                     trailer->startxref);
  out += fmt::format("startxref\n{}\n%%EOF\n", xref);
  return out;
}

std::string RecordJson(const ProvenanceRecord& r, std::string_view content,
                       std::string_view fingerprint) {
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Field("format", "heartbase-report-provenance/1");
  w.Field("interrogation_id", r.interrogation_id);
  w.Field("draft", r.draft);
  w.Field("page_size", r.page_size);
  w.Key("sources");
  w.BeginArray();
  for (const std::string& h : r.source_hashes) {
    w.BeginObject();
    w.Field("kind", "hl7");
    w.Field("keyed_hash", h);
    w.EndObject();
  }
  w.EndArray();
  w.Field("mapping_version", r.mapping_version);
  w.Field("rule_set_version", r.rule_set_version);
  w.Field("signer", r.signer);
  w.Field("signer_role", r.signer_role);
  w.Field("signed_at", r.signed_at);
  w.Field("rendered_at", r.rendered_at);
  w.Field("content_bytes", static_cast<std::int64_t>(content.size()));
  w.Field("content_sha256", crypto::Sha256Hex(content));
  w.Field("signing_key", fingerprint);
  w.EndObject();
  return out;
}

std::string SignedMessage(std::string_view record) {
  std::string m(kSignedPrefix);
  m += record;
  return m;
}

struct Embedded {
  std::string_view record;
  std::string_view signature_file;
};

// Reads the two embedded files of an update that starts at `at` (just after the marker).
std::optional<Embedded> ReadEmbedded(std::string_view file, std::size_t at) {
  Embedded e;
  Reader r(file, at);
  auto stream = [&r](std::string_view subtype, std::size_t max, std::string_view* out) {
    std::int64_t number = 0, size = 0, length = 0;
    std::string_view checksum;
    return r.Number(&number) && r.Literal(" 0 obj\n<< /Type /EmbeddedFile /Subtype /") &&
           r.Literal(subtype) && r.Literal(" /Params << /Size ") && r.Number(&size) &&
           r.Literal(" /CheckSum <") && r.Take(32, &checksum) && r.Literal("> >> /Length ") &&
           r.Number(&length) && length == size && static_cast<std::uint64_t>(length) <= max &&
           r.Literal(" >>\nstream\n") && r.Take(length, out) && r.Literal("\nendstream\nendobj\n");
  };
  auto skip_filespec = [&r, &file]() {
    const std::size_t end = file.find("\nendobj\n", r.at());
    if (end == std::string_view::npos || end - r.at() > 1024) return false;
    std::string_view skipped;
    return r.Take(static_cast<std::int64_t>(end + 8 - r.at()), &skipped);
  };
  if (!stream("application#2Fjson", kMaxRecordBytes, &e.record) || !skip_filespec() ||
      !stream("text#2Fplain", 1024, &e.signature_file)) {
    return std::nullopt;
  }
  return e;
}

struct SignatureFile {
  std::string key;
  std::int64_t content_bytes = 0;
  std::string signature;  // 64 bytes
};

std::optional<SignatureFile> ParseSignatureFile(std::string_view text) {
  SignatureFile s;
  Reader r(text);
  std::string_view key, hex;
  if (!r.Literal(kSignatureHeader) || !r.Literal("key ") || !r.Take(32, &key) ||
      !r.Literal("\ncontent-bytes ") || !r.Number(&s.content_bytes) || !r.Literal("\nsignature ") ||
      !r.Take(128, &hex) || !r.Literal("\n") || r.at() != text.size()) {
    return std::nullopt;
  }
  s.key = std::string(key);
  s.signature.resize(64);
  for (std::size_t i = 0; i < 64; ++i) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, value, 16);
    if (ec != std::errc() || ptr != hex.data() + 2 * i + 2) return std::nullopt;
    s.signature[i] = static_cast<char>(value);
  }
  return s;
}

}  // namespace

base::Result<std::string> SealPdf(std::string_view pdf, const ProvenanceRecord& record,
                                  const crypto::SigningKey& key) {
  const std::string fingerprint = key.public_key().Fingerprint();
  const std::string json = RecordJson(record, pdf, fingerprint);
  const std::string signature = key.Sign(SignedMessage(json));
  const std::string signature_file =
      fmt::format("{}key {}\ncontent-bytes {}\nsignature {}\n", kSignatureHeader, fingerprint,
                  pdf.size(), Hex(signature));
  return BuildSealedFile(pdf, json, signature_file);
}

base::Result<Verified> VerifyPdf(std::string_view file, const crypto::SigningPublicKey& key) {
  if (file.size() > kMaxReportBytes) {
    return base::MakeError(ErrorCode::kLimitExceeded, "larger than a report can be");
  }
  // The renderer's bytes never hold the marker line, so its first occurrence whose signature
  // file names that very position is the seal; anything else is not a heartbase report.
  std::optional<Embedded> embedded;
  std::optional<SignatureFile> signature;
  std::size_t content_end = 0;
  for (std::size_t at = file.find(kMarker); at != std::string_view::npos;
       at = file.find(kMarker, at + 1)) {
    embedded = ReadEmbedded(file, at + kMarker.size());
    if (!embedded) continue;
    signature = ParseSignatureFile(embedded->signature_file);
    if (!signature) continue;
    // The content ends at the marker, or one newline before it (SealPdf adds one if missing).
    const auto claimed = static_cast<std::uint64_t>(signature->content_bytes);
    if (claimed == at || (claimed + 1 == at && file[claimed] == '\n')) {
      content_end = static_cast<std::size_t>(claimed);
      break;
    }
    signature.reset();
  }
  if (!embedded || !signature) {
    return base::MakeError(ErrorCode::kMalformed,
                           "no heartbase provenance record in this file (or it is damaged)");
  }
  if (signature->key != key.Fingerprint()) {
    return base::MakeError(ErrorCode::kUnauthenticated,
                           fmt::format("signed by another key ({}; this key is {})", signature->key,
                                       key.Fingerprint()));
  }
  if (!key.Verify(SignedMessage(embedded->record), signature->signature)) {
    return base::MakeError(ErrorCode::kUnauthenticated,
                           "the signature does not match the provenance record (the record or "
                           "the signature was altered)");
  }
  const std::string_view content = file.substr(0, content_end);
  const std::string expected_hash = fmt::format("\"content_bytes\":{},\"content_sha256\":\"{}\"",
                                                content.size(), crypto::Sha256Hex(content));
  if (embedded->record.find(expected_hash) == std::string_view::npos) {
    return base::MakeError(ErrorCode::kUnauthenticated,
                           "the page content does not match the provenance record");
  }
  auto rebuilt = BuildSealedFile(content, embedded->record, embedded->signature_file);
  if (!rebuilt || *rebuilt != file) {
    return base::MakeError(ErrorCode::kUnauthenticated,
                           "the file was changed after it was signed (bytes added or altered "
                           "outside the signed page content)");
  }
  return Verified{.record_json = std::string(embedded->record),
                  .key_fingerprint = signature->key,
                  .content_bytes = static_cast<std::int64_t>(content.size())};
}

}  // namespace heartbase::report
