// Workloads for the sandbox and the simulator: which jobs arrive when, with which runs-on
// labels and how long each runs. Two sources: a seeded synthetic generator (a daily cycle,
// bursts, a label mix, log-normal durations with a long tail) and a CSV file of the form
// `queued_at,labels,duration_s[,repo]`, so users can replay their own history.
// Pure functions of their inputs; no clock, no I/O except the file helpers.
#pragma once

#include <cstdint>
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
};

// Jobs in order of queued_at (stable for equal times).
struct Workload {
  std::vector<WorkloadJob> jobs;
  Duration span() const { return jobs.empty() ? Duration{0} : jobs.back().queued_at; }
};

struct LabelShare {
  LabelSet labels;
  double weight = 1.0;
};

struct SyntheticOptions {
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
};

// The same options and seed always give the same workload.
Workload generate_synthetic(const SyntheticOptions& options);

// CSV: an optional header line `queued_at,labels,duration_s,repo`; blank lines and lines
// starting with '#' are skipped. queued_at is seconds since the start (decimals allowed)
// or an RFC 3339 time (then the earliest one is the start); labels are separated by ';'
// (or ',' inside a double-quoted field); duration_s is seconds > 0; repo is optional.
// Errors are kInvalid "SOURCE:LINE: what is wrong"; the first bad line stops parsing.
Result<Workload> parse_workload_csv(std::string_view text, std::string_view source_name);
Result<Workload> read_workload_csv(const std::string& path);
std::string format_workload_csv(const Workload& workload);
Status write_workload_csv(const Workload& workload, const std::string& path);

// The user's CSV when a path is given, else the synthetic workload of `synthetic`.
Result<Workload> load_workload(const std::string& csv_path, const SyntheticOptions& synthetic);

}  // namespace ghscale::sandbox
