#include "sandbox/github_sim.h"

#include <algorithm>
#include <cstdlib>
#include <list>
#include <map>
#include <mutex>
#include <queue>
#include <random>
#include <set>
#include <unordered_map>

#include "core/log.h"

namespace ghscale::sandbox {
namespace {

constexpr std::size_t kPerPage = 100;           // GitHub's largest page
constexpr std::size_t kFilteredListCap = 1000;  // where a filtered run list stops

// The calls a list of `items` takes: a page each 100, one for an empty list.
std::int64_t pages_of(std::size_t items) { return static_cast<std::int64_t>(std::max<std::size_t>(1, (items + kPerPage - 1) / kPerPage)); }

struct Outgoing {
  TimePoint due;
  std::uint64_t seq;
  JobEvent event;
  bool operator>(const Outgoing& o) const { return due != o.due ? due > o.due : seq > o.seq; }
};

struct Completion {
  TimePoint at;
  std::int64_t job_id;
  bool operator>(const Completion& o) const { return at != o.at ? at > o.at : job_id > o.job_id; }
};

std::string owner_of(const std::string& repo) { return repo.substr(0, repo.find('/')); }

}  // namespace

struct GitHubSim::State {
  explicit State(GitHubSimOptions o) : options(std::move(o)), rng(options.seed), scope("orgs/" + options.org) {}

  const GitHubSimOptions options;
  mutable std::mutex mu;
  // Everything below is guarded by mu.
  std::mt19937_64 rng;
  const std::string scope;
  std::int64_t next_id = 5000000;
  std::uint64_t seq = 0;
  std::uint64_t runners_version = 1;
  std::map<std::int64_t, SimJob> jobs;
  std::unordered_map<std::int64_t, std::vector<std::int64_t>> jobs_of_run;  // run id -> job ids
  std::set<std::string> repos;
  std::list<std::int64_t> queue;  // queued job ids, oldest first
  // The runs with a queued job, by repository, and how many each has queued: what the
  // queued-runs list reads, in time with the queue rather than by walking it.
  std::unordered_map<std::string, std::map<std::int64_t, int>> queued_runs_of;
  void queued_in_run(const SimJob& j, int delta) {
    auto& runs = queued_runs_of[j.repo];
    if ((runs[j.run_id] += delta) <= 0) runs.erase(j.run_id);
  }
  std::priority_queue<Completion, std::vector<Completion>, std::greater<>> completions;
  std::priority_queue<Outgoing, std::vector<Outgoing>, std::greater<>> outbox;
  std::map<std::int64_t, SimRunner> runners;
  std::unordered_map<std::string, std::int64_t> runner_by_name;
  std::unordered_map<std::string, std::int64_t> runner_by_instance;
  std::unordered_map<std::int64_t, std::string> jit_secret;  // standalone: runner id -> config
  std::set<std::int64_t> idle;  // online, not busy
  // Busy instances' next registrations (reuse), started when the current job ends.
  std::unordered_map<std::string, provider::SimEvent> next_ready;
  // Instances whose runner finished, waiting out reuse_wait for a next registration: when
  // each shuts itself down unless one arrives.
  std::unordered_map<std::string, TimePoint> shutting_at;
  bool dirty = false;           // something may now match
  GitHubSimCounts counts;
  // Scale-set mode: jobs assigned to the scale set and not done; queued ones waiting for
  // room, oldest first; when the listener's current long poll began.
  // What the REST lists show changes: any job event of a repository or run (runs carry
  // updated_at), a repository seen for the first time. Conditional lists compare these.
  std::unordered_map<std::string, std::uint64_t> repo_version;
  std::unordered_map<std::int64_t, std::uint64_t> run_version;
  std::uint64_t repos_version = 1;
  void touched(const SimJob& j) {
    ++repo_version[j.repo];
    ++run_version[j.run_id];
  }
  // Counts a list of `items` as GitHub serves it, 100 to a page and a call per page;
  // conditional (version given) and unchanged: every page a 304, no quota.
  // The caller's 0 is "never listed": the tag stored is the version plus one.
  void count_list(std::uint64_t now_version, std::uint64_t* version, std::size_t items) {
    const std::int64_t pages = pages_of(items);
    counts.api_calls += pages;
    const std::uint64_t tag = now_version + 1;
    if (version != nullptr && *version == tag) return;
    counts.api_quota_calls += pages;
    if (version != nullptr) *version = tag;
  }
  std::set<std::int64_t> assigned;
  std::list<std::int64_t> unassigned;
  TimePoint poll_since = now();  // the session opens with the simulation

