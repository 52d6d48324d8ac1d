// The level-triggered controller around plan(): observe (Store, Provider, GitHub runner
// list with ETag), plan, act (launch, register, deregister-then-terminate, clean up),
// writing every action to the store's action log with its reason and result.
//
// Only the holder of the store lease "scaler" acts; a process without it observes
// nothing and changes nothing (it still ingests webhooks elsewhere). Passes never
// overlap (one mutex), and pools are handled one after another within a pass.
// Thread-safe: run_pass/sweep from the loop thread, status()/metrics() from anywhere.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "github/github_api.h"
#include "provider/provider.h"
#include "scaler/metrics.h"
#include "scaler/observe.h"
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
  std::size_t max_sweep_repos = 300;    // repositories asked for queued runs per sweep
  int max_sweep_known_runs = 20;        // runs with jobs the store knows, listed per sweep
  // Between sweeps the runner list is read again only before removing capacity, or when
  // an instance has been booting this long by our records and the list is as old.
  Duration runner_list_max_age = std::chrono::seconds(60);
};

enum class PassKind { kWake, kTick, kSweep };
std::string_view to_string(PassKind kind);

// What a pass did with one pool, as reported: launched something, removed idle capacity,
// held by the cooldown, failed (errors and nothing else done), or nothing to do.
enum class PoolAction { kNone, kScaleOut, kScaleIn, kCooldown, kError };
std::string_view to_string(PoolAction action);  // "none", "scale_out", "scale_in", "cooldown", "error"

// One pool's part of a pass: what `ghscale reconcile --once` and the Lambda's reconcile
// summary report per pool.
struct PoolPassReport {
  std::string pool;
  PoolAction action = PoolAction::kNone;
  int launched = 0;
  int terminated = 0;             // scale-in and cleanup terminations that succeeded
  int pending_registrations = 0;  // live instances still without a registration after the pass
  int errors = 0;
  PoolCounts counts;              // the plan's counts (zero when the pool could not be observed)
  Duration cooldown_remaining{0};
};

struct PassReport {
  bool acted = false;  // held the lease and ran the pools
  int actions = 0;     // action log entries written
  int errors = 0;      // failed observations or actions (each logged)
  int swept_jobs = 0;  // jobs the sweep recorded
  int unverified = 0;  // queued jobs held until GitHub confirms them (reconcile.replay_window)
  int verified = 0;    // such jobs GitHub answered for (confirmed queued, or moved on)
  std::vector<PoolPassReport> pools;  // the pools this pass ran, in config order
};

class Reconciler {
 public:
  explicit Reconciler(ReconcilerOptions options);
  ~Reconciler();

  // One pass: take or renew the lease, then observe → plan → act for every pool. A sweep
  // pass first asks GitHub for queued jobs the store never heard of.
  // only_pools: run just these pools (jobs are still assigned across all of them, so the
  // first-matching-pool rule holds); empty = every pool.
  PassReport run_pass(PassKind kind, const std::vector<std::string>& only_pools = {});
  // Gives the lease up (graceful shutdown), so another daemon takes over at once.
  void release_lease();
  // The sweep's GitHub discovery alone: queued jobs no webhook announced and stale jobs
  // moved forward, recorded in the store (swept_jobs says how many). Only while this
  // process holds the lease. ReconcileLoop runs it on a thread of its own beside the
  // passes (set_discovery_beside(true)), so a slow or failing GitHub never delays a
  // webhook's pass; otherwise a sweep pass runs it inline first.
  PassReport discover();
  void set_discovery_beside(bool beside) { discovery_beside_ = beside; }
  // Asks GitHub about the queued jobs a pass held for confirmation (replay_window), a
  // bounded number per call: confirmed ones become demand at the next pass (report.verified
  // says how many changed), moved-on ones are recorded, unknown ones are ignored for good.
  // Only while this process holds the lease. ReconcileLoop calls it beside the passes.
  PassReport verify_held_jobs();
  // A discovery under way stops at its next GitHub call (shutdown does not wait a sweep out).
  void request_stop() { stop_requested_ = true; }

  // Whether this process holds the scaler lease at `now` as far as its last take or
  // renewal says (no store call): the scale-set listener polls only while it does.
  bool holds_lease(TimePoint now) const;

  ScalerStatus status() const;
  ScalerMetrics& metrics() { return *metrics_; }
  const ReconcilerOptions& options() const { return options_; }

