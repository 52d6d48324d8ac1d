// GitHub's budget as the client sees it: the X-RateLimit-* buckets learned from answers,
// a global "blocked until" set by secondary-limit answers (so every caller waits, not just
// the one that was told), the in-flight cap, and the call counters for /metrics.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "github/types.h"
#include "http/message.h"

namespace ghscale::github {

class RateLimitTracker {
 public:
  // Records the bucket an answer reports (X-RateLimit-Resource, default "core").
  // Returns the resource name, or nullopt when the answer carried no rate-limit headers.
  std::optional<std::string> observe(const http::Headers& headers);
  std::optional<RateLimitBucket> bucket(const std::string& resource) const;
  std::vector<RateLimitBucket> buckets() const;
  void set(const RateLimitBucket& bucket);

  // Every call waits until this time (a secondary-limit answer told us to back off).
  void block_until(TimePoint until);
  TimePoint blocked_until() const;

  void count_call(const std::string& endpoint, const std::string& status);
  std::int64_t calls(const std::string& endpoint, const std::string& status) const;
  void count_deferred(const std::string& endpoint);
  // Prometheus text: ghscale_github_api_calls_total{endpoint,status},
  // ghscale_github_rate_limit_remaining{resource}, ghscale_github_deferred_calls_total{endpoint}.
  void append_metrics(std::string& out) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, RateLimitBucket> buckets_;                   // guarded by mu_
  std::map<std::pair<std::string, std::string>, std::int64_t> calls_;  // guarded by mu_
  std::map<std::string, std::int64_t> deferred_;                     // guarded by mu_
  TimePoint blocked_until_{};                                        // guarded by mu_
};

// A counting semaphore with a run-time limit (std::counting_semaphore's is compile-time).
class InFlightLimiter {
 public:
  explicit InFlightLimiter(int limit) : limit_(limit < 1 ? 1 : limit) {}
  void acquire();
  void release();
  int in_flight() const;

 private:
  const int limit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;  // guarded by mu_
};

}  // namespace ghscale::github
