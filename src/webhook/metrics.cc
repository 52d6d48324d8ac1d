#include "webhook/metrics.h"

#include <algorithm>
#include <cstdio>

namespace ghscale::webhook {
namespace {

constexpr std::string_view kResultNames[kDeliveryResultCount] = {
    "recorded",
    "duplicate",
    "ignored",
    "pong",
    "unauthorized",
    "too_large",
    "unsupported_media_type",
    "bad_request",
    "unavailable",
    "not_found",
    "method_not_allowed",
};
constexpr std::string_view kSignatureFailureNames[kSignatureFailureCount] = {"missing", "sha1_only", "mismatch"};

template <std::size_t N>
std::size_t find_or_last(const std::array<std::string_view, N>& names, std::string_view value, std::size_t fallback) {
  auto it = std::find(names.begin(), names.end(), value);
  return it == names.end() ? fallback : static_cast<std::size_t>(it - names.begin());
}

void append_number(std::string& out, double v) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%.9g", v);
  out.append(buf, static_cast<std::size_t>(n));
}

}  // namespace

std::string_view to_string(DeliveryResult result) { return kResultNames[static_cast<std::size_t>(result)]; }
std::string_view to_string(SignatureFailure failure) {
  return kSignatureFailureNames[static_cast<std::size_t>(failure)];
}

std::size_t HandlerMetrics::index(std::string_view event, std::string_view action, DeliveryResult result) {
  // Unknown events are "other"; a missing one (no header) is "none". Likewise for actions.
  const std::size_t e = event.empty() ? 4 : find_or_last(kEvents, event, 3);
  const std::size_t a = action.empty() ? 0 : find_or_last(kActions, action, kActions.size() - 1);
  return (e * kActions.size() + a) * kDeliveryResultCount + static_cast<std::size_t>(result);
}

void HandlerMetrics::count_delivery(std::string_view event, std::string_view action, DeliveryResult result) {
  deliveries_[index(event, action, result)].fetch_add(1, std::memory_order_relaxed);
}

void HandlerMetrics::count_signature_failure(SignatureFailure failure) {
  signature_failures_[static_cast<std::size_t>(failure)].fetch_add(1, std::memory_order_relaxed);
}

void HandlerMetrics::observe_latency(std::chrono::nanoseconds elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  auto it = std::lower_bound(kLatencyBuckets.begin(), kLatencyBuckets.end(), seconds);
  if (it != kLatencyBuckets.end()) {
    latency_buckets_[static_cast<std::size_t>(it - kLatencyBuckets.begin())].fetch_add(1, std::memory_order_relaxed);
  }
  latency_count_.fetch_add(1, std::memory_order_relaxed);
  latency_sum_ns_.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(elapsed.count(), 0)),
                            std::memory_order_relaxed);
}

std::uint64_t HandlerMetrics::deliveries(std::string_view event, std::string_view action, DeliveryResult result) const {
  return deliveries_[index(event, action, result)].load(std::memory_order_relaxed);
}

std::uint64_t HandlerMetrics::signature_failures(SignatureFailure failure) const {
  return signature_failures_[static_cast<std::size_t>(failure)].load(std::memory_order_relaxed);
}

void HandlerMetrics::append_prometheus(std::string& out) const {
  out += "# HELP ghscale_webhook_deliveries_total Webhook deliveries by event, action and result.\n";
  out += "# TYPE ghscale_webhook_deliveries_total counter\n";
  for (std::size_t e = 0; e < kEvents.size(); ++e) {
    for (std::size_t a = 0; a < kActions.size(); ++a) {
      for (std::size_t r = 0; r < kDeliveryResultCount; ++r) {
        const std::uint64_t n =
            deliveries_[(e * kActions.size() + a) * kDeliveryResultCount + r].load(std::memory_order_relaxed);
        if (n == 0) continue;
        out += "ghscale_webhook_deliveries_total{event=\"";
        out += kEvents[e];
        out += "\",action=\"";
        out += kActions[a];
        out += "\",result=\"";
        out += kResultNames[r];
        out += "\"} ";
        out += std::to_string(n);
        out += '\n';
      }
    }
  }

  out += "# HELP ghscale_webhook_signature_failures_total Deliveries refused for a missing or wrong signature.\n";
  out += "# TYPE ghscale_webhook_signature_failures_total counter\n";
  for (std::size_t f = 0; f < kSignatureFailureCount; ++f) {
    out += "ghscale_webhook_signature_failures_total{reason=\"";
    out += kSignatureFailureNames[f];
    out += "\"} ";
    out += std::to_string(signature_failures_[f].load(std::memory_order_relaxed));
    out += '\n';
  }

  out += "# HELP ghscale_webhook_request_duration_seconds Time to handle one webhook request.\n";
  out += "# TYPE ghscale_webhook_request_duration_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b < kLatencyBuckets.size(); ++b) {
    cumulative += latency_buckets_[b].load(std::memory_order_relaxed);
    out += "ghscale_webhook_request_duration_seconds_bucket{le=\"";
    append_number(out, kLatencyBuckets[b]);
    out += "\"} ";
    out += std::to_string(cumulative);
    out += '\n';
  }
  // Read count last: a concurrent observation then never makes +Inf smaller than a bucket.
  const std::uint64_t count = std::max(cumulative, latency_count_.load(std::memory_order_relaxed));
  out += "ghscale_webhook_request_duration_seconds_bucket{le=\"+Inf\"} " + std::to_string(count) + '\n';
  out += "ghscale_webhook_request_duration_seconds_sum ";
  append_number(out, static_cast<double>(latency_sum_ns_.load(std::memory_order_relaxed)) / 1e9);
  out += '\n';
  out += "ghscale_webhook_request_duration_seconds_count " + std::to_string(count) + '\n';
}

}  // namespace ghscale::webhook