  // Workload structure. Jobs are handed over in workload order; the n-th has ordinal n.
  struct Node {  // a job of a workload run
    enum class Phase { kHeld, kQueued, kSucceeded, kFailed, kSkipped };
    Phase phase = Phase::kHeld;
    std::optional<SimJob> held;  // the job to queue once its needs succeeded
    std::size_t waiting = 0;     // needs not yet succeeded
    std::vector<std::size_t> dependants;
  };
  std::size_t next_ordinal = 0;
  std::unordered_map<std::int64_t, std::int64_t> run_ids;  // workload run -> run id
  std::unordered_map<std::size_t, Node> nodes;             // ordinal -> node
  std::unordered_map<std::int64_t, std::size_t> node_of_job;  // job id (latest attempt) -> ordinal
  std::unordered_map<std::int64_t, std::int64_t> held_in_run;  // run id -> held jobs

  TimePoint now() const { return options.clock->now(); }
  std::int64_t new_id() { return ++next_id; }
  // Scale-set mode: long polls that ended with nothing between the last message and t.
  std::int64_t empty_polls(TimePoint t) const {
    const auto poll = std::max<Duration::rep>(1, options.scale_set.long_poll.count());
    return std::max<Duration::rep>(0, std::chrono::duration_cast<Duration>(t - poll_since).count()) / poll;
  }

  std::string delivery_guid() {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%08llx-5a6d-4e11-9c1d-%012llx", static_cast<unsigned long long>(rng() & 0xffffffffull),
                  static_cast<unsigned long long>(++seq));
    return buf;
  }

  void emit(const SimJob& j, const std::string& action, const SimRunner* r) {
    touched(j);
    JobEvent e;
    e.delivery_id = delivery_guid();
    e.event = "workflow_job";
    e.action = action;
    e.job_id = j.id;
    e.run_id = j.run_id;
    e.run_attempt = j.run_attempt;
    e.repository = j.repo;
    e.owner = owner_of(j.repo);
    e.labels = j.labels;
    e.status = action == "queued" ? JobStatus::kQueued : action == "in_progress" ? JobStatus::kInProgress : JobStatus::kCompleted;
    e.conclusion = j.conclusion;
    if (r != nullptr) {
      e.runner_id = r->id;
      e.runner_name = r->name;
      e.runner_group_id = 1;
      e.runner_group_name = "Default";
    }
    e.workflow_name = "CI";
    e.job_name = "build";
    e.created_at = j.queued_at;
    e.started_at = j.started_at;
    e.completed_at = j.completed_at;
    const DeliveryFaults& f = options.faults;
    if (options.scale_set.enabled) {  // a message: delivered once, in order, acknowledged
      e.delivery_id = std::string(kScaleSetDeliveryPrefix) + e.delivery_id;
      outbox.push(Outgoing{now() + f.latency, ++seq, std::move(e)});
      return;
    }
    std::uniform_real_distribution<double> coin(0.0, 1.0);
    if (f.drop > 0 && coin(rng) < f.drop) {
      ++counts.dropped;
      return;
    }
    const auto held = [&] {
      return Duration{static_cast<Duration::rep>(coin(rng) * static_cast<double>(f.reorder_delay.count()))};
    };
    TimePoint due = now() + f.latency;
    if (f.reorder > 0 && coin(rng) < f.reorder) due += held();
    if (f.duplicate > 0 && coin(rng) < f.duplicate) {
      ++counts.duplicated;
      outbox.push(Outgoing{due + Duration{1} + held(), ++seq, e});
    }
    outbox.push(Outgoing{due, ++seq, std::move(e)});
  }

