// A fake AWS Lambda Runtime API (2018-06-01) on 127.0.0.1 for tests: queues events,
// hands them out on GET .../invocation/next (holding the request until one is queued, as
// Lambda does), and records what the runtime posts back: responses, invocation errors
// (with Lambda-Runtime-Function-Error-Type and the {"errorMessage","errorType"} body)
// and init errors. Requests it does not understand are answered 404/400 and recorded as
// rejections. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace ghscale::fakes {

struct LambdaOutcome {
  bool error = false;      // posted to .../error rather than .../response
  std::string body;        // the response, or the error document
  std::string error_type;  // the Lambda-Runtime-Function-Error-Type header (errors only)
};

class FakeLambdaRuntime {
 public:
  static Result<std::unique_ptr<FakeLambdaRuntime>> start();
  ~FakeLambdaRuntime();
  FakeLambdaRuntime(const FakeLambdaRuntime&) = delete;
  FakeLambdaRuntime& operator=(const FakeLambdaRuntime&) = delete;

  // "127.0.0.1:PORT": the value of AWS_LAMBDA_RUNTIME_API.
  std::string api() const;
  // Queues an event; returns its request id.
  std::string enqueue(std::string payload, std::string trace_id = {});
  // The outcome of an invocation once the runtime posted it; nullopt on timeout.
  std::optional<LambdaOutcome> wait_for(const std::string& request_id, std::chrono::milliseconds timeout);
  // The init error once posted; nullopt on timeout.
  std::optional<LambdaOutcome> wait_for_init_error(std::chrono::milliseconds timeout);
  int next_calls() const;
  std::vector<std::string> rejections() const;
  // Stops answering: pending and later /next calls fail, so the runtime's loop ends.
  void shutdown();

  struct Impl;

 private:
  explicit FakeLambdaRuntime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ghscale::fakes
