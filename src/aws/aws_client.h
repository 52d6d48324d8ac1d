// The generic signed caller: operation name + params (a JSON value shaped like the
// model's input) → serialize → SigV4 → HTTP → parse, with the SDKs' standard retry mode
// (3 attempts, exponential backoff with full jitter, a shared retry-quota token bucket),
// clock-skew correction, and credential refresh after ExpiredToken. The typed service
// clients are thin layers over call(). Thread-safe.
#pragma once

#include <atomic>
#include <boost/json/value.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "aws/credentials.h"
#include "aws/models/models.h"
#include "aws/protocol/protocol.h"
#include "core/clock.h"
#include "core/error.h"
#include "http/client.h"

namespace ghscale::aws {

using Sleeper = std::function<void(Duration)>;
Sleeper real_sleeper();

// The standard mode's retry quota: 500 tokens; a retry costs 5 (10 after a timeout); a
// success gives back what its retry took, or 1. Empty bucket = no more retries.
// Thread-safe; share one across the clients of a process.
class RetryQuota {
 public:
  explicit RetryQuota(int capacity = 500) : capacity_(capacity), tokens_(capacity) {}
  bool acquire(int cost);
  void release(int amount);
  int available() const;

 private:
  const int capacity_;
  mutable std::mutex mu_;
  int tokens_;  // guarded by mu_
};

struct RetryPolicy {
  int max_attempts = 3;
  Duration max_backoff = std::chrono::seconds(20);
  Duration base_delay = std::chrono::seconds(1);  // full jitter of base * 2^attempt
  int retry_cost = 5;
  int timeout_retry_cost = 10;
};

struct AwsClientOptions {
  std::shared_ptr<http::Client> http;
  std::shared_ptr<CredentialProvider> credentials;  // null = anonymous (unsigned) calls
  std::shared_ptr<Clock> clock = system_clock();
  Sleeper sleeper = real_sleeper();
  std::function<double()> random;  // [0,1); default: a thread-local PRNG
  std::shared_ptr<RetryQuota> quota = std::make_shared<RetryQuota>();
  RetryPolicy retry;
  Duration timeout{0};  // per attempt; 0 = the http client's default
};

// What happened, for metrics and tests.
struct CallStats {
  int attempts = 0;
  Duration slept{0};
};

class AwsClient {
 public:
  AwsClient(Service service, std::string region, std::string endpoint_url, AwsClientOptions options);
  // With an explicit model (tests, or a service outside the embedded set).
  AwsClient(const protocol::ServiceModel& model, std::string region, std::string endpoint_url,
            AwsClientOptions options);

  // The operation's output object. Service errors map to their kind (ApiError::kind),
  // with the service code first in the message: "ThrottlingException: Rate exceeded".
  Result<boost::json::value> call(std::string_view operation, const boost::json::value& params,
                                  CallStats* stats = nullptr);

  // Like call(), but hands back the service's error untouched (for callers that switch
  // on specific codes, e.g. InsufficientInstanceCapacity).
  Result<protocol::ApiResult> call_raw(std::string_view operation, const boost::json::value& params,
                                       CallStats* stats = nullptr);

  const std::string& region() const { return region_; }
  const std::string& endpoint() const { return endpoint_; }
  const protocol::ServiceModel& model() const { return model_; }
  // Server time minus local time, learned from a skew error (0 until then).
  Duration clock_offset() const { return Duration{clock_offset_ms_.load()}; }

 private:
  Duration backoff(int attempt);

  const protocol::ServiceModel& model_;
  const std::string region_;
  const std::string endpoint_;
  const std::string host_;
  const AwsClientOptions options_;
  const Signer signer_;
  std::atomic<Duration::rep> clock_offset_ms_{0};
};

// Error codes that mean "your clock is off" (the SDKs' list).
bool is_clock_skew_code(std::string_view code);

}  // namespace ghscale::aws
