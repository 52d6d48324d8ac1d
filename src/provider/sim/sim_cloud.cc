#include "provider/sim/sim_cloud.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <mutex>
#include <queue>
#include <random>

#include "provider/launch_memo.h"

namespace ghscale::provider {

std::map<std::string, InstancePrice, std::less<>> default_price_table() {
  return {
      {"default", {0.1008, 0.0380}},
      {"m7i.large", {0.1008, 0.0380}},
      {"m7i.xlarge", {0.2016, 0.0760}},
      {"c7i.large", {0.0893, 0.0340}},
      {"c7i.2xlarge", {0.3570, 0.1360}},
      {"m7g.large", {0.0816, 0.0310}},
      {"c7g.xlarge", {0.1450, 0.0560}},
  };
}

namespace {

struct Due {
  enum class Kind { kBoot, kInterrupt };
  TimePoint at;
  std::uint64_t seq;
  std::string id;
  Kind kind;
  bool operator>(const Due& o) const { return at != o.at ? at > o.at : seq > o.seq; }
};

double hours(Duration d) { return std::chrono::duration<double, std::ratio<3600>>(d).count(); }

}  // namespace

struct SimCloud::State {
  explicit State(SimCloudOptions o)
      : options(std::move(o)), by_token(options.remembered_tokens), rng(options.seed),
        on_demand_capacity(options.on_demand_capacity), spot_capacity(options.spot_capacity) {
    auto it = options.prices.find(options.instance_type);
    if (it == options.prices.end()) it = options.prices.find("default");
    if (it != options.prices.end()) price = it->second;
  }

  struct Live {
    CloudInstance cloud;
    std::optional<Registration> registration;
    TimePoint ready_at{};
    bool ready_told = false;
  };

  const SimCloudOptions options;
  InstancePrice price;
  LaunchMemo by_token;  // its own lock; only ever used under mu, so answers stay in order
  mutable std::mutex mu;
  // Everything below is guarded by mu.
  std::mt19937_64 rng;
  std::map<std::string, Live, std::less<>> live;
  std::deque<CloudInstance> gone;  // most recent last, at most options.remembered_terminated
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due;
  std::function<void(const SimEvent&)> observer;
  std::uint64_t seq = 0;
  std::int64_t next_id = 0;
  int launch_calls = 0;
  int on_demand_capacity;
  int spot_capacity;
  int alive_on_demand = 0;
  int alive_spot = 0;
  CloudUsage usage;  // of terminated instances, plus counters

  // Bills an instance up to `now` and frees its market's capacity.
  void close(Live& l, TimePoint now) {
    const double h = hours(std::max(Duration{0}, now - l.cloud.launched_at));
    if (l.cloud.market == Market::kSpot) {
      usage.spot_hours += h;
      usage.spot_cost += h * price.spot;
      --alive_spot;
    } else {
      usage.on_demand_hours += h;
      usage.on_demand_cost += h * price.on_demand;
      --alive_on_demand;
    }
  }

  // Ends an instance; returns its last view.
  CloudInstance end(std::map<std::string, Live, std::less<>>::iterator it, TimePoint now) {
    close(it->second, now);
    CloudInstance c = std::move(it->second.cloud);
    c.lifecycle = Lifecycle::kTerminated;
    live.erase(it);
    if (options.remembered_terminated > 0) {
      gone.push_back(c);
      while (gone.size() > options.remembered_terminated) gone.pop_front();
    }
    return c;
  }

  void advance(TimePoint now, std::vector<SimEvent>& events) {
    while (!due.empty() && due.top().at <= now) {
      const Due d = due.top();
      due.pop();
      auto it = live.find(d.id);
      if (it == live.end()) continue;
      Live& l = it->second;
      if (d.kind == Due::Kind::kInterrupt) {
        ++usage.interruptions;
        events.push_back({SimEvent::Kind::kInterrupted, end(it, d.at), std::nullopt});
        continue;
      }
      if (l.cloud.lifecycle == Lifecycle::kPending && d.at >= l.ready_at) l.cloud.lifecycle = Lifecycle::kRunning;
      if (l.cloud.lifecycle == Lifecycle::kRunning && l.registration && !l.ready_told) {
        l.ready_told = true;
        events.push_back({SimEvent::Kind::kReady, l.cloud, l.registration});
      }
    }
  }

  void push(TimePoint at, const std::string& id, Due::Kind kind) { due.push(Due{at, ++seq, id, kind}); }

