// Property tests of plan(): thousands of random snapshots (seeded, so failures replay),
// and a toy world driven over virtual time by successive plans.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "scaler/plan.h"
#include "scaler/plan_builders.h"

namespace ghscale::scaler {
namespace {

using namespace testing;

struct Rng {
  std::mt19937_64 gen;
  explicit Rng(std::uint64_t seed) : gen(seed) {}
  int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(gen) < p; }
};

config::PoolConfig random_pool(Rng& r, const std::string& name) {
  auto p = make_pool(name);
  p.min_idle = r.between(0, 3);
  p.max_runners = r.between(0, 20);
  p.on_demand_base = r.between(0, 3);
  p.cooldown = Duration{r.chance(0.5) ? 0 : r.between(1, 600) * 1000};
  p.idle_timeout = Duration{r.between(0, 600) * 1000};
  p.min_lifetime = Duration{r.between(0, 600) * 1000};
  p.boot_timeout = Duration{r.between(1, 600) * 1000};
  return p;
}

LabelSet random_labels(Rng& r) {
  static const std::vector<std::string> kLabels = {"self-hosted", "linux", "x64", "arm64", "gpu", "ubuntu-latest", "windows"};
  LabelSet l;
  const int n = r.between(0, 3);
  for (int k = 0; k < n; ++k) l.add(kLabels[static_cast<std::size_t>(r.between(0, static_cast<int>(kLabels.size()) - 1))]);
  return l;
}

Snapshot random_snapshot(Rng& r, const std::string& pool, TimePoint now) {
  Snapshot s;
  const int n = r.between(0, 25);
  for (int k = 0; k < n; ++k) {
    const TimePoint launched = now - Duration{r.between(0, 1200) * 1000};
    std::optional<TimePoint> registered;
    if (r.chance(0.7)) registered = launched + Duration{r.between(0, 60) * 1000};
    auto i = instance(pool, "i-" + std::to_string(k), launched, registered, r.chance(0.3) ? Market::kOnDemand : Market::kSpot);
    i.handed_over = r.chance(0.9);
    i.scale_in_protected = r.chance(0.2);
    if (r.chance(0.1)) i.lifecycle = provider::Lifecycle::kStopping;
    if (r.chance(0.3)) i.last_busy_at = now - Duration{r.between(0, 900) * 1000};
    if (r.chance(0.85)) s.runners.push_back(runner_for(i, 1000 + k, r.chance(0.8), r.chance(0.3)));
    if (r.chance(0.1)) s.running_jobs.push_back({5000 + k, i.runner_name});
    s.instances.push_back(std::move(i));
  }
  // Capacity an Auto Scaling group owes but has not placed: booting, nothing registered.
  for (int k = 0; k < r.between(0, 2); ++k) {
    auto p = instance(pool, "pending-g-" + std::to_string(k), now - Duration{r.between(0, 600) * 1000});
    p.handed_over = false;
    p.placeholder = true;
    s.instances.push_back(std::move(p));
  }
  for (int k = 0; k < r.between(0, 4); ++k) s.runners.push_back({9000 + k, runner_name_for(pool, "i-x" + std::to_string(k)), r.chance(0.3), r.chance(0.3)});
  for (int k = 0; k < r.between(0, 2); ++k) s.running_jobs.push_back({7000 + k, runner_name_for(pool, "i-lost" + std::to_string(k))});
  if (r.chance(0.5)) s.last_scale_out = now - Duration{r.between(0, 900) * 1000};
  if (r.chance(0.5)) s.last_scale_in = now - Duration{r.between(0, 900) * 1000};
  return s;
}

TEST(PlanProperty, RandomSnapshotsKeepTheInvariants) {
  Rng r(20240607);
  const TimePoint now = kT0;
  for (int round = 0; round < 5000; ++round) {
    std::vector<config::PoolConfig> pools = {random_pool(r, "a"), random_pool(r, "b")};
    pools[1].labels = LabelSet{"self-hosted", "linux", "arm64", "gpu"};
    std::vector<Job> jobs;
    for (int k = 0; k < r.between(0, 30); ++k) jobs.push_back(queued_job(k + 1, random_labels(r)));
    auto assigned = assign_jobs_to_pools(jobs, pools);
    std::set<std::int64_t> unmatched;
    for (const auto& j : assigned.unmatched) unmatched.insert(j.job_id);

    for (std::size_t p = 0; p < pools.size(); ++p) {
      const auto& pool = pools[p];
      Snapshot s = random_snapshot(r, pool.name, now);
      s.queued_jobs = assigned.per_pool[p];
      Settings st;
      st.launch_budget = r.between(0, 30);
      if (r.chance(0.3)) st.cooldown = Duration{r.between(0, 600) * 1000};
      const Plan out = plan(s, pool, st, now);
      SCOPED_TRACE("round " + std::to_string(round) + " pool " + pool.name);

      std::map<std::string, const RunnerView*> runner_by_name;
      for (const auto& rv : s.runners) runner_by_name[rv.name] = &rv;
      std::set<std::string> running_on;
      for (const auto& j : s.running_jobs) running_on.insert(j.runner_name);
      std::map<std::string, const InstanceView*> by_id;
      for (const auto& i : s.instances) by_id[i.id] = &i;

      int live = 0;
      for (const auto& i : s.instances) live += i.lifecycle != provider::Lifecycle::kTerminated ? 1 : 0;
      int launches = 0;
      const Duration cooldown = st.cooldown.value_or(pool.cooldown);
      std::optional<TimePoint> last = s.last_scale_out;
      if (s.last_scale_in && (!last || *s.last_scale_in > *last)) last = s.last_scale_in;
      const bool in_cooldown = cooldown > Duration::zero() && last && now - *last < cooldown;
      for (const auto& step : out.steps) {
        if (step.kind == StepKind::kLaunch) {
          launches += step.split.total();
          ASSERT_GT(step.split.total(), 0);
          ASSERT_LE(static_cast<int>(step.job_ids.size()), step.split.total());
          for (auto id : step.job_ids) ASSERT_EQ(unmatched.count(id), 0u) << "launched for unmatched job " << id;
        }
        if (step.kind == StepKind::kDeregister || step.kind == StepKind::kTerminate) {
          const InstanceView* i = by_id.at(step.instance_id);
          auto it = runner_by_name.find(i->runner_name);
          ASSERT_FALSE(it != runner_by_name.end() && it->second->busy) << "busy runner touched: " << step.instance_id;
          ASSERT_EQ(running_on.count(i->runner_name), 0u) << "runner with a job touched: " << step.instance_id;
        }
        if (step.kind == StepKind::kRegister) {
          ASSERT_FALSE(by_id.at(step.instance_id)->placeholder) << "placeholder registered: " << step.instance_id;
        }
        if (step.kind == StepKind::kDeleteRunner) {
          auto it = runner_by_name.find(step.runner_name);
          ASSERT_TRUE(it != runner_by_name.end());
          ASSERT_FALSE(it->second->busy);
          ASSERT_EQ(running_on.count(step.runner_name), 0u);
        }
        if (in_cooldown) {
        ASSERT_TRUE(step.kind != StepKind::kLaunch && step.kind != StepKind::kDeregister);
      }
      }
      ASSERT_LE(launches, st.launch_budget);
      if (launches > 0) {
        ASSERT_LE(live + launches, pool.max_runners);
      }
      if (assigned.per_pool[p].empty() && s.running_jobs.empty() && out.counts.min_idle == 0) {
        ASSERT_EQ(launches, 0);
      }
    }
  }
}

// A toy world: instances boot, register, take jobs, finish them (ephemeral: the runner
// leaves and the instance ends). Successive plans act on it over virtual time.
struct ToyWorld {
  struct Inst {
    InstanceView view;
    bool runner = false;
    bool busy = false;
    std::int64_t runner_id = 0;
    TimePoint job_done{};
  };
  std::string pool;
  std::map<std::string, Inst> instances;
  std::vector<Job> queued;
  std::int64_t next = 0;
  int busy_terminations = 0;

