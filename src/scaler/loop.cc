#include "scaler/loop.h"

#include <algorithm>

#include "core/log.h"

namespace ghscale::scaler {

LoopSchedule::LoopSchedule(const config::ReconcileConfig& config, TimePoint start)
    : tick_(std::max(config.tick, Duration{1})),
      sweep_(std::max(config.sweep, Duration{1})),
      debounce_(config.debounce),
      next_tick_(start + tick_),
      next_sweep_(start) {}

void LoopSchedule::wake(TimePoint now) {
  // Leading edge: a delivery after a quiet spell is acted on at once (reaction time is
  // what users feel); deliveries within `debounce` of the last pass wait for its end, so
  // a burst costs one pass per debounce window, not one per delivery.
  const TimePoint at = last_pass_ ? std::max(now, *last_pass_ + debounce_) : now;
  if (!wake_at_ || at < *wake_at_) wake_at_ = at;
}

std::optional<PassKind> LoopSchedule::take_due(TimePoint now) {
  // A sweep covers a tick and a wake-up, and a wake-up covers a tick: each resets what it covers.
  if (now >= next_sweep_) {
    next_sweep_ = now + sweep_;
    next_tick_ = now + tick_;
    wake_at_.reset();
    last_pass_ = now;
    return PassKind::kSweep;
  }
  if (wake_at_ && now >= *wake_at_) {
    wake_at_.reset();
    next_tick_ = now + tick_;
    last_pass_ = now;
    return PassKind::kWake;
  }
  if (now >= next_tick_) {
    next_tick_ = now + tick_;
    return PassKind::kTick;
  }
  return std::nullopt;
}

TimePoint LoopSchedule::next_deadline() const {
  TimePoint t = std::min(next_tick_, next_sweep_);
  if (wake_at_) t = std::min(t, *wake_at_);
  return t;
}

ReconcileLoop::ReconcileLoop(std::shared_ptr<Reconciler> reconciler, config::ReconcileConfig config, std::shared_ptr<Clock> clock)
    : reconciler_(std::move(reconciler)), config_(config), clock_(std::move(clock)), schedule_(config_, clock_->now()) {}

ReconcileLoop::~ReconcileLoop() { stop(); }

void ReconcileLoop::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  threaded_ = true;
  reconciler_->set_discovery_beside(true);
  sweeper_ = std::thread([this] { run_sweeper(); });
  thread_ = std::thread([this] { run(); });
}

void ReconcileLoop::run_sweeper() {
  for (;;) {
    bool verify = false, discover = false;
    {
      std::unique_lock lock(mu_);
      sweeper_cv_.wait(lock, [&] { return stopping_ || discover_due_ || verify_due_; });
      if (stopping_) return;
      verify = verify_due_;
      discover = discover_due_;
      verify_due_ = discover_due_ = false;
    }
    int found = 0;
    if (verify) found += reconciler_->verify_held_jobs().verified;
    if (discover) found += reconciler_->discover().swept_jobs;
    if (found == 0) continue;
    {
      std::lock_guard lock(mu_);
      schedule_.wake(clock_->now());  // act on what the sweep found
      nudged_ = true;
    }
    cv_.notify_all();
  }
}

void ReconcileLoop::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  reconciler_->request_stop();
  cv_.notify_all();
  sweeper_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  // A discovery under way finishes its current GitHub call (each has a deadline) first.
  if (sweeper_.joinable()) sweeper_.join();
  reconciler_->release_lease();
}

void ReconcileLoop::wake(const JobEvent& event) {
  // A queued job adds demand, and a completed one may free capacity held at max_runners:
  // both are acted on at once. A job starting changes nothing to act on (its runner was
  // already counted), so it waits for the tick.
  if (event.status != JobStatus::kQueued && event.status != JobStatus::kCompleted) return;
  {
    std::lock_guard lock(mu_);
    schedule_.wake(clock_->now());
    nudged_ = true;
  }
  cv_.notify_all();
}

int ReconcileLoop::run_due() {
  int ran = 0;
  for (;;) {
    std::optional<PassKind> kind;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return ran;
      kind = schedule_.take_due(clock_->now());
      if (!kind) return ran;
      ++passes_;
    }
    PassReport r = reconciler_->run_pass(*kind);
    ++ran;
    if (r.unverified > 0) ask_confirmation();
    if (*kind == PassKind::kSweep) {
      bool beside = false;
      {
        std::lock_guard lock(mu_);
        beside = threaded_;
        discover_due_ = discover_due_ || threaded_;
      }
      if (beside) sweeper_cv_.notify_all();
    }
    if (r.errors > 0) log::warn("reconcile pass had errors", {{"pass", std::string(to_string(*kind))}, {"errors", r.errors}});
  }
}

// Held jobs are asked about beside the passes (a slow GitHub holds no pass back), at most
// every kVerifyEvery; on virtual time (no threads) at once, and a confirmation wakes a pass.
void ReconcileLoop::ask_confirmation() {
  constexpr Duration kVerifyEvery = std::chrono::seconds(5);
  bool beside = false;
  {
    std::lock_guard lock(mu_);
    const TimePoint now = clock_->now();
    if (last_verify_ && now - *last_verify_ < kVerifyEvery) return;
    last_verify_ = now;
    beside = threaded_;
    verify_due_ = verify_due_ || threaded_;
  }
  if (beside) {
    sweeper_cv_.notify_all();
    return;
  }
  if (reconciler_->verify_held_jobs().verified == 0) return;
  std::lock_guard lock(mu_);
  schedule_.wake(clock_->now());
}

TimePoint ReconcileLoop::next_deadline() const {
  std::lock_guard lock(mu_);
  return schedule_.next_deadline();
}

std::int64_t ReconcileLoop::passes() const {
  std::lock_guard lock(mu_);
  return passes_;
}

void ReconcileLoop::run() {
  for (;;) {
    run_due();
    std::unique_lock lock(mu_);
    if (stopping_) return;
    nudged_ = false;
    const Duration wait = clock_->real_time(
        std::max(Duration{0}, std::chrono::duration_cast<Duration>(schedule_.next_deadline() - clock_->now())));
    // The deadline is on the Clock; waiting is on the real clock (hence real_time, for
    // the sandbox's faster clock). A wake-up moves the deadline (nudged_): the wait is
    // recomputed; stop() ends it at once.
    cv_.wait_for(lock, wait, [&] { return stopping_ || nudged_; });
    if (stopping_) return;
  }
}

}  // namespace ghscale::scaler
