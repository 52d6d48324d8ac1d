#include "scaler/scale_set_listener.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "core/log.h"

namespace ghscale::scaler {
namespace {

// splitmix64's finaliser: consecutive request ids land far apart.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The service's results as GitHub's REST API spells conclusions.
std::string conclusion_of(std::string_view result) {
  if (result == "succeeded") return "success";
  if (result == "failed") return "failure";
  if (result == "canceled") return "cancelled";
  return std::string(result);
}

std::string setting_name(const config::PoolConfig& pool) {
  return "scaleset_session:" + pool.name;
}

}  // namespace

std::int64_t scale_set_job_id(std::int64_t runner_request_id, std::optional<TimePoint> scale_set_assign_time) {
  constexpr std::uint64_t kBase = std::uint64_t{1} << 52;
  std::uint64_t h = mix(static_cast<std::uint64_t>(runner_request_id));
  if (scale_set_assign_time) h = mix(h ^ static_cast<std::uint64_t>(to_unix_ms(*scale_set_assign_time)));
  return static_cast<std::int64_t>(kBase | (h & (kBase - 1)));
}

std::optional<JobEvent> to_job_event(const scaleset::JobEvent& in, const config::PoolConfig& pool, TimePoint now) {
  JobEvent e;
  switch (in.kind) {
    case scaleset::JobEventKind::kAssigned:
      e.status = JobStatus::kQueued;
      break;
    case scaleset::JobEventKind::kStarted:
      e.status = JobStatus::kInProgress;
      break;
    case scaleset::JobEventKind::kCompleted:
      e.status = JobStatus::kCompleted;
      break;
    case scaleset::JobEventKind::kAvailable:
      return std::nullopt;  // the older acquisition flow; the service assigns without it
  }
  e.event = "workflow_job";
  e.action = std::string(to_string(e.status));
  e.job_id = scale_set_job_id(in.runner_request_id, in.scale_set_assign_time);
  // Stable across redeliveries of the message, so the store deduplicates them.
  e.delivery_id = std::string(kScaleSetDeliveryPrefix) + pool.scale_set.name + ":" + std::to_string(in.runner_request_id) + ":" +
                  std::to_string(e.job_id) + ":" + e.action;
  e.run_id = in.workflow_run_id;
  e.owner = in.owner_name;
  e.repository = in.owner_name.empty() ? in.repository_name : in.owner_name + "/" + in.repository_name;
  // The service assigned the job to this pool's scale set: it matches the pool.
  e.labels = pool.labels;
  e.runner_group_name = pool.runner_group;
  e.workflow_name = in.job_workflow_ref;
  e.job_name = in.job_display_name;
  e.created_at = in.queue_time;
  e.received_at = now;
  if (e.status >= JobStatus::kInProgress) {
    e.runner_id = in.runner_id;
    e.runner_name = in.runner_name;
    e.started_at = in.runner_assign_time;
  }
  if (e.status == JobStatus::kCompleted) {
    e.conclusion = conclusion_of(in.result);
    e.completed_at = in.finish_time ? in.finish_time : std::optional<TimePoint>(now);
  }
  return e;
}

struct ScaleSetListener::Core {
  explicit Core(ScaleSetListenerOptions o) : options(std::move(o)) {}

  const ScaleSetListenerOptions options;
  std::function<bool()> holds_lease;      // set once by start()
  std::shared_ptr<webhook::Waker> waker;  // set once by start()

  mutable std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;                     // guarded by mu
  bool exited = false;                       // guarded by mu: the thread is done
  std::optional<scaleset::Session> session;  // guarded by mu
  ScaleSetListenerCounts counts;             // guarded by mu
  std::atomic<std::int64_t> scale_set_id{0};
  std::mutex ensure_mu;                 // one ensure at a time (the thread, a JIT config)
  Duration backoff{0};                  // the thread's only
  std::optional<TimePoint> last_check;  // the thread's only: statistics compared