  void set_idle(SimRunner& r, bool is_idle) {
    if (is_idle) {
      idle.insert(r.id);
      dirty = true;
    } else {
      idle.erase(r.id);
    }
    ++runners_version;
  }

  void remove_runner(std::int64_t id) {
    auto it = runners.find(id);
    if (it == runners.end()) return;
    idle.erase(id);
    runner_by_name.erase(it->second.name);
    if (!it->second.instance_id.empty()) runner_by_instance.erase(it->second.instance_id);
    jit_secret.erase(id);
    runners.erase(it);
    ++runners_version;
    if (options.mirror) options.mirror->remove_runner(id);
  }

  std::int64_t queue_job(SimJob j) {
    j.queued_at = now();
    if (options.mirror) {
      fake_github::FakeRun run;
      run.repo = j.repo;
      if (j.run_id == 0) j.run_id = options.mirror->add_run(run);
      fake_github::FakeJob fj;
      fj.run_id = j.run_id;
      fj.repo = j.repo;
      fj.name = "build";
      fj.labels = j.labels.items();
      j.id = options.mirror->add_job(fj);
    } else {
      j.id = new_id();
      if (j.run_id == 0) j.run_id = new_id();
    }
    const std::int64_t id = j.id;
    jobs_of_run[j.run_id].push_back(id);
    if (repos.insert(j.repo).second) ++repos_version;
    auto& stored = jobs[id] = std::move(j);
    queue.push_back(id);
    queued_in_run(stored, +1);
    dirty = true;
    if (options.mirror) options.mirror->set_run_status(stored.run_id, "queued");
    if (options.scale_set.enabled) {
      touched(stored);  // queued at GitHub's REST API now, assigned to the set maybe later
      unassigned.push_back(id);
      assign_to_scale_set();
    } else {
      emit(stored, "queued", nullptr);
    }
    return id;
  }

  // Scale-set mode: queued jobs are assigned, oldest first, while the set has room.
  void assign_to_scale_set() {
    while (!unassigned.empty() && static_cast<int>(assigned.size()) < std::max(1, options.scale_set.capacity)) {
      const std::int64_t id = unassigned.front();
      unassigned.pop_front();
      assigned.insert(id);
      dirty = true;
      emit(jobs.at(id), "queued", nullptr);  // JobAssigned
    }
  }

  // The mirror's run status from its jobs: queued while one of them is (so a sweep of
  // queued runs finds it), in progress while one runs or waits for its needs.
  void publish_run_status(std::int64_t run_id) {
    bool queued = false, running = false;
    for (std::int64_t id : jobs_of_run[run_id]) {
      const SimJob& j = jobs.at(id);
      if (j.completed_at) continue;
      (j.started_at ? running : queued) = true;
    }
    const auto held_it = held_in_run.find(run_id);
    running = running || (held_it != held_in_run.end() && held_it->second > 0);
    options.mirror->set_run_status(run_id, queued ? "queued" : running ? "in_progress" : "completed");
  }

  // A workload job of a run: queued now, held for its needs, or skipped for a failed one.
  std::int64_t hand_over(SimJob j, const WorkloadJob& source, std::size_t ordinal) {
    if (auto it = run_ids.find(source.run); it != run_ids.end()) j.run_id = it->second;
    Node& n = nodes[ordinal];
    bool skip = false;
    for (std::size_t d : source.needs) {
      auto it = nodes.find(d);
      if (d >= ordinal || it == nodes.end()) {
        log::error("workload job needs a job not handed over before it", {{"job", std::to_string(ordinal)}, {"needs", std::to_string(d)}});
        std::abort();  // the workload is ordered (order_workload) and handed over in order
      }
      Node& need = it->second;
      if (need.phase == Node::Phase::kSucceeded) continue;
      if (need.phase == Node::Phase::kFailed || need.phase == Node::Phase::kSkipped) {
        skip = true;
        continue;
      }
      ++n.waiting;
      need.dependants.push_back(ordinal);
    }
    if (skip) {
      n.phase = Node::Phase::kSkipped;
      ++counts.skipped;
      return 0;
    }
    if (n.waiting > 0) {
      n.phase = Node::Phase::kHeld;
      ++held_in_run[j.run_id];
      n.held = std::move(j);
      ++counts.held;
      return 0;
    }
    n.phase = Node::Phase::kQueued;
    const std::int64_t id = queue_job(std::move(j));
    run_ids.emplace(source.run, jobs.at(id).run_id);
    node_of_job[id] = ordinal;
    return id;
  }

