// A cloud instance ghscale manages and the runner registered on it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace ghscale {

enum class Market { kSpot, kOnDemand };
std::string_view to_string(Market market);
std::optional<Market> parse_market(std::string_view text);

// Lifecycle, in order; kTerminated is final.
enum class InstanceState { kRequested, kBooting, kIdle, kBusy, kDraining, kTerminated };
std::string_view to_string(InstanceState state);
std::optional<InstanceState> parse_instance_state(std::string_view text);

struct Instance {
  std::string pool;
  std::string instance_id;
  Market market = Market::kSpot;
  std::string instance_type;
  InstanceState state = InstanceState::kRequested;
  std::int64_t runner_id = 0;  // 0 until registered with GitHub
  std::string runner_name;
  TimePoint launched_at{};
  std::optional<TimePoint> registered_at;
  std::optional<TimePoint> last_busy_at;
  std::int64_t current_job_id = 0;  // 0 when idle
};

}  // namespace ghscale
