// The level-triggered controller around plan(): observe (Store, Provider, GitHub runner
// list with ETag), plan, act (launch, register, deregister-then-terminate, clean up),
// writing every action to the store's action log with its reason and result.
//
// Only the holder of the store lease "scaler" acts; a process without it observes
// nothing and changes nothing (it still ingests webhooks elsewhere). Passes never
// overlap (one mutex), and pools are handled one after another within a pass.
// Thread-safe: run_pass/sweep from the loop thread, status()/metrics() from anywhere.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "github/github_api.h"
#include "provider/provider.h"
#include "scaler/metrics.h"
#include "scaler/plan.h"
#include "scaler/status.h"
#include "scaler/token_bucket.h"
#include "store/store.h"

namespace ghscale::scaler {

inline constexpr std::string_view kScalerLease = "scaler";
inline constexpr std::string_view kCooldownSetting = "settings_cooldown";  // milliseconds

struct PoolBinding {
  config::PoolConfig config;
  std::shared_ptr<provider::Provider> provider;
};

struct ReconcilerOptions {
  std::vector<PoolBinding> pools;  // in config order: the first matching pool takes a job
  config::ReconcileConfig reconcile;
  std::string holder;  // this process's lease identity, e.g. "host:pid"
  std::shared_ptr<Clock> clock;
  std::shared_ptr<store::Store> store;
  std::shared_ptr<github::GitHubApi> github;
  std::string web_url = "https://github.com";  // registration-token runners: config.sh --url base
  // Repositories the sweep always asks about, besides those seen in the store's jobs and
  // the repo-scoped pools.
  std::vector<std::string> sweep_repos;
  std::size_t max_jobs = 100000;        // per observation
  int max_sweep_job_checks = 200;       // get_job calls per sweep for jobs the store may have stale
};

enum class PassKind { kWake, kTick, kSweep };
std::string_view to_string(PassKind kind);

struct PassReport {
  bool acted = false;  // held the lease and ran the pools
  int actions = 0;     // action log entries written
  int errors = 0;      // failed observations or actions (each logged)
  int swept_jobs = 0;  // jobs the sweep recorded
};

class Reconciler {
 public:
  explicit Reconciler(ReconcilerOptions options);
  ~Reconciler();

  // One pass: take or renew the lease, then observe → plan → act for every pool. A sweep
  // pass first asks GitHub for queued jobs the store never heard of.
  PassReport run_pass(PassKind kind);
  // Gives the lease up (graceful shutdown), so another daemon takes over at once.
  void release_lease();

  ScalerStatus status() const;
  ScalerMetrics& metrics() { return *metrics_; }
  const ReconcilerOptions& options() const { return options_; }

 private:
  struct PoolState;
  struct Observed;
  bool hold_lease(TimePoint now);
  bool still_holding() const;
  int sweep(PassReport& report);
  void reconcile_pool(std::size_t index, const std::vector<Job>& queued, const std::vector<Job>& running,
                      const std::optional<Duration>& cooldown, PassReport& report);
  bool register_instance(PoolState& ps, const std::string& instance_id, const std::string& why, PassReport& report);
  void log_action(const std::string& pool, ActionKind kind, std::int64_t count, const std::string& reason,
                  const std::string& result, PassReport& report);
  Result<std::vector<github::Runner>> runners_of(const config::PoolConfig& pool);

  const ReconcilerOptions options_;
  std::shared_ptr<ScalerMetrics> metrics_;
  std::mutex pass_mu_;                      // one pass at a time
  std::vector<std::unique_ptr<PoolState>> pools_;  // guarded by pass_mu_
  std::set<std::int64_t> reported_unmatched_;       // guarded by pass_mu_
  std::set<std::int64_t> waited_jobs_;              // guarded by pass_mu_: queue wait observed
  std::map<std::string, std::vector<github::Runner>> runner_cache_;  // guarded by pass_mu_, per pass
  mutable std::mutex status_mu_;
  ScalerStatus status_;                                  // guarded by status_mu_
  std::optional<TimePoint> lease_expires_;               // guarded by status_mu_
};

}  // namespace ghscale::scaler
