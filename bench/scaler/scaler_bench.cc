// plan() at scale. Goal: a whole pass (every pool) within 5 ms.
#include <benchmark/benchmark.h>

#include "scaler/plan.h"

namespace ghscale::scaler {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow = TimePoint{std::chrono::hours(24 * 365 * 56)};

config::PoolConfig make_pool(const std::string& name, int max_runners) {
  config::PoolConfig p;
  p.name = name;
  p.labels = LabelSet{"self-hosted", "linux", "x64", name};
  p.max_runners = max_runners;
  p.min_idle = 2;
  return p;
}

// `runners` instances, a third idle (long enough to scale in), the rest busy; `jobs` queued.
Snapshot make_snapshot(const std::string& pool, int runners, int jobs) {
  Snapshot s;
  s.instances.reserve(static_cast<std::size_t>(runners));
  for (int k = 0; k < runners; ++k) {
    InstanceView i;
    i.id = "i-" + std::to_string(1000000 + k);
    i.market = k % 5 == 0 ? Market::kOnDemand : Market::kSpot;
    i.lifecycle = provider::Lifecycle::kRunning;
    i.launched_at = kNow - 1h;
    i.registered_at = kNow - 59min;
    i.runner_name = runner_name_for(pool, i.id);
    i.handed_over = true;
    const bool busy = k % 3 != 0;
    i.scale_in_protected = busy;
    s.runners.push_back({k + 1, i.runner_name, true, busy});
    if (busy && k % 2 == 0) s.running_jobs.push_back({500000 + k, i.runner_name});
    s.instances.push_back(std::move(i));
  }
  for (int k = 0; k < jobs; ++k) {
    Job j;
    j.job_id = k + 1;
    j.status = JobStatus::kQueued;
    j.labels = LabelSet{"self-hosted", "linux"};
    s.queued_jobs.push_back(std::move(j));
  }
  return s;
}

void BM_PlanOneLargePool(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const auto pool = make_pool("big", 2 * n);
  const Snapshot s = make_snapshot("big", n, n);
  for (auto _ : state) {
    Plan p = plan(s, pool, Settings{}, kNow);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations() * 2 * n);
}
BENCHMARK(BM_PlanOneLargePool)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_Plan500Pools(benchmark::State& state) {
  constexpr int kPools = 500;
  std::vector<config::PoolConfig> pools;
  std::vector<Snapshot> snaps;
  for (int p = 0; p < kPools; ++p) {
    pools.push_back(make_pool("pool" + std::to_string(p), 40));
    snaps.push_back(make_snapshot(pools.back().name, 20, 20));
  }
  for (auto _ : state) {
    for (int p = 0; p < kPools; ++p) {
      Plan out = plan(snaps[static_cast<std::size_t>(p)], pools[static_cast<std::size_t>(p)], Settings{}, kNow);
      benchmark::DoNotOptimize(out);
    }
  }
}
BENCHMARK(BM_Plan500Pools)->Unit(benchmark::kMillisecond);

void BM_AssignJobsTo500Pools(benchmark::State& state) {
  std::vector<config::PoolConfig> pools;
  for (int p = 0; p < 500; ++p) pools.push_back(make_pool("pool" + std::to_string(p), 40));
  std::vector<Job> jobs;
  for (int k = 0; k < 10000; ++k) {
    Job j;
    j.job_id = k + 1;
    j.labels = LabelSet{"self-hosted", "pool" + std::to_string(k % 500)};
    jobs.push_back(std::move(j));
  }
  for (auto _ : state) {
    auto a = assign_jobs_to_pools(jobs, pools);
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_AssignJobsTo500Pools)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ghscale::scaler

BENCHMARK_MAIN();
