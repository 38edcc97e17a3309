// libFuzzer target for the HTTP request parser: arbitrary streams, fed whole and in arbitrary
// chunks, never crash, never accept a request beyond a limit and never buffer past one.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "net/http_parse.h"

namespace {

using heartbase::net::HttpLimits;
using heartbase::net::HttpParseState;
using heartbase::net::HttpRequest;

constexpr HttpLimits kLimits{
    .max_header_bytes = 512, .max_header_fields = 8, .max_target_bytes = 64, .max_body_bytes = 256};

void Check(const HttpRequest& r) {
  if (r.target.empty() || r.target.front() != '/' || r.target.size() > kLimits.max_target_bytes ||
      r.headers.size() > kLimits.max_header_fields || r.body.size() > kLimits.max_body_bytes) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);

  if (auto r = heartbase::net::ParseHttpRequest(stream, kLimits)) Check(*r);

  // The same bytes as a connection would deliver them, several requests in a row.
  heartbase::net::HttpRequestParser parser(kLimits);
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    auto state = parser.Feed(stream.substr(at, chunk));
    while (state && *state == HttpParseState::kComplete) {
      Check(parser.TakeRequest());
      state = parser.Feed({});
    }
    if (!state) {
      const int status = parser.refusal_status();
      if (status != 400 && status != 413 && status != 414 && status != 431 && status != 501) {
        std::abort();
      }
      break;
    }
    if (parser.buffered() > kLimits.max_header_bytes + chunk) std::abort();
  }
  return 0;
}
