// The scaling controllers the simulator runs, private to it: ghscale's own daemon loop
// (scaler_controller.cc: the real Reconciler and ReconcileLoop over a memory store, the
// in-process GitHub and the simulated cloud) and the two baselines (baselines.cc), which
// model other tools' documented rules. Each sees only what a real controller would:
// webhook deliveries (with their faults) and API answers, every call counted.
#pragma once

#include <memory>
#include <optional>

#include "core/clock.h"
#include "core/job.h"
#include "provider/sim/sim_cloud.h"
#include "sandbox/github_sim.h"
#include "sandbox/simulator.h"

namespace ghscale::sandbox::detail {

struct SimWorld {
  std::shared_ptr<ManualClock> clock;
  std::shared_ptr<GitHubSim> github;
  std::shared_ptr<provider::SimCloud> cloud;
};

class Controller {
 public:
  virtual ~Controller() = default;
  // A webhook delivery reaches the controller (as it would reach the daemon's handler).
  virtual void on_delivery(const JobEvent& event) = 0;
  // When the controller next wants to run; nullopt = only on a delivery.
  virtual std::optional<TimePoint> next_deadline() const = 0;
  // Runs whatever is due at the clock's now.
  virtual void run_due() = 0;
  virtual std::int64_t passes() const = 0;
};

std::unique_ptr<Controller> make_scaler_controller(const Policy& policy, SimWorld world);
std::unique_ptr<Controller> make_original_controller(const Policy& policy, SimWorld world);
std::unique_ptr<Controller> make_per_job_controller(const Policy& policy, SimWorld world);

}  // namespace ghscale::sandbox::detail
