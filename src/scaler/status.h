// What the scaler shows of itself: per pool counts, the last plan's notes and actions,
// and who holds the scaler lease. Rendered as JSON for GET /api/v1/status.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/action.h"
#include "scaler/plan.h"

namespace ghscale::scaler {

struct PoolStatus {
  std::string name;
  PoolCounts counts;  // desired, running, idle, busy, booting, queued, on_demand/spot split
  bool cooldown_active = false;
  std::vector<std::string> notes;
  std::vector<Action> last_actions;  // newest first
  std::optional<TimePoint> observed_at;  // when the counts were taken; nullopt before the first pass
};

struct ScalerStatus {
  std::string holder;        // this process's lease identity
  std::string lease_holder;  // who holds the scaler lease (empty = nobody known)
  bool acting = false;       // this process holds the lease
  std::optional<TimePoint> last_pass;
  std::optional<TimePoint> last_sweep;
  std::vector<PoolStatus> pools;
};

// {"holder":..,"lease_holder":..,"acting":..,"last_pass":ms|null,"last_sweep":ms|null,
//  "pools":[{"name":..,"desired":..,"running":..,"idle":..,"busy":..,"booting":..,
//            "queued_jobs":..,"lost_jobs":..,"min_idle":..,"on_demand":..,"spot":..,
//            "cooldown_active":..,"notes":[..],"observed_at":ms|null,
//            "last_actions":[{"id","at","kind","count","reason","result"}]}]}
std::string to_json(const ScalerStatus& status);

}  // namespace ghscale::scaler
