// libFuzzer target for the IDCO mapper: any message that parses maps or fails cleanly, and the
// JSON writer accepts whatever the mapper produced.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/json_writer.h"
#include "hl7/message.h"
#include "idco/json.h"
#include "idco/mapper.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace heartbase;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto m = hl7::Message::Parse(bytes);
  if (!m) return 0;
  idco::MapOptions options;
  options.max_attachment_bytes = 1 << 20;
  auto r = idco::Map(*m, options);
  if (!r) return 0;
  std::string json;
  base::JsonWriter w(&json);
  idco::WriteInterrogationJson(*r, &w);
  return 0;
}
