// A clock that runs `speed` times faster than a base clock, from a chosen start: the
// sandbox replays an hour of workload in a minute with the real daemon on this clock.
// Thread-safe (constant after construction).
#pragma once

#include <memory>

#include "core/clock.h"

namespace ghscale::sandbox {

class ScaledClock final : public Clock {
 public:
  // now() == start when constructed, then advances speed × the base clock's elapsed time.
  // speed must be > 0; base defaults to the system clock.
  ScaledClock(TimePoint start, double speed, std::shared_ptr<Clock> base = nullptr);
  TimePoint now() const override;
  Duration real_time(Duration span) const override { return to_base(span); }
  double speed() const { return speed_; }
  // How long on the base clock `virtual_span` takes.
  Duration to_base(Duration virtual_span) const;

 private:
  const std::shared_ptr<Clock> base_;
  const TimePoint start_;
  const TimePoint base_start_;
  const double speed_;
};

}  // namespace ghscale::sandbox
