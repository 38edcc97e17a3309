#include "net/http_parse.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace heartbase::net {
namespace {

// Feeds `bytes` in one piece: 0 while the request is incomplete, 200 once it is complete or its
// body may follow, else the refusal status.
int Status(std::string_view bytes, const HttpLimits& limits = {},
           HttpBodyLimit body_limit = nullptr) {
  HttpRequestParser parser(limits, std::move(body_limit));
  auto state = parser.Feed(bytes);
  if (!state) return parser.refusal_status();
  return *state == HttpParseState::kHead ? 0 : 200;
}

std::string Get(std::string_view target = "/", std::string_view fields = "") {
  return std::string("GET ") + std::string(target) + " HTTP/1.1\r\nHost: h\r\n" +
         std::string(fields) + "\r\n";
}

// A GET whose head is exactly `size` bytes, padded in one field.
std::string HeadOfSize(std::size_t size) {
  const std::string fixed = "GET / HTTP/1.1\r\nHost: h\r\nX: \r\n\r\n";
  return "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(size - fixed.size(), 'a') + "\r\n\r\n";
}

std::string WithFields(std::size_t count) {  // Host plus count-1 more
  std::string fields;
  for (std::size_t i = 1; i < count; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";
  return Get("/", fields);
}

std::string Chunked(std::size_t total, std::size_t chunk) {
  std::string out = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t sent = 0; sent < total; sent += chunk) {
    const std::size_t n = std::min(chunk, total - sent);
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", n);
    out += size + std::string(n, 'b') + "\r\n";
  }
  return out + "0\r\n\r\n";
}

std::string Post(std::string_view target, std::string_view length) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::string(length) + "\r\n\r\n";
}

struct LimitCase {
  const char* name;
  HttpLimits limits;
  std::string at_limit;
  std::string over_limit;
  int status;
};

TEST(HttpParser, EachLimitAcceptsItsValueAndRefusesOneMore) {
  HttpLimits wide;  // room for a target at its limit inside the head
  wide.max_header_bytes = 32 << 10;
  HttpLimits small_body;
  small_body.max_body_bytes = 1000;
  const std::vector<LimitCase> cases = {
      {"head bytes", {}, HeadOfSize(8192), HeadOfSize(8193), 431},
      {"header fields", {}, WithFields(100), WithFields(101), 431},
      {"target bytes", wide, Get("/" + std::string(8191, 't')), Get("/" + std::string(8192, 't')),
       414},
      {"declared body", {}, Post("/", "1048576"), Post("/", "1048577"), 413},
      {"chunked body", small_body, Chunked(1000, 300), Chunked(1001, 300), 413},
  };
  for (const LimitCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Status(c.at_limit, c.limits), 200);
    EXPECT_EQ(Status(c.over_limit, c.limits), c.status);
  }
}

TEST(HttpParser, RefusesAnIncompleteHeadThatOutgrowsTheLimit) {
  HttpRequestParser parser({});
  ASSERT_TRUE(parser.Feed("GET / HTTP/1.1\r\nHost: h\r\nX: "));
  std::string tail(8192, 'a');  // the head never ends
  EXPECT_FALSE(parser.Feed(tail));
  EXPECT_EQ(parser.refusal_status(), 431);
}

TEST(HttpParser, RefusesA4GiBContentLengthAtTheHead) {
  HttpRequestParser parser({});
  auto state = parser.Feed(Post("/", "4294967296") + "0123456789");
  ASSERT_FALSE(state);
  EXPECT_EQ(state.error().code, base::ErrorCode::kLimitExceeded);
  EXPECT_EQ(parser.refusal_status(), 413);
}

TEST(HttpParser, BodyLimitCallbackChoosesPerRequestBeforeTheBody) {
  std::vector<std::string> seen;
  auto limit = [&](const HttpRequest& head) -> std::size_t {
    seen.push_back(head.target);
    return head.target == "/upload" ? 64u << 20 : 1u << 20;
  };
  EXPECT_EQ(Status(Post("/upload", "10000000"), {}, limit), 200);
  EXPECT_EQ(Status(Post("/other", "10000000"), {}, limit), 413);
  EXPECT_EQ(Status(Post("/upload", "4294967296"), {}, limit), 413);
  EXPECT_EQ(seen, (std::vector<std::string>{"/upload", "/other", "/upload"}));
  HttpLimits small;
  small.max_body_bytes = 10;  // the callback decides, not the default
  auto chunked = [](const HttpRequest&) -> std::size_t { return 1000; };
  EXPECT_EQ(Status(Chunked(1000, 100), small, chunked), 200);
  EXPECT_EQ(Status(Chunked(1001, 100), small, chunked), 413);
}

