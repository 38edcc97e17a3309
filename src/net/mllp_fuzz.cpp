// libFuzzer target for the MLLP decoder: arbitrary streams, fed in arbitrary chunks, never crash
// and never buffer more than the limit.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "net/mllp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using heartbase::net::MllpDecoder;
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  MllpDecoder d(256);
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    auto s = d.Feed(stream.substr(at, chunk), [](std::string_view frame) {
      if (frame.size() > 256) std::abort();
      return heartbase::base::Status();
    });
    if (!s) break;
    if (d.buffered() > 256) std::abort();
  }
  return 0;
}
