// JSON request bodies: parsed with a size and depth limit before anything else looks at them,
// into a read-only view of the top-level object's members. Nothing is ever instantiated from the
// bytes but strings, numbers and booleans.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace heartbase::api {

struct JsonLimits {
  std::size_t max_bytes = 1u << 20;
  std::size_t max_depth = 32;
  std::size_t max_string_bytes = 64u << 10;
};

class JsonBody {
 public:
  // kMalformed (not JSON, not an object at the top, or a key repeated within one object, at any
  // depth), kLimitExceeded (too large or too deep, or a string over max_string_bytes).
  static base::Result<JsonBody> Parse(std::string_view body, const JsonLimits& limits = {});

  // Members of the top-level object; nullopt when absent or of another type.
  std::optional<std::string> String(std::string_view key) const;
  std::optional<std::int64_t> Int(std::string_view key) const;
  std::optional<bool> Bool(std::string_view key) const;
  // An array of integers (every element one); nullopt when absent, of another type, or longer
  // than `max_items`.
  std::optional<std::vector<std::int64_t>> IntArray(std::string_view key,
                                                    std::size_t max_items) const;
  // True if the member is present and null.
  bool IsNull(std::string_view key) const;
  bool Has(std::string_view key) const;

  JsonBody(JsonBody&&) noexcept;
  JsonBody& operator=(JsonBody&&) noexcept;
  ~JsonBody();

 private:
  struct Impl;
  explicit JsonBody(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace heartbase::api
