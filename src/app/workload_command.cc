#include "app/workload_command.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "app/atomic_output.h"
#include "app/exit_codes.h"
#include "config/loader.h"
#include "core/version.h"
#include "github/auth.h"
#include "github/rest_client.h"
#include "http/client.h"

namespace ghscale::app {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

constexpr int kMaxDays = 90;  // GitHub keeps workflow run history for 90 days by default
constexpr std::string_view kCommand = "ghscale workload export";

int usage(const std::string& message) {
  std::cerr << kCommand << ": " << message << "\n";
  return kExitUsage;
}

bool valid_repo(std::string_view repo) {
  const auto slash = repo.find('/');
  return slash != std::string_view::npos && slash > 0 && slash + 1 < repo.size() &&
         repo.find('/', slash + 1) == std::string_view::npos;
}

// A job that never occupied a runner has nothing to replay: skipped by a condition,
// cancelled before a runner took it, or without the times or labels a row needs.
bool ran_on_a_runner(const github::WorkflowJob& j) {
  if (j.conclusion == "skipped" || j.conclusion == "action_required") return false;
  if (j.runner_id == 0 && j.runner_name.empty()) return false;
  return j.created_at && j.started_at && j.completed_at && *j.completed_at >= *j.started_at && !j.labels.empty();
}

// GitHub creates a job that `needs:` others when the last of them completes. So a kept
// job created at most kNeedsGap after a job of its run completed is taken to need every
// job of the run that had completed by then, and to be queued with the run's first job
// at the earliest (the replay queues it when those needs are done). `rows` from
// `first` on are the kept jobs of one run; they get run number `run`.
constexpr Duration kNeedsGap = std::chrono::seconds(30);

// Strictly created before, too: a need is always older, so needs never form a cycle.
template <typename Row>
bool done_before(const Row& a, const Row& b) {
  return a.created < b.created && a.completed <= b.created;
}

template <typename Row>
void infer_needs(std::vector<Row>& rows, std::size_t first, std::int64_t run) {
  TimePoint run_start = rows[first].created;
  for (std::size_t i = first; i < rows.size(); ++i) run_start = std::min(run_start, rows[i].created);
  for (std::size_t i = first; i < rows.size(); ++i) {
    Row& b = rows[i];
    b.job.run = run;
    std::optional<TimePoint> last_done;
    for (std::size_t k = first; k < rows.size(); ++k) {
      if (k != i && done_before(rows[k], b) && (!last_done || rows[k].completed > *last_done)) last_done = rows[k].completed;
    }
    if (!last_done || b.created - *last_done > kNeedsGap) continue;
    for (std::size_t k = first; k < rows.size(); ++k) {
      if (k != i && done_before(rows[k], b)) b.job.needs.push_back(k);
    }
    b.created = run_start;
  }
}

}  // namespace

Result<ExportedWorkload> export_workload(github::GitHubApi& api, const std::vector<std::string>& repos, TimePoint from,
                                         TimePoint to, bool include_failed) {
  struct Row {
    TimePoint created;
    TimePoint completed;
    sandbox::WorkloadJob job;  // needs: indexes into rows
  };
  std::vector<Row> rows;
  ExportCounts counts;
  std::int64_t run_number = 0;
  for (const auto& repo : repos) {
    ++counts.repos;
    auto runs = api.list_runs_created(repo, from, to);
    if (!runs) return std::move(runs).error();
    for (const auto& run : *runs) {
      ++counts.runs;
      auto jobs = api.list_run_jobs(repo, run.id);
      if (!jobs) return std::move(jobs).error();
      const std::size_t first_row = rows.size();
      for (const auto& j : *jobs) {
        ++counts.jobs;
        if (j.status != "completed") {
          ++counts.not_completed;
          continue;
        }
        if (!ran_on_a_runner(j)) {
          ++counts.never_ran;
          continue;
        }
        const bool succeeded = j.conclusion == "success" || j.conclusion == "neutral";
        if (!succeeded && !include_failed) {
          ++counts.failed;
          continue;
        }
        Row row{*j.created_at, *j.completed_at, {}};
        row.job.labels = LabelSet(j.labels);
        // The CSV needs a duration > 0; GitHub's times have whole seconds.
        row.job.duration = std::max<Duration>(*j.completed_at - *j.started_at, seconds(1));
        row.job.repo = repo;
        rows.push_back(std::move(row));
      }
      if (rows.size() > first_row) infer_needs(rows, first_row, ++run_number);
    }
  }
  ExportedWorkload out;
  out.counts = counts;
  if (rows.empty()) return out;
  const TimePoint start = std::min_element(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
                            return a.created < b.created;
                          })->created;
  out.workload.jobs.reserve(rows.size());
  for (auto& r : rows) {
    r.job.queued_at = r.created - start;
    out.workload.jobs.push_back(std::move(r.job));
  }
  // Sorted by queued_at, needs first; the needs built above cannot be rejected.
  if (auto st = sandbox::order_workload(out.workload); !st.ok()) return std::move(st).error();
  out.counts.written = static_cast<std::int64_t>(out.workload.jobs.size());
  return out;
}

