// JsonWriter: a streaming JSON writer that appends to a std::string and always produces valid
// JSON text, whatever bytes it is given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace heartbase::base {

// Usage: w.BeginObject(); w.Key("a"); w.Int(1); w.EndObject();
// Commas are placed automatically. Strings are written as UTF-8: valid UTF-8 passes through;
// each byte of an invalid sequence is read as ISO 8859-1 (what undeclared HL7 feeds most often
// send), so no input byte is ever dropped. Nesting deeper than kMaxDepth is a programming error
// (the writer aborts); callers bound their own depth. Not thread-safe.
class JsonWriter {
 public:
  static constexpr int kMaxDepth = 32;

  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  void Key(std::string_view key);
  void String(std::string_view value);
  void Int(std::int64_t value);
  void Uint(std::uint64_t value);
  // Non-finite numbers are written as null (JSON has no NaN or infinity).
  void Double(double value);
  void Bool(bool value);
  void Null();

  // Convenience: Key(key) then the value.
  void Field(std::string_view key, std::string_view value) { Key(key), String(value); }
  void Field(std::string_view key, const char* value) { Key(key), String(value); }
  void Field(std::string_view key, const std::string& value) { Key(key), String(value); }
  void Field(std::string_view key, std::int64_t value) { Key(key), Int(value); }
  void Field(std::string_view key, int value) { Key(key), Int(value); }
  void Field(std::string_view key, std::uint32_t value) { Key(key), Uint(value); }
  void Field(std::string_view key, double value) { Key(key), Double(value); }
  void Field(std::string_view key, bool value) { Key(key), Bool(value); }
  // An absent value is written as null.
  void Field(std::string_view key, const std::optional<std::int64_t>& value) {
    Key(key);
    value ? Int(*value) : Null();
  }
  void Field(std::string_view key, const std::optional<int>& value) {
    Key(key);
    value ? Int(*value) : Null();
  }
  void Field(std::string_view key, const std::optional<std::string>& value) {
    Key(key);
    value ? String(*value) : Null();
  }

  // Appends `s` as a quoted, escaped JSON string to `out`.
  static void AppendQuoted(std::string* out, std::string_view s);

 private:
  void BeforeValue();
  void Push(char kind);

  std::string* out_;
  char stack_[kMaxDepth] = {};
  bool first_[kMaxDepth] = {};
  int depth_ = 0;
  bool after_key_ = false;
};

}  // namespace heartbase::base
