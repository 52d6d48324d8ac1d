// The AWS Lambda Runtime API (version 2018-06-01) as a custom runtime speaks it:
//   GET  /2018-06-01/runtime/invocation/next           -> event; headers
//        Lambda-Runtime-Aws-Request-Id, Lambda-Runtime-Deadline-Ms,
//        Lambda-Runtime-Invoked-Function-Arn, Lambda-Runtime-Trace-Id
//   POST /2018-06-01/runtime/invocation/{id}/response  <- the function's answer
//   POST /2018-06-01/runtime/invocation/{id}/error     <- {"errorMessage","errorType"} with
//   POST /2018-06-01/runtime/init/error                   Lambda-Runtime-Function-Error-Type
// The endpoint is AWS_LAMBDA_RUNTIME_API ("host:port"). Not thread-safe: one loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/error.h"
#include "http/client.h"

namespace ghscale::app::lambda {

struct Invocation {
  std::string request_id;
  std::int64_t deadline_ms = 0;  // Unix epoch milliseconds; 0 when not given
  std::string function_arn;
  std::string trace_id;
  std::string payload;  // the event, JSON
};

class RuntimeClient {
 public:
  // api: "host:port" as AWS_LAMBDA_RUNTIME_API gives it.
  RuntimeClient(std::string api, std::shared_ptr<http::Client> http);

  // Waits (without a timeout: Lambda may freeze the process in between) for the next event.
  Result<Invocation> next();
  Status respond(const std::string& request_id, const std::string& body);
  Status fail(const std::string& request_id, const Error& error);
  // Before the first next(): the function cannot start (bad configuration...).
  Status init_error(const Error& error);

 private:
  Status post(const std::string& path, const std::string& body, const std::string& error_type = {});
  const std::string base_;  // "http://host:port/2018-06-01/runtime"
  const std::shared_ptr<http::Client> http_;
};

// The errorType for an error: "ghscale.<kind>" (e.g. "ghscale.invalid"), so a caller (a
// Step Functions Retry/Catch) can tell a retryable failure from a permanent one.
std::string error_type(const Error& error);

// An invocation's handler: the response body, or an error reported through the
// invocation's error endpoint.
using Function = std::function<Result<std::string>(const Invocation&)>;

// The loop: next, set _X_AMZN_TRACE_ID, call, respond or report. A handler error never
// ends the loop; it returns (1) only when the Runtime API itself stays unreachable for
// `max_failures` calls in a row (the environment is going away).
int run_loop(RuntimeClient& runtime, const Function& function, int max_failures = 3);

}  // namespace ghscale::app::lambda
