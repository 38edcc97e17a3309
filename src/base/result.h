// Result<T>: a value or an Error, shaped like std::expected<T, Error> (C++23) so it can be
// replaced by it later. Accessing the wrong alternative is a programming error and aborts.
#pragma once

#include <cstdlib>
#include <utility>
#include <variant>

#include "base/error.h"

namespace heartbase::base {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return Get(); }
  const T& value() const& { return const_cast<Result*>(this)->Get(); }
  T&& value() && { return std::move(Get()); }
  T* operator->() { return &Get(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return Get(); }
  const T& operator*() const& { return value(); }
  // On a temporary Result the value is moved out, so `for (x : *Query(...))` cannot dangle.
  T operator*() && { return std::move(Get()); }

  const Error& error() const {
    if (ok()) std::abort();
    return *std::get_if<1>(&v_);
  }

 private:
  T& Get() {
    if (!ok()) std::abort();
    return *std::get_if<0>(&v_);
  }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    if (ok_) std::abort();
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace heartbase::base
