#include "app/failed_calls.h"

#include "core/log.h"

namespace ghscale::app {
namespace {

// Passes each call through, noting the ones that fail.
class Watch {
 public:
  Watch(std::string pool, std::shared_ptr<FailedCalls> failed) : pool_(std::move(pool)), failed_(std::move(failed)) {}

  template <typename R>
  R note(const char* call, R result) {
    if (!result.ok()) failed_->add({pool_, call, log::redact(result.error().describe())});
    return result;
  }

 private:
  std::string pool_;
  std::shared_ptr<FailedCalls> failed_;
};

class WatchedProvider final : public provider::Provider {
 public:
  WatchedProvider(std::string pool, std::shared_ptr<provider::Provider> inner, std::shared_ptr<FailedCalls> failed)
      : inner_(std::move(inner)), watch_(std::move(pool), std::move(failed)) {}
  Result<std::vector<provider::CloudInstance>> describe(std::string_view pool) override {
    return watch_.note("describe", inner_->describe(pool));
  }
  Result<provider::LaunchOutcome> launch(const provider::LaunchRequest& request) override {
    return watch_.note("launch", inner_->launch(request));
  }
  Status terminate(const std::vector<std::string>& ids) override {
    return watch_.note("terminate", inner_->terminate(ids));
  }
  Status protect(const std::vector<std::string>& ids, bool enabled) override {
    return watch_.note("protect", inner_->protect(ids, enabled));
  }
  Status hand_over(std::string_view id, const provider::Registration& registration) override {
    return watch_.note("hand_over", inner_->hand_over(id, registration));
  }

 private:
  std::shared_ptr<provider::Provider> inner_;
  Watch watch_;
};

class WatchedGitHub final : public github::GitHubApi {
 public:
  WatchedGitHub(std::shared_ptr<github::GitHubApi> inner, std::shared_ptr<FailedCalls> failed)
      : inner_(std::move(inner)), watch_("", std::move(failed)) {}
  Result<std::vector<github::Runner>> list_runners(const github::Scope& s) override {
    return watch_.note("GitHub list_runners", inner_->list_runners(s));
  }
  Result<github::Runner> get_runner(const github::Scope& s, std::int64_t id) override {
    return watch_.note("GitHub get_runner", inner_->get_runner(s, id));
  }
  Status delete_runner(const github::Scope& s, std::int64_t id) override {
    return watch_.note("GitHub delete_runner", inner_->delete_runner(s, id));
  }
  Result<github::Token> registration_token(const github::Scope& s) override {
    return watch_.note("GitHub registration_token", inner_->registration_token(s));
  }
  Result<github::Token> remove_token(const github::Scope& s) override {
    return watch_.note("GitHub remove_token", inner_->remove_token(s));
  }
  Result<github::JitConfig> generate_jit_config(const github::Scope& s, const github::JitConfigRequest& r) override {
    return watch_.note("GitHub generate_jit_config", inner_->generate_jit_config(s, r));
  }
  Result<std::vector<github::RunnerGroup>> list_runner_groups(const github::Scope& s) override {
    return watch_.note("GitHub list_runner_groups", inner_->list_runner_groups(s));
  }
  Result<github::WorkflowJob> get_job(std::string_view repo, std::int64_t id) override {
    return watch_.note("GitHub get_job", inner_->get_job(repo, id));
  }
  Result<std::vector<github::WorkflowRun>> list_queued_runs(std::string_view repo) override {
    return watch_.note("GitHub list_queued_runs", inner_->list_queued_runs(repo));
  }
  Result<std::vector<github::WorkflowJob>> list_run_jobs(std::string_view repo, std::int64_t run) override {
    return watch_.note("GitHub list_run_jobs", inner_->list_run_jobs(repo, run));
  }
  Result<std::vector<github::WorkflowRun>> list_runs_created(std::string_view repo, TimePoint from,
                                                             TimePoint to) override {
    return watch_.note("GitHub list_runs_created", inner_->list_runs_created(repo, from, to));
  }
  Result<std::vector<std::string>> list_org_repos(std::string_view org) override {
    return watch_.note("GitHub list_org_repos", inner_->list_org_repos(org));
  }
  Result<std::vector<github::HookDelivery>> list_failed_deliveries(TimePoint since) override {
    return watch_.note("GitHub list_failed_deliveries", inner_->list_failed_deliveries(since));
  }
  Status redeliver(std::int64_t id) override { return watch_.note("GitHub redeliver", inner_->redeliver(id)); }
  Result<std::vector<github::RateLimitBucket>> rate_limit() override {
    return watch_.note("GitHub rate_limit", inner_->rate_limit());
  }
  Result<github::Identity> whoami() override { return watch_.note("GitHub whoami", inner_->whoami()); }

 private:
  std::shared_ptr<github::GitHubApi> inner_;
  Watch watch_;
};

}  // namespace

void FailedCalls::add(FailedCall call) {
  std::lock_guard lock(mu_);
  calls_.push_back(std::move(call));
}

std::vector<FailedCall> FailedCalls::take() {
  std::lock_guard lock(mu_);
  return std::exchange(calls_, {});
}

std::shared_ptr<provider::Provider> watch_provider(std::string pool, std::shared_ptr<provider::Provider> inner,
                                                   std::shared_ptr<FailedCalls> failed) {
  return std::make_shared<WatchedProvider>(std::move(pool), std::move(inner), std::move(failed));
}

std::shared_ptr<github::GitHubApi> watch_github(std::shared_ptr<github::GitHubApi> inner,
                                                std::shared_ptr<FailedCalls> failed) {
  return std::make_shared<WatchedGitHub>(std::move(inner), std::move(failed));
}

}  // namespace ghscale::app