  // A job of a run succeeded: dependants whose needs all succeeded are queued now.
  void release_dependants(std::int64_t job_id) {
    auto it = node_of_job.find(job_id);
    if (it == node_of_job.end()) return;
    Node& n = nodes.at(it->second);
    n.phase = Node::Phase::kSucceeded;
    for (std::size_t d : n.dependants) {
      Node& dep = nodes.at(d);
      if (dep.phase != Node::Phase::kHeld || --dep.waiting > 0) continue;
      SimJob j = std::move(*dep.held);
      dep.held.reset();
      dep.phase = Node::Phase::kQueued;
      --counts.held;
      --held_in_run[j.run_id];
      node_of_job[queue_job(std::move(j))] = d;
    }
  }

  // A lost job of a run is queued again as `rerun_id`: its dependants wait for that one.
  void follow_rerun(std::int64_t job_id, std::int64_t rerun_id) {
    auto it = node_of_job.find(job_id);
    if (it == node_of_job.end()) return;
    const std::size_t ordinal = it->second;
    node_of_job.erase(it);
    node_of_job[rerun_id] = ordinal;
  }

  // A job of a run failed for good: everything held behind it is skipped.
  void skip_dependants(std::int64_t job_id) {
    auto it = node_of_job.find(job_id);
    if (it == node_of_job.end()) return;
    Node& failed = nodes.at(it->second);
    failed.phase = Node::Phase::kFailed;
    std::vector<std::size_t> pending = failed.dependants;
    while (!pending.empty()) {
      Node& dep = nodes.at(pending.back());
      pending.pop_back();
      if (dep.phase != Node::Phase::kHeld) continue;
      dep.phase = Node::Phase::kSkipped;
      --counts.held;
      --held_in_run[dep.held->run_id];
      ++counts.skipped;
      dep.held.reset();
      pending.insert(pending.end(), dep.dependants.begin(), dep.dependants.end());
    }
  }

  // A registration's runner starts on its instance (the cloud's kReady). An instance whose
  // runner is busy was handed its next registration early (reuse): that runner starts
  // when the job ends, as the bootstrap starts it when the current runner exits.
  void start_runner(const provider::SimEvent& event) {
    State& s = *this;
    if (auto busy = s.runner_by_instance.find(event.instance.id); busy != s.runner_by_instance.end()) {
      if (auto r = s.runners.find(busy->second); r != s.runners.end() && r->second.busy) {
        s.next_ready[event.instance.id] = event;
        return;
      }
    }
    if (!event.registration) return;
    s.shutting_at.erase(event.instance.id);  // a next registration within the wait: it stays
    const provider::Registration& reg = *event.registration;
    std::int64_t id = 0;
    if (reg.kind == provider::Registration::Kind::kJitConfig) {
      if (s.options.mirror) {
        auto fr = s.options.mirror->find_runner(s.scope, reg.runner_name);
        if (!fr || fr->jit_config != reg.secret) {
          log::warn("simulated runner cannot register: JIT config unknown", {{"runner", reg.runner_name}});
          return;
        }
        id = fr->id;
        if (s.runners.count(id) == 0) {
          SimRunner r;
          r.id = id;
          r.name = fr->name;
          r.labels = LabelSet(fr->labels);
          r.ephemeral = true;
          s.runners[id] = r;
          s.runner_by_name[r.name] = id;
        }
      } else {
        auto it = s.runner_by_name.find(reg.runner_name);
        if (it == s.runner_by_name.end() || s.jit_secret[it->second] != reg.secret) return;
        id = it->second;
      }
    } else {  // a registration token: config.sh creates the runner now
      if (auto it = s.runner_by_name.find(reg.runner_name); it != s.runner_by_name.end()) s.remove_runner(it->second);
      SimRunner r;
      r.name = reg.runner_name;
      r.labels = LabelSet(reg.labels);
      r.ephemeral = reg.ephemeral;
      if (s.options.mirror) {
        fake_github::FakeRunner fr;
        fr.scope = s.scope;
        fr.name = r.name;
        fr.labels = reg.labels;
        fr.online = true;
        r.id = s.options.mirror->add_runner(fr);
      } else {
        r.id = s.new_id();
      }
      id = r.id;
      s.runner_by_name[r.name] = id;
      s.runners[id] = std::move(r);
    }
    SimRunner& r = s.runners.at(id);
    r.online = true;
    r.instance_id = event.instance.id;
    s.runner_by_instance[event.instance.id] = id;
    if (s.options.mirror) s.options.mirror->set_runner(id, true, false);
    s.set_idle(r, true);
  }

