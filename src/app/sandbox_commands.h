// `ghscale sandbox` (the real daemon against simulated GitHub and cloud, in about a
// minute) and `ghscale simulate` (scaling policies compared on virtual time).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ghscale::app {

struct SimulateOptions {
  std::string workload_csv;      // --workload FILE; empty = synthetic
  double hours = 24;             // --hours: synthetic length
  double jobs_per_day = 24000;   // --jobs-per-day
  std::string synthetic = "day";  // --synthetic day|dag: independent jobs, or runs with needs
  std::uint64_t seed = 42;       // --seed
  std::vector<std::string> policies = {"ghscale", "original", "per-job"};  // --policy (repeatable)
  int max_runners = 400;         // --max-runners
  int on_demand_base = -1;       // --on-demand-base: the same for every policy; -1 = each policy's own
  double boot_seconds = 30;      // --boot-time
  double boot_jitter_seconds = 15;  // --boot-jitter
  double spot_interruption_rate = 0.02;  // --spot-interruptions (per spot instance-hour)
  double drop = 0.0, duplicate = 0.0, reorder = 0.0;  // --drop --duplicate --reorder
  std::string instance_type = "m7i.large";  // --instance-type
  double drain_hours = 12;       // --drain-hours: how long after the last arrival the run may go on
  bool json = false;             // --json
  std::string csv_path;          // --csv FILE: the per-minute time series
  std::string export_workload;   // --export-workload FILE: write the workload used as CSV
  std::string html_path;         // --html FILE: a self-contained report comparing the policies
  std::string config_path;       // --config FILE: ghscale runs with one of its pools
  std::string pool;              // --pool NAME: which one (default: the first)
  bool max_runners_given = false;  // --max-runners was on the command line (over the file's)
};
int run_simulate(const SimulateOptions& options);

struct SandboxOptions {
  double speed = 60;           // --speed: virtual seconds per real second
  double minutes = 60;         // --minutes: workload length, in virtual minutes
  double jobs_per_hour = 300;  // --jobs-per-hour
  std::uint64_t seed = 42;     // --seed
  std::string synthetic = "day";  // --synthetic day|dag
  std::string workload_csv;    // --workload FILE; empty = built-in synthetic
  std::string data_dir;        // --data-dir; empty = a temporary directory, removed after
  int port = 0;                // --port: the daemon's webhook/status/metrics port (0 = any)
  double boot_seconds = 30;    // --boot-time
  int max_runners = 50;        // --max-runners
  bool quiet = false;          // --quiet: no live line, only the report
  // --linger: seconds the daemon stays up after the report so the dashboard can be looked
  // at; negative = the default (600 when stdin is a terminal, else 0: nothing waits for Enter).
  double linger_seconds = -1;
  // Webhook delivery faults, as GitHub sometimes shows them: --drop --duplicate --reorder
  // (probabilities). Dropped deliveries are recovered by the daemon's sweep.
  double drop = 0.0, duplicate = 0.0, reorder = 0.0;
  // --demand webhook|scale_set: how the daemon learns of jobs. scale_set: a fake Actions
  // service assigns them to the pool's scale set, no webhook endpoint is configured.
  std::string demand = "webhook";
  // scale_set faults: --lose-sessions N (the service forgets the session N times, spread
  // over the run), --unacked N (N acknowledgements fail, so those messages come again).
  int lose_sessions = 0;
  int unacked = 0;
};
int run_sandbox(const SandboxOptions& options);

}  // namespace ghscale::app
