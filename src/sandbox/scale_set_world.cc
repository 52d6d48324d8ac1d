#include "sandbox/scale_set_world.h"

#include <map>
#include <mutex>
#include <vector>

#include "sandbox/world.h"

namespace ghscale::sandbox {

struct ScaleSetWorld::State {
  struct Running {
    std::string instance;
    std::int64_t request = 0;
    TimePoint until{};
  };

  ScaleSetWorldOptions options;
  std::string token = "ghp_scaleset" + random_hex(28);
  std::shared_ptr<fake_github::FakeGitHub> github;
  std::shared_ptr<fake_actions::FakeActions> actions;
  std::unique_ptr<fake_actions::FakeActionsServer> server;
  std::shared_ptr<provider::SimCloud> cloud;

  std::mutex step_mu;  // one step at a time
  mutable std::mutex mu;
  std::map<std::string, std::int64_t> runner_of;  // guarded by mu: instance -> its runner (booted)
  std::map<std::int64_t, Running> running;        // guarded by mu: by runner
  std::map<std::int64_t, Duration> durations;     // guarded by mu: by request, until it starts
  std::map<std::int64_t, TimePoint> queued_at;    // guarded by mu: by request, until it starts
  std::vector<Duration> waits;                    // guarded by mu
  std::vector<std::int64_t> enqueued;             // guarded by mu
  std::int64_t busy_terminations = 0;             // guarded by mu
  std::int64_t not_scale_set = 0;                 // guarded by mu

