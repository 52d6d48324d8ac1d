#include "sandbox/sim_github_api.h"

#include <map>
#include <mutex>

namespace ghscale::sandbox {
namespace {

github::Runner to_runner(const SimRunner& r) {
  github::Runner out;
  out.id = r.id;
  out.name = r.name;
  out.os = "Linux";
  out.status = r.online ? github::RunnerStatus::kOnline : github::RunnerStatus::kOffline;
  out.busy = r.busy;
  out.labels = r.labels.items();
  return out;
}

github::WorkflowJob to_job(const SimJob& j) {
  github::WorkflowJob out;
  out.id = j.id;
  out.run_id = j.run_id;
  out.name = "build";
  out.workflow_name = "CI";
  out.status = j.completed_at ? "completed" : j.started_at ? "in_progress" : "queued";
  out.conclusion = j.completed_at ? j.conclusion : "";
  out.labels = j.labels.items();
  out.runner_name = j.runner_name;
  out.created_at = j.queued_at;
  out.started_at = j.started_at;
  out.completed_at = j.completed_at;
  return out;
}

Error unsupported(std::string_view call) {
  return make_error(ErrorKind::kInvalid, std::string(call) + ": not supported by the GitHub simulator");
}

class SimGitHubApi final : public github::GitHubApi {
 public:
  explicit SimGitHubApi(std::shared_ptr<GitHubSim> sim) : sim_(std::move(sim)) {}

  Result<std::vector<github::Runner>> list_runners(const github::Scope& scope) override {
    std::uint64_t etag;
    {
      std::lock_guard lock(mu_);
      etag = etags_[scope.path()];
    }
    std::vector<github::Runner> out;
    for (const SimRunner& r : sim_->list_runners(&etag)) out.push_back(to_runner(r));
    std::lock_guard lock(mu_);
    etags_[scope.path()] = etag;
    return out;
  }

  Result<github::Runner> get_runner(const github::Scope&, std::int64_t runner_id) override {
    for (const SimRunner& r : sim_->list_runners(nullptr)) {
      if (r.id == runner_id) return to_runner(r);
    }
    return make_error(ErrorKind::kNotFound, "get_runner: no runner " + std::to_string(runner_id));
  }

  Status delete_runner(const github::Scope&, std::int64_t runner_id) override { return sim_->delete_runner(runner_id); }

  Result<github::Token> registration_token(const github::Scope&) override {
    auto t = sim_->registration_token();
    if (!t.ok()) return t.error();
    return github::Token{*t, TimePoint{}};
  }

  Result<github::Token> remove_token(const github::Scope&) override {
    auto t = sim_->registration_token();
    if (!t.ok()) return t.error();
    return github::Token{*t, TimePoint{}};
  }

  Result<github::JitConfig> generate_jit_config(const github::Scope&, const github::JitConfigRequest& request) override {
    auto jit = sim_->generate_jit_config(request.name, LabelSet(request.labels));
    if (!jit.ok()) return jit.error();
    github::JitConfig out;
    out.runner.id = jit->runner_id;
    out.runner.name = request.name;
    out.runner.labels = request.labels;
    out.encoded_jit_config = jit->encoded_jit_config;
    return out;
  }

  Result<std::vector<github::RunnerGroup>> list_runner_groups(const github::Scope&) override {
    sim_->count_call(true);
    return std::vector<github::RunnerGroup>{{1, "Default", true, "all"}};
  }

  Result<github::WorkflowJob> get_job(std::string_view, std::int64_t job_id) override {
    auto j = sim_->get_job(job_id);
    if (!j) return make_error(ErrorKind::kNotFound, "get_job: no job " + std::to_string(job_id));
    return to_job(*j);
  }

  Result<std::vector<github::WorkflowRun>> list_queued_runs(std::string_view repo) override {
    std::vector<github::WorkflowRun> out;
    const std::string key(repo);
    std::uint64_t version = seen(runs_seen_, key);
    const auto runs = sim_->queued_runs(key, &version);
    remember(runs_seen_, key, version);
    for (std::int64_t id : runs) {
      github::WorkflowRun run;
      run.id = id;
      run.name = "CI";
      run.status = "queued";
      run.repository = std::string(repo);
      out.push_back(std::move(run));
    }
    return out;
  }

  Result<std::vector<github::WorkflowJob>> list_run_jobs(std::string_view, std::int64_t run_id) override {
    std::vector<github::WorkflowJob> out;
    std::uint64_t version = seen(jobs_seen_, run_id);
    const auto jobs = sim_->run_jobs(run_id, &version);
    remember(jobs_seen_, run_id, version);
    for (const SimJob& j : jobs) out.push_back(to_job(j));
    return out;
  }

  Result<std::vector<std::string>> list_org_repos(std::string_view) override {
    std::uint64_t version = seen(repos_seen_, std::string("orgs"));
    auto repos = sim_->repositories(&version);
    remember(repos_seen_, std::string("orgs"), version);
    return repos;
  }

  Result<std::vector<github::HookDelivery>> list_failed_deliveries(TimePoint) override {
    return unsupported("list_failed_deliveries");
  }
  Status redeliver(std::int64_t) override { return unsupported("redeliver"); }

  Result<std::vector<github::RateLimitBucket>> rate_limit() override {
    return std::vector<github::RateLimitBucket>{};  // free, as GET /rate_limit is
  }

  Result<github::Identity> whoami() override {
    github::Identity id;
    id.auth_kind = "pat";
    id.name = "GitHub simulator";
    return id;
  }

 private:
  const std::shared_ptr<GitHubSim> sim_;
  std::mutex mu_;
  std::map<std::string, std::uint64_t> etags_;  // guarded by mu_: per scope, as the REST client keeps them
  // The sweep's lists, conditional as the REST client asks them, with its cache's bound.
  static constexpr std::size_t kMaxSeen = 4096;
  std::map<std::string, std::uint64_t> runs_seen_;   // guarded by mu_: per repository
  std::map<std::int64_t, std::uint64_t> jobs_seen_;  // guarded by mu_: per run
  std::map<std::string, std::uint64_t> repos_seen_;  // guarded by mu_

  template <typename Key>
  std::uint64_t seen(std::map<Key, std::uint64_t>& versions, const Key& key) {
    std::lock_guard lock(mu_);
    auto it = versions.find(key);
    return it == versions.end() ? 0 : it->second;
  }
  template <typename Key>
  void remember(std::map<Key, std::uint64_t>& versions, const Key& key, std::uint64_t version) {
    std::lock_guard lock(mu_);
    if (versions.size() >= kMaxSeen && versions.count(key) == 0) versions.erase(versions.begin());
    versions[key] = version;
  }
};

}  // namespace

std::shared_ptr<github::GitHubApi> make_sim_github_api(std::shared_ptr<GitHubSim> sim) {
  return std::make_shared<SimGitHubApi>(std::move(sim));
}

}  // namespace ghscale::sandbox
