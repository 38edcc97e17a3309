#include "base/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>

namespace heartbase::base {
namespace {

TEST(JsonWriter, WritesNestedStructuresWithCommas) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("a", 1);
  w.Key("b");
  w.BeginArray();
  w.String("x");
  w.Double(2.5);
  w.Null();
  w.Bool(true);
  w.Double(std::nan(""));
  w.EndArray();
  w.Key("c");
  w.BeginObject();
  w.EndObject();
  w.EndObject();
  EXPECT_EQ(out, R"({"a":1,"b":["x",2.5,null,true,null],"c":{}})");
}

TEST(JsonWriter, EscapesControlCharactersAndRepairsInvalidUtf8) {
  std::string out;
  constexpr char kInput[] =
      "q\"\\\n\x01 M\xfc"
      "ller \xc3\xbc \xe2\x82\xac";
  JsonWriter::AppendQuoted(&out, std::string_view(kInput, sizeof kInput - 1));
  EXPECT_EQ(out, "\"q\\\"\\\\\\n\\u0001 M\xc3\xbcller \xc3\xbc \xe2\x82\xac\"");
}

}  // namespace
}  // namespace heartbase::base
