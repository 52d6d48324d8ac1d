// The scaling policy as a pure function: plan(snapshot, pool, settings, now) -> Plan.
// No I/O, no clock, no randomness: the same inputs give the same plan, so every rule is
// table-testable and the reconciler (reconciler.h) only observes and acts around it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/instance.h"
#include "core/job.h"
#include "core/runner_name.h"
#include "provider/provider.h"

namespace ghscale::scaler {

// The runner name ghscale gives the instance `instance_id` of `pool` (core/runner_name.h).
// An instance reused for its n-th job (n > 1) registers "<that name>-r<n>": every
// registration has its own name, as GitHub may still list the last one for a moment.
using ghscale::runner_name_for;
using ghscale::runner_name_prefix;  // "ghscale-POOL-", what every runner name of the pool starts with
// The registration number a runner name of the instance carries (1 for the plain name);
// 0 when the name is not one of the instance's.
int registration_of(std::string_view pool, std::string_view instance_id, std::string_view runner_name);
// The instance id a runner name of the pool carries ("" when it is not one of the pool's).
std::string_view instance_of_runner(std::string_view pool, std::string_view runner_name);

// --- first-matching-pool rule ----------------------------------------------------------

struct JobAssignment {
  std::vector<std::vector<Job>> per_pool;  // parallel to the pools given
  std::vector<Job> unmatched;              // no pool's labels cover the job: never launched for
};

// Whether a job asking for `labels` may be this pool's: its labels cover them, or it is a
// scale-set pool asked for by its scale set's name alone (runs-on: NAME). A job goes to
// the first such pool in config order.
bool pool_takes(const config::PoolConfig& pool, const LabelSet& labels);

// A job goes to the first pool, in config order, that takes it (pool_takes: its labels
// include all of the job's runs-on labels, LabelSet comparing case-insensitively and the
// pools' implied self-hosted, os and arch labels already in PoolConfig::labels; or the job
// names the pool's scale set). A job with no labels matches none.
JobAssignment assign_jobs_to_pools(const std::vector<Job>& jobs, const std::vector<config::PoolConfig>& pools);

// --- the snapshot ------------------------------------------------------------------------

struct RunnerView {
  std::int64_t id = 0;
  std::string name;
  bool online = false;
  bool busy = false;
};

struct InstanceView {
  std::string id;
  Market market = Market::kSpot;
  provider::Lifecycle lifecycle = provider::Lifecycle::kPending;
  TimePoint launched_at{};
  std::string runner_name;                 // its current registration's: runner_name_for(pool, id, n)
  int registration = 1;                    // n: how many registrations it has been handed
  bool handed_over = false;                // a registration reached the instance
  // An ephemeral runner that has run its one job: it takes no other (a stale list may
  // still show it online), and its instance shuts itself down.
  bool spent = false;
  // A job runs on an earlier registration's runner: the instance is busy and has been
  // handed its next registration (reuse), which starts when that job ends.
  bool busy_before_next = false;
  std::optional<TimePoint> registered_at;  // first seen online at GitHub
  std::optional<TimePoint> last_busy_at;   // last seen with a job, or handed a registration for reuse
  bool scale_in_protected = false;
  bool placeholder = false;                // capacity not placed yet: booting, nothing to register
};

// A job a webhook (or the sweep) says is running, and on which runner.
struct RunningJob {
  std::int64_t job_id = 0;
  std::string runner_name;
};

struct Snapshot {
  std::vector<Job> queued_jobs;       // this pool's, by assign_jobs_to_pools, oldest first
  // This pool's queued jobs beyond queued_jobs: the list is cut at what one pass could
  // launch for (max_runners), the count is whole.
  int queued_beyond = 0;
  std::vector<InstanceView> instances;  // the provider's live instances of the pool
  std::vector<RunnerView> runners;      // GitHub's runners named with runner_name_prefix(pool)
  // False when `runners` is an earlier pass's list (observe() has already cleared the busy
  // flags of runners whose job the webhooks saw end since): nothing is unprotected on its
  // word, as it may not show a job just taken.
  bool runners_fresh = true;
  std::vector<RunningJob> running_jobs;  // in progress on runners named with the pool's prefix
  std::optional<TimePoint> last_scale_out;
  std::optional<TimePoint> last_scale_in;
};

// Spent instances worth keeping as idle runners (reuse.keep), given `expected`: the job
// starts expected within one boot (start rate × median boot seconds). `keep` × expected,
// rounded down: with the default 0.5 the first is kept once two starts are expected per
// boot, so a kept runner waits about half a boot for its job, less than the boot a fresh
// launch bills (at one per boot it would only break even). 0 when keep is 0; never above
// max_runners.
int keep_idle_for(double keep, double expected, int max_runners);

struct Settings {
  std::optional<Duration> cooldown;  // the store's settings_cooldown: overrides the pool's
  std::optional<int> min_idle;       // a schedule's value: overrides the pool's
  int launch_budget = 1 << 30;       // tokens left in the pool's launch bucket
  // Spent instances worth keeping as idle runners for the arrivals expected (reuse.keep):
  // caught when their runner finishes, never launched for.
  int keep_idle = 0;
};

// --- the plan ----------------------------------------------------------------------------

enum class StepKind {
  kLaunch,        // split, job_ids
  kRegister,      // instance_id, runner_name: JIT config or registration token, then hand-over
  kDeregister,    // runner_id, instance_id: delete the runner; only if GitHub accepts, terminate
  kTerminate,     // instance_id (cleanup: never registered, or its runner is gone)
  kDeleteRunner,  // runner_id: offline runner with no live instance
  kProtect,       // instance_id: busy, so shielded from the cloud's own scale-in
  kUnprotect,     // instance_id: no longer busy
  kReuse,         // instance_id, runner_name: a busy instance gets its next JIT config
};
std::string_view to_string(StepKind kind);

enum class TerminationReason { kScaleIn, kBootTimeout, kRunnerGone };
std::string_view to_string(TerminationReason reason);

struct Step {
  StepKind kind = StepKind::kLaunch;
  std::string reason;  // for people: the action log and logs
  provider::MarketSplit split;
  std::vector<std::int64_t> job_ids;
  std::string instance_id;
  std::int64_t runner_id = 0;
  std::string runner_name;
  TerminationReason termination = TerminationReason::kScaleIn;
};

struct PoolCounts {
  int queued = 0;   // queued jobs no runner has taken yet, as far as any signal tells
  int taken = 0;    // queued by the webhooks, but already taken by a runner GitHub lists busy
  int lost = 0;     // running jobs whose instance vanished (GitHub fails them; a re-run queues anew)
  int min_idle = 0;
  int demand = 0;   // queued + min_idle
  int supply = 0;   // idle + booting
  int idle = 0;
  int busy = 0;
  int booting = 0;
  int reused = 0;   // instances handed their next registration in this plan: caught after their job, or busy at max_runners
  int next = 0;     // busy instances holding a next registration (from this or earlier plans)
  int running = 0;  // live instances, whatever their state
  int desired = 0;  // min(max_runners, busy + demand)
  int on_demand = 0;
  int spot = 0;
};

struct Plan {
  std::vector<Step> steps;
  PoolCounts counts;
  bool cooldown_active = false;
  Duration cooldown_remaining{0};  // while cooldown_active: how long until scaling may resume
  std::vector<std::string> notes;  // why something was not done (cooldown, max reached, budget)
  // True when the plan scales (a launch or deregistrations): the reconciler logs a
  // scale_out / scale_in action for it, which starts the cooldown.
  bool scales_out() const;
  bool scales_in() const;
};

Plan plan(const Snapshot& snapshot, const config::PoolConfig& pool, const Settings& settings, TimePoint now);

}  // namespace ghscale::scaler