  bool stopped() const {
    std::lock_guard lock(mu);
    return stopping;
  }
  // Waits `d` of the clock's time, or until stop().
  void pause(Duration d) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, options.clock->real_time(d), [&] { return stopping; });
  }
  void fail_and_back_off() {
    {
      std::lock_guard lock(mu);
      ++counts.failures;
    }
    backoff = backoff.count() == 0 ? options.backoff_base : std::min(backoff * 2, options.backoff_cap);
    pause(backoff);
  }

  Result<std::int64_t> ensure() {
    std::lock_guard lock(ensure_mu);
    if (const std::int64_t id = scale_set_id.load(); id != 0) return id;
    const config::PoolConfig& pool = options.pool;
    auto group = options.client->get_runner_group(pool.runner_group);
    if (!group)
      return make_error(group.error().kind, "runner group " + pool.runner_group + ": " + group.error().message);
    scaleset::ScaleSetSpec spec;
    spec.name = pool.scale_set.name;
    spec.runner_group_id = group->id;
    // Its name first (runs-on: NAME), then the pool's labels, so either way of asking matches.
    spec.labels.push_back(pool.scale_set.name);
    for (const auto& l : pool.labels.items()) {
      if (l != pool.scale_set.name) spec.labels.push_back(l);
    }
    spec.disable_update = pool.scale_set.disable_update;
    auto set = options.client->ensure_scale_set(spec);
    if (!set) return set.error();
    scale_set_id = set->id;
    log::info("scale set ready", {{"pool", pool.name},
                                  {"scale_set", set->name},
                                  {"scale_set_id", set->id},
                                  {"runner_group", pool.runner_group}});
    return set->id;
  }

  void run();
  bool open_session(std::int64_t id);
  void close_session();
  // Records the message's events durably; true when every one was stored.
  bool record(const scaleset::Message& message);
  void check_statistics(const scaleset::Statistics& statistics);
};

void ScaleSetListener::Core::close_session() {
  std::optional<scaleset::Session> s;
  {
    std::lock_guard lock(mu);
    s = session;
  }
  if (!s) return;
  auto st = options.client->delete_session(s->scale_set_id, s->session_id);
  {
    // Held until the service was told: has_session() false means deleted (or given up).
    std::lock_guard lock(mu);
    if (session && session->session_id == s->session_id) session.reset();
  }
  if (!st && st.error().kind != ErrorKind::kNotFound) {
    log::warn("scale set: cannot delete the message session",
              {{"pool", options.pool.name}, {"error", st.error().describe()}});
  } else {
    log::info("scale set: message session closed", {{"pool", options.pool.name}});
  }
}

bool ScaleSetListener::Core::open_session(std::int64_t id) {
  auto created = options.client->create_session(id, options.holder);
  if (!created && created.error().kind == ErrorKind::kConflict) {
    {
      std::lock_guard lock(mu);
      ++counts.conflicts;
    }
    // A session a daemon of this store opened, and this process holds the lease now: that
    // daemon died or lost the lease, so its session is stale. Deleted, and opened anew.
    auto named = options.store->get_setting(setting_name(options.pool));
    if (named.ok() && named->has_value() && !(*named)->empty()) {
      auto deleted = options.client->delete_session(id, **named);
      if (deleted || deleted.error().kind == ErrorKind::kNotFound) {
        log::info("scale set: took the session over from a daemon that no longer holds the lease",
                  {{"pool", options.pool.name}});
        {
          std::lock_guard lock(mu);
          ++counts.takeovers;
        }
        created = options.client->create_session(id, options.holder);
      }
    }
  }
  if (!created) {
    if (created.error().kind == ErrorKind::kNotFound) scale_set_id = 0;  // deleted: ensured again
    log::warn(created.error().kind == ErrorKind::kConflict ? "scale set: another owner holds the session; waiting"
                                                           : "scale set: cannot open a message session",
              {{"pool", options.pool.name}, {"error", created.error().describe()}});
    return false;
  }
  if (auto st = options.store->set_setting(setting_name(options.pool), created->session_id); !st) {
    log::warn("scale set: cannot name the session in the store",
              {{"pool", options.pool.name}, {"error", st.error().describe()}});
  }
  log::info("scale set: message session opened", {{"pool", options.pool.name}, {"scale_set_id", id}});
  if (created->statistics) check_statistics(*created->statistics);
  std::lock_guard lock(mu);
  ++counts.sessions_opened;
  session = std::move(created).value();
  return true;
}

bool ScaleSetListener::Core::record(const scaleset::Message& message) {
  std::vector<JobEvent> recorded;
  const TimePoint now = options.clock->now();
  for (const auto& in : message.events) {
    auto e = to_job_event(in, options.pool, now);
    if (!e) continue;
    // record() returns once the write is durable: only then may the message be acknowledged.
    auto r = options.store->record(*e);
    if (!r) {
      log::warn("scale set: cannot record a job event; the message will come again",
                {{"pool", options.pool.name}, {"job_id", e->job_id}, {"error", r.error().describe()}});
      return false;
    }
    if (*r == store::RecordOutcome::kRecorded) recorded.push_back(std::move(*e));
  }
  {
    std::lock_guard lock(mu);
    counts.events += static_cast<std::int64_t>(message.events.size());
  }
  if (waker) {
    for (const auto& e : recorded) waker->wake(e);
  }
  return true;
}

