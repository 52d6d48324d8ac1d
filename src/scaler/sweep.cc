// The sweep: what a lost webhook would have told us, asked of GitHub directly. Queued jobs
// the store never heard of are recorded as JobEvents (so the next plan serves them), and
// jobs the store still thinks queued or running are checked and moved forward.
#include <algorithm>
#include <set>

#include "core/log.h"
#include "scaler/reconciler.h"

namespace ghscale::scaler {
namespace {

// A known run is listed on one sweep in this many (its id picks which), so every known
// run is looked at within this many sweeps, at a bounded cost per sweep.
constexpr std::int64_t kKnownRunStride = 4;

JobEvent event_from(const github::WorkflowJob& job, const std::string& repo, TimePoint now) {
  JobEvent e;
  e.event = "workflow_job";
  auto status = parse_job_status(job.status);
  // GitHub's "requested"/"pending" are not yet queued; treat them as waiting.
  e.status = status.value_or(JobStatus::kWaiting);
  e.action = std::string(to_string(e.status));
  e.delivery_id = "sweep:" + std::to_string(job.id) + ":" + e.action;
  e.job_id = job.id;
  e.run_id = job.run_id;
  e.repository = repo;
  e.owner = repo.substr(0, repo.find('/'));
  e.labels = LabelSet(job.labels);
  e.conclusion = job.conclusion;
  e.runner_id = job.runner_id;
  e.runner_name = job.runner_name;
  e.runner_group_id = job.runner_group_id;
  e.runner_group_name = job.runner_group_name;
  e.workflow_name = job.workflow_name;
  e.job_name = job.name;
  e.created_at = job.created_at;
  e.received_at = now;
  return e;
}

}  // namespace

bool Reconciler::routes_to_scale_set(const std::vector<std::string>& labels) const {
  const LabelSet set(labels);
  for (const auto& b : options_.pools) {
    if (pool_takes(b.config, set)) return b.config.demand == config::Demand::kScaleSet;
  }
  return false;
}

std::set<std::string> Reconciler::repos_to_sweep(PassReport& report) {
  std::set<std::string> repos(options_.sweep_repos.begin(), options_.sweep_repos.end());
  for (const auto& b : options_.pools) {
    if (b.config.scope.kind == config::PoolScope::Kind::kRepo) repos.insert(b.config.scope.name);
  }
  store::JobFilter recent;
  recent.limit = 1000;
  auto known = options_.store->list_jobs(recent);
  if (known.ok()) {
    for (const auto& j : *known) {
      if (!j.repository.empty()) repos.insert(j.repository);
    }
  }
  // An org pool's jobs may come from any repository of the org, including ones no webhook
  // ever reached us from (the very case the sweep exists for). GitHub has no org-wide
  // queued-jobs call, so list the org's repositories; beyond max_sweep_repos, take a
  // different slice each sweep so every repository is visited in turn.
  std::set<std::string> orgs;
  for (const auto& b : options_.pools) {
    if (b.config.scope.kind == config::PoolScope::Kind::kOrg) orgs.insert(b.config.scope.name);
  }
  for (const auto& org : orgs) {
    auto listed = options_.github->list_org_repos(org);
    if (!listed.ok()) {
      // kInvalid: a GitHub client without the call (tests' fakes); nothing to count.
      if (listed.error().kind == ErrorKind::kInvalid) continue;
      if (listed.error().kind != ErrorKind::kThrottled) ++report.errors;
      log::warn("sweep: cannot list the organisation's repositories", {{"org", org}, {"error", listed.error().describe()}});
      continue;
    }
    std::vector<std::string> extra;
    for (auto& r : *listed) {
      if (repos.count(r) == 0) extra.push_back(std::move(r));
    }
    const std::size_t room =
        repos.size() >= options_.max_sweep_repos ? 0 : options_.max_sweep_repos - repos.size();
    if (extra.size() <= room) {
      repos.insert(extra.begin(), extra.end());
      continue;
    }
    for (std::size_t i = 0; i < room; ++i) repos.insert(extra[(sweep_cursor_ + i) % extra.size()]);
    sweep_cursor_ = (sweep_cursor_ + room) % extra.size();
  }
  return repos;
}

// At the last pass, every pool had all its instances busy or booting (none idle), and
// busy + demand at or above max_runners. A scale-set pool never counts as saturated: its
// demand is what GitHub assigned to its scale set, which GitHub holds at max_runners, and
// the sweep's look at the REST copies of those jobs is kept as it was.
bool Reconciler::pools_saturated() const {
  std::lock_guard lock(status_mu_);
  if (status_.pools.empty()) return false;
  for (std::size_t i = 0; i < status_.pools.size() && i < options_.pools.size(); ++i) {
    const config::PoolConfig& pool = options_.pools[i].config;
    const PoolCounts& c = status_.pools[i].counts;
    if (pool.demand == config::Demand::kScaleSet || !status_.pools[i].observed_at || c.idle > 0 ||
        c.busy + c.demand < pool.max_runners) {
      return false;
    }
  }
  return true;
}

int Reconciler::sweep(PassReport& report, const std::set<std::string>& busy_runners) {
  std::lock_guard sweeping(sweep_mu_);
  const TimePoint now = options_.clock->now();
  ++sweep_count_;
  // Every pool busy to its cap with more jobs waiting than the cap can take: a queued job
  // the listing could find, or a stale one it could clear, would change no launch, and
  // with a queue of thousands the lists cost calls every sweep for as long as it lasts
  // (most of the sweep's calls, and GitHub pages them by 100). So the sweep checks only the
  // running jobs then; it lists again once a pool has room. A stale queued job cannot keep
  // it from getting room: the instance it would hold finds no job and idles.
  const bool saturated = pools_saturated();
  const std::set<std::string> repos = saturated ? std::set<std::string>{} : repos_to_sweep(report);
  // Runs the store already has a queued or running job of. Their jobs are known from the
  // webhooks, so listing them would cost a call per run on every sweep while a backlog
  // lasts; only a few of them are checked per sweep (in turn), for a sibling job whose
  // delivery was lost. Runs the store knows nothing of are all listed.
  std::vector<std::int64_t> known_runs;  // ascending; not read when nothing is listed
  if (!saturated) {
    if (auto runs = options_.store->active_run_ids(options_.max_jobs); runs.ok()) known_runs = std::move(*runs);
  }
  auto known_run = [&](std::int64_t run) { return std::binary_search(known_runs.begin(), known_runs.end(), run); };
  int known_run_checks = 0;

  int recorded = 0;
  std::set<std::int64_t> queued_at_github;
  std::set<std::int64_t> queued_runs_at_github;
  std::set<std::string> swept_repos;
  auto record = [&](const JobEvent& e) {
    auto r = options_.store->record(e);
    if (!r.ok()) {
      ++report.errors;
      log::warn("sweep: cannot record job", {{"job_id", e.job_id}, {"error", r.error().describe()}});
    } else if (*r == store::RecordOutcome::kRecorded) {
      ++recorded;
      log::info("sweep: recorded a job no webhook told us of", {{"job_id", e.job_id}, {"repository", e.repository}, {"status", e.action}});
    }
  };
  for (const auto& repo : repos) {
    if (stop_requested_) break;
    auto runs = options_.github->list_queued_runs(repo);
    if (!runs.ok()) {
      if (runs.error().kind == ErrorKind::kThrottled) {
        log::info("sweep deferred: GitHub quota below the reserve", {{"repository", repo}});
        break;
      }
      ++report.errors;
      log::warn("sweep: cannot list queued runs", {{"repository", repo}, {"error", runs.error().describe()}});
      continue;
    }
    swept_repos.insert(repo);
    for (const auto& run : *runs) {
      if (stop_requested_) break;
      queued_runs_at_github.insert(run.id);
      if (known_run(run.id)) {
        // In turn: a different slice of the known runs each sweep.
        if (known_run_checks >= options_.max_sweep_known_runs ||
            (run.id + static_cast<std::int64_t>(sweep_count_)) % kKnownRunStride != 0) {
          continue;
        }
        ++known_run_checks;
      }
      auto jobs = options_.github->list_run_jobs(repo, run.id);
      if (!jobs.ok()) {
        ++report.errors;
        continue;
      }
      for (const auto& job : *jobs) {
        if (job.status != "queued") continue;
        queued_at_github.insert(job.id);
        auto have = options_.store->get_job(job.id);
        if (have.ok() && have->status >= JobStatus::kQueued) continue;
        // A job a scale-set pool would take is its listener's to record, under the id of
        // its assignment: recorded here too, it would be demand twice.
        if (routes_to_scale_set(job.labels)) continue;
        record(event_from(job, repo, now));
      }
    }
  }

  // Jobs the store thinks queued (or running) that GitHub no longer lists as queued: a
  // lost in_progress/completed webhook would otherwise hold capacity for them forever.
  // A running job whose runner GitHub listed busy at the sweep pass is running indeed: no
  // call for it.
  // The store has every workflow_job of the hook's scope, GitHub-hosted ones too. A queued
  // job no pool takes, or one running on a runner not ours, holds no capacity: it is
  // looked at only once its last word is an hour old, a few a sweep, so that a lost
  // delivery does not keep it in the store for ever (checking every one cost a call per
  // hosted job on every sweep). The running ones are listed whole, as the reconciler
  // reads them each pass: newest first, ours would otherwise be cut behind hosted ones.
  constexpr Duration kForeignAge = std::chrono::hours(1);
  constexpr int kForeignChecks = 10;
  auto ours = [&](const Job& j, JobStatus st) {
    for (const auto& b : options_.pools) {
      if (st == JobStatus::kQueued ? pool_takes(b.config, j.labels) : !instance_of_runner(b.config.name, j.runner_name).empty()) {
        return true;
      }
    }
    return false;
  };
  int checks = 0, foreign_checks = 0;
  for (JobStatus st : {JobStatus::kQueued, JobStatus::kInProgress}) {
    if (saturated && st == JobStatus::kQueued) continue;
    store::JobFilter f;
    f.status = st;
    f.limit = st == JobStatus::kInProgress ? options_.max_jobs : static_cast<std::size_t>(options_.max_sweep_job_checks);
    auto jobs = options_.store->list_jobs(f);
    if (!jobs.ok()) continue;
    for (const auto& j : *jobs) {
      if (checks >= options_.max_sweep_job_checks || stop_requested_) break;
      if ((!saturated && swept_repos.count(j.repository) == 0) || queued_at_github.count(j.job_id) != 0 || from_scale_set(j)) continue;
      // Its run is still queued at GitHub, so the job most likely is too.
      if (st == JobStatus::kQueued && queued_runs_at_github.count(j.run_id) != 0) continue;
      if (st == JobStatus::kInProgress && busy_runners.count(j.runner_name) != 0) continue;
      if (!ours(j, st)) {
        if (now - j.received_at < kForeignAge || foreign_checks >= kForeignChecks) continue;
        ++foreign_checks;
      }
      ++checks;
      auto gh = options_.github->get_job(j.repository, j.job_id);
      if (!gh.ok()) continue;
      auto status = parse_job_status(gh->status);
      if (status && *status > j.status) record(event_from(*gh, j.repository, now));
    }
  }
  return recorded;
}

}  // namespace ghscale::scaler

