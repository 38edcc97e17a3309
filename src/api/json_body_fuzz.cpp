// Fuzz target: JSON request bodies never crash, leak or exceed their limits.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/json_body.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = heartbase::api::JsonBody::Parse(body, {.max_bytes = 1u << 16, .max_depth = 16});
  if (parsed) {
    (void)parsed->String("name");
    (void)parsed->Int("limit");
    (void)parsed->Bool("remember");
  }
  return 0;
}
