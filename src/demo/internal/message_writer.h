// MessageWriter: HL7 v2 ER7 text of one IDCO message in the style of one sender (its quirks:
// terminators, OBX-3 naming, value types, CWE style, units, OBX-4, ED layout and wrapping).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/base64.h"
#include "demo/internal/calendar.h"
#include "demo/internal/catalog.h"
#include "hl7/escape.h"

namespace heartbase::demo::internal {

enum class Unit : std::uint8_t {
  kNone,
  kVolt,
  kMilliVolt,
  kMilliSecond,
  kSecond,
  kOhm,
  kPercent,
  kMonth,
  kBeatsPerMinute,
  kShocks,
  kSequences,
  kJoule,
  kSwitches,
};

// UCUM as IDCO prescribes; with `variants`, the spellings some senders use instead.
inline std::string_view UnitText(Unit u, bool variants) {
  switch (u) {
    case Unit::kNone:
      return "";
    case Unit::kVolt:
      return "V";
    case Unit::kMilliVolt:
      return variants ? "mv" : "mV";
    case Unit::kMilliSecond:
      return "ms";
    case Unit::kSecond:
      return "s";
    case Unit::kOhm:
      return variants ? "ohm" : "Ohm";
    case Unit::kPercent:
      return "%";
    case Unit::kMonth:
      return "mo";
    case Unit::kBeatsPerMinute:
      return variants ? "bpm" : "{beats}/min";
    case Unit::kShocks:
      return "{shocks}";
    case Unit::kSequences:
      return "{seq}";
    case Unit::kJoule:
      return "J";
    case Unit::kSwitches:
      return "{switches}";
  }
  return "";
}

inline std::string Escape(std::string_view text) { return hl7::Escape(text, hl7::Delimiters{}); }

// Collects segments (each already valid ER7, without terminator) and numbers the OBX segments.
// Not thread-safe.
class MessageWriter {
 public:
  explicit MessageWriter(const Sender& sender) : s_(sender) {}

  const Sender& sender() const { return s_; }
  int obx_count() const { return obx_; }

  void Segment(std::string segment) { segments_.push_back(std::move(segment)); }

  // `instance` 0 = a single-instance term (OBX-4 empty, or 1 for senders that always fill it).
  void Number(std::uint32_t code, std::string_view ref, int instance, std::string_view text,
              Unit unit) {
    Obx("NM", code, ref, instance, text, UnitText(unit, s_.unit_variants));
  }
  void Text(std::uint32_t code, std::string_view ref, int instance, std::string_view text) {
    Obx(s_.tx_for_st ? "TX" : "ST", code, ref, instance, Escape(text), "");
  }
  void Coded(std::uint32_t code, std::string_view ref, int instance, const EnumValue& v) {
    Obx("CWE", code, ref, instance, CodedValue(v), "");
  }
  void Time(std::uint32_t code, std::string_view ref, int instance, std::int64_t t) {
    Obx("DTM", code, ref, instance, Hl7Time(t, s_.utc_offset), "");
  }
  void Date(std::uint32_t code, std::string_view ref, int instance, std::int64_t day) {
    Obx("DTM", code, ref, instance, Hl7Date(day), "");
  }

  // An ED OBX with the LOINC report code; `instance` links an EGM strip to its episode.
  void Document(int instance, std::string_view pdf) {
    std::string b64;
    base::AppendBase64Encoded(pdf, &b64);
    std::string value =
        s_.ed_layout == EdLayout::kTf2 ? "Application^PDF^^Base64^" : "^application^pdf^Base64^";
    if (s_.wrapped_base64) {  // 76-column MIME lines, each ending in an escaped CR and a raw LF
      for (std::size_t i = 0; i < b64.size(); i += 76) {
        if (i > 0) value += "\\X0D\\\n";
        value.append(b64, i, 76);
      }
    } else {
      value += b64;
    }
    ++obx_;
    Segment(fmt::format("OBX|{}|ED|18750-0^Cardiac Electrophysiology Report^LN|{}|{}||||||F", obx_,
                        instance > 0 ? fmt::format("{}", instance) : "", value));
  }

  // The CWE text of an enumeration value in this sender's style.
  std::string CodedValue(const EnumValue& v) const {
    if (s_.mnemonic_only_cwe) return fmt::format("{}^{}", v.mnemonic, Escape(v.display));
    if (v.code == 0) return fmt::format("^{}_{}^MDC", v.enumerator, v.mnemonic);
    return fmt::format("{}^{}_{}^MDC", v.code, v.enumerator, v.mnemonic);
  }

  // The message with this sender's segment terminators.
  std::string Finish() const {
    std::string_view sep;
    switch (s_.terminator) {
      case Terminator::kCr:
        sep = "\r";
        break;
      case Terminator::kLf:
        sep = "\n";
        break;
      case Terminator::kCrLf:
        sep = "\r\n";
        break;
      case Terminator::kCrLfBlankLine:
        sep = "\r\n\r\n";
        break;
    }
    std::size_t size = 0;
    for (const std::string& seg : segments_) size += seg.size() + sep.size();
    std::string out;
    out.reserve(size);
    for (std::size_t i = 0; i < segments_.size(); ++i) {
      if (i > 0) out += sep;
      out += segments_[i];
    }
    if (s_.final_terminator) out += sep;
    return out;
  }

 private:
  void Obx(std::string_view type, std::uint32_t code, std::string_view ref, int instance,
           std::string_view value, std::string_view unit) {
    std::string name(ref);
    constexpr std::string_view kDev = "MDC_IDC_DEV_";
    if (s_.legacy_pg_names && name.compare(0, kDev.size(), kDev) == 0) {
      name = "MDC_IDC_PG_" + name.substr(kDev.size());  // renamed in IEEE 11073-10103-2012
    }
    if (instance == 0 && s_.instance_on_single) instance = 1;
    ++obx_;
    Segment(fmt::format("OBX|{}|{}|{}^{}^{}|{}|{}|{}|||||F", obx_, type, code, name,
                        s_.coding_system, instance > 0 ? fmt::format("{}", instance) : "", value,
                        unit));
  }

  const Sender& s_;
  std::vector<std::string> segments_;
  int obx_ = 0;
};

}  // namespace heartbase::demo::internal
