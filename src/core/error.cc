#include "core/error.h"

namespace ghscale {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kRetryable: return "retryable";
    case ErrorKind::kThrottled: return "throttled";
    case ErrorKind::kNotFound: return "not-found";
    case ErrorKind::kConflict: return "conflict";
    case ErrorKind::kInvalid: return "invalid";
    case ErrorKind::kUnauthorized: return "unauthorized";
    case ErrorKind::kPermanent: return "permanent";
  }
  return "permanent";
}

std::string Error::describe() const {
  std::string out(to_string(kind));
  out += ": ";
  out += message;
  return out;
}

}  // namespace ghscale
