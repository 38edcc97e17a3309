// Boost.JSON, compiled header-only in this one translation unit.
#include "api/json_body.h"

#include <boost/json/src.hpp>

namespace heartbase::api {

struct JsonBody::Impl {
  boost::json::object object;
};

namespace {

// Every string in the document, recursively; false if one is longer than `max`.
bool StringsWithin(const boost::json::value& v, std::size_t max) {
  switch (v.kind()) {
    case boost::json::kind::string:
      return v.get_string().size() <= max;
    case boost::json::kind::array:
      for (const auto& e : v.get_array()) {
        if (!StringsWithin(e, max)) return false;
      }
      return true;
    case boost::json::kind::object:
      for (const auto& [k, e] : v.get_object()) {
        if (k.size() > max || !StringsWithin(e, max)) return false;
      }
      return true;
    default:
      return true;
  }
}

}  // namespace

JsonBody::JsonBody(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonBody::JsonBody(JsonBody&&) noexcept = default;
JsonBody& JsonBody::operator=(JsonBody&&) noexcept = default;
JsonBody::~JsonBody() = default;

base::Result<JsonBody> JsonBody::Parse(std::string_view body, const JsonLimits& limits) {
  if (body.size() > limits.max_bytes) {
    return base::MakeError(base::ErrorCode::kLimitExceeded, "JSON body too large");
  }
  boost::json::parse_options options;
  options.max_depth = limits.max_depth;
  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(body, ec, {}, options);
  if (ec == boost::json::error::too_deep) {
    return base::MakeError(base::ErrorCode::kLimitExceeded, "JSON nested too deeply");
  }
  if (ec) return base::MakeError(base::ErrorCode::kMalformed, "body is not valid JSON");
  if (!v.is_object()) {
    return base::MakeError(base::ErrorCode::kMalformed, "body must be a JSON object");
  }
  if (!StringsWithin(v, limits.max_string_bytes)) {
    return base::MakeError(base::ErrorCode::kLimitExceeded, "a JSON string is too long");
  }
  auto impl = std::make_unique<Impl>();
  impl->object = std::move(v.get_object());
  return JsonBody(std::move(impl));
}

std::optional<std::string> JsonBody::String(std::string_view key) const {
  const auto* v = impl_->object.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::optional<std::int64_t> JsonBody::Int(std::string_view key) const {
  const auto* v = impl_->object.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v->get_uint64());
  }
  return std::nullopt;
}

std::optional<bool> JsonBody::Bool(std::string_view key) const {
  const auto* v = impl_->object.if_contains(key);
  if (v == nullptr || !v->is_bool()) return std::nullopt;
  return v->get_bool();
}

std::optional<std::vector<std::int64_t>> JsonBody::IntArray(std::string_view key,
                                                            std::size_t max_items) const {
  const auto* v = impl_->object.if_contains(key);
  if (v == nullptr || !v->is_array() || v->get_array().size() > max_items) return std::nullopt;
  std::vector<std::int64_t> out;
  for (const auto& e : v->get_array()) {
    if (!e.is_int64()) return std::nullopt;
    out.push_back(e.get_int64());
  }
  return out;
}

bool JsonBody::IsNull(std::string_view key) const {
  const auto* v = impl_->object.if_contains(key);
  return v != nullptr && v->is_null();
}

bool JsonBody::Has(std::string_view key) const { return impl_->object.contains(key); }

}  // namespace heartbase::api