// The service's count of jobs assigned to the scale set against the store's queued and
// running jobs of the pool: a disagreement is logged; the sweep and later messages settle it.
void ScaleSetListener::Core::check_statistics(const scaleset::Statistics& statistics) {
  const TimePoint now = options.clock->now();
  if (last_check && now - *last_check < options.statistics_check) return;
  last_check = now;
  // The service assigns at most max_runners jobs: a read a few times that size sees them
  // all, whatever else the store holds.
  const std::size_t bound = 4 * static_cast<std::size_t>(std::max(1, options.pool.max_runners)) + 100;
  auto queued = options.store->queued_jobs(options.pool.labels, bound);
  store::JobFilter running_filter;
  running_filter.status = JobStatus::kInProgress;
  running_filter.limit = bound;
  auto running = options.store->list_jobs(running_filter);
  if (!queued || !running) return;
  std::int64_t mine = 0;  // the listener's own records: a webhook's copy of a job is not one
  for (const auto& j : *queued) mine += from_scale_set(j) ? 1 : 0;
  for (const auto& j : *running) {
    if (from_scale_set(j) && j.labels.subset_of(options.pool.labels)) ++mine;
  }
  if (mine != statistics.total_assigned_jobs) {
    log::info("scale set: the store's queued and running jobs differ from the jobs assigned to the scale set",
              {{"pool", options.pool.name},
               {"assigned", statistics.total_assigned_jobs},
               {"running_at_github", statistics.total_running_jobs},
               {"store", mine}});
  }
}

void ScaleSetListener::Core::run() {
  std::int64_t last_message_id = 0;
  bool refreshed_last = false;  // the last poll's 401 was answered by a refresh
  while (!stopped()) {
    if (!holds_lease()) {
      close_session();  // another daemon acts now: its listener polls
      pause(options.lease_check);
      continue;
    }
    auto id = ensure();
    if (!id) {
      log::warn("scale set: cannot ensure the scale set",
                {{"pool", options.pool.name}, {"error", id.error().describe()}});
      fail_and_back_off();
      continue;
    }
    std::optional<scaleset::Session> s;
    {
      std::lock_guard lock(mu);
      s = session;
    }
    if (!s) {
      if (!open_session(*id)) {
        fail_and_back_off();
        continue;
      }
      // The back-off is not reset here but by the first poll that works: a session opened
      // only to have its token refused again would otherwise back off 20 ms every time
      // (about 40 refreshes a second), never doubling.
      last_message_id = 0;
      continue;
    }
    const int capacity = options.pool.max_runners;  // what this pool can run at once, honestly
    auto message = options.client->get_message(*s, last_message_id, capacity);
    if (stopped()) break;
    if (!message) {
      const ErrorKind kind = message.error().kind;
      if (kind == ErrorKind::kUnauthorized) {
        // A token refreshed a moment ago and refused again (revoked, a skewed clock): no
        // loop of refreshes; the session is opened anew after a back-off.
        if (refreshed_last) {
          refreshed_last = false;
          {
            std::lock_guard lock(mu);
            session.reset();
          }
          fail_and_back_off();
          continue;
        }
        auto refreshed = options.client->refresh_session(s->scale_set_id, s->session_id);
        std::lock_guard lock(mu);
        if (refreshed) {
          session = std::move(refreshed).value();
          refreshed_last = true;
          continue;
        }
        session.reset();  // lost with its token: opened anew
        continue;
      }
      if (kind == ErrorKind::kNotFound) {
        // The service lost the session (or another lease holder took it over): open anew
        // while the lease is ours; unacknowledged messages come again.
        log::warn("scale set: message session lost", {{"pool", options.pool.name}});
        std::lock_guard lock(mu);
        session.reset();
        continue;
      }
      log::warn("scale set: polling failed", {{"pool", options.pool.name}, {"error", message.error().describe()}});
      fail_and_back_off();
      continue;
    }
    backoff = Duration{0};
    refreshed_last = false;
    if (!message->has_value()) continue;  // nothing for now: poll again
    const scaleset::Message& m = **message;
    if (!record(m)) {
      fail_and_back_off();  // not acknowledged: the service delivers it again
      continue;
    }
    last_message_id = std::max(last_message_id, m.id);
    if (auto st = options.client->delete_message(*s, m.id); !st) {
      // Recorded already: a redelivery is deduplicated by the store.
      log::warn("scale set: cannot acknowledge a message",
                {{"pool", options.pool.name}, {"error", st.error().describe()}});
      std::lock_guard lock(mu);
      ++counts.failures;
    } else {
      std::lock_guard lock(mu);
      ++counts.messages;
    }
    check_statistics(m.statistics);
  }
  close_session();
  std::lock_guard lock(mu);
  exited = true;
  cv.notify_all();
}

ScaleSetListener::ScaleSetListener(ScaleSetListenerOptions options)
    : core_(std::make_shared<Core>(std::move(options))) {
  if (!core_->options.clock) throw std::invalid_argument("scale set listener: a clock is required");
}

ScaleSetListener::~ScaleSetListener() {
  stop();
}

