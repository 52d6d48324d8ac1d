#include "github/rate_limits.h"

#include <charconv>

namespace ghscale::github {
namespace {

std::optional<std::int64_t> header_int(const http::Headers& headers, std::string_view name) {
  const std::string* text = headers.find(name);
  if (text == nullptr) return std::nullopt;
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || ptr != text->data() + text->size()) return std::nullopt;
  return value;
}

void append_label_value(std::string& out, const std::string& value) {
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
}

}  // namespace

std::optional<std::string> RateLimitTracker::observe(const http::Headers& headers) {
  const auto remaining = header_int(headers, "X-RateLimit-Remaining");
  if (!remaining) return std::nullopt;
  RateLimitBucket b;
  b.resource = std::string(headers.get("X-RateLimit-Resource", "core"));
  b.remaining = *remaining;
  b.limit = header_int(headers, "X-RateLimit-Limit").value_or(0);
  b.used = header_int(headers, "X-RateLimit-Used").value_or(b.limit - b.remaining);
  b.reset = TimePoint{std::chrono::seconds(header_int(headers, "X-RateLimit-Reset").value_or(0))};
  set(b);
  return b.resource;
}

void RateLimitTracker::set(const RateLimitBucket& bucket) {
  std::lock_guard lock(mu_);
  buckets_[bucket.resource] = bucket;
}

std::optional<RateLimitBucket> RateLimitTracker::bucket(const std::string& resource) const {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(resource);
  if (it == buckets_.end()) return std::nullopt;
  return it->second;
}

std::vector<RateLimitBucket> RateLimitTracker::buckets() const {
  std::lock_guard lock(mu_);
  std::vector<RateLimitBucket> out;
  for (const auto& [name, b] : buckets_) out.push_back(b);
  return out;
}

void RateLimitTracker::block_until(TimePoint until) {
  std::lock_guard lock(mu_);
  if (until > blocked_until_) blocked_until_ = until;
}

TimePoint RateLimitTracker::blocked_until() const {
  std::lock_guard lock(mu_);
  return blocked_until_;
}

void RateLimitTracker::count_call(const std::string& endpoint, const std::string& status) {
  std::lock_guard lock(mu_);
  ++calls_[{endpoint, status}];
}

std::int64_t RateLimitTracker::calls(const std::string& endpoint, const std::string& status) const {
  std::lock_guard lock(mu_);
  auto it = calls_.find({endpoint, status});
  return it == calls_.end() ? 0 : it->second;
}

void RateLimitTracker::count_deferred(const std::string& endpoint) {
  std::lock_guard lock(mu_);
  ++deferred_[endpoint];
}

void RateLimitTracker::append_metrics(std::string& out) const {
  std::lock_guard lock(mu_);
  out += "# HELP ghscale_github_api_calls_total GitHub REST calls by endpoint and HTTP status.\n";
  out += "# TYPE ghscale_github_api_calls_total counter\n";
  for (const auto& [key, count] : calls_) {
    out += "ghscale_github_api_calls_total{endpoint=\"";
    append_label_value(out, key.first);
    out += "\",status=\"";
    append_label_value(out, key.second);
    out += "\"} " + std::to_string(count) + "\n";
  }
  out += "# HELP ghscale_github_rate_limit_remaining Calls left in a GitHub rate-limit bucket.\n";
  out += "# TYPE ghscale_github_rate_limit_remaining gauge\n";
  for (const auto& [name, b] : buckets_) {
    out += "ghscale_github_rate_limit_remaining{resource=\"";
    append_label_value(out, name);
    out += "\"} " + std::to_string(b.remaining) + "\n";
  }
  out += "# HELP ghscale_github_deferred_calls_total Non-urgent calls deferred to keep the quota reserve.\n";
  out += "# TYPE ghscale_github_deferred_calls_total counter\n";
  for (const auto& [endpoint, count] : deferred_) {
    out += "ghscale_github_deferred_calls_total{endpoint=\"";
    append_label_value(out, endpoint);
    out += "\"} " + std::to_string(count) + "\n";
  }
}

void InFlightLimiter::acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return in_flight_ < limit_; });
  ++in_flight_;
}

void InFlightLimiter::release() {
  {
    std::lock_guard lock(mu_);
    --in_flight_;
  }
  cv_.notify_one();
}

int InFlightLimiter::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_;
}

}  // namespace ghscale::github