TEST(HttpParser, RefusesRequestSmuggling) {
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"CL then TE",
       "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"},
      {"TE then CL",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"},
      {"TE gzip", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n"},
      {"TE gzip, chunked",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"},
      {"TE chunked, gzip",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"},
      {"TE twice",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
       "chunked\r\n\r\n"},
      {"TE gzip then chunked",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: "
       "chunked\r\n\r\n"},
      {"TE lookalike", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n"},
      {"two lengths",
       "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"},
      {"length list", Post("/", "5, 6")},
      {"signed length", Post("/", "+5")},
      {"negative length", Post("/", "-1")},
      {"hex length", Post("/", "0x5")},
      {"space before colon", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length : 5\r\n\r\n"},
      {"bare LF", "GET / HTTP/1.1\nHost: h\n\n"},
      {"NUL in value", std::string("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n", 35)},
      {"no Host", "GET / HTTP/1.1\r\n\r\n"},
      {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
      {"absolute form", "GET http://evil.example/ HTTP/1.1\r\nHost: h\r\n\r\n"},
      {"asterisk form", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"},
      {"bad chunk size",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"},
  };
  for (const auto& [name, bytes] : cases) {
    SCOPED_TRACE(name);
    HttpRequestParser parser({});
    auto state = parser.Feed(bytes);
    ASSERT_FALSE(state);
    EXPECT_EQ(parser.refusal_status(), 400);
    EXPECT_EQ(state.error().code, base::ErrorCode::kMalformed);
  }
}

TEST(HttpParser, RefusesMethodsAndVersionsItDoesNotImplement) {
  for (const char* method : {"TRACE", "CONNECT", "PROPFIND", "get"}) {
    SCOPED_TRACE(method);
    EXPECT_EQ(Status(std::string(method) + " / HTTP/1.1\r\nHost: h\r\n\r\n"), 501);
  }
  for (const char* method : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    SCOPED_TRACE(method);
    EXPECT_EQ(Status(std::string(method) + " / HTTP/1.1\r\nHost: h\r\n\r\n"), 200);
  }
  EXPECT_EQ(Status("GET / HTTP/1.2\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(Status("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(Status("GET / HTTP/1.0\r\n\r\n"), 200);  // no Host needed in 1.0
}

TEST(HttpParser, KeepsBodyBytesOfAPipelinedRequestApart) {
  // The body of the first request looks like a request; it must stay a body.
  HttpRequestParser parser({});
  const std::string hidden = "GET /admin HTTP/1.1\r\nHost: h\r\n\r\n";
  auto state = parser.Feed(Post("/a", std::to_string(hidden.size())) + hidden + Get("/b"));
  ASSERT_TRUE(state);
  ASSERT_EQ(*state, HttpParseState::kComplete);
  HttpRequest first = parser.TakeRequest();
  EXPECT_EQ(first.target, "/a");
  EXPECT_EQ(first.body, hidden);
  state = parser.Feed({});
  ASSERT_TRUE(state);
  ASSERT_EQ(*state, HttpParseState::kComplete);
  EXPECT_EQ(parser.TakeRequest().target, "/b");
  EXPECT_EQ(parser.buffered(), 0u);
}

TEST(HttpParser, ParsesFieldsInOrderWithLowerCaseNames) {
  auto request = ParseHttpRequest(
      "POST /api/v1/x?q=1 HTTP/1.1\r\nHost: h\r\nX-Token: A b\r\nx-token: second\r\n"
      "Content-Length: 3\r\n\r\nabcEXTRA",
      {});
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->method, "POST");
  EXPECT_EQ(request->target, "/api/v1/x?q=1");
  EXPECT_EQ(request->body, "abc");
  ASSERT_EQ(request->headers.size(), 4u);
  EXPECT_EQ(request->headers[1], (std::pair<std::string, std::string>{"x-token", "A b"}));
  EXPECT_EQ(request->headers[2].second, "second");
  EXPECT_EQ(request->Header("x-token"), "A b");
}

TEST(HttpParser, AssemblesChunkedBodies) {
  auto request = ParseHttpRequest(Chunked(1000, 300), {});
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->body, std::string(1000, 'b'));
}

TEST(HttpParser, GivesTheSameRequestWhenFedByteByByte) {
  const std::string bytes = Chunked(50, 7);
  HttpRequestParser parser({});
  parser.SetPeer("::1", true);
  base::Result<HttpParseState> state = HttpParseState::kHead;
  for (char c : bytes) {
    ASSERT_NE(*state, HttpParseState::kComplete);
    state = parser.Feed(std::string_view(&c, 1));
    ASSERT_TRUE(state);
  }
  ASSERT_EQ(*state, HttpParseState::kComplete);
  HttpRequest request = parser.TakeRequest();
  EXPECT_EQ(request.body, std::string(50, 'b'));
  EXPECT_EQ(request.peer_address, "::1");
  EXPECT_TRUE(request.tls);
}

TEST(HttpParser, ReportsKeepAliveAndExpectContinue) {
  struct Case {
    std::string bytes;
    bool keep_alive;
    bool expects_continue;
  };
  const std::vector<Case> cases = {
      {Get(), true, false},
      {Get("/", "Connection: close\r\n"), false, false},
      {"GET / HTTP/1.0\r\n\r\n", false, false},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true, false},
      {"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n", true,
       true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.bytes);
    HttpRequestParser parser({});
    ASSERT_TRUE(parser.Feed(c.bytes));
    EXPECT_EQ(parser.keep_alive(), c.keep_alive);
    EXPECT_EQ(parser.expects_continue(), c.expects_continue);
  }
}

TEST(HttpParser, OneShotParseRefusesIncompleteRequests) {
  auto request = ParseHttpRequest(Post("/", "10") + "short", {});
  ASSERT_FALSE(request);
  EXPECT_EQ(request.error().code, base::ErrorCode::kMalformed);
  EXPECT_FALSE(ParseHttpRequest("GET / HTTP/1.1\r\nHost: h\r\n", {}));
}

TEST(HttpParser, StaysFailedAfterARefusal) {
  HttpRequestParser parser({});
  ASSERT_FALSE(parser.Feed("GARBAGE\r\n\r\n"));
  EXPECT_FALSE(parser.Feed(Get()));
  EXPECT_EQ(parser.refusal_status(), 400);
}

}  // namespace
}  // namespace heartbase::net
