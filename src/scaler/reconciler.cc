#include "scaler/reconciler.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <map>
#include <unordered_map>

#include "core/log.h"
#include "scaler/pool_state.h"

namespace ghscale::scaler {

using provider::CloudInstance;
using provider::Lifecycle;

std::string_view to_string(PoolAction action) {
  switch (action) {
    case PoolAction::kNone: return "none";
    case PoolAction::kScaleOut: return "scale_out";
    case PoolAction::kScaleIn: return "scale_in";
    case PoolAction::kCooldown: return "cooldown";
    case PoolAction::kError: return "error";
  }
  return "none";
}

std::string_view to_string(PassKind kind) {
  switch (kind) {
    case PassKind::kWake: return "wake";
    case PassKind::kTick: return "tick";
    case PassKind::kSweep: return "sweep";
  }
  return "unknown";
}

github::Scope scope_of(const config::PoolConfig& pool) {
  github::Scope s;
  s.name = pool.scope.name;
  switch (pool.scope.kind) {
    case config::PoolScope::Kind::kOrg: s.kind = github::Scope::Kind::kOrg; break;
    case config::PoolScope::Kind::kRepo: s.kind = github::Scope::Kind::kRepo; break;
    case config::PoolScope::Kind::kEnterprise: s.kind = github::Scope::Kind::kEnterprise; break;
  }
  return s;
}

namespace {

std::optional<Duration> parse_cooldown_ms(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  std::int64_t ms = 0;
  auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), ms);
  if (ec != std::errc() || p != text->data() + text->size() || ms < 0) return std::nullopt;
  return Duration{ms};
}

std::int64_t minute_of(TimePoint t) { return std::chrono::duration_cast<std::chrono::minutes>(t.time_since_epoch()).count(); }

int starts_between(const std::map<std::int64_t, int>& per_minute, TimePoint from, TimePoint to) {
  int n = 0;
  for (auto it = per_minute.lower_bound(minute_of(from)); it != per_minute.end() && it->first < minute_of(to); ++it) n += it->second;
  return n;
}

constexpr auto kKeepWindow = std::chrono::minutes(15);

// Runners remembered as freed since the oldest cached list: beyond this many the oldest are
// forgotten, and a stale list's busy flag is believed for them until the next list (which
// only holds capacity back, never removes a busy runner).
constexpr std::size_t kMaxFreed = 100000;

// Job starts per second over the window ending now.
double recent_rate(const std::map<std::int64_t, int>& starts_per_minute, TimePoint now, Duration window) {
  const int recent = starts_between(starts_per_minute, now - window, now + std::chrono::minutes(1));
  return static_cast<double>(recent) / std::chrono::duration<double>(window).count();
}

// Launch-to-registration seconds, the median of the last boots (60 until one is seen).
double boot_estimate(const std::deque<double>& boot_seconds) {
  if (boot_seconds.empty()) return 60.0;
  std::vector<double> sorted(boot_seconds.begin(), boot_seconds.end());
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2), sorted.end());
  return sorted[sorted.size() / 2];
}

}  // namespace

int Reconciler::warm_target(const PoolState& ps, TimePoint now) const {
  const config::WarmPoolConfig& w = ps.config.warm_pool;
  if (!w.enabled) return 0;
  const TimePoint day_ago = now - std::chrono::hours(24);
  const int yesterday = starts_between(ps.starts_per_minute, day_ago, day_ago + w.window);
  const double rate = std::max(recent_rate(ps.starts_per_minute, now, w.window), static_cast<double>(yesterday) / std::chrono::duration<double>(w.window).count());
  const int want = static_cast<int>(std::ceil(w.coverage * rate * boot_estimate(ps.boot_seconds)));
  return std::clamp(want, 0, std::min(w.max, ps.config.max_runners));
}

Reconciler::Reconciler(ReconcilerOptions options) : options_(std::move(options)), metrics_(std::make_shared<ScalerMetrics>()) {
  for (const auto& b : options_.pools) pools_.push_back(std::make_unique<PoolState>(b, options_.reconcile));
  status_.holder = options_.holder;
  for (const auto& b : options_.pools) {
    PoolStatus ps;
    ps.name = b.config.name;
    status_.pools.push_back(std::move(ps));
  }
}