  // Launches up to n instances of market m for `request`, within capacity; a shortfall
  // (capacity, or an injected failure) is `error`.
  void launch_market(const LaunchRequest& request, Market m, int n, TimePoint now, std::vector<std::string>& ids,
                     std::optional<Error>& error) {
    std::uniform_real_distribution<double> coin(0.0, 1.0);
    if (options.launch_failure_rate > 0 && coin(rng) < options.launch_failure_rate) {
      usage.launch_failures += n;
      error = make_error(ErrorKind::kConflict, std::string("InsufficientInstanceCapacity: no ") + std::string(to_string(m)) +
                                                   " capacity for " + options.instance_type + " (injected)");
      return;
    }
    const int cap = m == Market::kSpot ? spot_capacity : on_demand_capacity;
    int& alive = m == Market::kSpot ? alive_spot : alive_on_demand;
    const int room = cap < 0 ? n : std::clamp(cap - alive, 0, n);
    std::uniform_real_distribution<double> jitter(0.0, static_cast<double>(options.boot_jitter.count()));
    for (int i = 0; i < room; ++i) {
      Live l;
      CloudInstance& c = l.cloud;
      c.id = "i-sim" + std::to_string(100000 + ++next_id);
      c.pool = request.pool;
      c.market = m;
      c.instance_type = options.instance_type;
      c.lifecycle = Lifecycle::kPending;
      c.launched_at = now;
      c.tags.emplace(std::string(kTagPool), request.pool);
      c.tags.emplace(std::string(kTagLaunch), request.client_token);
      if (request.cause_job_id != 0) c.tags.emplace(std::string(kTagJob), std::to_string(request.cause_job_id));
      const Duration boot =
          options.boot_time + Duration{static_cast<Duration::rep>(options.boot_jitter.count() > 0 ? jitter(rng) : 0.0)};
      l.ready_at = now + boot;
      push(l.ready_at, c.id, Due::Kind::kBoot);
      if (m == Market::kSpot && options.spot_interruption_rate > 0) {
        const double after_h = std::exponential_distribution<double>(options.spot_interruption_rate)(rng);
        if (after_h < 24.0 * 365) push(now + Duration{static_cast<Duration::rep>(after_h * 3600e3)}, c.id, Due::Kind::kInterrupt);
      }
      ids.push_back(c.id);
      ++alive;
      ++usage.launched;
      live.emplace(c.id, std::move(l));
      usage.peak_live = std::max<std::int64_t>(usage.peak_live, static_cast<std::int64_t>(live.size()));
    }
    if (room < n) {
      usage.launch_failures += n - room;
      error = make_error(ErrorKind::kConflict, "InsufficientInstanceCapacity: " + std::to_string(n - room) + " of " +
                                                   std::to_string(n) + " " + std::string(to_string(m)) + " not launched");
    }
  }
};

namespace {

void tell(const std::function<void(const SimEvent&)>& observer, const std::vector<SimEvent>& events) {
  if (!observer) return;
  for (const auto& e : events) observer(e);
}

}  // namespace

SimCloud::SimCloud(SimCloudOptions options) : state_(std::make_unique<State>(std::move(options))) {}
SimCloud::~SimCloud() = default;

void SimCloud::set_observer(std::function<void(const SimEvent&)> observer) {
  std::lock_guard lock(state_->mu);
  state_->observer = std::move(observer);
}

void SimCloud::advance(TimePoint now) {
  std::vector<SimEvent> events;
  std::function<void(const SimEvent&)> observer;
  {
    std::lock_guard lock(state_->mu);
    state_->advance(now, events);
    if (!events.empty()) observer = state_->observer;
  }
  tell(observer, events);
}

void SimCloud::poll() { advance(state_->options.clock->now()); }

std::optional<TimePoint> SimCloud::next_event_time() const {
  std::lock_guard lock(state_->mu);
  // Stale entries (instances gone) may answer early; advance() then skips them.
  if (state_->due.empty()) return std::nullopt;
  return state_->due.top().at;
}

Result<std::vector<CloudInstance>> SimCloud::describe(std::string_view pool) {
  poll();
  std::lock_guard lock(state_->mu);
  ++state_->usage.api_calls;
  std::vector<CloudInstance> out;
  out.reserve(state_->live.size());
  for (const auto& [id, l] : state_->live) {
    if (l.cloud.pool == pool) out.push_back(l.cloud);
  }
  return out;
}

Result<LaunchOutcome> SimCloud::launch(const LaunchRequest& request) {
  poll();
  std::lock_guard lock(state_->mu);
  State& s = *state_;
  ++s.usage.api_calls;
  ++s.launch_calls;
  if (request.split.total() <= 0 || request.split.on_demand < 0 || request.split.spot < 0 || request.pool.empty()) {
    return make_error(ErrorKind::kInvalid, "launch: nothing to launch");
  }
  if (auto seen = s.by_token.find(request.client_token)) return *seen;
  LaunchOutcome outcome;
  const TimePoint now = s.options.clock->now();
  if (request.split.on_demand > 0) {
    s.launch_market(request, Market::kOnDemand, request.split.on_demand, now, outcome.on_demand_ids, outcome.on_demand_error);
  }
  if (request.split.spot > 0) s.launch_market(request, Market::kSpot, request.split.spot, now, outcome.spot_ids, outcome.spot_error);
  s.by_token.remember(request.client_token, outcome);
  return outcome;
}

Status SimCloud::terminate(const std::vector<std::string>& ids) {
  std::vector<SimEvent> events;
  std::function<void(const SimEvent&)> observer;
  {
    std::lock_guard lock(state_->mu);
    ++state_->usage.api_calls;
    const TimePoint now = state_->options.clock->now();
    for (const auto& id : ids) {
      auto it = state_->live.find(id);
      if (it == state_->live.end()) continue;
      events.push_back({SimEvent::Kind::kTerminated, state_->end(it, now), std::nullopt});
    }
    observer = state_->observer;
  }
  tell(observer, events);
  return ok_status();
}

Status SimCloud::protect(const std::vector<std::string>& ids, bool enabled) {
  std::lock_guard lock(state_->mu);
  ++state_->usage.api_calls;
  for (const auto& id : ids) {
    if (auto it = state_->live.find(id); it != state_->live.end()) it->second.cloud.scale_in_protected = enabled;
  }
  return ok_status();
}

Status SimCloud::hand_over(std::string_view instance_id, const Registration& registration) {
  {
    std::lock_guard lock(state_->mu);
    ++state_->usage.api_calls;
    auto it = state_->live.find(instance_id);
    if (it == state_->live.end()) return make_error(ErrorKind::kNotFound, "hand_over: no live instance " + std::string(instance_id));
    ++state_->usage.hand_overs;
    if (const auto& had = it->second.registration) {
      if (!it->second.ready_told || had->runner_name == registration.runner_name) {
        ++state_->usage.repeated_hand_overs;
      } else {
        ++state_->usage.reuse_hand_overs;
      }
    }
    // A running instance starts its runner at once (after runner_restart if it ran one
    // already: reuse); a booting one when it is up.
    const TimePoint now = state_->options.clock->now();
    const TimePoint start = it->second.ready_told ? now + state_->options.runner_restart : now;
    it->second.registration = registration;
    it->second.ready_told = false;
    state_->push(std::max(start, it->second.ready_at), it->first, Due::Kind::kBoot);
  }
  poll();
  return ok_status();
}

void SimCloud::interrupt(std::string_view instance_id) {
  std::function<void(const SimEvent&)> observer;
  std::vector<SimEvent> events;
  {
    std::lock_guard lock(state_->mu);
    auto it = state_->live.find(instance_id);
    if (it == state_->live.end()) return;
    ++state_->usage.interruptions;
    events.push_back({SimEvent::Kind::kInterrupted, state_->end(it, state_->options.clock->now()), std::nullopt});
    observer = state_->observer;
  }
  tell(observer, events);
}

void SimCloud::set_capacity(Market market, int capacity) {
  std::lock_guard lock(state_->mu);
  (market == Market::kSpot ? state_->spot_capacity : state_->on_demand_capacity) = capacity;
}

CloudUsage SimCloud::usage(TimePoint now) const {
  std::lock_guard lock(state_->mu);
  CloudUsage u = state_->usage;
  for (const auto& [id, l] : state_->live) {
    const double h = hours(std::max(Duration{0}, now - l.cloud.launched_at));
    if (l.cloud.market == Market::kSpot) {
      u.spot_hours += h;
      u.spot_cost += h * state_->price.spot;
    } else {
      u.on_demand_hours += h;
      u.on_demand_cost += h * state_->price.on_demand;
    }
  }
  return u;
}

std::vector<CloudInstance> SimCloud::all_instances() const {
  std::lock_guard lock(state_->mu);
  std::vector<CloudInstance> out;
  out.reserve(state_->live.size() + state_->gone.size());
  for (const auto& [id, l] : state_->live) out.push_back(l.cloud);
  out.insert(out.end(), state_->gone.rbegin(), state_->gone.rend());
  return out;
}

std::optional<CloudInstance> SimCloud::instance(std::string_view id) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->live.find(id);
  if (it == state_->live.end()) return std::nullopt;
  return it->second.cloud;
}

std::optional<Registration> SimCloud::registration(std::string_view id) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->live.find(id);
  if (it == state_->live.end()) return std::nullopt;
  return it->second.registration;
}

int SimCloud::launch_calls() const {
  std::lock_guard lock(state_->mu);
  return state_->launch_calls;
}

int SimCloud::live_count() const {
  std::lock_guard lock(state_->mu);
  return static_cast<int>(state_->live.size());
}

}  // namespace ghscale::provider