  // Ends a job; returns the instance to terminate when its ephemeral runner leaves.
  std::optional<std::string> finish(SimJob& j, SimRunner* r, const std::string& conclusion) {
    j.completed_at = now();
    j.conclusion = conclusion;
    if (options.scale_set.enabled && assigned.erase(j.id) != 0) assign_to_scale_set();
    ++(conclusion == "success" ? counts.done : counts.failed);
    if (conclusion == "success") release_dependants(j.id);
    if (options.mirror) {
      options.mirror->update_job(j.id, "completed", r != nullptr ? r->id : 0, j.runner_name, conclusion);
      publish_run_status(j.run_id);
    }
    emit(j, "completed", r);
    if (r == nullptr) return std::nullopt;
    r->busy = false;
    r->job_id = 0;
    if (r->ephemeral) {
      std::string instance = r->instance_id;
      remove_runner(r->id);
      if (instance.empty()) return std::nullopt;
      return instance;
    }
    if (options.mirror) options.mirror->set_runner(r->id, r->online, false);
    if (r->online) set_idle(*r, true);
    return std::nullopt;
  }

  void match() {
    if (!dirty) return;
    dirty = false;
    std::vector<std::int64_t> idle_now(idle.begin(), idle.end());
    for (std::int64_t rid : idle_now) {
      if (queue.empty()) return;
      auto rit = runners.find(rid);
      if (rit == runners.end()) continue;
      SimRunner& r = rit->second;
      // A scale set's runners take only the jobs assigned to the set.
      auto qit = std::find_if(queue.begin(), queue.end(), [&](std::int64_t jid) {
        return (!options.scale_set.enabled || assigned.count(jid) != 0) && jobs.at(jid).labels.subset_of(r.labels);
      });
      if (qit == queue.end()) continue;
      if (options.mirror && !options.mirror->claim_runner(r.id)) {
        // Deleted (or taken offline) by the scaler since we last looked.
        remove_runner_local_only(r.id);
        continue;
      }
      SimJob& j = jobs.at(*qit);
      queue.erase(qit);
      queued_in_run(j, -1);
      r.busy = true;
      r.job_id = j.id;
      set_idle(r, false);
      j.started_at = now();
      j.runner_name = r.name;
      completions.push(Completion{*j.started_at + j.duration, j.id});
      if (options.mirror) {
        options.mirror->update_job(j.id, "in_progress", r.id, r.name);
        publish_run_status(j.run_id);
      }
      emit(j, "in_progress", &r);
    }
  }

  void remove_runner_local_only(std::int64_t id) {
    auto it = runners.find(id);
    if (it == runners.end()) return;
    idle.erase(id);
    runner_by_name.erase(it->second.name);
    if (!it->second.instance_id.empty()) runner_by_instance.erase(it->second.instance_id);
    runners.erase(it);
    ++runners_version;
  }

  // Sandbox mode: runners the daemon deleted over HTTP are gone here too.
  void sync_from_mirror() {
    std::vector<std::int64_t> gone;
    for (const auto& [id, r] : runners) {
      if (!options.mirror->runner(id)) gone.push_back(id);
    }
    for (auto id : gone) remove_runner_local_only(id);
  }
};

