// MLLP framing (HL7 Minimal Lower Layer Protocol: <VT> message <FS><CR>), incremental and
// bounded. No I/O: the listener and the file importer feed it bytes.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace heartbase::net {

inline constexpr char kMllpStart = '\x0b';
inline constexpr char kMllpEnd = '\x1c';
inline constexpr char kMllpEndCr = '\x0d';

// Wraps one message in an MLLP frame.
std::string MllpFrame(std::string_view message);

// Decodes a byte stream into frames. Bytes between frames may only be CR, LF or blanks (some
// senders add them); anything else is a protocol error. A frame larger than max_frame_bytes is
// refused as soon as the stream proves it (before it is buffered). Not thread-safe.
class MllpDecoder {
 public:
  explicit MllpDecoder(std::size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

  using FrameHandler = std::function<base::Status(std::string_view frame)>;

  // Consumes `bytes`, calling `on_frame` for every complete frame (the view is valid during the
  // call only). Stops at the first error, from the stream (kMalformed: data outside a frame or no
  // CR after FS; kLimitExceeded: frame too large) or from the handler. After an error the decoder
  // is unusable: the connection should be closed.
  base::Status Feed(std::string_view bytes, const FrameHandler& on_frame);

  // True when no frame has started (a clean place to close the connection).
  bool idle() const { return state_ == State::kIdle; }
  std::size_t buffered() const { return frame_.size(); }

 private:
  enum class State { kIdle, kInFrame, kAfterEnd, kFailed };
  std::size_t max_frame_bytes_;
  State state_ = State::kIdle;
  std::string frame_;
  std::size_t offset_ = 0;  // bytes consumed so far, for error positions
};

}  // namespace heartbase::net
