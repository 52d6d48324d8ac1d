// The simulated cloud behind the Provider interface: real code for the daemon's `sim`
// pools, the tests, the sandbox and virtual-time simulation. Boot delays drawn from a
// distribution, spot interruptions drawn once per instance at launch (so cost is
// O(live instances), not O(every instance ever)), capacity limits per market, injected
// launch failures, and a per-type price table for cost accounting.
//
// Time: changes the clock has made due happen in advance(now), which a discrete-event
// loop drives with next_event_time(); describe(), launch() and hand_over() first apply
// what is due at the clock's now, so a caller that never calls advance() (the daemon)
// sees a cloud that moves with its clock and needs no thread. Observer calls are made
// without the lock held, from whichever call applied the change. Thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "provider/provider.h"

namespace ghscale::provider {

// Dollars per instance-hour, as AWS prices Linux instances (billed per second).
struct InstancePrice {
  double on_demand = 0.0;
  double spot = 0.0;
};

// A small built-in table (us-east-1, Linux, list prices; spot a typical recent average).
// Types not listed cost what "default" costs.
std::map<std::string, InstancePrice, std::less<>> default_price_table();

struct SimCloudOptions {
  std::shared_ptr<Clock> clock;  // required
  std::string instance_type = "m7i.large";
  std::map<std::string, InstancePrice, std::less<>> prices = default_price_table();
  Duration boot_time = std::chrono::seconds(30);  // the shortest boot: runner online this long after launch
  Duration boot_jitter{0};                        // plus uniform [0, jitter)
  // A registration handed to an instance whose runner already started (reuse): its runner
  // is online this long after the hand-over (the bootstrap's poll and the runner's start).
  Duration runner_restart{0};
  double spot_interruption_rate = 0.0;  // expected interruptions per spot instance-hour
  double launch_failure_rate = 0.0;     // chance a market's part of a launch fails (capacity)
  int on_demand_capacity = -1;          // alive at once; -1 = unlimited
  int spot_capacity = -1;
  std::uint64_t seed = 1;
  // launch() answers a repeated client token from memory; a daemon running for months
  // must not keep every token, so only the most recent ones are remembered. A replay
  // comes within a pass or two of the first call, thousands of launches sooner.
  std::size_t remembered_tokens = 4096;
  // all_instances() lists gone instances too, for tests; the most recent ones only, so
  // a long simulation's memory stays O(live instances).
  std::size_t remembered_terminated = 1024;
};

struct CloudUsage {
  double on_demand_hours = 0.0;
  double spot_hours = 0.0;
  double on_demand_cost = 0.0;
  double spot_cost = 0.0;
  std::int64_t launched = 0;
  std::int64_t interruptions = 0;
  std::int64_t launch_failures = 0;  // instances asked for and not launched
  std::int64_t api_calls = 0;        // every Provider call
  std::int64_t peak_live = 0;        // most instances alive at once (all pools)
  std::int64_t hand_overs = 0;
  // A hand-over while the instance's previous registration has not started its runner
  // yet, or of the runner name it already has: two deciders for one slot (a bug). A new
  // name handed to an instance whose runner started is reuse, counted apart.
  std::int64_t repeated_hand_overs = 0;
  std::int64_t reuse_hand_overs = 0;
  double cost() const { return on_demand_cost + spot_cost; }
};

// What the cloud tells an observer (e.g. a GitHub simulator that then registers the
// runner).
struct SimEvent {
  enum class Kind { kReady, kInterrupted, kTerminated };
  Kind kind = Kind::kReady;
  CloudInstance instance;
  // kReady: the instance is running and has a registration (its runner would start now).
  std::optional<Registration> registration;
};

class SimCloud final : public Provider {
 public:
  explicit SimCloud(SimCloudOptions options);
  ~SimCloud() override;

  Result<std::vector<CloudInstance>> describe(std::string_view pool) override;
  Result<LaunchOutcome> launch(const LaunchRequest& request) override;
  Status terminate(const std::vector<std::string>& ids) override;
  Status protect(const std::vector<std::string>& ids, bool enabled) override;
  Status hand_over(std::string_view instance_id, const Registration& registration) override;

  // kReady (running and handed over), kInterrupted (spot reclaimed), kTerminated (by a
  // terminate() call).
  void set_observer(std::function<void(const SimEvent&)> observer);
  // Applies every boot and interruption due at or before now, in time order.
  void advance(TimePoint now);
  // advance() to the clock's now.
  void poll();
  // When the next boot or interruption is due; nullopt when none is pending.
  std::optional<TimePoint> next_event_time() const;
  // Reclaims an instance now, as a spot interruption (AWS gives two minutes' notice).
  void interrupt(std::string_view instance_id);
  // Instances a market can have alive at once; -1 = unlimited.
  void set_capacity(Market market, int capacity);

  // Usage so far; live instances are counted up to `now`.
  CloudUsage usage(TimePoint now) const;
  // Live instances, then the most recently gone (SimCloudOptions::remembered_terminated).
  std::vector<CloudInstance> all_instances() const;
  // A live instance; nullopt once it is gone.
  std::optional<CloudInstance> instance(std::string_view id) const;
  // The last registration handed to a live instance.
  std::optional<Registration> registration(std::string_view id) const;
  int launch_calls() const;  // every launch() call, replays and refusals included
  int live_count() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ghscale::provider
