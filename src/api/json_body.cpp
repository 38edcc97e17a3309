// Boost.JSON, compiled header-only in this one translation unit.
#include "api/json_body.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/src.hpp>
#include <set>
#include <string>
#include <vector>

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

// A second pass over the bytes that only looks for a key repeated within one object. The DOM
// parser keeps the last of repeated keys, so a body like {"password":"a","password":"b"} would be
// read one way here and perhaps another way by whatever else reads it; such a body is refused.
// Keys are compared after unescaping ("\u0061" is "a"). Memory is bounded by the body's size.
class DuplicateKeyCheck {
 public:
  // The names Boost.JSON's basic_parser requires of a handler.
  // NOLINTBEGIN(readability-identifier-naming)
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
  // NOLINTEND(readability-identifier-naming)

  bool duplicate() const { return duplicate_; }

  bool on_document_begin(boost::json::error_code&) { return true; }
  bool on_document_end(boost::json::error_code&) { return true; }
  // Arrays get a frame too, so the frame on top is always the innermost container.
  bool on_array_begin(boost::json::error_code&) {
    frames_.emplace_back();
    return true;
  }
  bool on_array_end(std::size_t, boost::json::error_code&) {
    frames_.pop_back();
    return true;
  }
  bool on_object_begin(boost::json::error_code&) {
    frames_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, boost::json::error_code&) {
    frames_.pop_back();
    return true;
  }
  bool on_string_part(boost::json::string_view, std::size_t, boost::json::error_code&) {
    return true;
  }
  bool on_string(boost::json::string_view, std::size_t, boost::json::error_code&) { return true; }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::json::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::json::error_code& ec) {
    key_.append(s.data(), s.size());
    const bool fresh = frames_.back().insert(std::move(key_)).second;
    key_.clear();
    if (fresh) return true;
    duplicate_ = true;
    ec = boost::json::error::syntax;  // stops the parser; duplicate() says why
    return false;
  }
  bool on_number_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_int64(std::int64_t, boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_uint64(std::uint64_t, boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_double(double, boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_bool(bool, boost::json::error_code&) { return true; }
  bool on_null(boost::json::error_code&) { return true; }
  bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }

 private:
  std::vector<std::set<std::string>> frames_;
  std::string key_;
  bool duplicate_ = false;
};

bool HasDuplicateKey(std::string_view body, const boost::json::parse_options& options) {
  boost::json::basic_parser<DuplicateKeyCheck> parser(options);
  boost::json::error_code ec;
  parser.write_some(false, body.data(), body.size(), ec);
  return parser.handler().duplicate();
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
  // Only a document that parsed within the limits is walked a second time.
  if (HasDuplicateKey(body, options)) {
    return base::MakeError(base::ErrorCode::kMalformed, "a key appears twice in one JSON object");
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
