// `ghscale lambda`: the AWS Lambda custom-runtime host (the package's bootstrap runs it).
// Init: configuration (lambda_config.h), then the function named by --handler or
// _HANDLER ("webhook" or "reconcile"; a "file.webhook" style name works too); a failure
// there goes to the Runtime API's init/error endpoint and the process exits 1. Then one
// invocation at a time until the Runtime API goes away; a handler failure is reported on
// the invocation's error endpoint and the loop goes on.
#pragma once

#include <string>

namespace ghscale::app {

struct LambdaOptions {
  std::string handler;  // empty = $_HANDLER
};

// 0 never (the loop ends only when the Runtime API is gone: 1); 2 without
// AWS_LAMBDA_RUNTIME_API (not running under Lambda).
int run_lambda(const LambdaOptions& options);

}  // namespace ghscale::app
