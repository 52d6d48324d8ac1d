#include "provider/sim/sim_provider.h"

#include <cmath>
#include <mutex>
#include <random>

namespace ghscale::provider {

struct SimProvider::State {
  explicit State(SimOptions o) : options(std::move(o)), rng(options.seed) {}

  struct Sim {
    CloudInstance cloud;
    std::optional<Registration> registration;
    bool ready_told = false;
  };

  const SimOptions options;
  mutable std::mutex mu;
  std::mt19937_64 rng;                           // guarded by mu
  std::map<std::string, Sim, std::less<>> instances;  // guarded by mu
  std::map<std::string, LaunchOutcome> by_token;      // guarded by mu
  std::function<void(const SimEvent&)> observer;      // guarded by mu
  TimePoint last_poll{};                              // guarded by mu
  std::int64_t next_id = 0;                           // guarded by mu
  int launch_calls = 0;                               // guarded by mu
  int on_demand_capacity = options.on_demand_capacity;
  int spot_capacity = options.spot_capacity;

  int alive(Market m) const {
    int n = 0;
    for (const auto& [id, s] : instances) {
      n += s.cloud.market == m && s.cloud.lifecycle != Lifecycle::kTerminated ? 1 : 0;
    }
    return n;
  }

  // Moves instances along with time; returns the events to tell once unlocked.
  std::vector<SimEvent> advance(TimePoint now) {
    std::vector<SimEvent> events;
    const double hours = last_poll == TimePoint{} ? 0.0 : std::chrono::duration<double, std::ratio<3600>>(now - last_poll).count();
    last_poll = now;
    for (auto& [id, s] : instances) {
      CloudInstance& c = s.cloud;
      if (c.lifecycle == Lifecycle::kTerminated) continue;
      if (c.lifecycle == Lifecycle::kPending && now - c.launched_at >= options.boot_time) c.lifecycle = Lifecycle::kRunning;
      if (c.market == Market::kSpot && options.spot_interruption_rate > 0 && hours > 0) {
        const double p = 1.0 - std::exp(-options.spot_interruption_rate * hours);
        if (std::uniform_real_distribution<double>(0.0, 1.0)(rng) < p) {
          c.lifecycle = Lifecycle::kTerminated;
          events.push_back({SimEvent::Kind::kInterrupted, c, std::nullopt});
          continue;
        }
      }
      if (c.lifecycle == Lifecycle::kRunning && s.registration && !s.ready_told) {
        s.ready_told = true;
        events.push_back({SimEvent::Kind::kReady, c, s.registration});
      }
    }
    return events;
  }
};

SimProvider::SimProvider(SimOptions options) : state_(std::make_unique<State>(std::move(options))) {}
SimProvider::~SimProvider() = default;

void SimProvider::set_observer(std::function<void(const SimEvent&)> observer) {
  std::lock_guard lock(state_->mu);
  state_->observer = std::move(observer);
}

void SimProvider::poll() {
  std::vector<SimEvent> events;
  std::function<void(const SimEvent&)> observer;
  {
    std::lock_guard lock(state_->mu);
    events = state_->advance(state_->options.clock->now());
    observer = state_->observer;
  }
  if (observer) {
    for (const auto& e : events) observer(e);
  }
}

Result<std::vector<CloudInstance>> SimProvider::describe(std::string_view pool) {
  poll();
  std::lock_guard lock(state_->mu);
  std::vector<CloudInstance> out;
  for (const auto& [id, s] : state_->instances) {
    if (s.cloud.pool == pool && s.cloud.lifecycle != Lifecycle::kTerminated) out.push_back(s.cloud);
  }
  return out;
}

Result<LaunchOutcome> SimProvider::launch(const LaunchRequest& request) {
  if (request.split.total() <= 0 || request.pool.empty()) return make_error(ErrorKind::kInvalid, "launch: nothing to launch");
  poll();
  std::lock_guard lock(state_->mu);
  State& s = *state_;
  ++s.launch_calls;
  if (!request.client_token.empty()) {
    if (auto it = s.by_token.find(request.client_token); it != s.by_token.end()) return it->second;
  }
  LaunchOutcome outcome;
  const TimePoint now = s.options.clock->now();
  auto launch_market = [&](Market m, int n, std::vector<std::string>& ids, std::optional<Error>& error) {
    const int cap = m == Market::kSpot ? s.spot_capacity : s.on_demand_capacity;
    const int room = cap < 0 ? n : std::max(0, cap - s.alive(m));
    for (int i = 0; i < std::min(n, room); ++i) {
      CloudInstance c;
      c.id = "i-sim" + std::to_string(100000 + ++s.next_id);
      c.pool = request.pool;
      c.market = m;
      c.instance_type = s.options.instance_type;
      c.lifecycle = Lifecycle::kPending;
      c.launched_at = now;
      c.tags.emplace(std::string(kTagPool), request.pool);
      c.tags.emplace(std::string(kTagLaunch), request.client_token);
      if (request.cause_job_id != 0) c.tags.emplace(std::string(kTagJob), std::to_string(request.cause_job_id));
      ids.push_back(c.id);
      s.instances.emplace(c.id, State::Sim{c, std::nullopt, false});
    }
    if (room < n) {
      error = make_error(ErrorKind::kConflict, std::string("insufficient ") + std::string(to_string(m)) + " capacity: " +
                                                   std::to_string(n - room) + " of " + std::to_string(n) + " not launched");
    }
  };
  if (request.split.on_demand > 0) launch_market(Market::kOnDemand, request.split.on_demand, outcome.on_demand_ids, outcome.on_demand_error);
  if (request.split.spot > 0) launch_market(Market::kSpot, request.split.spot, outcome.spot_ids, outcome.spot_error);
  if (!request.client_token.empty()) s.by_token[request.client_token] = outcome;
  return outcome;
}

Status SimProvider::terminate(const std::vector<std::string>& ids) {
  std::vector<SimEvent> events;
  std::function<void(const SimEvent&)> observer;
  {
    std::lock_guard lock(state_->mu);
    for (const auto& id : ids) {
      auto it = state_->instances.find(id);
      if (it == state_->instances.end() || it->second.cloud.lifecycle == Lifecycle::kTerminated) continue;
      it->second.cloud.lifecycle = Lifecycle::kTerminated;
      events.push_back({SimEvent::Kind::kTerminated, it->second.cloud, std::nullopt});
    }
    observer = state_->observer;
  }
  if (observer) {
    for (const auto& e : events) observer(e);
  }
  return ok_status();
}

Status SimProvider::protect(const std::vector<std::string>& ids, bool enabled) {
  std::lock_guard lock(state_->mu);
  for (const auto& id : ids) {
    if (auto it = state_->instances.find(id); it != state_->instances.end()) it->second.cloud.scale_in_protected = enabled;
  }
  return ok_status();
}

Status SimProvider::hand_over(std::string_view instance_id, const Registration& registration) {
  {
    std::lock_guard lock(state_->mu);
    auto it = state_->instances.find(instance_id);
    if (it == state_->instances.end() || it->second.cloud.lifecycle == Lifecycle::kTerminated) {
      return make_error(ErrorKind::kNotFound, "hand_over: no live instance " + std::string(instance_id));
    }
    it->second.registration = registration;
    it->second.ready_told = false;
  }
  poll();  // an instance already running starts its runner at once
  return ok_status();
}

void SimProvider::interrupt(std::string_view instance_id) {
  std::vector<SimEvent> events;
  std::function<void(const SimEvent&)> observer;
  {
    std::lock_guard lock(state_->mu);
    auto it = state_->instances.find(instance_id);
    if (it == state_->instances.end() || it->second.cloud.lifecycle == Lifecycle::kTerminated) return;
    it->second.cloud.lifecycle = Lifecycle::kTerminated;
    events.push_back({SimEvent::Kind::kInterrupted, it->second.cloud, std::nullopt});
    observer = state_->observer;
  }
  if (observer) observer(events.front());
}

void SimProvider::set_capacity(Market market, int capacity) {
  std::lock_guard lock(state_->mu);
  (market == Market::kSpot ? state_->spot_capacity : state_->on_demand_capacity) = capacity;
}

std::vector<CloudInstance> SimProvider::all_instances() const {
  std::lock_guard lock(state_->mu);
  std::vector<CloudInstance> out;
  for (const auto& [id, s] : state_->instances) out.push_back(s.cloud);
  return out;
}

std::optional<CloudInstance> SimProvider::instance(std::string_view id) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->instances.find(id);
  if (it == state_->instances.end()) return std::nullopt;
  return it->second.cloud;
}

std::optional<Registration> SimProvider::registration(std::string_view id) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->instances.find(id);
  if (it == state_->instances.end()) return std::nullopt;
  return it->second.registration;
}

int SimProvider::launch_calls() const {
  std::lock_guard lock(state_->mu);
  return state_->launch_calls;
}

}  // namespace ghscale::provider
