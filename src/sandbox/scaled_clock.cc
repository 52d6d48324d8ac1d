#include "sandbox/scaled_clock.h"

#include <cassert>

namespace ghscale::sandbox {

ScaledClock::ScaledClock(TimePoint start, double speed, std::shared_ptr<Clock> base)
    : base_(base ? std::move(base) : system_clock()), start_(start), base_start_(base_->now()), speed_(speed) {
  assert(speed > 0);
}

TimePoint ScaledClock::now() const {
  const auto elapsed = base_->now() - base_start_;
  return start_ + Duration{static_cast<Duration::rep>(static_cast<double>(elapsed.count()) * speed_)};
}

Duration ScaledClock::to_base(Duration virtual_span) const {
  return Duration{static_cast<Duration::rep>(static_cast<double>(virtual_span.count()) / speed_)};
}

}  // namespace ghscale::sandbox
