// JsonBody: limits, member access, and bodies that say one thing twice.
#include "api/json_body.h"

#include <gtest/gtest.h>

namespace heartbase::api {
namespace {

TEST(JsonBody, ReadsMembersOfTheTopLevelObject) {
  auto body = JsonBody::Parse(R"({"name":"ada","limit":20,"remember":true,"gone":null})");
  ASSERT_TRUE(body);
  EXPECT_EQ(body->String("name"), "ada");
  EXPECT_EQ(body->Int("limit"), 20);
  EXPECT_EQ(body->Bool("remember"), true);
  EXPECT_TRUE(body->IsNull("gone"));
  EXPECT_FALSE(body->Has("other"));
}

// A repeated key would let two readers of the same body (a proxy, a log, this server) each see
// a different value; the body is refused instead of letting the last one win.
TEST(JsonBody, RefusesADuplicateKey) {
  for (const char* text : {
           R"({"password":"a","password":"b"})",
           R"({"name":"x","totp":"1","name":"x"})",
           R"({"pass\u0077ord":"a","password":"b"})",  // the same key, escaped
           R"({"outer":{"k":1,"k":2}})",
           R"({"list":[{"k":1},{"k":1,"k":2}]})",
       }) {
    SCOPED_TRACE(text);
    auto body = JsonBody::Parse(text);
    ASSERT_FALSE(body);
    EXPECT_EQ(body.error().code, base::ErrorCode::kMalformed);
  }
}

TEST(JsonBody, AcceptsTheSameKeyInDifferentObjects) {
  auto body = JsonBody::Parse(R"({"k":{"k":1},"list":[{"k":1},{"k":2}],"other":{"k":[{"k":3}]}})");
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_TRUE(body->Has("k"));
}

TEST(JsonBody, RefusesOversizedAndTooDeepBodies) {
  EXPECT_EQ(JsonBody::Parse(R"({"a":"long"})", {.max_bytes = 4}).error().code,
            base::ErrorCode::kLimitExceeded);
  EXPECT_EQ(JsonBody::Parse(R"({"a":{"b":{"c":1}}})", {.max_depth = 2}).error().code,
            base::ErrorCode::kLimitExceeded);
  EXPECT_EQ(JsonBody::Parse("[1]").error().code, base::ErrorCode::kMalformed);
}

}  // namespace
}  // namespace heartbase::api
