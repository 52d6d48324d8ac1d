// The sandbox's simulated cloud behind the Provider interface, built for virtual time:
// boot delays drawn from a distribution, spot interruptions drawn once per instance at
// launch (so cost is O(live instances), not O(every instance ever)), capacity limits per
// market, injected launch failures, and a per-type price table for cost accounting.
// Time-driven changes happen in advance(now); next_event_time() tells a discrete-event
// loop when the next one is due. Observer calls are made without the lock held.
// Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "provider/provider.h"
#include "provider/sim/sim_provider.h"

namespace ghscale::sandbox {

using namespace std::chrono_literals;

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
  Duration boot_time = 30s;    // the shortest boot: runner online this long after launch
  Duration boot_jitter = 0s;   // plus uniform [0, jitter)
  double spot_interruption_rate = 0.0;  // expected interruptions per spot instance-hour
  double launch_failure_rate = 0.0;     // chance a market's part of a launch fails (capacity)
  int on_demand_capacity = -1;          // alive at once; -1 = unlimited
  int spot_capacity = -1;
  std::uint64_t seed = 1;
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
  std::int64_t repeated_hand_overs = 0;  // to an instance that already had a registration
  double cost() const { return on_demand_cost + spot_cost; }
};

class SimCloud final : public provider::Provider {
 public:
  explicit SimCloud(SimCloudOptions options);
  ~SimCloud() override;

  Result<std::vector<provider::CloudInstance>> describe(std::string_view pool) override;
  Result<provider::LaunchOutcome> launch(const provider::LaunchRequest& request) override;
  Status terminate(const std::vector<std::string>& ids) override;
  Status protect(const std::vector<std::string>& ids, bool enabled) override;
  Status hand_over(std::string_view instance_id, const provider::Registration& registration) override;

  // kReady (running and handed over), kInterrupted (spot reclaimed), kTerminated (by a
  // terminate() call). The same event type as provider::SimProvider's.
  void set_observer(std::function<void(const provider::SimEvent&)> observer);
  // Applies every boot and interruption due at or before now, in time order.
  void advance(TimePoint now);
  // When the next boot or interruption is due; nullopt when none is pending.
  std::optional<TimePoint> next_event_time() const;
  // Reclaims an instance now, as a spot interruption.
  void interrupt(std::string_view instance_id);
  void set_capacity(Market market, int capacity);

  // Usage so far; live instances are counted up to `now`.
  CloudUsage usage(TimePoint now) const;
  std::optional<provider::CloudInstance> instance(std::string_view id) const;
  int live_count() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ghscale::sandbox