Reconciler::~Reconciler() = default;

bool Reconciler::hold_lease(TimePoint now) {
  auto lease = options_.store->acquire_lease(kScalerLease, options_.holder, options_.reconcile.lease_ttl, now);
  // Held by another: who, as the store has it (for status and `reconcile --once`).
  std::string other;
  if (!lease.ok() && lease.error().kind == ErrorKind::kConflict) {
    if (auto current = options_.store->get_lease(kScalerLease); current.ok() && *current) other = (*current)->holder;
  }
  std::lock_guard lock(status_mu_);
  if (lease.ok()) {
    lease_expires_ = lease->expires_at;
    lease_token_ = lease->token;
    status_.lease_holder = lease->holder;
    status_.acting = true;
    return true;
  }
  lease_expires_.reset();
  status_.acting = false;
  status_.lease_holder = other;
  if (lease.error().kind != ErrorKind::kConflict) log::warn("scaler lease unavailable", {{"error", lease.error().describe()}});
  return false;
}

// Checked before every action: the lease we took at the start of the pass may have run out
// (a slow pass, a paused process), and then another daemon may be acting. A long pass (many
// paced hand-overs) renews it once a third of its time is spent, so it is not cut short;
// a renewal that fails, or comes too late, stops the pass.
bool Reconciler::still_holding() {
  const TimePoint now = options_.clock->now();
  std::optional<TimePoint> expires;
  {
    std::lock_guard lock(status_mu_);
    expires = lease_expires_;
  }
  if (!expires || now >= *expires) return false;
  if (*expires - now > options_.reconcile.lease_ttl * 2 / 3) return true;
  return hold_lease(now);
}

std::set<std::string> Reconciler::listed_busy_runners() {
  std::set<std::string> busy;
  for (const auto& [scope, cached] : runner_cache_) {
    for (const auto& r : *cached.runners) {
      if (r.busy) busy.insert(r.name);
    }
  }
  return busy;
}

PassReport Reconciler::discover() {
  PassReport report;
  std::set<std::string> busy;
  {
    std::lock_guard pass(pass_mu_);  // briefly: the lease and the runner lists
    {
      std::lock_guard lock(status_mu_);
      if (!lease_expires_ || options_.clock->now() >= *lease_expires_) return report;
    }
    busy = listed_busy_runners();
  }
  report.acted = true;
  report.swept_jobs = sweep(report, busy);
  if (report.errors > 0) log::warn("sweep had errors", {{"errors", report.errors}, {"recorded", report.swept_jobs}});
  return report;
}

void Reconciler::release_lease() {
  std::lock_guard pass(pass_mu_);
  {
    std::lock_guard lock(status_mu_);
    if (!lease_expires_) return;  // never held (or already given up): nothing to release
  }
  auto st = options_.store->release_lease(kScalerLease, options_.holder, options_.clock->now());
  if (!st.ok()) log::warn("cannot release the scaler lease", {{"error", st.error().describe()}});
  std::lock_guard lock(status_mu_);
  lease_expires_.reset();
  status_.acting = false;
}

void Reconciler::log_action(const std::string& pool, ActionKind kind, std::int64_t count, const std::string& reason,
                            const std::string& result, PassReport& report) {
  Action a;
  a.at = options_.clock->now();
  a.pool = pool;
  a.kind = kind;
  a.count = count;
  a.reason = reason;
  a.result = log::redact(result);
  auto id = options_.store->append_action(a);
  ++report.actions;
  if (!id.ok()) {
    ++report.errors;
    log::error("cannot append to the action log", {{"pool", pool}, {"error", id.error().describe()}});
  }
  const bool ok = result == "ok" || result.rfind("ok", 0) == 0;
  log::write(ok ? log::Level::kInfo : log::Level::kWarn, "scaler action",
             {{"pool", pool}, {"kind", std::string(to_string(kind))}, {"count", count}, {"reason", reason}, {"result", a.result}});
}

TimePoint Reconciler::runner_list_fetched_at(const config::PoolConfig& pool) const {
  auto it = runner_cache_.find(scope_of(pool).path());
  return it == runner_cache_.end() ? TimePoint{} : it->second.fetched_at;
}

