// The sandbox's world: a GitHub simulator mirrored into a fake GitHub REST server on
// loopback, a simulated cloud whose instances bring the simulator's runners online, and
// the delivery of signed workflow_job webhooks to one or more daemons, like GitHub's
// hook deliveries (a failed POST is not retried; the daemons' sweep must recover it).
// Whoever drives it calls step() often (the sandbox and the integration tests every
// few tens of milliseconds of wall time). Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "provider/sim/sim_cloud.h"
#include "sandbox/fake_github/fake_github.h"
#include "sandbox/github_sim.h"
#include "sandbox/workload.h"

namespace ghscale::sandbox {

// Random hex digits for the worlds' made-up credentials (tokens, webhook secrets).
std::string random_hex(std::size_t n);

struct WorldOptions {
  std::shared_ptr<Clock> clock;  // required: the system clock, or a ScaledClock
  std::uint64_t seed = 7;
  std::string org = "acme";
  Duration boot_time = 30s;
  Duration boot_jitter = 0s;
  double spot_interruption_rate = 0.0;
  DeliveryFaults faults;
  int github_threads = 2;
  // How long an instance whose ephemeral runner finished waits for a next registration
  // before shutting itself down (the bootstrap's GHSCALE_REUSE_WAIT); 0 = at once.
  Duration reuse_wait = 0s;
  // Another cloud in place of the simulated one (a fake AWS in the integration tests):
  // ephemeral runners' instances end themselves through its terminate(), and whoever
  // runs it reports instances ready or gone with github().on_cloud_event(). The world's
  // SimCloud then stays empty. Optional.
  std::shared_ptr<provider::Provider> cloud;
};

// The sandbox command reports the cloud's usage under this name.
using provider::CloudUsage;

struct WorldCounts {
  GitHubSimCounts github;
  provider::CloudUsage cloud;
  std::int64_t posted = 0;        // delivery attempts
  std::int64_t not_accepted = 0;  // transport failure or non-2xx: lost, as GitHub does not retry
  std::int64_t dropped_on_purpose = 0;
  std::int64_t github_requests = 0;  // every request the fake GitHub answered
};

class World {
 public:
  static Result<std::unique_ptr<World>> start(WorldOptions options);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // What a daemon needs: the fake GitHub's API URL and PAT, and the webhook secret.
  // Random per world; the caller registers them as secrets where it logs.
  std::string github_api_url() const;
  const std::string& github_token() const;
  const std::string& webhook_secret() const;

  // Webhook URLs deliveries go to, round-robin (a load balancer in front of daemons).
  void set_targets(std::vector<std::string> urls);
  // The next n deliveries are not sent (a delivery lost on GitHub's side).
  void drop_next_deliveries(int n);

  // A workload job is queued now.
  std::int64_t enqueue(const WorkloadJob& job);
  // Boots and interruptions due, job completions and assignments, due deliveries sent.
  void step();

  WorldCounts counts() const;
  std::shared_ptr<provider::SimCloud> cloud() const;
  GitHubSim& github();
  fake_github::FakeGitHub& fake_github();

 private:
  struct State;
  explicit World(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace ghscale::sandbox
