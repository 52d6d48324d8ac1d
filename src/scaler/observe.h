// observe(): what the cloud, GitHub's runner list, the webhooks (the store's jobs) and our
// own instance records say of one pool, turned into plan()'s Snapshot plus the record
// changes the reconciler writes. Pure, like plan(): the reconciler does the reading and
// the writing, so it may observe twice in a pass (with a refreshed runner list) at no cost.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "core/instance.h"
#include "core/job.h"
#include "github/types.h"
#include "provider/provider.h"
#include "scaler/plan.h"

namespace ghscale::scaler {

struct ObserveInput {
  const config::PoolConfig& pool;
  TimePoint now;
  const std::vector<provider::CloudInstance>& cloud;  // describe(pool)
  const std::vector<github::Runner>& runners;         // the scope's list (every pool's runners)
  bool runners_fresh = true;                           // listed in this pass
  const std::vector<Instance>& records;                // the store's live records of the pool (sorted by id: fastest)
  const std::vector<Job>& queued;                      // the pool's oldest queued jobs
  int queued_beyond = 0;                               // and how many more there are
  const std::vector<Job>& running;                     // every in-progress job
  const std::set<std::string>& handed_over;            // instances given a registration in this process
  TimePoint runners_listed_at{};                       // when `runners` was fetched
  // Runners whose job the webhooks saw end, and when: a list older than that may still
  // show them busy, wrongly.
  const std::unordered_map<std::string, TimePoint>* freed_at = nullptr;
};

struct Observation {
  Snapshot snapshot;  // without last_scale_out/in (the action log's)
  std::vector<Instance> upserts;        // records new or changed
  std::vector<std::string> vanished;    // recorded as live, no longer listed by the cloud
  std::vector<std::int64_t> jobs_on_vanished_spot;  // running on a spot instance that vanished
};

Observation observe(const ObserveInput& in);

// Whether a plan would remove something on the word of the runner list (scale-in, cleanup):
// such a plan is made again on a fresh list before it is carried out.
bool removes_capacity(const Plan& plan);

}  // namespace ghscale::scaler