GitHubSim::GitHubSim(GitHubSimOptions options) : state_(std::make_unique<State>(std::move(options))) {}
GitHubSim::~GitHubSim() = default;

std::int64_t GitHubSim::enqueue(const WorkloadJob& job) {
  std::lock_guard lock(state_->mu);
  SimJob j;
  j.repo = job.repo;
  j.labels = job.labels;
  j.duration = job.duration;
  const std::size_t ordinal = state_->next_ordinal++;
  if (job.run == 0 && job.needs.empty()) return state_->queue_job(std::move(j));
  return state_->hand_over(std::move(j), job, ordinal);
}

void GitHubSim::on_cloud_event(const provider::SimEvent& event) {
  std::optional<std::string> terminate;
  {
    std::lock_guard lock(state_->mu);
    State& s = *state_;
    if (event.kind == provider::SimEvent::Kind::kReady) {
      s.start_runner(event);
      return;
    }
    s.next_ready.erase(event.instance.id);
    s.shutting_at.erase(event.instance.id);
    // The instance is gone: its runner goes offline and a running job fails.
    auto it = s.runner_by_instance.find(event.instance.id);
    if (it == s.runner_by_instance.end()) return;
    const std::int64_t rid = it->second;
    s.runner_by_instance.erase(it);
    auto rit = s.runners.find(rid);
    if (rit == s.runners.end()) return;
    SimRunner& r = rit->second;
    r.online = false;
    r.instance_id.clear();
    s.set_idle(r, false);
    if (s.options.mirror) s.options.mirror->set_runner(rid, false, false);
    if (r.busy) {
      if (event.kind == provider::SimEvent::Kind::kTerminated) {
        ++s.counts.busy_terminations;
        log::debug("simulated cloud: a busy runner's instance was terminated", {{"runner", r.name}, {"instance", event.instance.id}});
      } else {
        ++s.counts.interrupted_jobs;
      }
      SimJob& j = s.jobs.at(r.job_id);
      const bool ephemeral = r.ephemeral;
      r.ephemeral = false;  // finish() must not remove it: GitHub keeps an offline runner listed
      terminate = s.finish(j, &r, "failure");
      r.ephemeral = ephemeral;
      if (s.options.rerun_lost_jobs) {
        SimJob again;
        again.run_id = j.run_id;
        again.run_attempt = j.run_attempt + 1;
        again.repo = j.repo;
        again.labels = j.labels;
        again.duration = j.duration;
        s.follow_rerun(j.id, s.queue_job(std::move(again)));
      } else {
        s.skip_dependants(j.id);
      }
    }
  }
  (void)terminate;  // the instance is already gone
}

void GitHubSim::step() {
  std::vector<std::string> to_terminate;
  std::shared_ptr<provider::Provider> cloud;
  {
    std::lock_guard lock(state_->mu);
    State& s = *state_;
    if (s.options.mirror) s.sync_from_mirror();
    const TimePoint now = s.now();
    while (!s.completions.empty() && s.completions.top().at <= now) {
      const Completion c = s.completions.top();
      s.completions.pop();
      SimJob& j = s.jobs.at(c.job_id);
      if (j.completed_at) continue;  // already failed with its runner
      auto rit = s.runner_by_name.find(j.runner_name);
      SimRunner* r = rit == s.runner_by_name.end() ? nullptr : &s.runners.at(rit->second);
      if (r != nullptr && r->job_id != j.id) r = nullptr;
      if (auto inst = s.finish(j, r, "success")) {
        // Its ephemeral runner left: the instance starts the next registration it holds,
        // or shuts itself down.
        if (auto next = s.next_ready.find(*inst); next != s.next_ready.end()) {
          const provider::SimEvent e = std::move(next->second);
          s.next_ready.erase(next);
          s.start_runner(e);
        } else if (s.options.reuse_wait > Duration::zero()) {
          s.shutting_at[*inst] = now + s.options.reuse_wait;
        } else {
          to_terminate.push_back(*inst);
        }
      }
    }
    for (auto it = s.shutting_at.begin(); it != s.shutting_at.end();) {
      if (it->second <= now) {
        to_terminate.push_back(it->first);
        it = s.shutting_at.erase(it);
      } else {
        ++it;
      }
    }
    std::sort(to_terminate.begin(), to_terminate.end());  // the same order on every run
    s.match();
    cloud = s.options.cloud;
  }
  // An ephemeral runner's instance shuts itself down after its job.
  if (cloud && !to_terminate.empty()) {
    if (auto st = cloud->terminate(to_terminate); !st.ok()) log::warn("simulated instance cannot terminate itself", {{"error", st.error().describe()}});
  }
}

