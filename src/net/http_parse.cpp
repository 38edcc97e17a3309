// The request parser on Boost.Beast's basic_parser, which has a strict HTTP/1.1 grammar. What
// Beast leaves to the application is done here: exact head-size and field-count limits, a body
// limit chosen per request before any body byte, and the framing rules against smuggling.
#include "net/http_parse.h"

#include <algorithm>
#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <utility>

namespace heartbase::net {
namespace {

namespace http = boost::beast::http;
using base::ErrorCode;

// Like Beast's string_body, but the string grows with the bytes that arrive instead of
// reserving the declared Content-Length at once: a client that declares a megabyte and then
// sends nothing costs nothing.
struct RequestBody {
  using value_type = std::string;

  class reader {  // NOLINT(readability-identifier-naming): the name Beast looks up
   public:
    template <bool kIsRequest, class Fields>
    reader(http::header<kIsRequest, Fields>& /*head*/, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>& /*length*/, boost::beast::error_code& ec) {
      ec = {};
    }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      std::size_t n = 0;
      for (const auto b : boost::beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      ec = {};
      return n;
    }

    void finish(boost::beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

using BeastParser = http::request_parser<RequestBody>;

constexpr std::array<std::string_view, 7> kMethods = {"GET",   "HEAD",   "POST",   "PUT",
                                                      "PATCH", "DELETE", "OPTIONS"};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

ErrorCode CodeFor(int status) {
  switch (status) {
    case 413:
    case 414:
    case 431:
      return ErrorCode::kLimitExceeded;
    case 501:
      return ErrorCode::kUnsupported;
    default:
      return ErrorCode::kMalformed;
  }
}

}  // namespace

struct HttpRequestParser::Impl {
  HttpLimits limits;
  HttpBodyLimit body_limit;
  std::string peer_address;
  bool tls = false;

  std::optional<BeastParser> parser;  // Beast parsers cannot be reset: one per request
  std::string buffer;                 // received, not yet consumed
  HttpRequest request;
  HttpParseState state = HttpParseState::kHead;
  std::size_t head_bytes = 0;
  bool keep_alive = false;
  bool expects_continue = false;
  std::optional<base::Error> failure;
  int status = 0;

