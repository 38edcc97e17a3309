// libFuzzer target: batch splitting, message parsing, every accessor, the generic JSON writer and
// the ACK builder on arbitrary bytes. Must never crash, hang or read out of bounds.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/json_writer.h"
#include "hl7/ack.h"
#include "hl7/batch.h"
#include "hl7/escape.h"
#include "hl7/json.h"
#include "hl7/message.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace heartbase::hl7;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ParseOptions options;
  options.max_fields_per_segment = 200;
  options.max_repetitions = 50;
  options.max_components = 50;
  auto batch = SplitBatch(bytes);
  if (!batch) return 0;
  for (const auto& orphan : batch->orphans) {
    // Every orphaned run lies inside the input, and its report never fails to build.
    if (orphan.bytes.data() != bytes.data() + orphan.offset ||
        orphan.offset + orphan.bytes.size() > bytes.size()) {
      __builtin_trap();
    }
    (void)OrphanError(orphan);
  }
  for (const auto& item : batch->messages) {
    auto m = Message::Parse(item.bytes, options);
    if (!m) continue;
    std::string scratch;
    for (std::size_t i = 0; i < m->segment_count(); ++i) {
      const Segment s = m->segment(i);
      for (std::uint32_t f = 1; f <= s.field_count() + 1; ++f) {
        (void)Unescape(s.Subcomponent(f, 2, 2, 2), m->delimiters(), &scratch);
      }
    }
    std::string json;
    heartbase::base::JsonWriter w(&json);
    (void)WriteMessageJson(*m, &w);
    AckRequest r;
    r.outcome = AckOutcome::kError;
    AckError e;
    e.text = std::string(bytes.substr(0, 32));
    r.errors.push_back(e);
    const std::string ack = BuildAck(AckContextFrom(*m), r);
    if (!Message::Parse(ack)) __builtin_trap();  // our own ACK must always parse
  }
  (void)AckContextFromBytes(bytes);
  return 0;
}
