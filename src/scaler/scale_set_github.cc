#include "scaler/scale_set_github.h"

namespace ghscale::scaler {
namespace {

class ScaleSetGitHub final : public github::GitHubApi {
 public:
  ScaleSetGitHub(std::shared_ptr<github::GitHubApi> inner, std::vector<std::shared_ptr<ScaleSetListener>> listeners)
      : inner_(std::move(inner)), listeners_(std::move(listeners)) {}

  Result<github::JitConfig> generate_jit_config(const github::Scope& scope,
                                                const github::JitConfigRequest& request) override {
    const LabelSet labels(request.labels);
    for (const auto& l : listeners_) {
      const config::PoolConfig& pool = l->pool();
      if (github_scope_of(pool.scope) == scope && pool.labels == labels) return l->jit_config(request.name);
    }
    return inner_->generate_jit_config(scope, request);
  }

  Result<std::vector<github::Runner>> list_runners(const github::Scope& scope) override {
    return inner_->list_runners(scope);
  }
  Result<github::Runner> get_runner(const github::Scope& scope, std::int64_t runner_id) override {
    return inner_->get_runner(scope, runner_id);
  }
  Status delete_runner(const github::Scope& scope, std::int64_t runner_id) override {
    return inner_->delete_runner(scope, runner_id);
  }
  Result<github::Token> registration_token(const github::Scope& scope) override {
    return inner_->registration_token(scope);
  }
  Result<github::Token> remove_token(const github::Scope& scope) override { return inner_->remove_token(scope); }
  Result<std::vector<github::RunnerGroup>> list_runner_groups(const github::Scope& scope) override {
    return inner_->list_runner_groups(scope);
  }
  Result<github::WorkflowJob> get_job(std::string_view repo, std::int64_t job_id) override {
    return inner_->get_job(repo, job_id);
  }
  Result<std::vector<github::WorkflowRun>> list_queued_runs(std::string_view repo) override {
    return inner_->list_queued_runs(repo);
  }
  Result<std::vector<github::WorkflowJob>> list_run_jobs(std::string_view repo, std::int64_t run_id) override {
    return inner_->list_run_jobs(repo, run_id);
  }
  Result<std::vector<github::WorkflowRun>> list_runs_created(std::string_view repo, TimePoint from,
                                                             TimePoint to) override {
    return inner_->list_runs_created(repo, from, to);
  }
  Result<std::vector<std::string>> list_org_repos(std::string_view org) override { return inner_->list_org_repos(org); }
  Result<std::vector<github::HookDelivery>> list_failed_deliveries(TimePoint since) override {
    return inner_->list_failed_deliveries(since);
  }
  Status redeliver(std::int64_t delivery_id) override { return inner_->redeliver(delivery_id); }
  Result<std::vector<github::RateLimitBucket>> rate_limit() override { return inner_->rate_limit(); }
  Result<github::Identity> whoami() override { return inner_->whoami(); }

 private:
  const std::shared_ptr<github::GitHubApi> inner_;
  const std::vector<std::shared_ptr<ScaleSetListener>> listeners_;
};

}  // namespace

github::Scope github_scope_of(const config::PoolScope& scope) {
  github::Scope out;
  out.name = scope.name;
  switch (scope.kind) {
    case config::PoolScope::Kind::kOrg:
      out.kind = github::Scope::Kind::kOrg;
      break;
    case config::PoolScope::Kind::kRepo:
      out.kind = github::Scope::Kind::kRepo;
      break;
    case config::PoolScope::Kind::kEnterprise:
      out.kind = github::Scope::Kind::kEnterprise;
      break;
  }
  return out;
}

std::shared_ptr<github::GitHubApi> route_scale_set_runners(std::shared_ptr<github::GitHubApi> inner,
                                                           std::vector<std::shared_ptr<ScaleSetListener>> listeners) {
  if (listeners.empty()) return inner;
  return std::make_shared<ScaleSetGitHub>(std::move(inner), std::move(listeners));
}

}  // namespace ghscale::scaler