  void Start() {
    parser.emplace();
    // Stop after the head, so that the head is checked and the body limit chosen before the
    // parser consumes a single body byte.
    parser->eager(false);
    parser->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(limits.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    // Beast compares Content-Length with its limit while it finishes the head, before the head
    // can be shown to `body_limit`; with a callback the comparison is done in OnHead instead.
    if (body_limit) {
      parser->body_limit(boost::none);
    } else {
      parser->body_limit(limits.max_body_bytes);
    }
    request = HttpRequest{};
    state = HttpParseState::kHead;
    head_bytes = 0;
    keep_alive = false;
    expects_continue = false;
  }

  base::Error Fail(int http_status, std::string message) {
    status = http_status;
    failure = base::MakeError(CodeFor(http_status), std::move(message));
    return *failure;
  }

  base::Error FailBeast(const boost::beast::error_code& ec) {
    if (ec == http::error::header_limit) return Fail(431, "request head too large");
    if (ec == http::error::body_limit) return Fail(413, "request body too large");
    return Fail(400, "malformed request: " + ec.message());
  }

  base::Status OnHead() {
    const auto& head = parser->get();
    if (head_bytes > limits.max_header_bytes) return Fail(431, "request head too large");
    const auto fields = static_cast<std::size_t>(std::distance(head.begin(), head.end()));
    if (fields > limits.max_header_fields) return Fail(431, "too many header fields");
    const std::string_view method = head.method_string();
    if (std::find(kMethods.begin(), kMethods.end(), method) == kMethods.end()) {
      return Fail(501, "method not implemented");
    }
    const std::string_view target = head.target();
    if (target.size() > limits.max_target_bytes) return Fail(414, "request target too long");
    if (target.empty() || target.front() != '/') {
      return Fail(400, "request target is not in origin form");
    }
    std::size_t host_fields = 0;
    std::size_t transfer_encodings = 0;
    for (const auto& f : head) {
      if (f.name() == http::field::host) ++host_fields;
      if (f.name() == http::field::transfer_encoding) {
        ++transfer_encodings;
        // Only a lone "chunked" frames a request body we can delimit. Beast treats any other
        // coding as "no body", which would let the body be read as the next request.
        if (!boost::beast::iequals(f.value(), "chunked")) {
          return Fail(400, "unsupported transfer coding");
        }
      }
    }
    if (transfer_encodings > 1) return Fail(400, "repeated Transfer-Encoding");
    if (host_fields > 1 || (head.version() == 11 && host_fields == 0)) {
      return Fail(400, "an HTTP/1.1 request needs exactly one Host field");
    }

    request.method = std::string(method);
    request.target = std::string(target);
    request.headers.reserve(fields);
    for (const auto& f : head) {
      request.headers.emplace_back(Lower(f.name_string()), std::string(f.value()));
    }
    request.peer_address = peer_address;
    request.tls = tls;
    keep_alive = parser->keep_alive();
    expects_continue = head.version() == 11 &&
                       boost::beast::iequals(request.Header("expect"), "100-continue") &&
                       !parser->is_done();

    const std::size_t limit = body_limit ? body_limit(request) : limits.max_body_bytes;
    if (const auto length = parser->content_length(); length && *length > limit) {
      return Fail(413, "request body too large");
    }
    parser->body_limit(limit);  // chunked bodies count against it chunk by chunk
    state = HttpParseState::kBody;
    return {};
  }

  base::Result<HttpParseState> Feed(std::string_view bytes) {
    if (failure) return *failure;
    buffer.append(bytes);
    while (state != HttpParseState::kComplete) {
      boost::beast::error_code ec;
      const std::size_t n = parser->put(boost::asio::buffer(buffer.data(), buffer.size()), ec);
      buffer.erase(0, n);
      if (state == HttpParseState::kHead) head_bytes += n;
      if (ec == http::error::need_more) {
        // A head is parsed in one piece, so a buffer this long without a complete head proves
        // the head too large; in the body, only a chunk header or trailer can be pending.
        if (buffer.size() >= limits.max_header_bytes) {
          return state == HttpParseState::kHead ? Fail(431, "request head too large")
                                                : Fail(413, "chunk header or trailer too large");
        }
        break;
      }
      if (ec) return FailBeast(ec);
      if (state == HttpParseState::kHead && parser->is_header_done()) {
        if (auto s = OnHead(); !s) return s.error();
      }
      if (parser->is_done()) {
        request.body = std::move(parser->get().body());
        state = HttpParseState::kComplete;
        break;
      }
      if (n == 0 || buffer.empty()) break;
    }
    return state;
  }
};

HttpRequestParser::HttpRequestParser(const HttpLimits& limits, HttpBodyLimit body_limit)
    : impl_(std::make_unique<Impl>()) {
  impl_->limits = limits;
  impl_->body_limit = std::move(body_limit);
  impl_->Start();
}

HttpRequestParser::~HttpRequestParser() = default;

void HttpRequestParser::SetPeer(std::string peer_address, bool tls) {
  impl_->peer_address = std::move(peer_address);
  impl_->tls = tls;
}

base::Result<HttpParseState> HttpRequestParser::Feed(std::string_view bytes) {
  return impl_->Feed(bytes);
}

HttpParseState HttpRequestParser::state() const { return impl_->state; }
const HttpRequest& HttpRequestParser::request() const { return impl_->request; }
bool HttpRequestParser::keep_alive() const { return impl_->keep_alive; }
bool HttpRequestParser::expects_continue() const { return impl_->expects_continue; }
std::size_t HttpRequestParser::buffered() const { return impl_->buffer.size(); }
int HttpRequestParser::refusal_status() const { return impl_->status; }

HttpRequest HttpRequestParser::TakeRequest() {
  HttpRequest out = std::move(impl_->request);
  impl_->Start();
  return out;
}

base::Result<HttpRequest> ParseHttpRequest(std::string_view bytes, const HttpLimits& limits) {
  HttpRequestParser parser(limits);
  auto state = parser.Feed(bytes);
  if (!state) return state.error();
  if (*state != HttpParseState::kComplete) {
    return base::MakeError(ErrorCode::kMalformed, "incomplete request");
  }
  return parser.TakeRequest();
}

}  // namespace heartbase::net
