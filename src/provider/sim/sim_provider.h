// A simulated cloud: real code for tests, the sandbox and virtual-time simulation.
// Instances boot after a configurable delay on the Clock, spot instances may be
// interrupted (at a rate, or on demand), and capacity can be limited or failed per
// market. Time-driven changes happen when the simulator is polled (every call polls), so
// it needs no thread of its own. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/clock.h"
#include "provider/provider.h"

namespace ghscale::provider {

struct SimOptions {
  std::shared_ptr<Clock> clock;  // required
  Duration boot_time = std::chrono::seconds(30);
  double spot_interruption_rate = 0.0;  // expected interruptions per spot instance-hour
  std::uint64_t seed = 1;                // for interruptions
  std::string instance_type = "sim.large";
  // Instances each market can have alive at once; -1 = unlimited.
  int on_demand_capacity = -1;
  int spot_capacity = -1;
};

// What the simulator tells an observer (e.g. a GitHub simulator that then registers the
// runner). Called without the simulator's lock held, from whichever call polled.
struct SimEvent {
  enum class Kind { kReady, kInterrupted, kTerminated };
  Kind kind = Kind::kReady;
  CloudInstance instance;
  // kReady: the instance is running and has a registration (its runner would start now).
  std::optional<Registration> registration;
};

class SimProvider final : public Provider {
 public:
  explicit SimProvider(SimOptions options);
  ~SimProvider() override;

  Result<std::vector<CloudInstance>> describe(std::string_view pool) override;
  Result<LaunchOutcome> launch(const LaunchRequest& request) override;
  Status terminate(const std::vector<std::string>& ids) override;
  Status protect(const std::vector<std::string>& ids, bool enabled) override;
  Status hand_over(std::string_view instance_id, const Registration& registration) override;

  void set_observer(std::function<void(const SimEvent&)> observer);
  // Applies what time has made due (boots, interruptions) and tells the observer.
  void poll();
  // Reclaims a spot (or any) instance now, as AWS would with two minutes' notice.
  void interrupt(std::string_view instance_id);
  // Capacity limits, as in SimOptions.
  void set_capacity(Market market, int capacity);

  // Observation for tests: every instance ever launched, terminated ones included.
  std::vector<CloudInstance> all_instances() const;
  std::optional<CloudInstance> instance(std::string_view id) const;
  // The last registration handed to an instance.
  std::optional<Registration> registration(std::string_view id) const;
  int launch_calls() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ghscale::provider
