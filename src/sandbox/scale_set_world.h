// The sandbox's world in scale-set mode: the fake Actions service and the fake GitHub on
// one loopback port (a daemon's github.api_url), scale-set runners mirrored into the fake
// GitHub's runner list, and a simulated cloud whose instances bring their runner online
// when they boot with a scale-set JIT config. Jobs are queued for a scale set by name (as
// `runs-on: NAME` does); the service assigns them to the scale set within the capacity its
// listener reports and offers them to idle runners of the set, which take them, run them
// for their duration and leave (one job each), ending their instance. No webhooks: the
// daemon learns of jobs only from its message session. Whoever drives it calls step()
// often. Thread-safe; calls into the cloud are made without the lock held.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "provider/sim/sim_cloud.h"
#include "sandbox/fake_actions/fake_actions.h"
#include "sandbox/fake_github/fake_github.h"

namespace ghscale::sandbox {

using namespace std::chrono_literals;

struct ScaleSetWorldOptions {
  std::shared_ptr<Clock> clock;  // required: the system clock, or a ScaledClock
  std::uint64_t seed = 7;
  std::string org = "acme";  // the pools' scope: runners are mirrored into orgs/ORG
  Duration boot_time = 30s;
  Duration boot_jitter = 0s;
  // The fake service's behaviour (its clock is the world's); long_poll is real time.
  fake_actions::FakeActionsOptions actions;
  int threads = 4;
};

struct ScaleSetWorldCounts {
  std::int64_t enqueued = 0;
  std::int64_t queued = 0;  // not started yet (waiting for the scale set or a runner)
  std::int64_t running = 0;
  std::int64_t done = 0;    // completed, succeeded
  std::int64_t failed = 0;  // completed otherwise (a runner lost, canceled after reassignments)
  std::int64_t runners_online = 0;
  std::int64_t busy_terminations = 0;  // an instance terminated while its runner ran a job: must stay 0
  std::int64_t not_scale_set = 0;      // instances that booted with a registration that is no scale-set JIT config
  std::int64_t actions_requests = 0;   // every request the fake Actions service answered
  std::int64_t github_requests = 0;    // every request the fake GitHub answered
  provider::CloudUsage cloud;
};

class ScaleSetWorld {
 public:
  static Result<std::unique_ptr<ScaleSetWorld>> start(ScaleSetWorldOptions options);
  ~ScaleSetWorld();
  ScaleSetWorld(const ScaleSetWorld&) = delete;
  ScaleSetWorld& operator=(const ScaleSetWorld&) = delete;

  // What a daemon needs: the API URL serving both fakes, and a PAT of the fake GitHub.
  std::string api_url() const;
  const std::string& github_token() const;

  // A job for the scale set called `scale_set` that runs `duration` once a runner takes it;
  // returns its runner request id.
  std::int64_t enqueue(const std::string& scale_set, Duration duration, const std::string& repository = "acme/app");
  // Boots due, offered jobs taken, finished jobs completed and their instances ended.
  void step();

  ScaleSetWorldCounts counts() const;
  // How long each started job waited, from its enqueue to a runner taking it.
  std::vector<Duration> waits() const;
  std::shared_ptr<provider::SimCloud> cloud() const;
  fake_actions::FakeActions& actions();
  fake_github::FakeGitHub& github();

 private:
  struct State;
  explicit ScaleSetWorld(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace ghscale::sandbox
