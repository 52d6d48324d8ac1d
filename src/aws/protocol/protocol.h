// Model-driven serialization of AWS requests and parsing of responses, for the query
// (Auto Scaling, STS), ec2 and JSON 1.0/1.1 (DynamoDB, SSM, EventBridge) protocols.
// Parameters and results are Boost.JSON values shaped like the model: structures as
// objects, lists as arrays, maps as objects, blobs as (raw byte) strings, timestamps as
// epoch seconds (numbers; ISO 8601 strings are accepted on input). Pure functions,
// thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "aws/protocol/shape_model.h"
#include "aws/request.h"
#include "core/error.h"

namespace ghscale::aws::protocol {

struct SerializeOptions {
  // Fills members marked idempotencyToken that the caller left out (EC2's ClientToken).
  // Unset: such members stay absent. Callers that need crash-safe idempotency pass their
  // own token in the params instead.
  std::function<std::string()> idempotency_token;
};

// Method, path, Content-Type (and X-Amz-Target for JSON) and body. The caller adds the
// host header and signs. kInvalid when params do not fit the input shape.
Result<Request> serialize_request(const ServiceMetadata& service, const Operation& operation,
                                  const boost::json::value& params, const SerializeOptions& options = {});

struct HttpResponse {
  int status = 200;
  std::vector<HttpHeader> headers;
  std::string body;
};

// An error the service answered with.
struct ApiError {
  int http_status = 0;
  std::string code;     // "InvalidParameterValue", "ThrottlingException" (namespace stripped)
  std::string message;
  std::string request_id;
  boost::json::value fields;  // the error shape's members, when the model knows the code

  // The closed kind retry logic switches on.
  ErrorKind kind() const;
  Error to_error() const;
};

struct ApiResult {
  boost::json::value output;      // an object (empty without an output shape)
  std::optional<ApiError> error;  // set for non-2xx responses
};

// kRetryable when a 2xx body cannot be parsed (a truncated response is worth a retry).
Result<ApiResult> parse_response(const ServiceMetadata& service, const Operation& operation, const ShapeModel& shapes,
                                 const HttpResponse& response);

}  // namespace ghscale::aws::protocol
