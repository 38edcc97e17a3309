// One OBX → one typed observation or attachment. Tolerant of the type mismatches real senders
// produce (a DTM in an NM OBX, TX for ST), strict about never losing what was sent.
#include "idco/observation.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "base/base64.h"
#include "hl7/escape.h"
#include "hl7/types.h"
#include "idco/internal/text.h"
#include "idco/terms.h"
#include "idco/units.h"

namespace heartbase::idco::internal {
namespace {

using domain::Value;

bool AllDigits(std::string_view s) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::uint32_t ToUint(std::string_view s) {
  std::uint32_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Longest enumerator in the dictionary that prefixes `text` ("<enumerator>_<mnemonic>").
std::string MnemonicFromText(std::string_view text) {
  constexpr std::string_view kEnum = "MDC_IDC_ENUM_";
  if (text.substr(0, kEnum.size()) != kEnum) return {};
  std::size_t best = 0;
  for (const EnumValue& e : AllEnums()) {
    if (e.enumerator.size() > best && text.size() > e.enumerator.size() + 1 &&
        text.substr(0, e.enumerator.size()) == e.enumerator && text[e.enumerator.size()] == '_') {
      best = e.enumerator.size();
    }
  }
  return best == 0 ? std::string() : std::string(text.substr(best + 1));
}

void ReadStructured(std::string_view raw, const hl7::Delimiters& d, Value* v) {
  const std::string comparator = Text(hl7::NthPiece(raw, d.component, 1), d);
  const std::string num1 = Text(hl7::NthPiece(raw, d.component, 2), d);
  const std::string sep = Text(hl7::NthPiece(raw, d.component, 3), d);
  const std::string num2 = Text(hl7::NthPiece(raw, d.component, 4), d);
  v->kind = Value::Kind::kStructured;
  v->structured.comparator = comparator;
  v->structured.separator = sep;
  if (auto n = hl7::ParseNumber(num1)) v->structured.num1 = *n;
  if (auto n = hl7::ParseNumber(num2)) v->structured.num2 = *n;
  if ((!num1.empty() && !v->structured.num1) || (!num2.empty() && !v->structured.num2)) {
    v->kind = Value::Kind::kUnparsed;
  }
}

}  // namespace

bool IsAttachment(const hl7::Segment& obx) {
  const std::string_view type = obx.Component(2, 1);
  return type == "ED" || type == "RP" || obx.Component(3, 1) == "18750-0";
}

domain::Coded ReadCoded(std::string_view raw, const hl7::Delimiters& d, std::uint32_t /*term*/) {
  domain::Coded c;
  c.code = Text(hl7::NthPiece(raw, d.component, 1), d);
  c.text = Text(hl7::NthPiece(raw, d.component, 2), d);
  c.system = Text(hl7::NthPiece(raw, d.component, 3), d);
  c.display = Text(hl7::NthPiece(raw, d.component, 9), d);
  const EnumValue* e = nullptr;
  if (AllDigits(c.code)) {
    c.enum_code = ToUint(c.code);
    e = FindEnum(c.enum_code);
  }
  if (e != nullptr) {
    c.mnemonic = std::string(e->mnemonic);
  } else if (!c.code.empty() && !AllDigits(c.code)) {
    c.mnemonic = c.code;  // mnemonic-only CWE: BI^Bipolar Lead, Remote^Remote, Null
  } else {
    c.mnemonic = MnemonicFromText(c.text);
  }
  if (c.display.empty()) {
    if (e != nullptr) {
      c.display = std::string(e->display);
    } else if (!AllDigits(c.code) && c.text != c.code) {
      c.display = c.text;
    }
  }
  return c;
}

Classification Classify(const hl7::Segment& obx, const hl7::Delimiters& d) {
  Classification c;
  std::string scratch1, scratch2;
  const std::string_view c1 = hl7::Unescape(obx.Component(3, 1), d, &scratch1);
  if (AllDigits(c1)) {
    c.code = ToUint(c1);
    c.term = FindTerm(c.code);
  }
  // The name (OBX-3.2) is read only when the dictionary does not know the code, the rare case.
  std::string_view c2;
  if (c.term == nullptr) c2 = hl7::Unescape(obx.Component(3, 2), d, &scratch2);
  if (c.term == nullptr && !c2.empty()) {
    c.term = FindTermByName(c2);
    if (c.term != nullptr && c.code == 0) c.code = c.term->code;
    if (c.term != nullptr && c.code != c.term->code) c.term = nullptr;  // code wins over the name
  }
  if (c.term != nullptr) {
    c.category = c.term->category;
  } else {
    c.category = c.code != 0 ? GuessCategory(c.code) : CategoryFromName(c2);
    if (c.category == domain::Category::kOther && c.code != 0) c.category = CategoryFromName(c2);
  }
  const std::string_view sub = hl7::Unescape(obx.Field(4), d, &scratch1);
  std::size_t n = 0;
  while (n < sub.size() && sub[n] >= '0' && sub[n] <= '9') ++n;
  if (n > 0 && n <= 9) c.instance = ToUint(sub.substr(0, n));
  return c;
}

void ReadObservation(const hl7::Segment& obx, const hl7::Delimiters& d, const Classification& c,
                     domain::Observation* out, std::vector<std::string>* warnings) {
  out->segment = static_cast<std::uint32_t>(obx.index() + 1);
  out->set_id = ToUint(obx.Field(1));
  out->value_type = Text(obx.Component(2, 1), d);
  out->raw_code = Text(obx.Field(3), d);
  out->code = c.code;
  out->category = c.category;
  out->instance = c.instance;
  const Term* term = c.term;
  if (term != nullptr) {
    out->known_term = true;
    out->reference_id = term->reference_id;
  } else {
    out->reference_id = Text(obx.Component(3, 2), d);
    if (out->code == 0 && out->reference_id.empty()) {
      warnings->push_back(
          fmt::format("segment {}: OBX has no observation identifier (OBX-3)", out->segment));
    }
  }
  out->sub_id = Text(obx.Field(4), d);
  const std::string_view raw = obx.Field(5);
  const std::string_view first = hl7::NthPiece(raw, d.repetition, 1);
  Value& v = out->value;
  v.text = Text(raw, d);
  const std::string_view type = out->value_type;
  const std::string_view usual = term != nullptr ? term->usual_type : std::string_view{};
  if (raw.empty()) {
    v.kind = Value::Kind::kEmpty;
  } else if (type == "NM") {
    std::optional<base::DateTime> as_time;
    if (usual == "DTM") {
      if (auto t = hl7::ParseDtm(v.text)) as_time = *t;
    }
    if (as_time) {
      v.kind = Value::Kind::kDateTime;  // a DTM term sent as NM (seen in the wild)
      v.date_time = *as_time;
    } else if (auto n = hl7::ParseNumber(v.text)) {
      v.kind = Value::Kind::kNumber;
      v.number = *n;
    } else if (!v.text.empty() && (v.text[0] == '>' || v.text[0] == '<')) {
      const std::size_t digits = std::min(v.text.find_first_not_of("<>="), v.text.size());
      v.kind = Value::Kind::kStructured;
      v.structured.comparator = v.text.substr(0, digits);
      if (auto limit = hl7::ParseNumber(std::string_view(v.text).substr(digits))) {
        v.structured.num1 = *limit;
      } else {
        v.kind = Value::Kind::kUnparsed;
      }
    } else {
      v.kind = Value::Kind::kUnparsed;
    }
  } else if (type == "DTM" || type == "TS" || type == "DT") {
    if (auto t = hl7::ParseDtm(Text(hl7::NthPiece(first, d.component, 1), d))) {
      v.kind = Value::Kind::kDateTime;
      v.date_time = *t;
    } else {
      v.kind = Value::Kind::kUnparsed;
    }
  } else if (type == "CWE" || type == "CNE" || type == "CE" || type == "CF") {
    v.kind = Value::Kind::kCoded;
    v.coded = ReadCoded(first, d, out->code);
  } else if (type == "SN") {
    ReadStructured(first, d, &v);
  } else {
    v.kind = Value::Kind::kText;  // ST, TX, FT, IS, ID and anything else: the text as sent
    if (type == "TX" || type == "FT") {
      std::string joined;
      const std::uint32_t reps = hl7::PieceCount(raw, d.repetition);
      for (std::uint32_t r = 1; r <= reps; ++r) {
        if (r > 1) joined.push_back('\n');
        hl7::AppendUnescaped(hl7::NthPiece(raw, d.repetition, r), d, &joined);
      }
      v.text = std::move(joined);
    }
  }
  if (v.kind == Value::Kind::kUnparsed) {
    warnings->push_back(fmt::format("segment {}: OBX-5 of term {} is not a valid {}; kept as text",
                                    out->segment, out->code, out->value_type));
  }
  out->raw_unit = Text(obx.Field(6), d);
  out->unit = NormalizeUnit(out->raw_unit, d.component);
  const std::string_view flags = obx.Field(8);
  const std::uint32_t nflags = flags.empty() ? 0 : hl7::PieceCount(flags, d.repetition);
  for (std::uint32_t r = 1; r <= nflags && r <= 16; ++r) {
    std::string f = Text(hl7::NthPiece(flags, d.repetition, r), d);
    if (!f.empty()) out->abnormal_flags.push_back(std::move(f));
  }
  out->result_status = Text(obx.Field(11), d);
  const std::string_view when = obx.Component(14, 1);
  if (!when.empty()) {
    if (auto t = hl7::ParseDtm(Text(when, d))) {
      out->observed_at = *t;
    } else {
      warnings->push_back(
          fmt::format("segment {}: OBX-14 is not a valid date/time; ignored", out->segment));
    }
  }
}

base::Status ReadAttachment(const hl7::Segment& obx, const hl7::Delimiters& d,
                            const MapOptions& options, domain::Attachment* out,
                            std::vector<std::string>* warnings) {
  out->segment = static_cast<std::uint32_t>(obx.index() + 1);
  const std::string sub = Text(obx.Field(4), d);
  out->instance = AllDigits(sub) ? ToUint(sub) : 0;
  const std::string_view raw = hl7::NthPiece(obx.Field(5), d.repetition, 1);
  if (raw.empty()) {
    warnings->push_back(fmt::format("segment {}: attachment OBX has no data", out->segment));
    return {};
  }
  const std::string c1 = Text(hl7::NthPiece(raw, d.component, 1), d);
  const std::string c2 = Text(hl7::NthPiece(raw, d.component, 2), d);
  const std::string c3 = Text(hl7::NthPiece(raw, d.component, 3), d);
  const std::string c4 = Text(hl7::NthPiece(raw, d.component, 4), d);
  if (obx.Component(2, 1) == "RP") {
    out->reference = c1;
    out->media_type = c3.empty() ? std::string() : Lower(c3) + (c4.empty() ? "" : "/" + Lower(c4));
    return {};
  }
  // ED. HL7 layout: source application ^ type of data ^ subtype ^ encoding ^ data.
  // IHE TF text layout (shifted): "Application" ^ PDF ^ ^ Base64 ^ data. Accept both.
  if (EqualsNoCase(c2, "PDF") || EqualsNoCase(c3, "PDF")) {
    out->media_type = "application/pdf";
  } else if (!c3.empty()) {
    out->media_type = Lower(c2) + "/" + Lower(c3);
  } else if (!c2.empty()) {
    out->media_type = "application/" + Lower(c2);
  }
  if (!c1.empty() && !EqualsNoCase(c1, "Application")) out->source_application = c1;
  const std::string_view data_raw = hl7::NthPiece(raw, d.component, 5);
  // Base64 is 4/3 of the bytes it carries: check the limit before decoding.
  if (data_raw.size() / 4 * 3 > options.max_attachment_bytes + 3) {
    return base::MakeError(
        base::ErrorCode::kLimitExceeded,
        fmt::format("attachment is larger than {} bytes", options.max_attachment_bytes),
        base::Position{.segment = {'O', 'B', 'X', '\0'}, .segment_seq = out->segment, .field = 5});
  }
  if (!options.decode_attachments) return {};
  std::string text;
  hl7::AppendUnescaped(data_raw, d, &text);  // \X0D\ line-break escapes inside the base64
  if (EqualsNoCase(c4, "Base64")) {
    if (auto s = base::AppendBase64Decoded(text, &out->data); !s) {
      return base::MakeError(base::ErrorCode::kMalformed,
                             fmt::format("attachment data is not valid base64 at character {}",
                                         s.error().position.offset),
                             base::Position{.segment = {'O', 'B', 'X', '\0'},
                                            .segment_seq = out->segment,
                                            .field = 5,
                                            .component = 5});
    }
  } else {
    out->data = std::move(text);  // "A" (ASCII) or unspecified: the text itself
  }
  return {};
}

}  // namespace heartbase::idco::internal
