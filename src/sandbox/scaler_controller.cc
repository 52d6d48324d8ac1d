// ghscale's policy in the simulator is the daemon itself: the webhook path records each
// delivery in the store and wakes the loop (as webhook::Handler does), and the real
// ReconcileLoop schedule (wake-ups with debounce, tick, sweep) runs the real Reconciler on
// virtual time. Nothing here decides anything about scaling.
#include <memory>

#include "core/log.h"
#include "sandbox/controllers.h"
#include "sandbox/sim_github_api.h"
#include "scaler/loop.h"
#include "scaler/reconciler.h"
#include "store/memory_store.h"

namespace ghscale::sandbox::detail {
namespace {

class ScalerController final : public Controller {
 public:
  ScalerController(const Policy& policy, SimWorld world) : world_(std::move(world)) {
    store_ = store::make_memory_store(world_.clock);
    scaler::ReconcilerOptions o;
    o.pools.push_back(scaler::PoolBinding{policy.pool, world_.cloud});
    o.reconcile = policy.reconcile;
    o.holder = "simulate";
    o.clock = world_.clock;
    o.store = store_;
    o.github = make_sim_github_api(world_.github);
    reconciler_ = std::make_shared<scaler::Reconciler>(std::move(o));
    loop_ = std::make_unique<scaler::ReconcileLoop>(reconciler_, policy.reconcile, world_.clock);
    next_prune_ = world_.clock->now() + kPruneEvery;
  }

  void on_delivery(const JobEvent& event) override {
    auto recorded = store_->record(event);
    if (!recorded.ok()) {
      log::warn("simulate: the store refused a delivery", {{"error", recorded.error().describe()}});
      return;
    }
    if (*recorded == store::RecordOutcome::kRecorded) loop_->wake(event);
  }

  std::optional<TimePoint> next_deadline() const override { return std::min(loop_->next_deadline(), next_prune_); }

  void run_due() override {
    loop_->run_due();
    const TimePoint now = world_.clock->now();
    if (now >= next_prune_) {
      // As the daemon's retention, shortened: a long simulation keeps its store at the
      // size of what is live, not of its whole history.
      store::RetentionPolicy retention;
      retention.completed_jobs_older_than = kPruneEvery;
      retention.actions_older_than = kPruneEvery;
      (void)store_->prune(retention);
      next_prune_ = now + kPruneEvery;
    }
  }

  std::int64_t passes() const override { return loop_->passes(); }

 private:
  static constexpr Duration kPruneEvery = std::chrono::hours(1);
  SimWorld world_;
  std::shared_ptr<store::Store> store_;
  std::shared_ptr<scaler::Reconciler> reconciler_;
  std::unique_ptr<scaler::ReconcileLoop> loop_;
  TimePoint next_prune_;
};

}  // namespace

std::unique_ptr<Controller> make_scaler_controller(const Policy& policy, SimWorld world) {
  return std::make_unique<ScalerController>(policy, std::move(world));
}

}  // namespace ghscale::sandbox::detail