namespace ghscale::scaler {

PassReport Reconciler::verify_held_jobs() {
  PassReport report;
  const TimePoint now = options_.clock->now();
  {
    std::lock_guard lock(status_mu_);
    if (!lease_expires_ || now >= *lease_expires_) return report;
  }
  report.acted = true;
  std::vector<std::int64_t> ids;
  {
    std::lock_guard lock(held_mu_);
    for (auto it = to_confirm_.begin(); it != to_confirm_.end() && static_cast<int>(ids.size()) < options_.max_sweep_job_checks; ++it) {
      ids.push_back(*it);
    }
  }
  auto done = [this](std::int64_t id, bool unknown) {
    std::lock_guard lock(held_mu_);
    to_confirm_.erase(id);
    if (!unknown) return;
    if (unknown_at_github_.size() >= 10000) unknown_at_github_.erase(unknown_at_github_.begin());
    unknown_at_github_.insert(id);
  };
  for (std::int64_t id : ids) {
    if (stop_requested_) break;
    auto job = options_.store->get_job(id);
    if (!job.ok() || job->status != JobStatus::kQueued) {  // forgotten, or moved on by a webhook meanwhile
      done(id, false);
      continue;
    }
    auto gh = options_.github->get_job(job->repository, id);
    if (!gh.ok()) {
      if (gh.error().kind == ErrorKind::kNotFound) {
        done(id, true);
        log::warn("a queued delivery names a job GitHub does not know; ignoring it (a replayed or forged delivery?)",
                  {{"job_id", id}, {"repository", job->repository}, {"delivery", job->delivery_id}});
      } else {
        ++report.errors;  // asked again next time
      }
      continue;
    }
    JobEvent e = event_from(*gh, job->repository, now);
    e.delivery_id = "verify:" + std::to_string(id) + ":" + e.action + ":" + std::to_string(to_unix_ms(now));
    auto r = options_.store->record(e);
    if (!r.ok()) {
      ++report.errors;
      continue;
    }
    done(id, false);
    ++report.verified;
    log::info(e.status == JobStatus::kQueued ? "GitHub confirms a late queued delivery; launching for it"
                                             : "a late queued delivery is stale; GitHub has the job further on",
              {{"job_id", id}, {"repository", job->repository}, {"status", std::string(to_string(e.status))}});
  }
  return report;
}

}  // namespace ghscale::scaler
