#include "sandbox/controllers.h"

#include <algorithm>
#include <queue>

#include "core/log.h"
#include "scaler/loop.h"
#include "scaler/plan.h"
#include "scaler/token_bucket.h"

namespace ghscale::sandbox::detail {
namespace {

using provider::CloudInstance;
using provider::Lifecycle;

bool JobViewApplyForward(JobStatus from, JobStatus to) { return static_cast<int>(to) > static_cast<int>(from); }

}  // namespace

bool JobView::apply(const JobEvent& e) {
  if (!deliveries_.insert(e.delivery_id).second) return false;
  auto [it, fresh] = status_.try_emplace(e.job_id, e.status);
  if (!fresh && !JobViewApplyForward(it->second, e.status)) return true;  // late or repeated: nothing moves back
  it->second = e.status;
  queued_.erase(e.job_id);
  running_.erase(e.job_id);
  if (e.status == JobStatus::kQueued) queued_.emplace(e.job_id, e);
  if (e.status == JobStatus::kInProgress) running_.emplace(e.job_id, e.runner_name);
  return true;
}

void JobView::set_status(std::int64_t job_id, JobStatus status) {
  auto it = status_.find(job_id);
  if (it == status_.end() || !JobViewApplyForward(it->second, status)) return;
  it->second = status;
  queued_.erase(job_id);
  if (status != JobStatus::kInProgress) running_.erase(job_id);
}

namespace {

// --- ghscale: plan() with the reconciler's observe and act steps ---------------------------

class GhscaleController final : public Controller {
 public:
  GhscaleController(const Policy& p, World w)
      : policy_(p), world_(std::move(w)), schedule_(p.reconcile, world_.clock->now()),
        bucket_(p.reconcile.launch_rate, p.reconcile.launch_burst), prefix_(scaler::runner_name_prefix(p.pool.name)) {}

  void on_delivery(const JobEvent& e) override {
    // As ReconcileLoop::wake: a queued or completed job wakes the scaler.
    if (view_.apply(e) && (e.status == JobStatus::kQueued || e.status == JobStatus::kCompleted)) {
      schedule_.wake(world_.clock->now());
    }
  }
  std::optional<TimePoint> next_deadline() const override { return schedule_.next_deadline(); }
  void run_due() override {
    while (auto kind = schedule_.take_due(world_.clock->now())) pass(*kind);
  }
  std::int64_t passes() const override { return passes_; }
  std::int64_t extra_github_calls() const override { return extra_calls_; }

 private:
  struct Record {
    std::optional<TimePoint> registered_at;
    std::optional<TimePoint> last_busy_at;
    bool handed_over = false;
  };

  void sweep(TimePoint now) {
    // Jobs GitHub has queued that no delivery told us of.
    for (const SimJob& j : world_.github->list_queued_jobs()) {
      if (view_.known(j.id)) continue;
      JobEvent e;
      e.delivery_id = "sweep-" + std::to_string(j.id);
      e.action = "queued";
      e.job_id = j.id;
      e.run_id = j.run_id;
      e.repository = j.repo;
      e.labels = j.labels;
      e.status = JobStatus::kQueued;
      e.created_at = j.queued_at;
      view_.apply(e);
    }
    // Jobs we think queued or running for longer than a sweep: ask GitHub (lost deliveries).
    std::vector<std::int64_t> stale;
    for (const auto& [id, j] : view_.queued()) {
      if (j.created_at && now - *j.created_at >= policy_.reconcile.sweep) stale.push_back(id);
    }
    // A running job whose runner GitHub lists as busy is running indeed (the pass's list).
    std::unordered_set<std::string> busy;
    for (const SimRunner& r : runners(scaler::PassKind::kSweep, now)) {
      if (r.busy) busy.insert(r.name);
    }
    for (const auto& [id, name] : view_.running()) {
      if (busy.count(name) == 0) stale.push_back(id);
    }
    int checks = 0;
    for (std::int64_t id : stale) {
      if (++checks > 200) break;
      ++extra_calls_;
      auto j = world_.github->job(id);
      if (!j) continue;
      if (j->completed_at) view_.set_status(id, JobStatus::kCompleted);
      else if (j->started_at && view_.queued().count(id) != 0) view_.set_status(id, JobStatus::kInProgress);
    }
  }