Duration Reconciler::runner_list_age(const config::PoolConfig& pool, TimePoint now) const {
  auto it = runner_cache_.find(scope_of(pool).path());
  if (it == runner_cache_.end()) return Duration::max();
  return std::chrono::duration_cast<Duration>(now - it->second.fetched_at);
}

Result<Reconciler::RunnerList> Reconciler::runners_of(const config::PoolConfig& pool, bool refresh, bool* fresh) {
  const github::Scope scope = scope_of(pool);
  const std::string key = scope.path();
  if (auto it = runner_cache_.find(key); it != runner_cache_.end()) {
    const bool this_pass = it->second.fetched_at >= pass_started_;
    if (this_pass || (!refresh && it->second.fetched_at >= runner_cache_valid_from_)) {
      if (fresh != nullptr) *fresh = this_pass;
      return it->second.runners;
    }
  }
  auto runners = options_.github->list_runners(scope);
  if (!runners.ok()) return runners.error();
  auto list = std::make_shared<const std::vector<github::Runner>>(std::move(*runners));
  runner_cache_[key] = CachedRunners{pass_started_, list};
  if (fresh != nullptr) *fresh = true;
  return list;
}

PassReport Reconciler::run_pass(PassKind kind, const std::vector<std::string>& only_pools) {
  std::lock_guard pass(pass_mu_);
  PassReport report;
  const TimePoint started = options_.clock->now();
  const auto real_start = std::chrono::steady_clock::now();
  if (!hold_lease(started)) return report;
  report.acted = true;
  // A sweep lists runners anew; wake-ups and ticks plan on the last list (however old),
  // with the webhooks telling which runners took jobs since, and list again only before
  // removing anything (see reconcile_pool). Within a pass a list is fetched at most once.
  pass_started_ = started;
  runner_cache_valid_from_ = kind == PassKind::kSweep ? started : TimePoint::min();

  if (kind == PassKind::kSweep && !discovery_beside_) {
    for (const auto& p : pools_) (void)runners_of(p->config);  // this pass's lists, fresh
    report.swept_jobs = sweep(report, listed_busy_runners());
  }

  // The queue by label set, each cut at what one pass could launch for: a long backlog
  // costs this pass no more than a short one.
  std::size_t per_group = 1;
  for (const auto& p : pools_) per_group = std::max(per_group, static_cast<std::size_t>(std::max(0, p->config.max_runners)));
  per_group = std::min(per_group, options_.max_jobs);
  auto groups = options_.store->queued_groups(per_group);
  if (!groups.ok()) {
    ++report.errors;
    log::error("cannot read jobs from the store", {{"error", groups.error().describe()}});
    return report;
  }
  // The running jobs: read again only when the store says they changed (or cannot say).
  const std::optional<std::uint64_t> running_version = options_.store->running_version();
  const bool running_changed = !running_version || running_version != running_version_;
  if (running_changed) {
    store::JobFilter running_filter;
    running_filter.status = JobStatus::kInProgress;
    running_filter.limit = options_.max_jobs;
    auto listed = options_.store->list_jobs(running_filter);
    if (!listed.ok()) {
      ++report.errors;
      running_version_.reset();
      log::error("cannot read jobs from the store", {{"error", listed.error().describe()}});
      return report;
    }
    running_ = std::move(*listed);
    running_version_ = running_version;
  }
  std::optional<Duration> cooldown;
  if (auto setting = options_.store->get_setting(kCooldownSetting); setting.ok()) {
    cooldown = parse_cooldown_ms(*setting);
    if (setting->has_value() && !cooldown) log::warn("ignoring settings_cooldown: not a number of milliseconds", {{"value", **setting}});
  }

  // Each label set goes to the first pool, in config order, whose labels cover it.
  std::vector<std::vector<Job>> queued(pools_.size());
  std::vector<int> queued_beyond(pools_.size(), 0);
  std::set<std::int64_t> unmatched_now;
  for (store::QueuedGroup& g : *groups) {
    std::size_t p = 0;
    while (p < pools_.size() && !pool_takes(pools_[p]->config, g.labels)) ++p;
    if (p == pools_.size()) {
      for (const Job& j : g.oldest) {
        unmatched_now.insert(j.job_id);
        if (!reported_unmatched_.insert(j.job_id).second) continue;
        metrics_->unmatched_job();
        log::warn("queued job matches no pool; not launching for it",
                  {{"job_id", j.job_id}, {"repository", j.repository}, {"labels", j.labels.joined()}});
      }
      continue;
    }
    // A scale-set pool's demand is what GitHub assigned to its scale set, as its listener
    // recorded it. The same jobs seen through the REST API (the sweep) or a webhook carry
    // other ids: counted too, each would launch twice.
    const bool scale_set = pools_[p]->config.demand == config::Demand::kScaleSet;
    int held = 0;
    for (Job& j : g.oldest) {
      if (scale_set && !from_scale_set(j)) {
        continue;
      }
      // Jobs held for GitHub's confirmation are no demand yet; while a group has any, its
      // uncounted rest is no demand either (the rest may be replays too).
      if (hold_for_confirmation(j)) {
        ++held;
        continue;
      }
      queued[p].push_back(std::move(j));
    }
    report.unverified += held;
    // A scale set is assigned at most max_runners jobs: all of them are among the oldest.
    if (held == 0 && !scale_set) queued_beyond[p] += static_cast<int>(g.count - static_cast<std::int64_t>(g.oldest.size()));
  }
  // Forget jobs that left the queue (bounded by what is queued now).
  std::erase_if(reported_unmatched_, [&](std::int64_t id) { return unmatched_now.count(id) == 0; });
  for (std::size_t p = 0; p < pools_.size(); ++p) {
    std::sort(queued[p].begin(), queued[p].end(), [](const Job& a, const Job& b) { return a.job_id < b.job_id; });
    if (queued[p].size() > per_group) {
      queued_beyond[p] += static_cast<int>(queued[p].size() - per_group);
      queued[p].resize(per_group);
    }
  }

  if (running_changed) note_running(started);
  {
    // Freed runners matter only while a cached list is older than their job's end.
    TimePoint oldest_list = started;
    for (const auto& [scope, cached] : runner_cache_) oldest_list = std::min(oldest_list, cached.fetched_at);
    // Passes start in time order, so freed_order_ is sorted by time: prune from its front.
    while (!freed_order_.empty() && (freed_order_.front().first < oldest_list || freed_at_.size() > kMaxFreed)) {
      auto& [at, name] = freed_order_.front();
      if (auto f = freed_at_.find(name); f != freed_at_.end() && f->second == at) freed_at_.erase(f);
      freed_order_.pop_front();
    }
  }

  for (std::size_t i = 0; i < pools_.size(); ++i) {
    if (!still_holding()) {
      log::warn("scaler lease lost during a pass; stopping");
      break;
    }
    const std::string& name = pools_[i]->config.name;
    if (!only_pools.empty() && std::find(only_pools.begin(), only_pools.end(), name) == only_pools.end()) continue;
    PoolPassReport pool_report;
    pool_report.pool = name;
    const int errors_before = report.errors;
    reconcile_pool(i, queued[i], queued_beyond[i], running_, cooldown, report, pool_report);
    pool_report.errors = report.errors - errors_before;
    if (pool_report.launched > 0) {
      pool_report.action = PoolAction::kScaleOut;
    } else if (pool_report.action == PoolAction::kNone && pool_report.errors > 0) {
      pool_report.action = PoolAction::kError;
    }
    report.pools.push_back(std::move(pool_report));
  }

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - real_start).count();
  metrics_->reconcile_duration(seconds);
  std::lock_guard lock(status_mu_);
  status_.last_pass = started;
  if (kind == PassKind::kSweep) status_.last_sweep = started;
  return report;
}

