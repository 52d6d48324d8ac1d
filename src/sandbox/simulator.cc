#include "sandbox/simulator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "sandbox/controllers.h"

namespace ghscale::sandbox {

using namespace std::chrono_literals;

config::PoolConfig default_sim_pool(int max_runners) {
  config::PoolConfig p;
  p.name = "linux";
  p.labels = LabelSet{"self-hosted", "linux", "x64"};
  p.scope.kind = config::PoolScope::Kind::kOrg;
  p.scope.name = "acme";
  p.max_runners = max_runners;
  return p;
}

namespace {

std::string format_coverage(double c) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", c);
  return buf;
}

}  // namespace

Policy ghscale_policy(int max_runners) {
  Policy p;
  p.name = "ghscale";
  p.kind = PolicyKind::kGhscale;
  p.pool = default_sim_pool(max_runners);
  return p;
}

Policy ghscale_scale_set_policy(int max_runners) {
  Policy p = ghscale_policy(max_runners);
  p.name = "ghscale-scale-set";
  p.pool.demand = config::Demand::kScaleSet;
  p.pool.scale_set.name = p.pool.name;
  return p;
}

Policy original_policy(int max_runners) {
  Policy p;
  p.name = "original";
  p.kind = PolicyKind::kOriginal;
  p.pool = default_sim_pool(max_runners);
  p.pool.ephemeral = false;
  p.pool.on_demand_base = 1;
  p.pool.cooldown = 2min;
  p.reconcile.sweep = 15min;
  return p;
}

Policy per_job_policy(int max_runners) {
  Policy p;
  p.name = "per-job";
  p.kind = PolicyKind::kPerJob;
  p.pool = default_sim_pool(max_runners);
  p.pool.ephemeral = false;
  p.pool.on_demand_base = 0;
  p.pool.min_lifetime = 5min;
  return p;
}

Policy ghscale_warm_policy(int max_runners, double coverage) {
  Policy p = ghscale_policy(max_runners);
  p.name = coverage == 1.0 ? "ghscale-warm" : "ghscale-warm:" + format_coverage(coverage);
  p.pool.warm_pool.enabled = true;
  p.pool.warm_pool.coverage = coverage;
  p.pool.warm_pool.max = max_runners;
  return p;
}

Result<Policy> builtin_policy(const std::string& name, int max_runners) {
  if (name == "ghscale") return ghscale_policy(max_runners);
  if (name == "ghscale-warm") return ghscale_warm_policy(max_runners, 1.0);
  if (name.rfind("ghscale-warm:", 0) == 0) {
    const std::string text = name.substr(13);
    char* end = nullptr;
    const double coverage = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !(coverage >= 0.0 && coverage <= 10.0)) {
      return make_error(ErrorKind::kInvalid, "policy '" + name + "': the warm pool's coverage after ':' is a number from 0 to 10");
    }
    return ghscale_warm_policy(max_runners, coverage);
  }
  if (name == "ghscale-scale-set") return ghscale_scale_set_policy(max_runners);
  if (name == "original") return original_policy(max_runners);
  if (name == "per-job") return per_job_policy(max_runners);
  return make_error(ErrorKind::kInvalid,
                    "unknown policy '" + name + "': expected ghscale, ghscale-warm[:COVERAGE], ghscale-scale-set, original or per-job");
}

namespace {

double percentile(std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  const double rank = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(rank));
  const auto hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - static_cast<double>(lo));
}

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

