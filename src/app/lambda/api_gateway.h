// API Gateway Lambda proxy events to transport-agnostic HTTP requests, and answers back:
// HTTP API payload format 2.0 ({"version":"2.0","rawPath","headers","cookies",
// "requestContext":{"http":{"method"}},"body","isBase64Encoded"}) and REST API / format
// 1.0 ({"httpMethod","path","headers","multiValueHeaders","body","isBase64Encoded"}).
// Base64 bodies are decoded here, so a signature is checked on the exact bytes GitHub
// sent. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "http/message.h"

namespace ghscale::app::lambda {

enum class PayloadVersion { kV1, kV2 };

struct ProxyEvent {
  PayloadVersion version = PayloadVersion::kV2;
  http::Request request;  // target = path plus "?query" when there is one
};

// kInvalid for anything that is not a proxy event (no method) or a body that does not
// decode.
Result<ProxyEvent> parse_proxy_event(std::string_view json);

// {"statusCode","headers","body","isBase64Encoded":false}; a REST (1.0) answer also
// carries "multiValueHeaders".
std::string render_proxy_response(const http::Response& response, PayloadVersion version);

}  // namespace ghscale::app::lambda
