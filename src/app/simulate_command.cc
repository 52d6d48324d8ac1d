#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "app/atomic_output.h"
#include "app/exit_codes.h"
#include "app/sandbox_commands.h"
#include "config/loader.h"
#include "core/log.h"
#include "sandbox/html_report.h"
#include "sandbox/simulator.h"
#include "sandbox/workload.h"

namespace ghscale::app {
namespace {

// The pool --config and --pool name, or nullopt after saying why not.
std::optional<config::PoolConfig> chosen_pool(const config::Config& cfg, const SimulateOptions& o) {
  if (cfg.pools.empty()) {
    std::cerr << "ghscale: " << o.config_path << " has no pools to simulate\n";
    return std::nullopt;
  }
  const config::PoolConfig* found = o.pool.empty() ? &cfg.pools.front() : nullptr;
  for (const auto& p : cfg.pools) {
    if (found == nullptr && p.name == o.pool) found = &p;
  }
  if (found == nullptr) {
    std::string names;
    for (const auto& p : cfg.pools) names += (names.empty() ? "" : ", ") + p.name;
    std::cerr << "ghscale: --pool '" << o.pool << "' is not in " << o.config_path << " (pools: " << names << ")\n";
    return std::nullopt;
  }
  if (found->max_runners < 1 && !o.max_runners_given) {
    std::cerr << "ghscale: pool '" << found->name << "' has max_runners 0: nothing would run (give --max-runners)\n";
    return std::nullopt;
  }
  return *found;
}

// A ghscale policy on the user's pool: everything that decides scaling comes from the file;
// what ties it to a real account (name, scope, provider, runner group) stays the
// simulator's. The policy's own variation (warm pool on, scale-set demand) is kept.
void apply_pool(sandbox::Policy& p, const config::PoolConfig& from, const config::ReconcileConfig& reconcile) {
  config::PoolConfig pool = from;
  pool.name = p.pool.name;
  pool.scope = p.pool.scope;
  pool.provider = p.pool.provider;
  pool.runner_group = p.pool.runner_group;
  pool.max_runners = p.pool.max_runners;
  if (p.pool.warm_pool.enabled) {
    pool.warm_pool.enabled = true;
    pool.warm_pool.coverage = p.pool.warm_pool.coverage;
    pool.warm_pool.max = std::min(pool.warm_pool.max, pool.max_runners);
  }
  if (p.pool.demand == config::Demand::kScaleSet) {
    pool.demand = config::Demand::kScaleSet;
    pool.scale_set = p.pool.scale_set;
  } else if (pool.demand == config::Demand::kScaleSet) {
    pool.scale_set.name = pool.name;
  }
  p.pool = std::move(pool);
  p.reconcile = reconcile;
}

}  // namespace

int run_simulate(const SimulateOptions& o) {
  using namespace std::chrono_literals;
  if (o.workload_csv.empty() && (o.hours <= 0 || o.jobs_per_day < 0)) {
    std::cerr << "ghscale: --hours must be > 0 and --jobs-per-day >= 0\n";
    return kExitUsage;
  }
  // Each simulated job keeps a few kilobytes per policy until the end: past ten million the
  // run would exhaust memory long before it printed anything.
  if (constexpr double kMaxSyntheticJobs = 1e7; o.workload_csv.empty() && o.jobs_per_day * o.hours / 24 > kMaxSyntheticJobs) {
    char rate[32], hours[32];
    std::snprintf(rate, sizeof rate, "%.10g", o.jobs_per_day);
    std::snprintf(hours, sizeof hours, "%.10g", o.hours);
    std::cerr << "ghscale: --jobs-per-day " << rate << " over --hours " << hours << " is about "
              << static_cast<std::int64_t>(o.jobs_per_day * o.hours / 24) << " jobs; at most 10000000 are simulated at once\n";
    return kExitUsage;
  }
  if (!o.pool.empty() && o.config_path.empty()) {
    std::cerr << "ghscale: --pool names a pool of --config FILE; give the file too\n";
    return kExitUsage;
  }
  std::optional<config::Config> file;
  std::optional<config::PoolConfig> user_pool;
  if (!o.config_path.empty()) {
    auto loaded_config = config::load_config_file(o.config_path);
    if (!loaded_config.ok()) {
      std::cerr << config::format_all(loaded_config.errors);
      return kExitUsage;
    }
    file = std::move(*loaded_config.config);
    user_pool = chosen_pool(*file, o);
    if (!user_pool) return kExitUsage;
  }
  const int max_runners = user_pool && !o.max_runners_given ? user_pool->max_runners : o.max_runners;
  sandbox::SyntheticOptions s;
  const auto shape = sandbox::parse_workload_shape(o.synthetic);
  if (!shape) {
    std::cerr << "ghscale: --synthetic must be day or dag, got '" << o.synthetic << "'\n";
    return kExitUsage;
  }
  s.shape = *shape;
  s.seed = o.seed;
  s.length = Duration{static_cast<Duration::rep>(o.hours * 3600e3)};
  s.jobs_per_day = o.jobs_per_day;
  if (user_pool) s.label_mix = {{user_pool->labels, 1.0}};  // synthetic jobs ask for the pool's labels
  auto loaded = sandbox::load_workload(o.workload_csv, s);
  if (!loaded.ok()) {
    std::cerr << "ghscale: " << loaded.error().message << "\n";
    return kExitUsage;
  }
  sandbox::Workload workload = std::move(*loaded);
  // Every output is opened before the run: an unwritable one fails now, not after it.
  AtomicOutput export_file, csv_file, html_file;
  for (auto [output, path] : {std::pair{&export_file, &o.export_workload}, std::pair{&csv_file, &o.csv_path},
                            std::pair{&html_file, &o.html_path}}) {
    if (path->empty()) continue;
    if (auto problem = output->open(*path)) {
      std::cerr << "ghscale: " << *problem << "\n";
      return kExitUsage;
    }
  }
  if (export_file.is_open()) {
    if (auto problem = export_file.commit(sandbox::format_workload_csv(workload))) {
      std::cerr << "ghscale: " << *problem << "\n";
      return kExitFailure;
    }
  }
  std::vector<sandbox::Policy> policies;
  for (const auto& name : o.policies) {
    auto p = sandbox::builtin_policy(name, max_runners);
    if (!p.ok()) {
      std::cerr << "ghscale: " << p.error().message << "\n";
      return kExitUsage;
    }
    if (user_pool) {
      if (p->kind == sandbox::PolicyKind::kGhscale) {
        apply_pool(*p, *user_pool, file->reconcile);
      } else {
        p->pool.labels = user_pool->labels;  // the baselines serve the same jobs
      }
    }
    if (o.on_demand_base >= 0) p->pool.on_demand_base = o.on_demand_base;
    policies.push_back(std::move(*p));
  }
  for (double v : {o.drop, o.duplicate, o.reorder}) {
    if (v < 0 || v > 1) {
      std::cerr << "ghscale: --drop, --duplicate and --reorder are probabilities between 0 and 1\n";
      return kExitUsage;
    }
  }
  if (o.boot_seconds < 0 || o.boot_jitter_seconds < 0 || o.spot_interruption_rate < 0 || max_runners < 1) {
    std::cerr << "ghscale: --boot-time, --boot-jitter and --spot-interruptions must be >= 0, --max-runners >= 1\n";
    return kExitUsage;
  }
  sandbox::SimEnvironment env;
  env.seed = o.seed;
  env.cloud.instance_type = o.instance_type;
  env.cloud.boot_time = Duration{static_cast<Duration::rep>(o.boot_seconds * 1000)};
  env.cloud.boot_jitter = Duration{static_cast<Duration::rep>(o.boot_jitter_seconds * 1000)};
  env.cloud.spot_interruption_rate = o.spot_interruption_rate;
  env.drain_limit = Duration{static_cast<Duration::rep>(o.drain_hours * 3600.0 * 1000.0)};
  env.faults.drop = o.drop;
  env.faults.duplicate = o.duplicate;
  env.faults.reorder = o.reorder;

  // The daemon's reconciler logs every action; a simulation of a day would print
  // thousands of lines. Only errors reach stderr.
  log::set_level(std::getenv("GHSCALE_SIM_DEBUG") ? log::Level::kInfo : log::Level::kError);
  // Policies are independent simulations, each deterministic for the seed: run them side
  // by side (one thread each, at most the machine's cores at a time).
  std::vector<sandbox::PolicyResult> results(policies.size());
  {
    const std::size_t width = std::max(1u, std::thread::hardware_concurrency());
    for (std::size_t first = 0; first < policies.size(); first += width) {
      std::vector<std::thread> threads;
      for (std::size_t i = first; i < std::min(policies.size(), first + width); ++i) {
        threads.emplace_back([&, i] { results[i] = sandbox::simulate(workload, policies[i], env); });
      }
      for (auto& t : threads) t.join();
    }
  }

  if (csv_file.is_open()) {
    if (auto problem = csv_file.commit(sandbox::format_series_csv(results))) {
      std::cerr << "ghscale: " << *problem << "\n";
      return kExitFailure;
    }
  }
  if (!o.html_path.empty()) {
    std::ostringstream workload_line, command;
    workload_line << workload.jobs.size() << " jobs over "
                  << std::chrono::duration_cast<std::chrono::minutes>(workload.span()).count() << " min ("
                  << (o.workload_csv.empty() ? o.synthetic + " synthetic workload, seed " + std::to_string(o.seed)
                                             : "workload " + o.workload_csv)
                  << "); boot " << o.boot_seconds << " s (+ up to " << o.boot_jitter_seconds << " s); " << o.instance_type
                  << "; at most " << max_runners << " runners"
                  << (user_pool ? "; pool '" + user_pool->name + "' of " + o.config_path : std::string());
    // Enough to make the same report again (the workload is deterministic for the seed).
    command << "ghscale simulate";
    if (o.workload_csv.empty()) {
      command << " --hours " << o.hours << " --jobs-per-day " << o.jobs_per_day << " --synthetic " << o.synthetic
              << " --seed " << o.seed;
    } else {
      command << " --workload " << o.workload_csv;
    }
    for (const auto& p : o.policies) command << " --policy " << p;
    if (!o.config_path.empty()) command << " --config " << o.config_path << " --pool " << user_pool->name;
    if (o.on_demand_base >= 0) command << " --on-demand-base " << o.on_demand_base;
    command << " --max-runners " << max_runners << " --boot-time " << o.boot_seconds << " --boot-jitter "
            << o.boot_jitter_seconds << " --spot-interruptions " << o.spot_interruption_rate;
    if (o.drop > 0) command << " --drop " << o.drop;
    if (o.duplicate > 0) command << " --duplicate " << o.duplicate;
    if (o.reorder > 0) command << " --reorder " << o.reorder;
    command << " --html " << o.html_path;
    if (auto problem = html_file.commit(sandbox::format_html_report(results, {workload_line.str(), command.str()}))) {
      std::cerr << "ghscale: " << *problem << "\n";
      return kExitFailure;
    }
  }
  if (o.json) {
    std::cout << sandbox::format_json(results);
  } else {
    std::cout << workload.jobs.size() << " jobs over "
              << std::chrono::duration_cast<std::chrono::minutes>(workload.span()).count() << " min; boot "
              << o.boot_seconds << " s (+ up to " << o.boot_jitter_seconds << " s); " << o.instance_type
              << (user_pool ? "; ghscale on pool '" + user_pool->name + "' of " + o.config_path : std::string()) << "\n\n"
              << sandbox::format_table(results);
  }
  // Jobs cut by the drain limit: said, as their waits are censored at the cut.
  std::string cut;
  for (const auto& r : results) {
    if (r.unfinished == 0) continue;
    cut += (cut.empty() ? "" : ", ") + std::to_string(r.unfinished) + " of " + std::to_string(r.jobs) + " (" + r.policy + ")";
  }
  if (!cut.empty()) {
    std::ostringstream hours;
    hours << o.drain_hours;
    std::cerr << "ghscale: jobs still waiting or running when the run was cut " << hours.str()
              << " h after the last arrival (--drain-hours): " << cut
              << "; their waits end at the cut, so the wait percentiles are lower bounds\n";
  }
  for (const auto& r : results) {
    if (r.policy == "ghscale" && r.busy_terminations != 0) return kExitFailure;  // an invariant broke
  }
  for (const auto& r : results) {
    if (r.unmatched > 0) {
      std::cerr << "ghscale: " << r.unmatched << " of " << r.jobs
                << " jobs match no pool (their runs-on labels are not all in the pool's labels); they were never "
                   "served and are left out of the waits\n";
      return kExitUnmatched;
    }
  }
  return kExitOk;
}

}  // namespace ghscale::app
