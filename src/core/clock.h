// Time as an interface, so tests and the simulator run on virtual time and nothing
// sleeps on the real clock. Time points are wall-clock (system_clock) because they are
// compared with timestamps from GitHub and AWS and stored.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>

namespace ghscale {

using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  // How long `span` of this clock lasts on the real clock, for threads that wait for a
  // deadline on this clock (a sandbox clock runs faster than the real one).
  virtual Duration real_time(Duration span) const { return span; }
};

// The real wall clock. Thread-safe.
std::shared_ptr<Clock> system_clock();

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{std::chrono::hours(24 * 365 * 56)}) : now_(start.time_since_epoch().count()) {}
  TimePoint now() const override { return TimePoint{Duration{now_.load()}}; }
  void advance(Duration d) { now_ += d.count(); }
  void set(TimePoint t) { now_ = t.time_since_epoch().count(); }

 private:
  std::atomic<Duration::rep> now_;
};

// Milliseconds since the Unix epoch, for storage and JSON.
inline std::int64_t to_unix_ms(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint from_unix_ms(std::int64_t ms) { return TimePoint{Duration{ms}}; }

}  // namespace ghscale