  // The cloud's observer; never calls into the cloud.
  void on_cloud_event(const provider::SimEvent& e) {
    if (e.kind == provider::SimEvent::Kind::kReady) {
      if (!e.registration || e.registration->kind != provider::Registration::Kind::kJitConfig) {
        std::lock_guard lock(mu);
        ++not_scale_set;
        return;
      }
      // The bootstrap starts the runner with its JIT config: online at the service.
      auto runner = actions->runner_online(e.registration->secret);
      std::lock_guard lock(mu);
      if (!runner) {
        ++not_scale_set;
        return;
      }
      runner_of[e.instance.id] = *runner;
      return;
    }
    std::int64_t runner = 0;
    {
      std::lock_guard lock(mu);
      auto it = runner_of.find(e.instance.id);
      if (it == runner_of.end()) return;
      runner = it->second;
      runner_of.erase(it);
      if (running.erase(runner) != 0 && e.kind == provider::SimEvent::Kind::kTerminated) ++busy_terminations;
    }
    actions->runner_gone(runner);  // a running job ends failed, an offered one is assigned again
  }
};

Result<std::unique_ptr<ScaleSetWorld>> ScaleSetWorld::start(ScaleSetWorldOptions options) {
  if (!options.clock) return make_error(ErrorKind::kInvalid, "scale-set world: a clock is required");
  auto s = std::make_unique<State>();
  s->options = options;
  fake_github::FakeGitHubOptions go;
  go.clock = options.clock;
  go.core_limit = 1000000;
  s->github = std::make_shared<fake_github::FakeGitHub>(go);
  s->github->add_pat(s->token);
  fake_actions::FakeActionsOptions ao = options.actions;
  ao.clock = options.clock;
  ao.api_prefix = "";
  s->actions = std::make_shared<fake_actions::FakeActions>(ao);
  s->actions->mirror_runners_into(s->github, "orgs/" + options.org);
  auto server = fake_actions::FakeActionsServer::start(s->actions, s->github, options.threads);
  if (!server)
    return make_error(server.error().kind, "cannot start the fake Actions service: " + server.error().message);
  s->server = std::move(*server);

  provider::SimCloudOptions co;
  co.clock = options.clock;
  co.boot_time = options.boot_time;
  co.boot_jitter = options.boot_jitter;
  co.seed = options.seed;
  s->cloud = std::make_shared<provider::SimCloud>(co);
  s->cloud->set_observer([st = s.get()](const provider::SimEvent& e) { st->on_cloud_event(e); });
  return std::unique_ptr<ScaleSetWorld>(new ScaleSetWorld(std::move(s)));
}

ScaleSetWorld::ScaleSetWorld(std::unique_ptr<State> state) : state_(std::move(state)) {}

ScaleSetWorld::~ScaleSetWorld() {
  state_->cloud->set_observer(nullptr);
  state_->server.reset();  // ends held polls, then stops serving
}

std::string ScaleSetWorld::api_url() const {
  return state_->server->api_url();
}
const std::string& ScaleSetWorld::github_token() const {
  return state_->token;
}

std::int64_t ScaleSetWorld::enqueue(const std::string& scale_set, Duration duration, const std::string& repository) {
  fake_actions::FakeJobSpec spec;
  spec.scale_set_name = scale_set;
  spec.repository = repository;
  std::lock_guard lock(state_->mu);
  spec.workflow_run_id = static_cast<std::int64_t>(state_->enqueued.size()) + 1;
  auto id = state_->actions->enqueue_job(spec);
  if (!id) return 0;
  state_->durations[*id] = duration;
  state_->queued_at[*id] = state_->options.clock->now();
  state_->enqueued.push_back(*id);
  return *id;
}

void ScaleSetWorld::step() {
  std::lock_guard step_lock(state_->step_mu);
  State& s = *state_;
  const TimePoint now = s.options.clock->now();
  s.cloud->advance(now);  // boots due: runners online (the observer)
  std::vector<std::string> ended;
  {
    std::lock_guard lock(s.mu);
    // Idle runners take the job the service offers them.
    for (const auto& [instance, runner] : s.runner_of) {
      if (s.running.count(runner) != 0) continue;
      auto offered = s.actions->offered_job(runner);
      if (!offered || !s.actions->start_job(runner, *offered)) continue;
      Duration d{0};
      if (auto it = s.durations.find(*offered); it != s.durations.end()) d = it->second;
      s.running[runner] = State::Running{instance, *offered, now + d};
      if (auto q = s.queued_at.find(*offered); q != s.queued_at.end()) {
        s.waits.push_back(now - q->second);
        s.queued_at.erase(q);
      }
    }
    // Finished jobs complete; their one-job runner leaves and its instance shuts down.
    for (auto it = s.running.begin(); it != s.running.end();) {
      if (it->second.until > now) {
        ++it;
        continue;
      }
      s.actions->finish_job(it->first, it->second.request, "succeeded");
      s.durations.erase(it->second.request);
      s.runner_of.erase(it->second.instance);
      ended.push_back(it->second.instance);
      it = s.running.erase(it);
    }
  }
  if (!ended.empty()) (void)s.cloud->terminate(ended);
}

ScaleSetWorldCounts ScaleSetWorld::counts() const {
  ScaleSetWorldCounts c;
  std::vector<std::int64_t> ids;
  {
    std::lock_guard lock(state_->mu);
    ids = state_->enqueued;
    c.runners_online = static_cast<std::int64_t>(state_->runner_of.size());
    c.busy_terminations = state_->busy_terminations;
    c.not_scale_set = state_->not_scale_set;
  }
  c.enqueued = static_cast<std::int64_t>(ids.size());
  for (std::int64_t id : ids) {
    auto j = state_->actions->job(id);
    if (!j) continue;
    switch (j->state) {
      case fake_actions::JobState::kRunning:
        ++c.running;
        break;
      case fake_actions::JobState::kCompleted:
        ++(j->result == "succeeded" ? c.done : c.failed);
        break;
      default:
        ++c.queued;
    }
  }
  c.actions_requests = state_->actions->requests();
  c.github_requests = state_->github->requests();
  c.cloud = state_->cloud->usage(state_->options.clock->now());
  return c;
}

std::vector<Duration> ScaleSetWorld::waits() const {
  std::lock_guard lock(state_->mu);
  return state_->waits;
}

std::shared_ptr<provider::SimCloud> ScaleSetWorld::cloud() const {
  return state_->cloud;
}
fake_actions::FakeActions& ScaleSetWorld::actions() {
  return *state_->actions;
}
fake_github::FakeGitHub& ScaleSetWorld::github() {
  return *state_->github;
}

}  // namespace ghscale::sandbox
