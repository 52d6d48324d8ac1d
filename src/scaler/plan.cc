#include "scaler/plan.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <unordered_map>

#include "scaler/name_index.h"

namespace ghscale::scaler {
namespace {

using provider::Lifecycle;

std::string ms_text(Duration d) { return std::to_string(d.count()) + "ms"; }

// What one live instance is, seen from GitHub and the webhooks.
enum class Role { kBusy, kIdle, kBooting, kBootTimedOut, kRunnerGone, kSpent, kStopping };

// An instance whose one-job runner finished shuts itself down (the bootstrap); one still
// up this long after is terminated.
constexpr Duration kSpentShutdown = std::chrono::minutes(2);
// An instance whose ephemeral runner finished waits GHSCALE_REUSE_WAIT (5 s by default)
// for a next registration before it shuts down (deploy/runner/bootstrap.sh). It is caught
// only this soon after the pass that saw the job end, a margin inside that wait.
constexpr Duration kCatchWindow = std::chrono::seconds(4);

struct Classified {
  const InstanceView* instance;
  const RunnerView* runner;  // nullptr when GitHub lists none by that name
  Role role;
  TimePoint idle_since;
};

TimePoint idle_since_of(const InstanceView& i) {
  TimePoint t = i.launched_at;
  if (i.registered_at) t = std::max(t, *i.registered_at);
  if (i.last_busy_at) t = std::max(t, *i.last_busy_at);
  return t;
}

// The part of a runner name after "ghscale-<pool>-", or nullopt when it has another prefix.
// Compared in pieces: these run for every live instance on every pass, and building the
// prefix as a string each time was an allocation apiece.
std::optional<std::string_view> after_prefix(std::string_view pool, std::string_view runner_name) {
  constexpr std::string_view kHead = kRunnerNameHead;
  if (runner_name.size() < kHead.size() + pool.size() + 1 || runner_name.substr(0, kHead.size()) != kHead ||
      runner_name.substr(kHead.size(), pool.size()) != pool || runner_name[kHead.size() + pool.size()] != '-') {
    return std::nullopt;
  }
  return runner_name.substr(kHead.size() + pool.size() + 1);
}

}  // namespace

int registration_of(std::string_view pool, std::string_view instance_id, std::string_view runner_name) {
  const auto tail = after_prefix(pool, runner_name);
  if (!tail || tail->substr(0, instance_id.size()) != instance_id) return 0;
  std::string_view rest = tail->substr(instance_id.size());
  if (rest.empty()) return 1;
  if (rest.size() < 3 || rest.size() > 8 || rest.substr(0, 2) != "-r") return 0;
  int n = 0;
  for (char ch : rest.substr(2)) {
    if (ch < '0' || ch > '9') return 0;
    n = n * 10 + (ch - '0');
  }
  return n > 1 ? n : 0;
}

std::string_view instance_of_runner(std::string_view pool, std::string_view runner_name) {
  const auto tail = after_prefix(pool, runner_name);
  if (!tail) return {};
  std::string_view id = *tail;
  // A trailing "-r<n>" is a registration number (AWS ids are "i-" and hex: no 'r').
  if (auto dash = id.rfind("-r"); dash != std::string_view::npos && dash + 2 < id.size() &&
                                  id.find_first_not_of("0123456789", dash + 2) == std::string_view::npos) {
    id = id.substr(0, dash);
  }
  return id;
}

std::string_view to_string(StepKind kind) {
  switch (kind) {
    case StepKind::kLaunch: return "launch";
    case StepKind::kRegister: return "register";
    case StepKind::kDeregister: return "deregister";
    case StepKind::kTerminate: return "terminate";
    case StepKind::kDeleteRunner: return "delete_runner";
    case StepKind::kProtect: return "protect";
    case StepKind::kUnprotect: return "unprotect";
    case StepKind::kReuse: return "reuse";
  }
  return "unknown";
}

std::string_view to_string(TerminationReason reason) {
  switch (reason) {
    case TerminationReason::kScaleIn: return "scale_in";
    case TerminationReason::kBootTimeout: return "boot_timeout";
    case TerminationReason::kRunnerGone: return "runner_gone";
  }
  return "unknown";
}

bool Plan::scales_out() const {
  return std::any_of(steps.begin(), steps.end(), [](const Step& s) { return s.kind == StepKind::kLaunch; });
}

bool Plan::scales_in() const {
  return std::any_of(steps.begin(), steps.end(), [](const Step& s) { return s.kind == StepKind::kDeregister; });
}

bool pool_takes(const config::PoolConfig& pool, const LabelSet& labels) {
  if (labels.empty()) return false;
  if (labels.subset_of(pool.labels)) return true;
  return pool.demand == config::Demand::kScaleSet && labels.size() == 1 && labels == LabelSet{pool.scale_set.name};
}

JobAssignment assign_jobs_to_pools(const std::vector<Job>& jobs, const std::vector<config::PoolConfig>& pools) {
  JobAssignment out;
  out.per_pool.resize(pools.size());
  // Jobs repeat a few label sets many times: match each distinct set once. The key joins
  // with NUL, which no label has (a comma may be inside one: {"c,d"} is not {"c","d"}).
  std::unordered_map<std::string, std::ptrdiff_t> pool_for_labels;  // -1 = none
  for (const Job& job : jobs) {
    auto [it, fresh] = pool_for_labels.try_emplace(job.labels.joined('\0'), -1);
    if (fresh && !job.labels.empty()) {
      for (std::size_t p = 0; p < pools.size(); ++p) {
        if (pool_takes(pools[p], job.labels)) {
          it->second = static_cast<std::ptrdiff_t>(p);
          break;
        }
      }
    }
    if (it->second < 0) {
      out.unmatched.push_back(job);
    } else {
      out.per_pool[static_cast<std::size_t>(it->second)].push_back(job);
    }
  }
  return out;
}

int keep_idle_for(double keep, double expected, int max_runners) {
  if (!(keep > 0) || !(expected > 0) || max_runners <= 0) return 0;
  return static_cast<int>(std::floor(std::min(keep * expected, static_cast<double>(max_runners))));
}

Plan plan(const Snapshot& snap, const config::PoolConfig& pool, const Settings& settings, TimePoint now) {
  Plan out;
  PoolCounts& c = out.counts;

  NameIndex<const RunnerView*> runner_by_name;
  runner_by_name.reserve(snap.runners.size());
  for (const RunnerView& r : snap.runners) runner_by_name.add(r.name, &r);
  runner_by_name.seal();
  NameIndex<bool> running_on;  // runner names a webhook says have a job
  running_on.reserve(snap.running_jobs.size());
  for (const RunningJob& j : snap.running_jobs) {
    if (!j.runner_name.empty()) running_on.add(j.runner_name, true);
  }
  running_on.seal();

  // Classify every live instance.
  std::vector<Classified> classified;
  classified.reserve(snap.instances.size());
  NameIndex<bool> live_names, live_ids;
  live_names.reserve(snap.instances.size());
  live_ids.reserve(snap.instances.size());
  for (const InstanceView& i : snap.instances) {
    if (i.lifecycle == Lifecycle::kTerminated) continue;
    live_names.add(i.runner_name, true);
    live_ids.add(i.id, true);
    ++c.running;
    c.next += i.busy_before_next ? 1 : 0;
    ++(i.market == Market::kOnDemand ? c.on_demand : c.spot);
    const RunnerView* const* found = runner_by_name.find(i.runner_name);
    const RunnerView* r = found == nullptr ? nullptr : *found;
    const bool job_known = running_on.contains(i.runner_name);
    const bool listed_busy = r != nullptr && r->busy;
    // Busy by GitHub's list with no in_progress delivery yet: the runner took a job the
    // store still has as queued. That job is not demand any more.
    if (listed_busy && !job_known) ++c.taken;
    const bool busy = listed_busy || job_known || i.busy_before_next;
    Role role;
    if (busy) {
      role = Role::kBusy;
    } else if (i.lifecycle == Lifecycle::kStopping) {
      role = Role::kStopping;
    } else if (i.spent) {
      role = Role::kSpent;  // its one job is done; the instance is shutting itself down
    } else if (r != nullptr && r->online) {
      role = Role::kIdle;
    } else if (!i.registered_at) {
      // A reused instance boots its next runner from the hand-over (last_busy_at).
      const TimePoint from = std::max(i.launched_at, i.last_busy_at.value_or(i.launched_at));
      role = now - from < pool.boot_timeout ? Role::kBooting : Role::kBootTimedOut;
    } else {
      role = Role::kRunnerGone;  // was online once; now offline or deleted, and no job
    }
    classified.push_back({&i, r, role, idle_since_of(i)});
  }
  live_names.seal();
  live_ids.seal();

  int queued_by_webhook = 0;
  for (const Job& j : snap.queued_jobs) queued_by_webhook += j.runner_name.empty() ? 1 : 0;
  queued_by_webhook += std::max(0, snap.queued_beyond);
  c.taken = std::min(c.taken, queued_by_webhook);
  c.queued = queued_by_webhook - c.taken;
  // A job whose instance vanished is not demand: GitHub fails it with its runner, and a
  // re-run arrives as a new queued job. Counting it too would launch twice (and an
  // ephemeral runner's instance is gone before its completed delivery arrives anyway).
  for (const RunningJob& j : snap.running_jobs) c.lost += live_ids.contains(instance_of_runner(pool.name, j.runner_name)) ? 0 : 1;
  c.min_idle = std::max(0, settings.min_idle.value_or(pool.min_idle));
  for (const Classified& k : classified) {
    c.busy += k.role == Role::kBusy ? 1 : 0;
    c.idle += k.role == Role::kIdle ? 1 : 0;
    c.booting += k.role == Role::kBooting ? 1 : 0;
  }
  c.demand = c.queued + c.min_idle;
  c.supply = c.idle + c.booting;

  c.desired = std::min(pool.max_runners, c.busy + c.demand);

  // A spent instance that will get no next registration (it served max_jobs, reuse is
  // off, or the catch window passed) only waits to shut itself down. When jobs wait at
  // max_runners its slot is worth a boot's head start: it is terminated now and counted
  // as gone below.
  const bool slots_wanted = c.queued > c.idle + c.booting + c.next && c.running >= pool.max_runners;
  const auto exhausted = [&](const InstanceView& i) {
    return !pool.reuse.enabled || !pool.ephemeral || i.registration >= pool.reuse.max_jobs ||
           now - i.last_busy_at.value_or(now) >= kCatchWindow;
  };
  int leaving = 0, leaving_on_demand = 0;
  // Cleanup is never held by cooldown: it removes what cannot serve, not capacity.
  for (const Classified& k : classified) {
    if (k.role != Role::kBootTimedOut && k.role != Role::kRunnerGone && k.role != Role::kSpent) continue;
    const bool slot_back = k.role == Role::kSpent && slots_wanted && exhausted(*k.instance);
    if (k.role == Role::kSpent && !slot_back && now - k.instance->last_busy_at.value_or(now) < kSpentShutdown) continue;
    leaving += slot_back ? 1 : 0;
    leaving_on_demand += slot_back && k.instance->market == Market::kOnDemand ? 1 : 0;
    Step s;
    s.kind = StepKind::kTerminate;
    s.instance_id = k.instance->id;
    s.runner_name = k.instance->runner_name;
    if (k.role == Role::kBootTimedOut) {
      s.termination = TerminationReason::kBootTimeout;
      s.reason = "not registered " + ms_text(std::chrono::duration_cast<Duration>(now - k.instance->launched_at)) +
                 " after launch (boot_timeout " + ms_text(pool.boot_timeout) + ")";
    } else {
      s.termination = TerminationReason::kRunnerGone;
      s.reason = slot_back ? "finished its last job (" + std::to_string(k.instance->registration) + " of at most " +
                                 std::to_string(pool.reuse.max_jobs) + ") with jobs waiting at max_runners: its slot goes to a new instance"
                 : k.role == Role::kSpent ? "still up " + ms_text(kSpentShutdown) + " after its ephemeral runner finished its job"
                 : k.runner == nullptr     ? "runner gone from GitHub and no job running"
                                           : "runner offline and no job running";
    }
    out.steps.push_back(std::move(s));
  }
  for (const RunnerView& r : snap.runners) {
    if (r.online || r.busy || running_on.contains(r.name) || live_names.contains(r.name)) continue;
    Step s;
    s.kind = StepKind::kDeleteRunner;
    s.runner_id = r.id;
    s.runner_name = r.name;
    s.reason = "offline runner with no live instance";
    out.steps.push_back(std::move(s));
  }

  // Registration for instances that have none yet (and are not on their way out).
  for (const Classified& k : classified) {
    if (k.instance->handed_over || k.instance->placeholder || k.role == Role::kBootTimedOut ||
        k.role == Role::kStopping) {
      continue;
    }
    if (k.runner != nullptr && k.runner->online) continue;  // registered by other means
    Step s;
    s.kind = StepKind::kRegister;
    s.instance_id = k.instance->id;
    s.runner_name = k.instance->runner_name;
    s.reason = std::string(pool.ephemeral ? "JIT config" : "registration token") + " for a new instance";
    out.steps.push_back(std::move(s));
  }

  // Scale-in protection follows busyness (providers without it ignore the call). It is
  // lifted only on a fresh list's word: a stale list may not show a job just taken.
  for (const Classified& k : classified) {
    const bool busy = k.role == Role::kBusy;
    if (busy == k.instance->scale_in_protected) continue;
    if (!busy && !snap.runners_fresh) continue;
    Step s;
    s.kind = busy ? StepKind::kProtect : StepKind::kUnprotect;
    s.instance_id = k.instance->id;
    s.reason = busy ? "runner busy" : "runner no longer busy";
    out.steps.push_back(std::move(s));
  }

  // Reuse: jobs wait that max_runners leaves no room to launch for. A busy instance is
  // handed its next registration now, and its bootstrap starts that runner the moment the
  // current job ends: the next job skips a shutdown and a boot, as with a long-lived
  // runner. A busy instance holds at most one next registration, and those held count.
  // Longest busy first (likely the first to finish). Not a scale action: neither cooldown
  // nor the launch budget holds it.
  if (pool.ephemeral && pool.reuse.enabled) {
    // Caught after its job: with jobs queued beyond the idle runners, an instance whose
    // runner just finished (still in its wait) is handed its next registration. The oldest
    // waiting job starts in seconds instead of after a boot, and a boot is saved: the
    // instance launched for that job serves the next arrival, or idles out. Below
    // max_runners as at it. Registrations held by busy instances (next) do not hold it
    // back: they serve only when their job ends, and whichever runner is free first
    // takes the oldest job, so a free instance let go at the cap is a slot lost to a boot.
    // Beyond the queue, it is kept for the idle floor (min_idle, the warm pool's too): an
    // instance already up is a cheaper idle runner than one launched for it. And for the
    // jobs expected within a boot (keep_idle): the next arrival then starts at once instead
    // of after a boot, and the boot it saves is billed too; one kept in vain idles out.
    const int waiting = std::max(c.demand, c.queued + settings.keep_idle) - c.idle;
    std::vector<const Classified*> caught;
    for (const Classified& k : classified) {
      const InstanceView& i = *k.instance;
      if (static_cast<int>(caught.size()) >= waiting) break;
      if (k.role != Role::kSpent || i.placeholder || !i.handed_over || i.lifecycle != Lifecycle::kRunning ||
          i.registration >= pool.reuse.max_jobs || !i.last_busy_at || now - *i.last_busy_at >= kCatchWindow) {
        continue;
      }
      caught.push_back(&k);
    }
    for (const Classified* k : caught) {
      Step s;
      s.kind = StepKind::kReuse;
      s.instance_id = k->instance->id;
      s.runner_name = runner_name_for(pool.name, k->instance->id, k->instance->registration + 1);
      s.reason = std::to_string(c.queued) + " queued, " + std::to_string(c.idle) + " idle, min_idle " + std::to_string(c.min_idle) +
                 (settings.keep_idle > 0 ? ", keep " + std::to_string(settings.keep_idle) : std::string()) +
                 ": next registration for an instance whose runner just finished (job " +
                 std::to_string(k->instance->registration + 1) + " of at most " + std::to_string(pool.reuse.max_jobs) + ")";
      out.steps.push_back(std::move(s));
    }
    // Supply now, as a booting instance is.
    c.reused = static_cast<int>(caught.size());
    c.supply += c.reused;

    const int headroom = std::max(0, pool.max_runners - (c.running - leaving));
    const int beyond = c.demand - c.supply - headroom - c.next;
    std::vector<const Classified*> candidates;
    for (const Classified& k : classified) {
      const InstanceView& i = *k.instance;
      if (beyond <= 0) break;
      if (k.role != Role::kBusy || i.busy_before_next || i.placeholder || !i.handed_over || i.lifecycle != Lifecycle::kRunning ||
          i.registration >= pool.reuse.max_jobs) {
        continue;
      }
      candidates.push_back(&k);
    }
    std::sort(candidates.begin(), candidates.end(), [](const Classified* a, const Classified* b) {
      const TimePoint ta = a->instance->last_busy_at.value_or(a->instance->launched_at);
      const TimePoint tb = b->instance->last_busy_at.value_or(b->instance->launched_at);
      return ta != tb ? ta < tb : a->instance->id < b->instance->id;
    });
    candidates.resize(std::min(candidates.size(), static_cast<std::size_t>(std::max(0, beyond))));
    for (const Classified* k : candidates) {
      Step s;
      s.kind = StepKind::kReuse;
      s.instance_id = k->instance->id;
      s.runner_name = runner_name_for(pool.name, k->instance->id, k->instance->registration + 1);
      s.reason = "max_runners " + std::to_string(pool.max_runners) + " reached with " + std::to_string(c.queued) +
                 " queued: next registration for a busy instance (job " + std::to_string(k->instance->registration + 1) +
                 " of at most " + std::to_string(pool.reuse.max_jobs) + ")";
      out.steps.push_back(std::move(s));
    }
    c.reused += static_cast<int>(candidates.size());
    c.next += static_cast<int>(candidates.size());
  }

  // Cooldown: no scale action within `cooldown` of the pool's last one.
  const Duration cooldown = settings.cooldown.value_or(pool.cooldown);
  std::optional<TimePoint> last_scale = snap.last_scale_out;
  if (snap.last_scale_in && (!last_scale || *snap.last_scale_in > *last_scale)) last_scale = snap.last_scale_in;
  if (cooldown > Duration::zero() && last_scale && now - *last_scale < cooldown) {
    out.cooldown_active = true;
    out.cooldown_remaining = std::chrono::duration_cast<Duration>(cooldown - (now - *last_scale));
    out.notes.push_back("cooldown: " + ms_text(std::chrono::duration_cast<Duration>(cooldown - (now - *last_scale))) +
                        " left of " + ms_text(cooldown));
    return out;
  }

  if (c.demand > c.supply) {
    const int want = c.demand - c.supply;
    const int headroom = std::max(0, pool.max_runners - (c.running - leaving));
    const int budget = std::max(0, settings.launch_budget);
    const int n = std::min({want, headroom, budget});
    if (headroom < want) {
      out.notes.push_back("max_runners " + std::to_string(pool.max_runners) + " reached: " + std::to_string(want - headroom) +
                          " more wanted");
    }
    if (budget < std::min(want, headroom)) out.notes.push_back("launch rate limit: " + std::to_string(budget) + " tokens left");
    if (n > 0) {
      Step s;
      s.kind = StepKind::kLaunch;
      s.split.on_demand = std::clamp(pool.on_demand_base - (c.on_demand - leaving_on_demand), 0, n);
      s.split.spot = n - s.split.on_demand;
      for (const Job& j : snap.queued_jobs) {
        if (static_cast<int>(s.job_ids.size()) >= n) break;
        if (j.runner_name.empty()) s.job_ids.push_back(j.job_id);
      }
      std::sort(s.job_ids.begin(), s.job_ids.end());
      s.reason = "demand " + std::to_string(c.demand) + " (queued " + std::to_string(c.queued) + ", min_idle " +
                 std::to_string(c.min_idle) + ") > supply " +
                 std::to_string(c.supply) + " (idle " + std::to_string(c.idle) + ", booting " + std::to_string(c.booting) +
                 "): launch " + std::to_string(n) + " (" + std::to_string(s.split.on_demand) + " on-demand, " +
                 std::to_string(s.split.spot) + " spot)";
      out.steps.push_back(std::move(s));
    }
  } else if (c.supply > c.demand) {
    // Only idle runners beyond min_idle, idle long enough and alive long enough.
    const int n = std::min(c.supply - c.demand, c.idle - c.min_idle);
    std::vector<const Classified*> candidates;
    for (const Classified& k : classified) {
      if (k.role != Role::kIdle || k.runner == nullptr) continue;
      if (now - k.idle_since < pool.idle_timeout || now - k.instance->launched_at < pool.min_lifetime) continue;
      candidates.push_back(&k);
    }
    // Longest idle first; ties by id so the plan is deterministic.
    std::sort(candidates.begin(), candidates.end(), [](const Classified* a, const Classified* b) {
      return a->idle_since != b->idle_since ? a->idle_since < b->idle_since : a->instance->id < b->instance->id;
    });
    for (int i = 0; i < n && i < static_cast<int>(candidates.size()); ++i) {
      const Classified& k = *candidates[static_cast<std::size_t>(i)];
      Step s;
      s.kind = StepKind::kDeregister;
      s.instance_id = k.instance->id;
      s.runner_id = k.runner->id;
      s.runner_name = k.runner->name;
      s.termination = TerminationReason::kScaleIn;
      s.reason = "idle " + ms_text(std::chrono::duration_cast<Duration>(now - k.idle_since)) + " (idle_timeout " +
                 ms_text(pool.idle_timeout) + "), supply " + std::to_string(c.supply) + " > demand " +
                 std::to_string(c.demand);
      out.steps.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace ghscale::scaler