std::optional<TimePoint> GitHubSim::next_event_time() const {
  std::lock_guard lock(state_->mu);
  std::optional<TimePoint> t;
  if (!state_->completions.empty()) t = state_->completions.top().at;
  if (!state_->outbox.empty() && (!t || state_->outbox.top().due < *t)) t = state_->outbox.top().due;
  if (state_->dirty && !state_->idle.empty() && !state_->queue.empty()) t = state_->now();
  for (const auto& [id, at] : state_->shutting_at) {
    if (!t || at < *t) t = at;
  }
  return t;
}

std::vector<JobEvent> GitHubSim::take_due_deliveries() {
  std::lock_guard lock(state_->mu);
  std::vector<JobEvent> out;
  const TimePoint now = state_->now();
  while (!state_->outbox.empty() && state_->outbox.top().due <= now) {
    out.push_back(state_->outbox.top().event);
    state_->outbox.pop();
  }
  state_->counts.deliveries += static_cast<std::int64_t>(out.size());
  if (state_->options.scale_set.enabled && !out.empty()) {
    // The long polls that ended empty since the last message, then this batch's messages:
    // each one fetched and acknowledged.
    const std::int64_t messages = (static_cast<std::int64_t>(out.size()) + 49) / 50;
    state_->counts.api_calls += state_->empty_polls(now) + 2 * messages;
    state_->poll_since = now;
  }
  return out;
}

Result<JitRunner> GitHubSim::generate_jit_config(const std::string& name, const LabelSet& labels) {
  std::lock_guard lock(state_->mu);
  State& s = *state_;
  ++s.counts.api_calls;
  if (!s.options.scale_set.enabled) ++s.counts.api_quota_calls;  // the Actions service's: no REST quota
  if (s.runner_by_name.count(name) != 0) return make_error(ErrorKind::kConflict, "generate_jit_config: a runner named " + name + " exists");
  SimRunner r;
  r.id = s.new_id();
  r.name = name;
  r.labels = labels;
  r.ephemeral = true;
  const std::string secret = "jit_" + std::to_string(s.rng());
  s.jit_secret[r.id] = secret;
  s.runner_by_name[name] = r.id;
  const std::int64_t id = r.id;
  s.runners[id] = std::move(r);
  ++s.runners_version;
  return JitRunner{id, secret};
}

Result<std::string> GitHubSim::registration_token() {
  std::lock_guard lock(state_->mu);
  ++state_->counts.api_calls;
  ++state_->counts.api_quota_calls;
  return "AA" + std::to_string(state_->rng());
}

std::vector<SimRunner> GitHubSim::list_runners(std::uint64_t* etag) {
  std::lock_guard lock(state_->mu);
  State& s = *state_;
  const std::int64_t pages = pages_of(s.runners.size());
  s.counts.api_calls += pages;
  if (etag == nullptr || *etag != s.runners_version) s.counts.api_quota_calls += pages;
  if (etag != nullptr) *etag = s.runners_version;
  std::vector<SimRunner> out;
  out.reserve(s.runners.size());
  for (const auto& [id, r] : s.runners) out.push_back(r);
  return out;
}

Status GitHubSim::delete_runner(std::int64_t runner_id) {
  std::lock_guard lock(state_->mu);
  State& s = *state_;
  ++s.counts.api_calls;
  ++s.counts.api_quota_calls;
  auto it = s.runners.find(runner_id);
  if (it == s.runners.end()) return make_error(ErrorKind::kNotFound, "delete_runner: no runner " + std::to_string(runner_id));
  if (it->second.busy) return make_error(ErrorKind::kConflict, "delete_runner: runner " + it->second.name + " is running a job");
  s.remove_runner(runner_id);
  return ok_status();
}