 private:
  struct PoolState;
  bool hold_lease(TimePoint now);
  // The warm pool's idle runners for a pool now (0 when it has none configured).
  int warm_target(const PoolState& ps, TimePoint now) const;
  bool still_holding();  // renews a lease two-thirds spent
  // Whether a job with these labels is a scale-set pool's (GitHub assigns it to the set).
  bool routes_to_scale_set(const std::vector<std::string>& labels) const;
  // Takes sweep_mu_; busy_runners: names GitHub listed busy at the sweep pass.
  int sweep(PassReport& report, const std::set<std::string>& busy_runners);
  std::set<std::string> repos_to_sweep(PassReport& report);  // the repositories a sweep lists queued runs of
  bool pools_saturated() const;  // by the last pass: no pool has room (sweep.cc)
  std::set<std::string> listed_busy_runners();  // from the cached lists; needs pass_mu_
  void note_running(TimePoint started);  // after running_ changed; needs pass_mu_
  void reconcile_pool(std::size_t index, const std::vector<Job>& queued, int queued_beyond, const std::vector<Job>& running,
                      const std::optional<Duration>& cooldown, PassReport& report, PoolPassReport& pool_report);
  // Hands instance_id a registration named `runner_name` (runner_name_for(pool, id, n)); for
  // n > 1 the instance is being reused and boots that runner from now.
  bool register_instance(PoolState& ps, const std::string& instance_id, const std::string& runner_name, const std::string& why,
                         PassReport& report);
  // The act phase (act.cc): a plan's steps in order while the lease holds; one method per
  // step kind that is more than a call, each writing its action log entries.
  void act(PoolState& ps, const Plan& p, std::int64_t last_scale_out_id, TimePoint now, PassReport& report,
           PoolPassReport& pool_report);
  void act_launch(PoolState& ps, const Step& s, std::int64_t last_scale_out_id, TimePoint now, PassReport& report,
                  PoolPassReport& pool_report);
  bool act_deregister(PoolState& ps, const Step& s, PassReport& report, PoolPassReport& pool_report);  // runner removed
  void act_terminate(PoolState& ps, const Step& s, PassReport& report, PoolPassReport& pool_report);
  Status terminate_instance(PoolState& ps, const Step& s, PassReport& report, PoolPassReport& pool_report);
  void act_delete_runner(PoolState& ps, const Step& s, PassReport& report);
  // Instance record writes, through the pool's cached records (PoolState::records).
  Status record(PoolState& ps, const Instance& rec);
  Status forget(PoolState& ps, const std::string& instance_id);  // recorded as terminated
  void log_action(const std::string& pool, ActionKind kind, std::int64_t count, const std::string& reason,
                  const std::string& result, PassReport& report);
  // The pool scope's runner list: the cached one unless `refresh` or the pass's rule says
  // otherwise; *fresh tells whether it was fetched in this pass.
  using RunnerList = std::shared_ptr<const std::vector<github::Runner>>;  // shared, not copied, per pass
  Result<RunnerList> runners_of(const config::PoolConfig& pool, bool refresh = false, bool* fresh = nullptr);
  Duration runner_list_age(const config::PoolConfig& pool, TimePoint now) const;
  TimePoint runner_list_fetched_at(const config::PoolConfig& pool) const;

  const ReconcilerOptions options_;
  std::shared_ptr<ScalerMetrics> metrics_;
  std::mutex pass_mu_;                      // one pass at a time
  std::vector<std::unique_ptr<PoolState>> pools_;  // guarded by pass_mu_
  std::set<std::int64_t> reported_unmatched_;       // guarded by pass_mu_
  std::mutex sweep_mu_;                             // one discovery at a time (after pass_mu_ if both)
  std::size_t sweep_cursor_ = 0;                    // guarded by sweep_mu_: org repositories rotation
  std::uint64_t sweep_count_ = 0;                   // guarded by sweep_mu_: sweeps so far
  std::atomic<bool> discovery_beside_{false};
  std::atomic<bool> stop_requested_{false};
  // Queued jobs held for GitHub's confirmation (replay_window): waiting to be asked, and
  // those GitHub does not know (never demand). Bounded; guarded by held_mu_.
  // Whether `job` is held; a held job not asked about yet is added to to_confirm_.
  bool hold_for_confirmation(const Job& job);
  std::mutex held_mu_;
  std::set<std::int64_t> to_confirm_;
  std::set<std::int64_t> unknown_at_github_;
  // Runner lists by scope, guarded by pass_mu_. Sweeps refresh them; other passes plan on
  // the last one (the store's in-progress jobs mark runners busy that the list still shows
  // idle, and a runner registered since shows as a booting instance) and refresh only
  // before removing capacity, so GitHub calls per job stay near one (the JIT config).
  struct CachedRunners {
    TimePoint fetched_at{};
    RunnerList runners;
  };
  std::map<std::string, CachedRunners> runner_cache_;
  TimePoint runner_cache_valid_from_{};  // lists fetched before this are refetched
  TimePoint pass_started_{};             // the pass in progress
  // The running jobs at the last read, sorted by id, with their runners: what note_running()
  // compares the next read with (a job new there has its queue wait observed once).
  struct SeenRunning {
    std::int64_t job_id = 0;
    std::string runner_name;
  };
  std::vector<SeenRunning> seen_running_;  // guarded by pass_mu_
  // The store's in-progress jobs as last read, and its running_version() then (nullopt:
  // read every pass).
  std::vector<Job> running_;
  std::optional<std::uint64_t> running_version_;
  // Runners whose job ended, and when; kept while a cached list is older than the end.
  // freed_order_ holds the same in the order they were freed (a name freed again has a
  // stale earlier entry there), so pruning costs what it removes, not the whole map: a
  // burst of thousands of jobs between two lists made every pass walk all of them.
  // Bounded by kMaxFreed, the oldest going first.
  std::unordered_map<std::string, TimePoint> freed_at_;
  std::deque<std::pair<TimePoint, std::string>> freed_order_;
  mutable std::mutex status_mu_;
  ScalerStatus status_;                                  // guarded by status_mu_
  std::optional<TimePoint> lease_expires_;               // guarded by status_mu_
  std::atomic<std::int64_t> lease_token_{-1};            // the fencing token of the lease last taken
};

}  // namespace ghscale::scaler
