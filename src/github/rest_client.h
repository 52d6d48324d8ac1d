// GitHubApi over GitHub's REST API (api.github.com or GHES's https://HOST/api/v3) through
// the shared http::Client. It spends the rate-limit budget carefully: conditional
// requests for runner lists (a 304 is free), a reserve below which the sweep waits,
// Retry-After and secondary limits honoured for every caller at once, bounded jittered
// retries on 5xx, a cap on requests in flight and mutating calls one at a time.
// Thread-safe.
#pragma once

#include <atomic>

#include <functional>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/error.h"
#include "github/auth.h"
#include "github/github_api.h"
#include "github/rate_limits.h"
#include "http/client.h"

namespace ghscale::github {

using namespace std::chrono_literals;

struct RestClientOptions {
  std::string api_url = "https://api.github.com";
  int rate_limit_reserve = 500;  // below this many calls left in a bucket, the sweep waits
  int max_in_flight = 10;        // GitHub asks for no more than 100 concurrent requests
  int max_attempts = 4;          // per call, over 5xx, transport failures and told waits;
                                 // one for 30 s after a call could not reach GitHub at all
  Duration max_wait = 5min;      // a told wait longer than this returns kThrottled instead
  Duration backoff_base = 1s;    // 5xx backoff: full jitter over base * 2^attempt, capped
  Duration backoff_cap = 30s;
  std::shared_ptr<Clock> clock;          // default: the system clock
  std::function<void(Duration)> sleep;   // default: this thread sleeps; tests advance a ManualClock
  std::uint64_t jitter_seed = 0;         // 0 = seeded from the OS
  // Set to true when the process shuts down: a call then makes no further attempt and
  // waits no longer (its retries and rate-limit waits could hold a stop for minutes); it
  // ends at once as kRetryable. The request on the wire still runs to its deadline.
  std::shared_ptr<const std::atomic<bool>> stop;
};

class RestClient final : public GitHubApi {
 public:
  // kInvalid for a bad api_url or an unreadable App key. The transport is shared.
  static Result<std::unique_ptr<RestClient>> create(RestClientOptions options, Credentials credentials,
                                                    std::shared_ptr<http::Client> transport);
  ~RestClient() override;

  Result<std::vector<Runner>> list_runners(const Scope& scope) override;
  Result<Runner> get_runner(const Scope& scope, std::int64_t runner_id) override;
  Status delete_runner(const Scope& scope, std::int64_t runner_id) override;
  Result<Token> registration_token(const Scope& scope) override;
  Result<Token> remove_token(const Scope& scope) override;
  Result<JitConfig> generate_jit_config(const Scope& scope, const JitConfigRequest& request) override;
  Result<std::vector<RunnerGroup>> list_runner_groups(const Scope& scope) override;
  Result<WorkflowJob> get_job(std::string_view repo, std::int64_t job_id) override;
  Result<std::vector<WorkflowRun>> list_queued_runs(std::string_view repo) override;
  Result<std::vector<WorkflowJob>> list_run_jobs(std::string_view repo, std::int64_t run_id) override;
  Result<std::vector<WorkflowRun>> list_runs_created(std::string_view repo, TimePoint from, TimePoint to) override;
  Result<std::vector<std::string>> list_org_repos(std::string_view org) override;
  Result<std::vector<HookDelivery>> list_failed_deliveries(TimePoint since) override;
  Status redeliver(std::int64_t delivery_id) override;
  Result<std::vector<RateLimitBucket>> rate_limit() override;
  Result<Identity> whoami() override;

  const RateLimitTracker& rate_limits() const;
  // Appends the Prometheus text of the calls and buckets (see RateLimitTracker).
  void append_metrics(std::string& out) const;

 private:
  struct Impl;
  explicit RestClient(std::unique_ptr<Impl> impl);
  Result<Token> scope_token(const Scope& scope, const char* endpoint, const std::string& suffix);
  std::unique_ptr<Impl> impl_;
};

// The API root with no trailing slash, or kInvalid: "https://api.github.com",
// "https://ghe.example.com/api/v3". http:// is accepted only for loopback (the fake).
Result<std::string> normalise_api_url(std::string_view url);

}  // namespace ghscale::github
