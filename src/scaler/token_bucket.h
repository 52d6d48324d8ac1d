// The launch throttle: a token bucket per pool (reconcile.launch_rate per second, up to
// reconcile.launch_burst). Pure arithmetic on time points given by the caller.
#pragma once

#include <algorithm>

#include "core/clock.h"

namespace ghscale::scaler {

class TokenBucket {
 public:
  TokenBucket(double rate_per_second, int burst) : rate_(rate_per_second), burst_(burst), tokens_(burst) {}

  // Whole tokens available at `now`.
  int available(TimePoint now) {
    refill(now);
    return static_cast<int>(tokens_);
  }
  void take(int n, TimePoint now) {
    refill(now);
    tokens_ = std::max(0.0, tokens_ - n);
  }

 private:
  void refill(TimePoint now) {
    if (last_ != TimePoint{} && now > last_) {
      tokens_ = std::min<double>(burst_, tokens_ + rate_ * std::chrono::duration<double>(now - last_).count());
    }
    if (now > last_) last_ = now;
  }

  double rate_;
  int burst_;
  double tokens_;
  TimePoint last_{};
};

}  // namespace ghscale::scaler