int run_workload_export(const WorkloadExportOptions& o) {
  if (o.repo.empty() == o.org.empty()) return usage("give exactly one of --repo OWNER/NAME or --org ORG");
  if (!o.repo.empty() && !valid_repo(o.repo)) return usage("--repo must be OWNER/NAME, got '" + o.repo + "'");
  if (!o.org.empty() && o.org.find('/') != std::string::npos) return usage("--org takes an organisation name, got '" + o.org + "'");
  if (o.days < 1 || o.days > kMaxDays) {
    return usage("--days must be between 1 and " + std::to_string(kMaxDays) + ", got " + std::to_string(o.days));
  }
  AtomicOutput file;
  if (!o.output.empty()) {
    if (auto problem = file.open(o.output)) return usage(*problem);
  }

  auto loaded = config::load_config_file(o.config_path);
  if (!loaded.ok()) {
    std::cerr << config::format_all(loaded.errors);
    return kExitUsage;
  }
  const config::Config& cfg = *loaded.config;
  auto credentials = github::resolve_credentials(cfg.github.auth);
  if (!credentials) {
    std::cerr << kCommand << ": " << credentials.error().message << "\n";
    return kExitFailure;
  }
  github::RestClientOptions options;
  options.api_url = cfg.github.api_url;
  options.rate_limit_reserve = cfg.github.rate_limit_reserve;
  auto client = github::RestClient::create(options, std::move(*credentials),
                                           http::make_curl_client({.user_agent = "ghscale/" + std::string(kVersion)}));
  if (!client) {
    std::cerr << kCommand << ": " << client.error().message << "\n";
    return kExitFailure;
  }

  std::vector<std::string> repos;
  if (!o.repo.empty()) {
    repos.push_back(o.repo);
  } else {
    auto listed = (*client)->list_org_repos(o.org);
    if (!listed) {
      std::cerr << kCommand << ": " << listed.error().message << "\n";
      return kExitFailure;
    }
    repos = std::move(*listed);
  }
  const TimePoint to = system_clock()->now();
  const TimePoint from = to - std::chrono::hours(24) * o.days;
  auto exported = export_workload(**client, repos, from, to, o.include_failed);
  if (!exported) {
    std::cerr << kCommand << ": " << exported.error().message << " (nothing written)\n";
    return kExitFailure;
  }

  const std::string csv = sandbox::format_workload_csv(exported->workload);
  if (o.output.empty()) {
    std::cout << csv << std::flush;
  } else if (auto problem = file.commit(csv)) {
    std::cerr << kCommand << ": " << *problem << "\n";
    return kExitFailure;
  }
  const ExportCounts& c = exported->counts;
  std::cerr << kCommand << ": read " << c.runs << " runs and " << c.jobs << " jobs of " << c.repos
            << (c.repos == 1 ? " repository" : " repositories") << " (last " << o.days << " days); wrote " << c.written
            << " jobs to " << (o.output.empty() ? std::string("stdout") : o.output) << "; skipped " << c.not_completed
            << " not completed, " << c.failed << " failed or cancelled"
            << (o.include_failed ? "" : " (--include-failed keeps them)") << ", " << c.never_ran
            << " that never ran on a runner\n";
  return kExitOk;
}

}  // namespace ghscale::app
