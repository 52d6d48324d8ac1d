// The two baselines `simulate` compares ghscale with, each modelled from its documented
// rules. They keep their view of jobs in a memory store, merged as the daemon's is.
#include <algorithm>
#include <queue>
#include <unordered_map>

#include "sandbox/controllers.h"
#include "scaler/plan.h"
#include "store/memory_store.h"

namespace ghscale::sandbox::detail {
namespace {

using provider::CloudInstance;

// Launches one instance whose runner registers with a registration token (not ephemeral).
void launch_one(SimWorld& w, const config::PoolConfig& pool, Market market, std::int64_t& counter) {
  provider::LaunchRequest req;
  req.pool = pool.name;
  (market == Market::kOnDemand ? req.split.on_demand : req.split.spot) = 1;
  req.client_token = pool.name + "-" + std::to_string(++counter);
  auto out = w.cloud->launch(req);
  if (!out.ok()) return;
  const std::string id = !out->on_demand_ids.empty() ? out->on_demand_ids.front() : !out->spot_ids.empty() ? out->spot_ids.front() : "";
  if (id.empty()) return;
  auto token = w.github->registration_token();
  if (!token.ok()) return;
  provider::Registration reg;
  reg.kind = provider::Registration::Kind::kRegistrationToken;
  reg.runner_name = scaler::runner_name_for(pool.name, id);
  reg.secret = *token;
  reg.labels = pool.labels.items();
  reg.ephemeral = pool.ephemeral;
  (void)w.cloud->hand_over(id, reg);
}

// --- original: +1 / -1 per pass, one pass per webhook and every 15 minutes -----------------

class OriginalController final : public Controller {
 public:
  OriginalController(const Policy& p, SimWorld w)
      : policy_(p), world_(std::move(w)), jobs_(store::make_memory_store(world_.clock)), next_sweep_(world_.clock->now()) {}

  void on_delivery(const JobEvent& e) override {
    (void)jobs_->record(e);
    ++pending_;  // every delivery starts a state machine execution, duplicates too
  }
  std::optional<TimePoint> next_deadline() const override {
    return pending_ > 0 ? std::min(world_.clock->now(), next_sweep_) : next_sweep_;
  }
  void run_due() override {
    const TimePoint now = world_.clock->now();
    for (; pending_ > 0; --pending_) pass(now);
    while (next_sweep_ <= now) {
      next_sweep_ += policy_.reconcile.sweep;
      pass(now);
    }
  }
  std::int64_t passes() const override { return passes_; }

 private:
  void pass(TimePoint now) {
    ++passes_;
    if (last_action_ && now - *last_action_ < policy_.pool.cooldown) return;
    const config::PoolConfig& pool = policy_.pool;
    int queued = 0;
    if (auto groups = jobs_->queued_groups(0); groups.ok()) {
      for (const auto& g : *groups) queued += g.labels.subset_of(pool.labels) ? static_cast<int>(g.count) : 0;
    }
    auto instances = world_.cloud->describe(pool.name);
    if (!instances.ok()) return;
    const int runners = static_cast<int>(instances->size());
    if (queued > policy_.original_ratio * runners && runners < pool.max_runners) {
      int on_demand = 0;
      for (const auto& c : *instances) on_demand += c.market == Market::kOnDemand ? 1 : 0;
      launch_one(world_, pool, on_demand < pool.on_demand_base ? Market::kOnDemand : Market::kSpot, launches_);
      last_action_ = now;
    } else if (queued < runners) {
      // The ASG lowers its desired capacity and terminates the oldest instance: it knows
      // nothing of runners, busy or not.
      auto oldest = std::min_element(instances->begin(), instances->end(),
                                     [](const CloudInstance& a, const CloudInstance& b) { return a.launched_at < b.launched_at; });
      (void)world_.cloud->terminate({oldest->id});
      last_action_ = now;
    }
  }

  const Policy policy_;
  SimWorld world_;
  std::unique_ptr<store::Store> jobs_;
  TimePoint next_sweep_;
  std::int64_t pending_ = 0;
  std::optional<TimePoint> last_action_;
  std::int64_t launches_ = 0;
  std::int64_t passes_ = 0;
};

// --- per-job: one instance per job still queued after a delay; periodic idle scale-down ----

class PerJobController final : public Controller {
 public:
  PerJobController(const Policy& p, SimWorld w)
      : policy_(p), world_(std::move(w)), jobs_(store::make_memory_store(world_.clock)),
        next_scale_down_(world_.clock->now() + p.per_job_scale_down_every) {}

  void on_delivery(const JobEvent& e) override {
    auto r = jobs_->record(e);
    if (!r.ok() || *r == store::RecordOutcome::kDuplicate) return;
    if (e.status == JobStatus::kQueued && e.labels.subset_of(policy_.pool.labels)) {
      checks_.push({world_.clock->now() + policy_.per_job_delay, e.job_id});
    }
  }
  std::optional<TimePoint> next_deadline() const override {
    TimePoint t = next_scale_down_;
    if (!checks_.empty()) t = std::min(t, checks_.top().first);
    return t;
  }
  void run_due() override {
    const TimePoint now = world_.clock->now();
    while (!checks_.empty() && checks_.top().first <= now) {
      const std::int64_t id = checks_.top().second;
      checks_.pop();
      ++passes_;
      auto j = world_.github->get_job(id);  // is the job still queued?
      if (!j || j->started_at || j->completed_at) continue;
      if (world_.cloud->live_count() >= policy_.pool.max_runners) continue;
      launch_one(world_, policy_.pool, Market::kSpot, launches_);
    }
    while (next_scale_down_ <= now) {
      next_scale_down_ += policy_.per_job_scale_down_every;
      scale_down(now);
    }
  }
  std::int64_t passes() const override { return passes_; }

 private:
  void scale_down(TimePoint now) {
    ++passes_;
    const config::PoolConfig& pool = policy_.pool;
    auto instances = world_.cloud->describe(pool.name);
    if (!instances.ok()) return;
    std::unordered_map<std::string, SimRunner> by_name;
    for (auto& r : world_.github->list_runners()) by_name.emplace(r.name, r);
    for (const auto& c : *instances) {
      if (now - c.launched_at < pool.min_lifetime) continue;
      auto r = by_name.find(scaler::runner_name_for(pool.name, c.id));
      if (r == by_name.end()) {
        if (now - c.launched_at >= pool.boot_timeout) (void)world_.cloud->terminate({c.id});
        continue;
      }
      if (r->second.busy) continue;
      if (world_.github->delete_runner(r->second.id).ok()) (void)world_.cloud->terminate({c.id});
    }
  }

  const Policy policy_;
  SimWorld world_;
  std::unique_ptr<store::Store> jobs_;
  TimePoint next_scale_down_;
  std::priority_queue<std::pair<TimePoint, std::int64_t>, std::vector<std::pair<TimePoint, std::int64_t>>, std::greater<>> checks_;
  std::int64_t launches_ = 0;
  std::int64_t passes_ = 0;
};

}  // namespace

std::unique_ptr<Controller> make_original_controller(const Policy& policy, SimWorld world) {
  return std::make_unique<OriginalController>(policy, std::move(world));
}

std::unique_ptr<Controller> make_per_job_controller(const Policy& policy, SimWorld world) {
  return std::make_unique<PerJobController>(policy, std::move(world));
}

}  // namespace ghscale::sandbox::detail