// What the webhooks say changed among the running jobs since the last read: each job's
// queue wait once, when first seen running (and the starts the warm pool and reuse.keep
// count), and the runners whose job ended (freed_at_). A merge of two id-sorted lists: the
// names of one pool share a long prefix, and sorting or searching them by text cost more
// than the rest of the bookkeeping.
void Reconciler::note_running(TimePoint started) {
  std::vector<const Job*> now_running;
  now_running.reserve(running_.size());
  for (const Job& j : running_) now_running.push_back(&j);
  std::sort(now_running.begin(), now_running.end(), [](const Job* a, const Job* b) { return a->job_id < b->job_id; });
  auto first_seen = [&](const Job& j) {
    for (auto& p : pools_) {
      if (j.runner_name.rfind(runner_name_prefix(p->config.name), 0) != 0) continue;
      ++p->starts_per_minute[minute_of(j.started_at.value_or(started))];
      // 25 hours of minutes at most: a day ago's window is the oldest read.
      while (!p->starts_per_minute.empty() && p->starts_per_minute.begin()->first < minute_of(started) - 25 * 60) {
        p->starts_per_minute.erase(p->starts_per_minute.begin());
      }
    }
    const auto from = j.created_at ? *j.created_at : j.received_at;
    if (j.started_at && *j.started_at >= from) metrics_->queue_wait(std::chrono::duration<double>(*j.started_at - from).count());
  };
  std::vector<SeenRunning> next;
  next.reserve(now_running.size());
  std::vector<std::string> left;  // runner names of jobs gone (or moved to another runner)
  std::size_t i = 0, k = 0;
  while (i < seen_running_.size() || k < now_running.size()) {
    if (i == seen_running_.size() || (k < now_running.size() && now_running[k]->job_id < seen_running_[i].job_id)) {
      first_seen(*now_running[k]);
      next.push_back({now_running[k]->job_id, now_running[k]->runner_name});
      ++k;
    } else if (k == now_running.size() || seen_running_[i].job_id < now_running[k]->job_id) {
      if (!seen_running_[i].runner_name.empty()) left.push_back(std::move(seen_running_[i].runner_name));
      ++i;
    } else {
      if (seen_running_[i].runner_name != now_running[k]->runner_name) {
        if (!seen_running_[i].runner_name.empty()) left.push_back(std::move(seen_running_[i].runner_name));
        next.push_back({now_running[k]->job_id, now_running[k]->runner_name});
      } else {
        next.push_back(std::move(seen_running_[i]));
      }
      ++i;
      ++k;
    }
  }
  seen_running_ = std::move(next);
  // Freed: a runner with a job at the last read and none now. A list fetched before this
  // pass may still call it busy.
  std::sort(left.begin(), left.end());
  left.erase(std::unique(left.begin(), left.end()), left.end());
  for (std::string& name : left) {
    const bool still = std::any_of(seen_running_.begin(), seen_running_.end(), [&](const SeenRunning& r) { return r.runner_name == name; });
    if (still) continue;
    freed_at_[name] = started;
    freed_order_.emplace_back(started, std::move(name));
  }
}