void ScaleSetListener::start(std::function<bool()> holds_lease, std::shared_ptr<webhook::Waker> waker) {
  {
    std::lock_guard lock(core_->mu);
    if (core_->stopping || core_->holds_lease) return;
    core_->holds_lease = std::move(holds_lease);
    core_->waker = std::move(waker);
  }
  // The thread owns a reference: a poll stuck past stop()'s bound finds its state alive.
  std::thread([core = core_] { core->run(); }).detach();
}

void ScaleSetListener::stop() {
  std::optional<scaleset::Session> s;
  bool started = false;
  {
    std::lock_guard lock(core_->mu);
    if (core_->stopping) return;
    core_->stopping = true;
    started = static_cast<bool>(core_->holds_lease);
    s = core_->session;
  }
  core_->cv.notify_all();
  if (!started) return;
  // A held long poll ends when its session is deleted; the thread then finds nothing to close.
  if (s) {
    auto st = core_->options.client->delete_session(s->scale_set_id, s->session_id);
    if (st || st.error().kind == ErrorKind::kNotFound) {
      std::lock_guard lock(core_->mu);
      if (core_->session && core_->session->session_id == s->session_id) core_->session.reset();
      log::info("scale set: message session closed", {{"pool", core_->options.pool.name}});
    }
  }
  std::unique_lock lock(core_->mu);
  if (!core_->cv.wait_for(lock, core_->options.stop_bound, [&] { return core_->exited; })) {
    log::warn("scale set: a poll did not end within the bound; leaving it behind",
              {{"pool", core_->options.pool.name}});
  }
}

Result<github::JitConfig> ScaleSetListener::jit_config(const std::string& runner_name) {
  auto id = core_->ensure();
  if (!id) return id.error();
  auto jit = core_->options.client->generate_jit_config(*id, runner_name);
  if (!jit && jit.error().kind == ErrorKind::kNotFound) core_->scale_set_id = 0;  // deleted: ensured again next time
  if (!jit) return jit.error();
  github::JitConfig out;
  out.runner.id = jit->runner.id;
  out.runner.name = jit->runner.name.empty() ? runner_name : jit->runner.name;
  out.runner.labels = core_->options.pool.labels.items();
  out.encoded_jit_config = std::move(jit->encoded_jit_config);
  return out;
}

const config::PoolConfig& ScaleSetListener::pool() const {
  return core_->options.pool;
}

std::int64_t ScaleSetListener::scale_set_id() const {
  return core_->scale_set_id.load();
}

bool ScaleSetListener::has_session() const {
  std::lock_guard lock(core_->mu);
  return core_->session.has_value();
}

ScaleSetListenerCounts ScaleSetListener::counts() const {
  std::lock_guard lock(core_->mu);
  return core_->counts;
}

void append_scale_set_metrics(const std::vector<std::shared_ptr<ScaleSetListener>>& listeners, std::string& out) {
  if (listeners.empty()) return;
  struct Counter {
    const char* name;
    const char* help;
    std::int64_t ScaleSetListenerCounts::*field;
  };
  static const Counter kCounters[] = {
      {"ghscale_scale_set_messages_total", "Messages of the scale set's session recorded and acknowledged.",
       &ScaleSetListenerCounts::messages},
      {"ghscale_scale_set_events_total", "Job events read from the scale set's messages (redeliveries included).",
       &ScaleSetListenerCounts::events},
      {"ghscale_scale_set_sessions_opened_total", "Message sessions this daemon opened.",
       &ScaleSetListenerCounts::sessions_opened},
      {"ghscale_scale_set_session_conflicts_total", "Sessions found held by another owner when opening one.",
       &ScaleSetListenerCounts::conflicts},
      {"ghscale_scale_set_session_takeovers_total", "Stale sessions of this store's daemons deleted to take over.",
       &ScaleSetListenerCounts::takeovers},
      {"ghscale_scale_set_failures_total", "Polls, acknowledgements and writes of the listener that failed.",
       &ScaleSetListenerCounts::failures},
  };
  std::vector<std::pair<std::string, ScaleSetListenerCounts>> counts;
  for (const auto& l : listeners) counts.emplace_back(l->pool().name, l->counts());
  for (const auto& c : kCounters) {
    out += std::string("# HELP ") + c.name + " " + c.help + "\n# TYPE " + c.name + " counter\n";
    for (const auto& [pool, n] : counts)
      out += std::string(c.name) + "{pool=\"" + pool + "\"} " + std::to_string(n.*c.field) + "\n";
  }
  out +=
      "# HELP ghscale_scale_set_session Whether this daemon holds the scale set's message session.\n"
      "# TYPE ghscale_scale_set_session gauge\n";
  for (const auto& l : listeners) {
    out += "ghscale_scale_set_session{pool=\"" + l->pool().name + "\"} " + (l->has_session() ? "1" : "0") + "\n";
  }
}

}  // namespace ghscale::scaler
