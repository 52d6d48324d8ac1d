// `ghscale simulate`: what-if analysis of scaling policies on virtual time. A discrete-event
// loop (no sleeping) drives a workload through the GitHub simulator and the simulated
// cloud while a policy scales: ghscale's own (the real scaler::plan() with the
// reconciler's observe/act steps, on scaler::LoopSchedule), or a baseline modelled from
// its documented rules (`original`, `per-job`). The controller sees only what a real one
// would: webhook deliveries (with their faults) and API answers, each call counted.
// Single-threaded and deterministic for a given seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "provider/sim/sim_cloud.h"
#include "sandbox/github_sim.h"
#include "sandbox/workload.h"

namespace ghscale::sandbox {

enum class PolicyKind { kGhscale, kOriginal, kPerJob };

struct Policy {
  std::string name;
  PolicyKind kind = PolicyKind::kGhscale;
  config::PoolConfig pool;  // labels, max_runners, on_demand_base, ephemeral, cooldown, timeouts
  config::ReconcileConfig reconcile;  // ghscale: tick, sweep, debounce, launch rate
  // original: scale out when queued > ratio × runners; per-job: launch delay and the
  // scale-down period.
  int original_ratio = 5;
  Duration per_job_delay = std::chrono::seconds(30);
  Duration per_job_scale_down_every = std::chrono::minutes(5);
};

// The pool every built-in policy starts from: labels self-hosted, linux, x64.
config::PoolConfig default_sim_pool(int max_runners);
Policy ghscale_policy(int max_runners);
// One pass per webhook and every 15 minutes; +1 instance when queued > 5 × runners,
// -1 when queued < runners (the ASG picks the oldest instance, busy or not: no scale-in
// protection); the first instance on-demand; non-ephemeral runners; a 2-minute cooldown.
Policy original_policy(int max_runners);
// One spot instance per queued job still queued after 30 s; every 5 minutes, runners idle
// on instances older than 5 minutes are removed; non-ephemeral runners.
Policy per_job_policy(int max_runners);
// ghscale with its warm pool: idle runners kept from the observed start rate.
Policy ghscale_warm_policy(int max_runners, double coverage);
// ghscale with `demand: scale_set`: jobs learnt from the scale set's messages (assigned
// within max_runners, never dropped), no webhooks; see ScaleSetMode in github_sim.h.
Policy ghscale_scale_set_policy(int max_runners);
// "ghscale", "ghscale-warm" (or "ghscale-warm:COVERAGE"), "ghscale-scale-set", "original",
// "per-job"; kInvalid for anything else.
Result<Policy> builtin_policy(const std::string& name, int max_runners);

struct SimEnvironment {
  provider::SimCloudOptions cloud;  // clock is set by the simulator
  DeliveryFaults faults;
  std::uint64_t seed = 1;
  Duration sample_every = std::chrono::minutes(1);
  Duration drain_limit = std::chrono::hours(12);  // after the last arrival
  // An instance whose ephemeral runner finished waits this long for a next registration
  // before shutting itself down, as the runner bootstrap does (GHSCALE_REUSE_WAIT).
  Duration reuse_wait = std::chrono::seconds(5);
};

struct Sample {
  Duration at{0};
  int queued = 0;
  int running = 0;
  int idle = 0;
  int booting = 0;
};

// Seconds: the upper edges of the wait histogram's buckets.
inline constexpr double kWaitBucketEdges[] = {10, 30, 60, 120, 300, 600, 1800, 3600};

struct PolicyResult {
  std::string policy;
  std::int64_t jobs = 0;        // workload jobs
  std::int64_t completed = 0;   // finished with success (re-runs included)
  std::int64_t unfinished = 0;  // still queued or running when the simulation stopped
  std::int64_t unmatched = 0;   // no pool's labels cover them: never served, not in the waits
  std::int64_t held = 0;        // dependants still waiting for their needs at the end (dag workloads)
  std::int64_t skipped = 0;     // dependants never queued because a need failed
  std::int64_t reruns = 0;      // jobs lost with their runner and queued again
  double wait_p50 = 0, wait_p90 = 0, wait_p95 = 0, wait_p99 = 0, wait_max = 0;  // seconds
  // Jobs by wait: wait_histogram[k] counts waits ≤ kWaitBucketEdges[k] (and above the edge
  // before); the last entry those above every edge.
  std::vector<std::int64_t> wait_histogram;
  double on_demand_hours = 0, spot_hours = 0;
  double on_demand_cost = 0, spot_cost = 0;
  double idle_fraction = 0;  // instance time not running a job (booting included)
  std::int64_t busy_terminations = 0;
  std::int64_t interruptions = 0;
  std::int64_t instances_launched = 0;
  std::int64_t github_calls = 0;
  std::int64_t github_quota_calls = 0;
  double github_calls_per_job = 0;        // per servable job
  double github_quota_calls_per_job = 0;  // rate-limited calls (not 304s) per servable job
  std::int64_t cloud_calls = 0;
  std::int64_t passes = 0;
  Duration simulated{0};
  double wall_seconds = 0;
  std::vector<Sample> series;
  double cost() const { return on_demand_cost + spot_cost; }
};

PolicyResult simulate(const Workload& workload, const Policy& policy, const SimEnvironment& env);

// Output formats for a set of results.
std::string format_table(const std::vector<PolicyResult>& results);
std::string format_json(const std::vector<PolicyResult>& results);
// One row per policy and sample: policy,minute,queued,running,idle,booting.
std::string format_series_csv(const std::vector<PolicyResult>& results);

}  // namespace ghscale::sandbox