namespace {

// Jobs the store has from GitHub's API (the sweep, a confirmation, a scale set's message
// session) rather than from a delivery: their timestamps say nothing of a replay.
bool from_github_api(const Job& job) {
  return job.delivery_id.rfind("sweep:", 0) == 0 || job.delivery_id.rfind("verify:", 0) == 0 || from_scale_set(job);
}

constexpr std::size_t kMaxHeld = 10000;  // jobs waiting for, or refused by, confirmation

}  // namespace

bool Reconciler::hold_for_confirmation(const Job& job) {
  const Duration window = options_.reconcile.replay_window;
  if (window.count() <= 0 || !job.created_at || from_github_api(job) || job.received_at - *job.created_at <= window) return false;
  std::lock_guard lock(held_mu_);
  if (unknown_at_github_.count(job.job_id) != 0) return true;
  // Bounded: past the bound the newest are held without being asked about until room frees.
  if (to_confirm_.size() < kMaxHeld) to_confirm_.insert(job.job_id);
  return true;
}

void Reconciler::reconcile_pool(std::size_t index, const std::vector<Job>& queued, int queued_beyond, const std::vector<Job>& running,
                                const std::optional<Duration>& cooldown, PassReport& report, PoolPassReport& pool_report) {
  PoolState& ps = *pools_[index];
  const config::PoolConfig& pool = ps.config;
  const TimePoint now = options_.clock->now();

  // --- observe ---
  auto cloud = ps.provider->describe(pool.name);
  Status stored = ok_status();
  if (const std::int64_t token = lease_token_.load(); ps.records_token != token) {
    auto listed = options_.store->list_instances(pool.name, false);
    if (listed.ok()) {
      ps.records = std::move(*listed);
      std::sort(ps.records.begin(), ps.records.end(), [](const Instance& a, const Instance& b) { return a.instance_id < b.instance_id; });
      ps.records_token = token;
    } else {
      stored = listed.error();
    }
  }
  // An instance still booting by our records may have registered since the last list
  // (a runner that came up with no job to take tells no webhook): look again, at most
  // once per runner_list_max_age, so idle capacity shows as idle.
  bool uncertain = false;
  if (stored.ok()) {
    uncertain = std::any_of(ps.records.begin(), ps.records.end(), [&](const Instance& i) {
      // A reused instance boots its next runner from its last job's end.
      const TimePoint since = std::max(i.launched_at, i.last_busy_at.value_or(i.launched_at));
      return i.state == InstanceState::kBooting && now - since >= options_.runner_list_max_age;
    });
  }
  bool runners_fresh = false;
  auto runners = runners_of(pool, uncertain && runner_list_age(pool, now) >= options_.runner_list_max_age, &runners_fresh);
  if (!cloud.ok() || !runners.ok() || !stored.ok()) {
    ++report.errors;
    const Error& e = !cloud.ok() ? cloud.error() : !runners.ok() ? runners.error() : stored.error();
    log::warn("cannot observe pool; skipping it this pass", {{"pool", pool.name}, {"error", e.describe()}});
    return;
  }
  auto observe_with = [&](const std::vector<github::Runner>& list, bool fresh) {
    ObserveInput in{pool, now, *cloud, list, fresh, ps.records, queued, queued_beyond, running, ps.handed_over};
    in.runners_listed_at = runner_list_fetched_at(pool);
    in.freed_at = &freed_at_;
    return observe(in);
  };
  Observation seen = observe_with(**runners, runners_fresh);
  auto last_out = options_.store->last_action(pool.name, ActionKind::kScaleOut);
  auto last_in = options_.store->last_action(pool.name, ActionKind::kScaleIn);
  if (!last_out.ok() || !last_in.ok()) {
    ++report.errors;
    log::warn("cannot read the last scale actions; skipping pool", {{"pool", pool.name}});
    return;
  }

  Settings settings;
  settings.cooldown = cooldown;
  settings.launch_budget = ps.bucket.available(now);
  if (pool.warm_pool.enabled) settings.min_idle = std::max(pool.min_idle, warm_target(ps, now));
  // Spent instances worth keeping as idle runners, from the jobs expected to arrive within
  // one boot at the last 15 minutes' rate (keep_idle_for: a trickle keeps none). They are
  // caught, never launched for (plan.cc).
  if (pool.ephemeral && pool.reuse.enabled && pool.reuse.keep > 0) {
    const double expected = recent_rate(ps.starts_per_minute, now, kKeepWindow) * boot_estimate(ps.boot_seconds);
    settings.keep_idle = keep_idle_for(pool.reuse.keep, expected, pool.max_runners);
  }

  // --- plan ---
  auto snapshot_of = [&](Observation& o) -> Snapshot& {
    if (*last_out) o.snapshot.last_scale_out = (*last_out)->at;
    if (*last_in) o.snapshot.last_scale_in = (*last_in)->at;
    return o.snapshot;
  };
  Plan p = plan(snapshot_of(seen), pool, settings, now);
  if (!runners_fresh && removes_capacity(p)) {
    // Removal is decided on a list of this pass only: an older one may miss a job just
    // taken, or a runner that registered since.
    auto fresh = runners_of(pool, true, &runners_fresh);
    if (!fresh.ok()) {
      ++report.errors;
      log::warn("cannot list runners; nothing removed this pass", {{"pool", pool.name}, {"error", fresh.error().describe()}});
      std::erase_if(p.steps, [](const Step& s) {
        return s.kind == StepKind::kDeregister || s.kind == StepKind::kTerminate || s.kind == StepKind::kDeleteRunner;
      });
    } else {
      seen = observe_with(**fresh, true);
      p = plan(snapshot_of(seen), pool, settings, now);
    }
  }
  {
    // Boots as the warm pool and the keep rule size them: launch to first registration (a reused instance's
    // later runners start in seconds, not a boot).
    for (const Instance& rec : seen.upserts) {
      if (!rec.registered_at || registration_of(pool.name, rec.instance_id, rec.runner_name) != 1) continue;
      if (const Instance* before = ps.find_record(rec.instance_id); before != nullptr && before->registered_at) continue;
      ps.boot_seconds.push_back(std::chrono::duration<double>(*rec.registered_at - rec.launched_at).count());
      if (ps.boot_seconds.size() > 32) ps.boot_seconds.pop_front();
    }
  }
  for (const Instance& rec : seen.upserts) {
    if (auto st = record(ps, rec); !st.ok()) {
      ++report.errors;
      log::warn("cannot record instance", {{"instance", rec.instance_id}, {"error", st.error().describe()}});
    }
  }
  for (const std::string& id : seen.vanished) {
    if (auto st = forget(ps, id); !st.ok()) ++report.errors;
  }
  for (std::int64_t job : seen.jobs_on_vanished_spot) ps.vanished_under.emplace(job, now);
  for (auto it = ps.vanished_under.begin(); it != ps.vanished_under.end();) {
    auto job = options_.store->get_job(it->first);
    const bool ended = job.ok() && job->status == JobStatus::kCompleted;
    // A job GitHub never reports ended within an hour counts too (its webhook was lost).
    if (!ended && now - it->second < std::chrono::hours(1)) {
      ++it;
      continue;
    }
    if (!ended || job->conclusion != "success") {
      metrics_->spot_interruption();
      log::warn("a spot instance was reclaimed during a job", {{"pool", pool.name}, {"job_id", it->first}});
    }
    it = ps.vanished_under.erase(it);
  }
  pool_report.counts = p.counts;
  if (p.cooldown_active) {
    pool_report.action = PoolAction::kCooldown;
    pool_report.cooldown_remaining = p.cooldown_remaining;
  }
  metrics_->set_pool(pool.name, p.counts);
  {
    std::lock_guard lock(status_mu_);
    PoolStatus& st = status_.pools[index];
    st.counts = p.counts;
    st.cooldown_active = p.cooldown_active;
    st.notes = p.notes;
    st.observed_at = now;
  }

  // --- act ---
  act(ps, p, *last_out ? (*last_out)->id : 0, now, report, pool_report);
}

