// When the reconciler runs: on a webhook wake-up (at once after a quiet spell, then at
// most one pass per debounce window, so a burst of deliveries costs few passes), on a cheap tick, and on the sweep (which also asks GitHub for jobs it
// never heard of). The schedule is pure arithmetic on time points (LoopSchedule); the
// ReconcileLoop runs it on a thread, or step by step through run_due() on virtual time.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "config/config.h"
#include "core/clock.h"
#include "scaler/reconciler.h"
#include "webhook/event_sink.h"

namespace ghscale::scaler {

class LoopSchedule {
 public:
  // The first pass is a sweep at `start`: it recovers whatever happened while we were down.
  LoopSchedule(const config::ReconcileConfig& config, TimePoint start);

  // A wake-up at `now`: a pass at once, or, within `debounce` of the last pass, when that
  // window ends (unless one is already pending sooner).
  void wake(TimePoint now);
  // The pass due at `now`, if any, and the schedule moved past it.
  std::optional<PassKind> take_due(TimePoint now);
  // When the next pass is due.
  TimePoint next_deadline() const;

 private:
  Duration tick_;
  Duration sweep_;
  Duration debounce_;
  TimePoint next_tick_;
  TimePoint next_sweep_;
  std::optional<TimePoint> wake_at_;
  std::optional<TimePoint> last_pass_;  // the last wake-up or sweep pass
};

class ReconcileLoop final : public webhook::Waker {
 public:
  ReconcileLoop(std::shared_ptr<Reconciler> reconciler, config::ReconcileConfig config, std::shared_ptr<Clock> clock);
  ~ReconcileLoop() override;  // stops

  // Starts the thread, and the sweeper beside it: after each sweep pass the sweeper asks
  // GitHub for what no webhook told (Reconciler::discover), so a slow or failing GitHub
  // never holds a webhook's pass back; what it records wakes the loop. The thread waits on
  // the real clock between passes, so start() is for the daemon; tests on a ManualClock
  // call run_due() instead, where a sweep pass runs the discovery inline.
  void start();
  // Stops promptly: wakes the thread, lets a pass in progress finish, joins, then gives
  // the scaler lease up so another daemon can take over at once. Idempotent.
  void stop();

  // Never blocks: for a queued or completed job, marks a pass due (LoopSchedule::wake)
  // and nudges the thread; a job starting waits for the tick.
  void wake(const JobEvent& event) override;

  // Runs every pass due at the clock's now, without waiting. Returns how many ran.
  int run_due();
  // When the next pass is due (for a driver on virtual time).
  TimePoint next_deadline() const;
  std::int64_t passes() const;

 private:
  void run();
  void run_sweeper();
  void ask_confirmation();

  std::shared_ptr<Reconciler> reconciler_;
  const config::ReconcileConfig config_;
  std::shared_ptr<Clock> clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  LoopSchedule schedule_;     // guarded by mu_
  bool stopping_ = false;     // guarded by mu_
  bool nudged_ = false;       // guarded by mu_: the schedule changed while the thread waited
  std::int64_t passes_ = 0;   // guarded by mu_
  bool threaded_ = false;     // guarded by mu_: start() was called
  bool discover_due_ = false; // guarded by mu_: a sweep pass ran; the sweeper's turn
  bool verify_due_ = false;   // guarded by mu_: a pass held jobs for GitHub's confirmation
  std::optional<TimePoint> last_verify_;  // guarded by mu_: confirmations are asked at most every few seconds
  std::condition_variable sweeper_cv_;
  std::thread thread_;
  std::thread sweeper_;
};

}  // namespace ghscale::scaler
