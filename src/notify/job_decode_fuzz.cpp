// libFuzzer target for the notify decoders (job records and lease channel messages). Each input is
// decoded twice: as it is (the MAC must fail, so nothing past it is read), and with a valid MAC
// appended under a fixed key, which lets the fuzzer reach every field check. No input may crash,
// and whatever decodes must be valid and re-encode to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "notify/job_codec.h"
#include "notify/lease_protocol.h"

namespace {

using namespace heartbase::notify;

const MacKey& Key() {
  static const MacKey key = *MacKey::FromBytes(std::string(MacKey::kBytes, '\x5a'));
  return key;
}

std::string WithMac(std::string_view body, std::string_view domain) {
  std::string out(body);
  const auto mac = Key().Mac(domain, body);
  out.append(reinterpret_cast<const char*>(mac.data()), mac.size());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (DecodeJob(in, Key()).ok() && size < 32) std::abort();  // cannot hold a MAC
  auto job = DecodeJob(WithMac(in, "heartbase/notify/job/v1"), Key());
  if (job) {
    if (!ValidateJob(*job)) std::abort();
    auto again = EncodeJob(*job, Key());
    if (!again || *again != WithMac(in, "heartbase/notify/job/v1")) std::abort();
  }
  const std::string msg = WithMac(in, "heartbase/notify/msg/v1");
  if (auto r = DecodeRequest(msg, Key())) {
    auto again = EncodeRequest(*r, Key());
    if (!again || *again != msg) std::abort();
  }
  if (auto r = DecodeLeaseResponse(msg, Key())) {
    auto again = EncodeLeaseResponse(*r, Key());
    if (!again || *again != msg) std::abort();
  }
  if (auto r = DecodeReply(msg, Key())) {
    auto again = EncodeReply(*r, Key());
    if (!again || *again != msg) std::abort();
  }
  return 0;
}