  void register_instance(const std::string& id) {
    const std::string name = scaler::runner_name_for(policy_.pool.name, id);
    provider::Registration reg;
    reg.runner_name = name;
    reg.labels = policy_.pool.labels.items();
    reg.runner_group = policy_.pool.runner_group;
    reg.ephemeral = policy_.pool.ephemeral;
    if (policy_.pool.ephemeral) {
      auto jit = world_.github->generate_jit_config(name, policy_.pool.labels);
      if (!jit.ok()) return;
      reg.kind = provider::Registration::Kind::kJitConfig;
      reg.secret = jit->encoded_jit_config;
    } else {
      auto token = world_.github->registration_token();
      if (!token.ok()) return;
      reg.kind = provider::Registration::Kind::kRegistrationToken;
      reg.secret = *token;
    }
    records_[id].handed_over = true;
    (void)world_.cloud->hand_over(id, reg);
  }

  // As the Reconciler: one list per pass; a wake-up pass reuses one younger than the tick.
  const std::vector<SimRunner>& runners(scaler::PassKind kind, TimePoint now) {
    const bool fresh = runners_at_ && (*runners_at_ == now ||  // this pass (virtual time stands still)
                                       (kind == scaler::PassKind::kWake && now - *runners_at_ <= policy_.reconcile.tick));
    if (!fresh) {
      runners_ = world_.github->list_runners(&etag_);
      runners_at_ = now;
    }
    return runners_;
  }

  void pass(scaler::PassKind kind) {
    ++passes_;
    const TimePoint now = world_.clock->now();
    if (kind == scaler::PassKind::kSweep) sweep(now);
    const config::PoolConfig& pool = policy_.pool;

    scaler::Snapshot snap;
    for (const auto& [id, j] : view_.queued()) {
      if (j.labels.subset_of(pool.labels)) snap.queued_jobs.push_back(j);
    }
    auto cloud = world_.cloud->describe(pool.name);
    std::unordered_map<std::string, const SimRunner*> by_name;
    for (const SimRunner& r : runners(kind, now)) {
      if (r.name.rfind(prefix_, 0) != 0) continue;
      snap.runners.push_back({r.id, r.name, r.online, r.busy});
      by_name.emplace(r.name, &r);
    }
    std::unordered_set<std::string> running_names;
    for (const auto& [id, name] : view_.running()) {
      if (name.rfind(prefix_, 0) != 0) continue;
      snap.running_jobs.push_back({id, name});
      running_names.insert(name);
    }
    std::unordered_set<std::string> live;
    for (const CloudInstance& c : *cloud) {
      live.insert(c.id);
      scaler::InstanceView v;
      v.id = c.id;
      v.market = c.market;
      v.lifecycle = c.lifecycle;
      v.launched_at = c.launched_at;
      v.runner_name = scaler::runner_name_for(pool.name, c.id);
      v.scale_in_protected = c.scale_in_protected;
      Record& rec = records_[c.id];
      auto r = by_name.find(v.runner_name);
      const bool online = r != by_name.end() && r->second->online;
      const bool busy = (r != by_name.end() && r->second->busy) || running_names.count(v.runner_name) != 0;
      if (online && !rec.registered_at) rec.registered_at = now;
      if (busy) rec.last_busy_at = now;
      v.handed_over = rec.handed_over;
      v.registered_at = rec.registered_at;
      v.last_busy_at = rec.last_busy_at;
      snap.instances.push_back(std::move(v));
    }
    std::erase_if(records_, [&](const auto& kv) { return live.count(kv.first) == 0; });
    snap.last_scale_out = last_scale_out_;
    snap.last_scale_in = last_scale_in_;

    scaler::Settings settings;
    settings.launch_budget = bucket_.available(now);
    const scaler::Plan p = scaler::plan(snap, pool, settings, now);

    std::vector<std::string> protect_on, protect_off;
    for (const scaler::Step& s : p.steps) {
      switch (s.kind) {
        case scaler::StepKind::kLaunch: {
          provider::LaunchRequest req;
          req.pool = pool.name;
          req.split = s.split;
          req.client_token = pool.name + "-" + std::to_string(++launches_);
          req.cause_job_id = s.job_ids.empty() ? 0 : s.job_ids.front();
          auto out = world_.cloud->launch(req);
          last_scale_out_ = now;
          if (!out.ok()) break;
          std::vector<std::string> ids = out->on_demand_ids;
          ids.insert(ids.end(), out->spot_ids.begin(), out->spot_ids.end());
          bucket_.take(static_cast<int>(ids.size()), now);
          for (const auto& id : ids) register_instance(id);
          break;
        }
        case scaler::StepKind::kRegister:
          register_instance(s.instance_id);
          break;
        case scaler::StepKind::kDeregister:
          last_scale_in_ = now;
          if (world_.github->delete_runner(s.runner_id).ok()) (void)world_.cloud->terminate({s.instance_id});
          break;
        case scaler::StepKind::kTerminate:
          (void)world_.cloud->terminate({s.instance_id});
          break;
        case scaler::StepKind::kDeleteRunner:
          (void)world_.github->delete_runner(s.runner_id);
          break;
        case scaler::StepKind::kProtect:
          protect_on.push_back(s.instance_id);
          break;
        case scaler::StepKind::kUnprotect:
          protect_off.push_back(s.instance_id);
          break;
      }
    }
    if (!protect_on.empty()) (void)world_.cloud->protect(protect_on, true);
    if (!protect_off.empty()) (void)world_.cloud->protect(protect_off, false);
  }

