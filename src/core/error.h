// Errors as values: every expected failure (network, throttling, bad input) is an
// Error with a closed kind, so retry logic switches on the kind and never parses text.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ghscale {

enum class ErrorKind {
  kRetryable,     // transient: 5xx, timeouts, resets; retry with backoff
  kThrottled,     // rate-limited; retry after Error::retry_after
  kNotFound,      // the thing asked for does not exist
  kConflict,      // state forbids it now (busy runner, lease held, condition failed)
  kInvalid,       // bad input; retrying the same request cannot help
  kUnauthorized,  // credentials missing, wrong or expired
  kPermanent,     // anything else that will not get better by itself
};

std::string_view to_string(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kPermanent;
  std::string message;
  // For kThrottled: how long the other side asked us to wait (0 = unknown).
  std::chrono::milliseconds retry_after{0};

  bool retryable() const { return kind == ErrorKind::kRetryable || kind == ErrorKind::kThrottled; }
  // "not-found: runner 42 does not exist"
  std::string describe() const;
};

inline Error make_error(ErrorKind kind, std::string message) { return Error{kind, std::move(message), {}}; }

// Result<T> holds a T or an Error. A small stand-in for C++23 std::expected.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

// Status is a Result with no value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

inline Status ok_status() { return Status{}; }

}  // namespace ghscale
