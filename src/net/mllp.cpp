// MLLP decoding: a three-state machine; the frame buffer grows only after the limit check.
#include "net/mllp.h"

#include <fmt/format.h>

#include <cstring>

namespace heartbase::net {

std::string MllpFrame(std::string_view message) {
  std::string out;
  out.reserve(message.size() + 3);
  out.push_back(kMllpStart);
  out.append(message);
  out.push_back(kMllpEnd);
  out.push_back(kMllpEndCr);
  return out;
}

base::Status MllpDecoder::Feed(std::string_view bytes, const FrameHandler& on_frame) {
  auto fail = [&](base::ErrorCode code, std::string text, std::size_t at) {
    state_ = State::kFailed;
    frame_.clear();
    frame_.shrink_to_fit();
    return base::MakeError(code, std::move(text), base::Position{.offset = offset_ + at});
  };
  std::size_t i = 0;
  while (i < bytes.size()) {
    switch (state_) {
      case State::kFailed:
        return base::MakeError(base::ErrorCode::kInvalidArgument, "MLLP stream already failed");
      case State::kIdle: {
        const char c = bytes[i];
        if (c == kMllpStart) {
          state_ = State::kInFrame;
          frame_.clear();
        } else if (c != '\r' && c != '\n' && c != ' ' && c != '\t') {
          return fail(base::ErrorCode::kMalformed,
                      "data outside an MLLP frame (no start byte 0x0B)", i);
        }
        ++i;
        break;
      }
      case State::kInFrame: {
        const char* begin = bytes.data() + i;
        const void* end = std::memchr(begin, kMllpEnd, bytes.size() - i);
        const std::size_t n = end ? static_cast<std::size_t>(static_cast<const char*>(end) - begin)
                                  : bytes.size() - i;
        if (frame_.size() + n > max_frame_bytes_) {
          return fail(base::ErrorCode::kLimitExceeded,
                      fmt::format("MLLP frame exceeds {} bytes", max_frame_bytes_), i);
        }
        frame_.append(begin, n);
        i += n;
        if (end != nullptr) {
          state_ = State::kAfterEnd;
          ++i;
        }
        break;
      }
      case State::kAfterEnd: {
        if (bytes[i] != kMllpEndCr) {
          return fail(base::ErrorCode::kMalformed, "MLLP end byte 0x1C not followed by 0x0D", i);
        }
        ++i;
        state_ = State::kIdle;
        if (auto s = on_frame(frame_); !s) {
          state_ = State::kFailed;
          return s;
        }
        frame_.clear();
        break;
      }
    }
  }
  offset_ += bytes.size();
  return {};
}

}  // namespace heartbase::net