  const Policy policy_;
  World world_;
  scaler::LoopSchedule schedule_;
  scaler::TokenBucket bucket_;
  const std::string prefix_;
  JobView view_;
  std::unordered_map<std::string, Record> records_;
  std::optional<TimePoint> last_scale_out_, last_scale_in_;
  std::uint64_t etag_ = 0;
  std::vector<SimRunner> runners_;
  std::optional<TimePoint> runners_at_;
  std::int64_t launches_ = 0;
  std::int64_t passes_ = 0;
  std::int64_t extra_calls_ = 0;
};

// --- shared by the baselines ------------------------------------------------------------

// Launches one instance whose runner registers with a registration token (not ephemeral).
void launch_one(World& w, const config::PoolConfig& pool, Market market, std::int64_t& counter) {
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
  OriginalController(const Policy& p, World w) : policy_(p), world_(std::move(w)), next_sweep_(world_.clock->now()) {}

  void on_delivery(const JobEvent& e) override {
    view_.apply(e);
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
  std::int64_t extra_github_calls() const override { return 0; }

 private:
  void pass(TimePoint now) {
    ++passes_;
    if (last_action_ && now - *last_action_ < policy_.pool.cooldown) return;
    const config::PoolConfig& pool = policy_.pool;
    int queued = 0;
    for (const auto& [id, j] : view_.queued()) queued += j.labels.subset_of(pool.labels) ? 1 : 0;
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
  World world_;
  JobView view_;
  TimePoint next_sweep_;
  std::int64_t pending_ = 0;
  std::optional<TimePoint> last_action_;
  std::int64_t launches_ = 0;
  std::int64_t passes_ = 0;
};

// --- per-job: one instance per job still queued after a delay; periodic idle scale-down ----

class PerJobController final : public Controller {
 public:
  PerJobController(const Policy& p, World w)
      : policy_(p), world_(std::move(w)), next_scale_down_(world_.clock->now() + p.per_job_scale_down_every) {}

  void on_delivery(const JobEvent& e) override {
    if (!view_.apply(e)) return;
    if (e.action == "queued" && e.labels.subset_of(policy_.pool.labels)) checks_.push({world_.clock->now() + policy_.per_job_delay, e.job_id});
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
      ++extra_calls_;  // is the job still queued?
      auto j = world_.github->job(id);
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
  std::int64_t extra_github_calls() const override { return extra_calls_; }

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
  World world_;
  JobView view_;
  TimePoint next_scale_down_;
  std::priority_queue<std::pair<TimePoint, std::int64_t>, std::vector<std::pair<TimePoint, std::int64_t>>, std::greater<>> checks_;
  std::int64_t launches_ = 0;
  std::int64_t passes_ = 0;
  std::int64_t extra_calls_ = 0;
};

}  // namespace

std::unique_ptr<Controller> make_controller(const Policy& policy, World world) {
  switch (policy.kind) {
    case PolicyKind::kGhscale: return std::make_unique<GhscaleController>(policy, std::move(world));
    case PolicyKind::kOriginal: return std::make_unique<OriginalController>(policy, std::move(world));
    case PolicyKind::kPerJob: return std::make_unique<PerJobController>(policy, std::move(world));
  }
  return nullptr;
}

}  // namespace ghscale::sandbox::detail