bool Reconciler::register_instance(PoolState& ps, const std::string& instance_id, const std::string& name, const std::string& why,
                                   PassReport& report) {
  const config::PoolConfig& pool = ps.config;
  const bool reuse = registration_of(pool.name, instance_id, name) > 1;
  provider::Registration reg;
  reg.runner_name = name;
  reg.labels = pool.labels.items();
  reg.runner_group = pool.runner_group;
  reg.ephemeral = pool.ephemeral;
  std::int64_t runner_id = 0;
  std::string failure;
  if (pool.ephemeral) {
    if (!ps.runner_group_id) {
      if (ps.scope.kind == github::Scope::Kind::kRepo) {
        ps.runner_group_id = 1;  // a repository has only the Default group
      } else if (auto g = github::resolve_runner_group(*options_.github, ps.scope, pool.runner_group); g.ok()) {
        ps.runner_group_id = *g;
      } else {
        failure = "runner group: " + g.error().describe();
      }
    }
    if (failure.empty()) {
      github::JitConfigRequest req;
      req.name = name;
      req.runner_group_id = *ps.runner_group_id;
      req.labels = pool.labels.items();
      auto jit = options_.github->generate_jit_config(ps.scope, req);
      if (!jit.ok() && jit.error().kind == ErrorKind::kConflict) {
        // The name is taken: a config generated before a crash never reached the instance.
        // That runner has never been online, so it is deleted and a fresh config made.
        auto runners = options_.github->list_runners(ps.scope);
        if (runners.ok()) {
          for (const auto& r : *runners) {
            if (r.name == name && !r.busy && r.status == github::RunnerStatus::kOffline) {
              (void)options_.github->delete_runner(ps.scope, r.id);
              jit = options_.github->generate_jit_config(ps.scope, req);
            }
          }
        }
      }
      if (jit.ok()) {
        log::add_secret(jit->encoded_jit_config);
        reg.kind = provider::Registration::Kind::kJitConfig;
        reg.secret = std::move(jit->encoded_jit_config);
        runner_id = jit->runner.id;
      } else {
        failure = "generate-jitconfig: " + jit.error().describe();
      }
    }
  } else {
    auto token = options_.github->registration_token(ps.scope);
    if (token.ok()) {
      log::add_secret(token->token);
      reg.kind = provider::Registration::Kind::kRegistrationToken;
      reg.secret = std::move(token->token);
      reg.url = options_.web_url + "/" + (ps.scope.kind == github::Scope::Kind::kEnterprise ? "enterprises/" : "") + ps.scope.name;
    } else {
      failure = "registration token: " + token.error().describe();
    }
  }
  if (failure.empty()) {
    Status st = ps.provider->hand_over(instance_id, reg);
    if (!st.ok()) {
      failure = "hand-over: " + st.error().describe();
      // The JIT runner exists at GitHub and no instance will ever run it: removed at once
      // rather than left for the sweep (and its name is free for the next try).
      if (runner_id != 0) {
        if (auto del = options_.github->delete_runner(ps.scope, runner_id); del.ok()) {
          failure += "; its runner was removed";
        } else {
          failure += "; removing its runner failed too (the sweep removes it): " + del.error().describe();
        }
      }
    }
  }
  if (!failure.empty()) {
    ++report.errors;
    log_action(pool.name, ActionKind::kRegister, 1, why + " [" + instance_id + "]", failure, report);
    return false;
  }
  ps.handed_over.insert(instance_id);
  const Instance* rec = ps.records_token ? ps.find_record(instance_id) : nullptr;
  std::optional<Instance> read;
  if (!ps.records_token) {
    if (auto got = options_.store->get_instance(instance_id); got.ok()) read = std::move(*got);
    rec = read ? &*read : nullptr;
  }
  Instance updated = rec != nullptr ? *rec : Instance{};
  if (rec == nullptr) {
    updated.pool = pool.name;
    updated.instance_id = instance_id;
    updated.launched_at = options_.clock->now();
    updated.state = InstanceState::kBooting;
  }
  updated.runner_name = name;
  updated.runner_id = runner_id;
  if (reuse) {
    // The next runner starts when the current job ends (observe() sees that job on the
    // earlier name and keeps the instance busy): it is registered once GitHub lists it
    // or a job runs on it, and boot_timeout counts from the job's end (last_busy_at).
    updated.registered_at.reset();
    metrics_->reused();
  }
  if (auto st = record(ps, updated); !st.ok()) ++report.errors;
  log_action(pool.name, ActionKind::kRegister, 1, why + " [" + instance_id + "]", "ok: " + name, report);
  return true;
}

