// Small builders for plan() tests: a pool, jobs, instances and runners in a few words.
#pragma once

#include <string>

#include "scaler/plan.h"

namespace ghscale::scaler::testing {

using namespace std::chrono_literals;

inline const TimePoint kT0 = TimePoint{std::chrono::hours(24 * 365 * 56)};

inline config::PoolConfig make_pool(std::string name = "linux") {
  config::PoolConfig p;
  p.name = std::move(name);
  p.labels = LabelSet{"self-hosted", "linux", "x64"};
  p.min_idle = 0;
  p.max_runners = 10;
  p.on_demand_base = 1;
  p.cooldown = 0ms;
  p.idle_timeout = 5min;
  p.min_lifetime = 5min;
  p.boot_timeout = 5min;
  return p;
}

inline Job queued_job(std::int64_t id, LabelSet labels = {"self-hosted", "linux"}) {
  Job j;
  j.job_id = id;
  j.status = JobStatus::kQueued;
  j.labels = std::move(labels);
  j.repository = "acme/app";
  return j;
}

// A live instance of `pool` launched at `launched`, registered (online) at `registered`.
inline InstanceView instance(const std::string& pool, const std::string& id, TimePoint launched,
                             std::optional<TimePoint> registered = std::nullopt, Market market = Market::kSpot) {
  InstanceView i;
  i.id = id;
  i.market = market;
  i.lifecycle = registered ? provider::Lifecycle::kRunning : provider::Lifecycle::kPending;
  i.launched_at = launched;
  i.runner_name = runner_name_for(pool, id);
  i.handed_over = true;
  i.registered_at = registered;
  return i;
}

inline RunnerView runner_for(const InstanceView& i, std::int64_t id, bool online = true, bool busy = false) {
  return RunnerView{id, i.runner_name, online, busy};
}

}  // namespace ghscale::scaler::testing
