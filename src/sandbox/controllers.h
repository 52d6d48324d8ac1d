// The scaling controllers the simulator runs: ghscale's (plan() plus the reconciler's
// observe/act steps) and the two baselines. Private to the simulator.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "core/clock.h"
#include "core/job.h"
#include "sandbox/github_sim.h"
#include "sandbox/sim_cloud.h"
#include "sandbox/simulator.h"

namespace ghscale::sandbox::detail {

// What a controller knows of jobs: webhook deliveries merged forward-only, deduplicated by
// delivery id, as the store does.
class JobView {
 public:
  // False for a duplicate delivery.
  bool apply(const JobEvent& e);
  void set_status(std::int64_t job_id, JobStatus status);
  const std::map<std::int64_t, Job>& queued() const { return queued_; }
  const std::unordered_map<std::int64_t, std::string>& running() const { return running_; }
  bool known(std::int64_t job_id) const { return status_.count(job_id) != 0; }

 private:
  std::unordered_set<std::string> deliveries_;
  std::unordered_map<std::int64_t, JobStatus> status_;
  std::map<std::int64_t, Job> queued_;                     // by job id (oldest first)
  std::unordered_map<std::int64_t, std::string> running_;  // job id -> runner name
};

struct World {
  std::shared_ptr<Clock> clock;
  std::shared_ptr<GitHubSim> github;
  std::shared_ptr<SimCloud> cloud;
};

class Controller {
 public:
  virtual ~Controller() = default;
  virtual void on_delivery(const JobEvent& event) = 0;
  virtual std::optional<TimePoint> next_deadline() const = 0;
  virtual void run_due() = 0;
  virtual std::int64_t passes() const = 0;
  // GitHub calls the controller made outside GitHubSim's counted API (get_job).
  virtual std::int64_t extra_github_calls() const = 0;
};

std::unique_ptr<Controller> make_controller(const Policy& policy, World world);

}  // namespace ghscale::sandbox::detail