Status Reconciler::record(PoolState& ps, const Instance& rec) {
  Status st = options_.store->upsert_instance(rec);
  if (!st.ok()) {
    ps.records_token.reset();  // what the store holds now is unknown: read it again
  } else if (ps.records_token) {
    ps.cache(rec);
  }
  return st;
}

Status Reconciler::forget(PoolState& ps, const std::string& instance_id) {
  Status st = options_.store->update_instance_state(instance_id, InstanceState::kTerminated);
  if (!st.ok() && st.error().kind != ErrorKind::kNotFound) {
    ps.records_token.reset();
  } else if (ps.records_token) {
    Instance gone;
    gone.instance_id = instance_id;
    gone.state = InstanceState::kTerminated;
    ps.cache(gone);
  }
  return st;
}

bool Reconciler::holds_lease(TimePoint now) const {
  std::lock_guard lock(status_mu_);
  return lease_expires_ && now < *lease_expires_;
}

ScalerStatus Reconciler::status() const {
  ScalerStatus out;
  {
    std::lock_guard lock(status_mu_);
    out = status_;
  }
  auto actions = options_.store->last_actions(200);
  if (actions.ok()) {
    for (auto& ps : out.pools) {
      for (const auto& a : *actions) {
        if (a.pool == ps.name && ps.last_actions.size() < 10) ps.last_actions.push_back(a);
      }
    }
  }
  return out;
}

}  // namespace ghscale::scaler