PolicyResult simulate(const Workload& workload, const Policy& policy, const SimEnvironment& env) {
  const auto wall_start = std::chrono::steady_clock::now();
  auto clock = std::make_shared<ManualClock>();
  const TimePoint start = clock->now();
  provider::SimCloudOptions cloud_options = env.cloud;
  cloud_options.clock = clock;
  cloud_options.seed = env.seed * 7919 + 1;
  auto cloud = std::make_shared<provider::SimCloud>(cloud_options);
  GitHubSimOptions gh_options;
  gh_options.clock = clock;
  gh_options.faults = env.faults;
  gh_options.seed = env.seed;
  gh_options.cloud = cloud;
  gh_options.reuse_wait = env.reuse_wait;
  if (policy.kind == PolicyKind::kGhscale && policy.pool.demand == config::Demand::kScaleSet) {
    gh_options.scale_set.enabled = true;
    gh_options.scale_set.capacity = policy.pool.max_runners;
  }
  auto github = std::make_shared<GitHubSim>(gh_options);
  cloud->set_observer([gh = github.get()](const provider::SimEvent& e) { gh->on_cloud_event(e); });
  detail::SimWorld world{clock, github, cloud};
  std::unique_ptr<detail::Controller> controller;
  switch (policy.kind) {
    case PolicyKind::kGhscale: controller = detail::make_scaler_controller(policy, world); break;
    case PolicyKind::kOriginal: controller = detail::make_original_controller(policy, world); break;
    case PolicyKind::kPerJob: controller = detail::make_per_job_controller(policy, world); break;
  }

  PolicyResult result;
  result.policy = policy.name;
  result.jobs = static_cast<std::int64_t>(workload.jobs.size());
  // Jobs no pool of the policy can serve: GitHub keeps them queued (no runner will ever
  // take them); they are reported apart and kept out of the waits.
  std::int64_t unmatched_arrived = 0;
  const auto matches = [&](const WorkloadJob& j) { return !j.labels.empty() && j.labels.subset_of(policy.pool.labels); };
  const TimePoint last_arrival = start + workload.span();
  const TimePoint stop_by = last_arrival + env.drain_limit;
  TimePoint next_sample = start;
  std::size_t next_job = 0;
  TimePoint now = start;
  for (;;) {
    TimePoint t = next_sample;
    if (next_job < workload.jobs.size()) t = std::min(t, start + workload.jobs[next_job].queued_at);
    if (auto g = github->next_event_time()) t = std::min(t, *g);
    if (auto c = cloud->next_event_time()) t = std::min(t, *c);
    if (auto d = controller->next_deadline()) t = std::min(t, *d);
    t = std::max(t, now);
    if (t > stop_by) {
      // Cut off with work left: every policy is judged at the same instant, so a job still
      // waiting waited until stop_by and live instances are billed until then, whenever
      // the policy's own last event happened.
      now = stop_by;
      clock->set(now);
      cloud->advance(now);
      break;
    }
    now = t;
    clock->set(now);
    // Every job is handed over in workload order at its queued_at; one with needs waits in
    // the GitHub simulator until they succeed, and its wait counts from when it is queued.
    while (next_job < workload.jobs.size() && start + workload.jobs[next_job].queued_at <= now) {
      if (!matches(workload.jobs[next_job])) ++unmatched_arrived;
      github->enqueue(workload.jobs[next_job++]);
    }
    cloud->advance(now);
    github->step();
    for (const JobEvent& e : github->take_due_deliveries()) controller->on_delivery(e);
    controller->run_due();
    github->step();
    if (now >= next_sample) {
      const GitHubSimCounts c = github->counts();
      const int live = cloud->live_count();
      Sample s;
      s.at = now - start;
      s.queued = static_cast<int>(c.queued);
      s.running = static_cast<int>(c.runners_busy);
      s.idle = static_cast<int>(c.runners_idle);
      s.booting = std::max(0, live - s.running - s.idle);
      result.series.push_back(s);
      next_sample += env.sample_every;
      // Done when every servable job ran and the policy has let its capacity go (cost is
      // billed until then), beyond a min_idle floor it keeps on purpose.
      // Unmatched jobs that were handed over are queued or held for good (lost jobs are
      // re-run, so none is skipped): the rest is done when nothing else is.
      if (next_job == workload.jobs.size() && c.queued + c.held <= unmatched_arrived && c.runners_busy == 0 &&
          live <= std::max(0, policy.pool.min_idle)) {
        break;
      }
    }
  }

  // --- results ---
  std::vector<double> waits;
  double busy_hours = 0;
  for (const SimJob& j : github->jobs()) {
    if (!j.labels.subset_of(policy.pool.labels) || j.labels.empty()) {
      ++result.unmatched;
      continue;
    }
    if (j.run_attempt > 1) ++result.reruns;
    if (j.completed_at && j.conclusion == "success") ++result.completed;
    if (!j.completed_at) ++result.unfinished;
    const TimePoint began = j.started_at.value_or(now);
    waits.push_back(seconds(began - j.queued_at));
    if (j.started_at) busy_hours += seconds(j.completed_at.value_or(now) - *j.started_at) / 3600.0;
  }
  std::sort(waits.begin(), waits.end());
  result.wait_histogram.assign(std::size(kWaitBucketEdges) + 1, 0);
  for (double w : waits) {
    const auto bucket = std::lower_bound(std::begin(kWaitBucketEdges), std::end(kWaitBucketEdges), w) - std::begin(kWaitBucketEdges);
    ++result.wait_histogram[static_cast<std::size_t>(bucket)];
  }
  result.wait_p50 = percentile(waits, 0.50);
  result.wait_p90 = percentile(waits, 0.90);
  result.wait_p95 = percentile(waits, 0.95);
  result.wait_p99 = percentile(waits, 0.99);
  result.wait_max = waits.empty() ? 0.0 : waits.back();
  const provider::CloudUsage u = cloud->usage(now);
  result.on_demand_hours = u.on_demand_hours;
  result.spot_hours = u.spot_hours;
  result.on_demand_cost = u.on_demand_cost;
  result.spot_cost = u.spot_cost;
  const double total_hours = u.on_demand_hours + u.spot_hours;
  result.idle_fraction = total_hours > 0 ? std::clamp(1.0 - busy_hours / total_hours, 0.0, 1.0) : 0.0;
  const GitHubSimCounts c = github->counts();
  // Dependants still waiting for their needs, or skipped because a need failed: they never
  // became GitHub jobs, so the waits above do not see them; reported as their own rows.
  result.held = c.held;
  result.skipped = c.skipped;
  result.busy_terminations = c.busy_terminations;
  result.interruptions = u.interruptions;
  result.instances_launched = u.launched;
  result.github_calls = c.api_calls;
  result.github_quota_calls = c.api_quota_calls;
  const std::int64_t served = result.jobs - result.unmatched;
  result.github_calls_per_job = served > 0 ? static_cast<double>(result.github_calls) / static_cast<double>(served) : 0.0;
  result.github_quota_calls_per_job =
      served > 0 ? static_cast<double>(result.github_quota_calls) / static_cast<double>(served) : 0.0;
  result.cloud_calls = u.api_calls;
  result.passes = controller->passes();
  result.simulated = now - start;
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return result;
}

}  // namespace ghscale::sandbox
