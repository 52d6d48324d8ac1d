// Workloads for the sandbox and the simulator: which jobs arrive when, with which runs-on
// labels and how long each runs. Two sources: a seeded synthetic generator (a daily cycle,
// bursts, a label mix, log-normal durations with a long tail; or runs that fan out through
// `needs:`) and a CSV file of the form `queued_at,labels,duration_s[,repo[,run,job,needs]]`,
// so users can replay their own history.
// Pure functions of their inputs; no clock, no I/O except the file helpers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/labels.h"

namespace ghscale::sandbox {

using namespace std::chrono_literals;

struct WorkloadJob {
  Duration queued_at{0};  // since the workload's start
  LabelSet labels;        // runs-on
  Duration duration{0};   // how long the job runs once a runner has it
  std::string repo = "acme/app";
  // A workload-local run number: jobs with the same number > 0 belong to one workflow run
  // (one run id at GitHub); 0 = a run of its own.
  std::int64_t run = 0;
  // Indexes of earlier jobs of the same run that must complete with success before this
  // one is queued, as `needs:` does; queued_at is then the earliest time it may be queued
  // (normally the run's start), and its wait counts from when it really was queued.
  std::vector<std::size_t> needs = {};
};

// Jobs in order of queued_at (stable for equal times), a job's needs before it.
struct Workload {
  std::vector<WorkloadJob> jobs;
  Duration span() const { return jobs.empty() ? Duration{0} : jobs.back().queued_at; }
};

struct LabelShare {
  LabelSet labels;
  double weight = 1.0;
};

// kIndependent: every job its own run. kDag: runs that fan out, each one build job, then
// a matrix of tests that need it, then sometimes a deploy that needs every test.
enum class WorkloadShape { kIndependent, kDag };

struct SyntheticOptions {
  WorkloadShape shape = WorkloadShape::kIndependent;
  std::uint64_t seed = 42;
  Duration length = 24h;
  double jobs_per_day = 24000;  // expected total over 24 h, scaled by length
  // Daily cycle: the arrival rate at the quietest hour as a share of the busiest.
  double trough_ratio = 0.2;
  int peak_hour = 14;  // hour of the day (from the start) with the highest rate
  // Bursts: a push that fans out into a matrix. This share of the jobs arrives in bursts
  // of about burst_size jobs within burst_spread.
  double burst_share = 0.3;
  int burst_size = 20;
  Duration burst_spread = 20s;
  // Log-normal durations: median and sigma of the underlying normal (1.0: p99 ≈ 10× median).
  Duration median_duration = 5min;
  double duration_sigma = 1.0;
  Duration min_duration = 10s;
  Duration max_duration = 6h;
  std::vector<LabelShare> label_mix = {
      {LabelSet{"self-hosted", "linux", "x64"}, 0.75},
      {LabelSet{"self-hosted", "linux"}, 0.20},
      {LabelSet{"self-hosted"}, 0.05},
  };
  std::vector<std::string> repos = {"acme/app", "acme/api", "acme/web", "acme/infra"};
  // kDag: jobs_per_day counts jobs (runs arrive at jobs_per_day / jobs per run on average).
  // burst_share of the runs arrive in bursts of pushes of about dag_push_burst runs within
  // burst_spread. Tests use median_duration; build and deploy their own medians.
  int dag_matrix_min = 3;
  int dag_matrix_max = 20;
  double dag_deploy_share = 0.5;  // runs that end with a deploy job
  int dag_push_burst = 4;
  Duration dag_build_median = 4min;
  Duration dag_deploy_median = 2min;
};

// "day" or "dag"; nullopt for anything else.
std::optional<WorkloadShape> parse_workload_shape(std::string_view name);

// The same options and seed always give the same workload.
Workload generate_synthetic(const SyntheticOptions& options);

// Puts jobs whose needs are given as indexes into `workload.jobs` in workload order: a
// job's queued_at is raised to its needs' (it cannot be queued before them), jobs are
// sorted by queued_at with needs first, and needs are renumbered. kInvalid when a need is
// out of range, itself, of another run (or of no run), or the needs form a cycle; then
// *culprit (when given) is the index of the job at fault.
Status order_workload(Workload& workload, std::size_t* culprit = nullptr);

// CSV: an optional header line `queued_at,labels,duration_s,repo[,run,job,needs]`; blank
// lines and lines starting with '#' are skipped. queued_at is seconds since the start
// (decimals allowed) or an RFC 3339 time (then the earliest one is the start); labels are
// separated by ';' (or ',' inside a double-quoted field); duration_s is seconds > 0; repo
// is optional. Structure, also optional: run is an integer >= 1 shared by the jobs of one
// workflow run (empty or 0: a run of its own, as in 3- and 4-column files); job names the
// job within its run (unique there; no ';'); needs lists, ';'-separated, the job names of
// the same run that must succeed first (they may appear before or after it in the file).
// A job with needs is queued when they complete, at queued_at at the earliest.
// Errors are kInvalid "SOURCE:LINE: what is wrong"; the first bad line stops parsing.
Result<Workload> parse_workload_csv(std::string_view text, std::string_view source_name);
Result<Workload> read_workload_csv(const std::string& path);
// Four columns when every job is a run of its own; else seven, the jobs of a run named
// j0, j1, ... in workload order.
std::string format_workload_csv(const Workload& workload);

// The user's CSV when a path is given, else the synthetic workload of `synthetic`.
Result<Workload> load_workload(const std::string& csv_path, const SyntheticOptions& synthetic);

}  // namespace ghscale::sandbox
