// `ghscale workload export`: a repository's or organisation's recent jobs, read from
// GitHub's API, as the workload CSV (`queued_at,labels,duration_s,repo,run,job,needs`)
// that `ghscale simulate --workload` and `ghscale sandbox --workload` replay. Jobs keep
// their workflow run; `needs:` is inferred from the times (see export_workload).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "github/github_api.h"
#include "sandbox/workload.h"

namespace ghscale::app {

struct WorkloadExportOptions {
  std::string config_path;      // --config: the github section (api_url, auth)
  std::string repo;             // --repo OWNER/NAME ...
  std::string org;              // ... or --org ORG (every repository of it)
  int days = 7;                 // --days 1..90: jobs of runs created this long ago until now
  std::string output;           // --output FILE; empty = stdout
  bool include_failed = false;  // --include-failed: keep failed, cancelled, timed-out jobs
};
int run_workload_export(const WorkloadExportOptions& options);

// What was read and why jobs were left out, for the closing line on stderr.
struct ExportCounts {
  std::int64_t repos = 0;
  std::int64_t runs = 0;
  std::int64_t jobs = 0;
  std::int64_t written = 0;
  std::int64_t not_completed = 0;  // queued or still running
  std::int64_t failed = 0;         // failure, cancelled, timed_out without --include-failed
  std::int64_t never_ran = 0;      // skipped, or no runner / no times / no labels
};

struct ExportedWorkload {
  sandbox::Workload workload;  // queued_at relative to the earliest job kept; runs numbered 1..N
  ExportCounts counts;
};

// Reads the runs created in [from, to] of each repository and their jobs. The first
// GitHub error stops it (no partial history is returned). A job created within 30 s after
// another job of its run completed needs every job of the run completed by then (GitHub
// queues a job when its needs are done): it is then queued with the run's first job at
// the earliest and, in the replay, when those needs are done.
Result<ExportedWorkload> export_workload(github::GitHubApi& api, const std::vector<std::string>& repos, TimePoint from,
                                         TimePoint to, bool include_failed);

}  // namespace ghscale::app