std::vector<SimJob> GitHubSim::list_queued_jobs() {
  std::lock_guard lock(state_->mu);
  State& s = *state_;
  std::set<std::string> repos;
  std::set<std::int64_t> runs;
  std::vector<SimJob> out;
  for (std::int64_t id : s.queue) {
    const SimJob& j = s.jobs.at(id);
    repos.insert(j.repo);
    runs.insert(j.run_id);
    out.push_back(j);
  }
  const auto calls = static_cast<std::int64_t>(std::max<std::size_t>(1, repos.size()) + runs.size());
  s.counts.api_calls += calls;
  s.counts.api_quota_calls += calls;
  return out;
}

std::vector<std::int64_t> GitHubSim::queued_runs(const std::string& repo, std::uint64_t* version) {
  std::lock_guard lock(state_->mu);
  State& s = *state_;
  // As GitHub answers ?status=queued: newest run first (ids grow with time here), a
  // filtered list cut at 1,000 runs.
  std::vector<std::int64_t> out;
  if (auto it = s.queued_runs_of.find(repo); it != s.queued_runs_of.end()) {
    out.reserve(std::min(it->second.size(), kFilteredListCap));
    for (auto run = it->second.rbegin(); run != it->second.rend() && out.size() < kFilteredListCap; ++run) out.push_back(run->first);
  }
  s.count_list(s.repo_version[repo], version, out.size());
  return out;
}

std::vector<SimJob> GitHubSim::run_jobs(std::int64_t run_id, std::uint64_t* version) {
  std::lock_guard lock(state_->mu);
  State& s = *state_;
  std::vector<SimJob> out;
  if (auto it = s.jobs_of_run.find(run_id); it != s.jobs_of_run.end()) {
    for (std::int64_t id : it->second) out.push_back(s.jobs.at(id));
  }
  s.count_list(s.run_version[run_id], version, out.size());
  return out;
}

std::optional<SimJob> GitHubSim::get_job(std::int64_t id) {
  std::lock_guard lock(state_->mu);
  ++state_->counts.api_calls;
  ++state_->counts.api_quota_calls;
  auto it = state_->jobs.find(id);
  if (it == state_->jobs.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> GitHubSim::repositories(std::uint64_t* version) {
  std::lock_guard lock(state_->mu);
  state_->count_list(state_->repos_version, version, state_->repos.size());
  return {state_->repos.begin(), state_->repos.end()};
}

void GitHubSim::count_call(bool quota) {
  std::lock_guard lock(state_->mu);
  ++state_->counts.api_calls;
  if (quota) ++state_->counts.api_quota_calls;
}

GitHubSimCounts GitHubSim::counts() const {
  std::lock_guard lock(state_->mu);
  GitHubSimCounts c = state_->counts;
  c.queued = static_cast<std::int64_t>(state_->queue.size());
  c.running = static_cast<std::int64_t>(state_->completions.size());
  if (state_->options.scale_set.enabled) c.api_calls += state_->empty_polls(state_->now());  // the poll still open
  for (const auto& [id, r] : state_->runners) {
    if (!r.online) ++c.runners_offline;
    else if (r.busy) ++c.runners_busy;
    else ++c.runners_idle;
  }
  c.running = c.runners_busy;
  return c;
}

std::vector<SimJob> GitHubSim::jobs() const {
  std::lock_guard lock(state_->mu);
  std::vector<SimJob> out;
  out.reserve(state_->jobs.size());
  for (const auto& [id, j] : state_->jobs) out.push_back(j);
  return out;
}

std::optional<SimJob> GitHubSim::job(std::int64_t id) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->jobs.find(id);
  if (it == state_->jobs.end()) return std::nullopt;
  return it->second;
}

std::optional<SimRunner> GitHubSim::runner_named(const std::string& name) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->runner_by_name.find(name);
  if (it == state_->runner_by_name.end()) return std::nullopt;
  return state_->runners.at(it->second);
}

}  // namespace ghscale::sandbox
