#include "aws/protocol/protocol.h"

#include <boost/json.hpp>

#include "aws/protocol/codecs.h"

namespace ghscale::aws::protocol {
namespace {

enum class Kind { kQuery, kEc2, kJson, kUnknown };

Kind kind_of(const ServiceMetadata& service) {
  if (service.protocol == "query") return Kind::kQuery;
  if (service.protocol == "ec2") return Kind::kEc2;
  if (service.protocol == "json") return Kind::kJson;
  return Kind::kUnknown;
}

Error unsupported(const ServiceMetadata& service) {
  return make_error(ErrorKind::kInvalid, "unsupported AWS protocol \"" + service.protocol + "\"");
}

bool code_is_any(std::string_view code, std::initializer_list<std::string_view> names) {
  for (auto n : names) {
    if (code == n) return true;
  }
  return false;
}

}  // namespace

ErrorKind ApiError::kind() const {
  if (code_is_any(code, {"Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
                         "RequestThrottled", "RequestThrottledException", "TooManyRequestsException",
                         "ProvisionedThroughputExceededException", "TransactionInProgressException",
                         "RequestLimitExceededException", "SlowDown", "EC2ThrottledException",
                         "TooManyUpdates"})) {
    return ErrorKind::kThrottled;
  }
  if (code_is_any(code, {"AuthFailure", "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken",
                         "ExpiredTokenException", "SignatureDoesNotMatch", "IncompleteSignature",
                         "InvalidSignatureException", "AccessDenied", "AccessDeniedException",
                         "UnauthorizedOperation", "RequestExpired"})) {
    return ErrorKind::kUnauthorized;
  }
  if (code_is_any(code, {"ConditionalCheckFailedException", "TransactionConflictException",
                         "ResourceInUseException", "ScalingActivityInProgress", "ResourceContention",
                         "IncorrectInstanceState", "IdempotentParameterMismatch"})) {
    return ErrorKind::kConflict;
  }
  if (code.ends_with("NotFound") || code.ends_with("NotFoundException") || code == "ParameterNotFound" ||
      code.ends_with(".NotFound")) {
    return ErrorKind::kNotFound;
  }
  if (http_status >= 500 || code_is_any(code, {"InternalError", "InternalFailure", "ServiceUnavailable",
                                               "InsufficientInstanceCapacity", "Unavailable"})) {
    return ErrorKind::kRetryable;
  }
  if (http_status == 429) return ErrorKind::kThrottled;
  if (http_status == 401 || http_status == 403) return ErrorKind::kUnauthorized;
  if (http_status == 404) return ErrorKind::kNotFound;
  return ErrorKind::kInvalid;
}

Error ApiError::to_error() const {
  std::string text = code;
  if (!message.empty()) text += ": " + message;
  if (!request_id.empty()) text += " (request " + request_id + ")";
  return make_error(kind(), std::move(text));
}

Result<Request> serialize_request(const ServiceMetadata& service, const Operation& operation,
                                  const boost::json::value& params, const SerializeOptions& options) {
  Request req;
  req.method = operation.http_method;
  req.path = operation.request_uri;
  switch (kind_of(service)) {
    case Kind::kQuery:
    case Kind::kEc2: {
      auto body = serialize_form_body(service, operation, params, kind_of(service) == Kind::kEc2, options);
      if (!body.ok()) return body.error();
      req.body = std::move(*body);
      req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
      break;
    }
    case Kind::kJson: {
      auto body = serialize_json_body(operation, params, options);
      if (!body.ok()) return body.error();
      req.body = std::move(*body);
      const std::string version = service.json_version.empty() ? "1.0" : service.json_version;
      req.headers.push_back({"Content-Type", "application/x-amz-json-" + version});
      req.headers.push_back({"X-Amz-Target", service.target_prefix + "." + operation.name});
      break;
    }
    case Kind::kUnknown:
      return unsupported(service);
  }
  req.headers.push_back({"Content-Length", std::to_string(req.body.size())});
  return req;
}

Result<ApiResult> parse_response(const ServiceMetadata& service, const Operation& operation, const ShapeModel& shapes,
                                 const HttpResponse& response) {
  const Kind kind = kind_of(service);
  if (kind == Kind::kUnknown) return unsupported(service);
  ApiResult result;
  if (response.status < 200 || response.status >= 300) {
    result.output = boost::json::object();
    result.error = kind == Kind::kJson ? parse_json_error(response, shapes) : parse_xml_error(response, shapes);
    return result;
  }
  auto output = kind == Kind::kJson ? parse_json_output(operation, response.body)
                                    : parse_xml_output(operation, response.body, kind == Kind::kEc2);
  if (!output.ok()) return output.error();
  result.output = std::move(*output);
  return result;
}

}  // namespace ghscale::aws::protocol
