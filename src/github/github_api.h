// The narrow interface the scaler uses to talk to GitHub (runners, tokens, jobs, the
// lost-webhook sweep, hook redelivery, rate limits). rest_client.h implements it over
// HTTP; src/sandbox/fake_github serves the same calls in memory for tests. Thread-safe
// implementations are expected: the reconciler and the webhook path call concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "github/types.h"

namespace ghscale::github {

// Errors use the core kinds: kNotFound (404), kConflict (a busy runner, a taken name),
// kUnauthorized (401, bad or expired credentials), kThrottled (rate limit; retry_after
// says how long, or the sweep was deferred to keep the quota reserve), kInvalid (422 on
// bad input), kRetryable (5xx and transport failures after the bounded retries),
// kPermanent (anything else). Messages name the call, never a token.
class GitHubApi {
 public:
  virtual ~GitHubApi() = default;

  // All runners of a scope, every page. Conditional: unchanged pages cost no quota.
  virtual Result<std::vector<Runner>> list_runners(const Scope& scope) = 0;
  virtual Result<Runner> get_runner(const Scope& scope, std::int64_t runner_id) = 0;
  // kConflict while the runner runs a job: GitHub refuses, and that is not a failure.
  virtual Status delete_runner(const Scope& scope, std::int64_t runner_id) = 0;
  virtual Result<Token> registration_token(const Scope& scope) = 0;
  virtual Result<Token> remove_token(const Scope& scope) = 0;
  virtual Result<JitConfig> generate_jit_config(const Scope& scope, const JitConfigRequest& request) = 0;
  // Org and enterprise scopes have groups; a repository has only the Default group (id 1).
  virtual Result<std::vector<RunnerGroup>> list_runner_groups(const Scope& scope) = 0;

  virtual Result<WorkflowJob> get_job(std::string_view repo, std::int64_t job_id) = 0;
  // The sweep: non-urgent, deferred (kThrottled) when the quota is below the reserve.
  virtual Result<std::vector<WorkflowRun>> list_queued_runs(std::string_view repo) = 0;
  virtual Result<std::vector<WorkflowJob>> list_run_jobs(std::string_view repo, std::int64_t run_id) = 0;

  // History, for `ghscale workload export`; background urgency (kThrottled below the
  // reserve, so a running daemon keeps its quota). These two have a default answer,
  // kInvalid "not supported", so implementations that never read history need not care.
  // Runs of a repo created in [from, to] (second resolution), every page, each run once.
  // GitHub answers at most 1,000 runs per filtered query: a range over the cap is split
  // (into days, then a day into halves) until each part fits.
  virtual Result<std::vector<WorkflowRun>> list_runs_created(std::string_view repo, TimePoint from, TimePoint to);
  // The repositories of an organisation, as "owner/name", every page.
  virtual Result<std::vector<std::string>> list_org_repos(std::string_view org);

  // GitHub App only (kInvalid with a PAT): failed deliveries since a time, newest first.
  virtual Result<std::vector<HookDelivery>> list_failed_deliveries(TimePoint since) = 0;
  virtual Status redeliver(std::int64_t delivery_id) = 0;

  virtual Result<std::vector<RateLimitBucket>> rate_limit() = 0;
  virtual Result<Identity> whoami() = 0;
};

// The id of the runner group called `name` (case-insensitive, as GitHub compares names).
Result<std::int64_t> resolve_runner_group(GitHubApi& api, const Scope& scope, std::string_view name);

}  // namespace ghscale::github
