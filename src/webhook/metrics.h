// Counters of the webhook handler, exposed in the Prometheus text format. Lock-free
// (relaxed atomics): counting must never slow or block ingestion. Label values come from
// small closed sets, so a sender cannot blow up the series count with invented events.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace ghscale::webhook {

enum class DeliveryResult {
  kRecorded,
  kDuplicate,
  kIgnored,
  kPong,
  kUnauthorized,
  kTooLarge,
  kUnsupportedMediaType,
  kBadRequest,
  kUnavailable,
  kNotFound,
  kMethodNotAllowed,
};
inline constexpr std::size_t kDeliveryResultCount = 11;
std::string_view to_string(DeliveryResult result);

enum class SignatureFailure { kMissing, kSha1Only, kMismatch };
inline constexpr std::size_t kSignatureFailureCount = 3;
std::string_view to_string(SignatureFailure failure);

class HandlerMetrics {
 public:
  // event and action are raw strings; anything outside the known sets counts as "other".
  void count_delivery(std::string_view event, std::string_view action, DeliveryResult result);
  void count_signature_failure(SignatureFailure failure);
  void observe_latency(std::chrono::nanoseconds elapsed);

  // For tests: the count of one (event, action, result) series.
  std::uint64_t deliveries(std::string_view event, std::string_view action, DeliveryResult result) const;
  std::uint64_t signature_failures(SignatureFailure failure) const;
  std::uint64_t latency_count() const { return latency_count_.load(std::memory_order_relaxed); }

  // Appends # HELP / # TYPE headers and one line per series with a non-zero count (all
  // histogram buckets always). Names are prefixed ghscale_webhook_.
  void append_prometheus(std::string& out) const;

  static constexpr std::array<std::string_view, 5> kEvents{"ping", "workflow_job", "workflow_run", "other", "none"};
  static constexpr std::array<std::string_view, 7> kActions{"none",      "queued",    "waiting", "in_progress",
                                                            "completed", "requested", "other"};
  // Upper bounds in seconds: ingestion is sub-millisecond unless the store is slow.
  static constexpr std::array<double, 14> kLatencyBuckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                          0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   2.5};

 private:
  static std::size_t index(std::string_view event, std::string_view action, DeliveryResult result);

  std::array<std::atomic<std::uint64_t>, kEvents.size() * kActions.size() * kDeliveryResultCount> deliveries_{};
  std::array<std::atomic<std::uint64_t>, kSignatureFailureCount> signature_failures_{};
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size()> latency_buckets_{};  // non-cumulative
  std::atomic<std::uint64_t> latency_count_{0};
  std::atomic<std::uint64_t> latency_sum_ns_{0};
};

}  // namespace ghscale::webhook
