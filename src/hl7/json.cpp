// Generic message → JSON, the integrator's view of exactly what was received.
#include "hl7/json.h"

#include <fmt/format.h>

#include "hl7/escape.h"

namespace heartbase::hl7 {
namespace {

base::Error TooMany(const Segment& s, std::uint32_t field, std::string_view what,
                    std::uint32_t limit) {
  base::Position p;
  const std::string_view id = s.id();
  for (std::size_t i = 0; i < 3; ++i) p.segment[i] = id[i];
  p.segment_seq = static_cast<std::uint32_t>(s.index() + 1);
  p.field = field;
  p.offset = s.offset();
  return base::MakeError(base::ErrorCode::kLimitExceeded,
                         fmt::format("field has more than {} {}", limit, what), p);
}

}  // namespace

base::Status WriteMessageJson(const Message& m, base::JsonWriter* w) {
  const Delimiters& d = m.delimiters();
  const ParseOptions& limits = m.options();
  std::string scratch;
  w->BeginObject();
  w->Key("segments");
  w->BeginArray();
  for (std::size_t i = 0; i < m.segment_count(); ++i) {
    const Segment s = m.segment(i);
    const bool msh = s.id() == "MSH";
    w->BeginObject();
    w->Field("id", s.id());
    w->Field("index", static_cast<std::uint32_t>(i + 1));
    w->Key("offset");
    w->Uint(s.offset());
    w->Key("fields");
    w->BeginObject();
    for (std::uint32_t f = 1; f <= s.field_count(); ++f) {
      const std::string_view field = s.Field(f);
      if (field.empty()) continue;
      w->Key(fmt::format("{}", f));
      w->BeginArray();
      if (msh && f <= 2) {  // the delimiters themselves: never split or unescaped
        w->BeginArray();
        w->String(field);
        w->EndArray();
        w->EndArray();
        continue;
      }
      const std::uint32_t reps = PieceCount(field, d.repetition);
      if (reps > limits.max_repetitions)
        return TooMany(s, f, "repetitions", limits.max_repetitions);
      for (std::uint32_t r = 1; r <= reps; ++r) {
        const std::string_view rep = NthPiece(field, d.repetition, r);
        const std::uint32_t comps = PieceCount(rep, d.component);
        if (comps > limits.max_components)
          return TooMany(s, f, "components", limits.max_components);
        w->BeginArray();
        for (std::uint32_t c = 1; c <= comps; ++c) {
          const std::string_view comp = NthPiece(rep, d.component, c);
          const std::uint32_t subs = PieceCount(comp, d.subcomponent);
          if (subs == 1) {
            w->String(Unescape(comp, d, &scratch));
            continue;
          }
          if (subs > limits.max_components) {
            return TooMany(s, f, "sub-components", limits.max_components);
          }
          w->BeginArray();
          for (std::uint32_t k = 1; k <= subs; ++k) {
            w->String(Unescape(NthPiece(comp, d.subcomponent, k), d, &scratch));
          }
          w->EndArray();
        }
        w->EndArray();
      }
      w->EndArray();
    }
    w->EndObject();
    w->EndObject();
  }
  w->EndArray();
  w->EndObject();
  return {};
}

}  // namespace heartbase::hl7
