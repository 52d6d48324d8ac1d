#include <algorithm>
#include <fstream>
#include <iostream>
#include <thread>

#include "app/exit_codes.h"
#include "app/sandbox_commands.h"
#include "core/log.h"
#include "sandbox/simulator.h"
#include "sandbox/workload.h"

namespace ghscale::app {

int run_simulate(const SimulateOptions& o) {
  using namespace std::chrono_literals;
  if (o.workload_csv.empty() && (o.hours <= 0 || o.jobs_per_day < 0)) {
    std::cerr << "ghscale: --hours must be > 0 and --jobs-per-day >= 0\n";
    return kExitUsage;
  }
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
  auto loaded = sandbox::load_workload(o.workload_csv, s);
  if (!loaded.ok()) {
    std::cerr << "ghscale: " << loaded.error().message << "\n";
    return kExitUsage;
  }
  sandbox::Workload workload = std::move(*loaded);
  if (!o.export_workload.empty()) {
    if (auto st = sandbox::write_workload_csv(workload, o.export_workload); !st.ok()) {
      std::cerr << "ghscale: " << st.error().message << "\n";
      return kExitFailure;
    }
  }
  std::vector<sandbox::Policy> policies;
  for (const auto& name : o.policies) {
    auto p = sandbox::builtin_policy(name, o.max_runners);
    if (!p.ok()) {
      std::cerr << "ghscale: " << p.error().message << "\n";
      return kExitUsage;
    }
    policies.push_back(std::move(*p));
  }
  for (double v : {o.drop, o.duplicate, o.reorder}) {
    if (v < 0 || v > 1) {
      std::cerr << "ghscale: --drop, --duplicate and --reorder are probabilities between 0 and 1\n";
      return kExitUsage;
    }
  }
  if (o.boot_seconds < 0 || o.boot_jitter_seconds < 0 || o.spot_interruption_rate < 0 || o.max_runners < 1) {
    std::cerr << "ghscale: --boot-time, --boot-jitter and --spot-interruptions must be >= 0, --max-runners >= 1\n";
    return kExitUsage;
  }
  sandbox::SimEnvironment env;
  env.seed = o.seed;
  env.cloud.instance_type = o.instance_type;
  env.cloud.boot_time = Duration{static_cast<Duration::rep>(o.boot_seconds * 1000)};
  env.cloud.boot_jitter = Duration{static_cast<Duration::rep>(o.boot_jitter_seconds * 1000)};
  env.cloud.spot_interruption_rate = o.spot_interruption_rate;
  env.faults.drop = o.drop;
  env.faults.duplicate = o.duplicate;
  env.faults.reorder = o.reorder;

  // The daemon's reconciler logs every action; a simulation of a day would print
  // thousands of lines. Only errors reach stderr.
  log::set_level(log::Level::kError);
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

  if (!o.csv_path.empty()) {
    std::ofstream out(o.csv_path, std::ios::trunc);
    out << sandbox::format_series_csv(results);
    if (!out) {
      std::cerr << "ghscale: cannot write " << o.csv_path << "\n";
      return kExitFailure;
    }
  }
  if (o.json) {
    std::cout << sandbox::format_json(results);
  } else {
    std::cout << workload.jobs.size() << " jobs over "
              << std::chrono::duration_cast<std::chrono::minutes>(workload.span()).count() << " min; boot "
              << o.boot_seconds << " s (+ up to " << o.boot_jitter_seconds << " s); " << o.instance_type << "\n\n"
              << sandbox::format_table(results);
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