  Snapshot snapshot() const {
    Snapshot s;
    s.queued_jobs = queued;
    for (const auto& [id, i] : instances) {
      s.instances.push_back(i.view);
      if (i.runner) s.runners.push_back({i.runner_id, i.view.runner_name, true, i.busy});
    }
    return s;
  }
};

TEST(PlanProperty, SuccessivePlansOverTimeRespectCooldownCapAndBusyRunners) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    Rng r(seed);
    ManualClock clock(kT0);
    auto pool = random_pool(r, "p");
    pool.max_runners = r.between(1, 15);
    ToyWorld w;
    w.pool = pool.name;
    std::optional<TimePoint> last_out, last_in, last_scale;
    for (int step = 0; step < 400; ++step) {
      clock.advance(Duration{r.between(1, 60) * 1000});
      const TimePoint now = clock.now();
      // The world moves: jobs arrive, instances boot and register, jobs start and finish.
      for (int k = 0; k < r.between(0, 3); ++k) {
        if (r.chance(0.4)) w.queued.push_back(queued_job(++w.next));
      }
      for (auto it = w.instances.begin(); it != w.instances.end();) {
        auto& i = it->second;
        if (!i.runner && now - i.view.launched_at > Duration{20000} && r.chance(0.9)) {
          i.runner = true;
          i.runner_id = 100000 + (++w.next);
          i.view.registered_at = now;
          i.view.lifecycle = provider::Lifecycle::kRunning;
        }
        if (i.runner && !i.busy && !w.queued.empty()) {
          w.queued.erase(w.queued.begin());
          i.busy = true;
          i.job_done = now + Duration{r.between(10, 600) * 1000};
        }
        if (i.busy && now >= i.job_done) {
          it = w.instances.erase(it);  // ephemeral: runner and instance go away
          continue;
        }
        ++it;
      }
      Snapshot s = w.snapshot();
      s.last_scale_out = last_out;
      s.last_scale_in = last_in;
      Settings st;
      st.launch_budget = 5;
      const Plan p = plan(s, pool, st, now);
      if (p.scales_out() || p.scales_in()) {
        if (last_scale && pool.cooldown > Duration::zero()) {
          ASSERT_GE(now - *last_scale, pool.cooldown) << "seed " << seed << " step " << step;
        }
        last_scale = now;
        (p.scales_out() ? last_out : last_in) = now;
      }
      for (const auto& st_ : p.steps) {
        switch (st_.kind) {
          case StepKind::kLaunch:
            for (int k = 0; k < st_.split.total(); ++k) {
              const std::string id = "i-" + std::to_string(++w.next);
              ToyWorld::Inst i;
              i.view = instance(pool.name, id, now, std::nullopt, k < st_.split.on_demand ? Market::kOnDemand : Market::kSpot);
              w.instances[id] = i;
            }
            break;
          case StepKind::kDeregister:
          case StepKind::kTerminate: {
            auto it = w.instances.find(st_.instance_id);
            ASSERT_NE(it, w.instances.end());
            if (it->second.busy) ++w.busy_terminations;
            w.instances.erase(it);
            break;
          }
          case StepKind::kProtect:
          case StepKind::kUnprotect:
            w.instances[st_.instance_id].view.scale_in_protected = st_.kind == StepKind::kProtect;
            break;
          default:
            break;
        }
      }
      ASSERT_LE(static_cast<int>(w.instances.size()), pool.max_runners) << "seed " << seed << " step " << step;
      ASSERT_EQ(w.busy_terminations, 0) << "seed " << seed;
    }
  }
}

}  // namespace
}  // namespace ghscale::scaler
