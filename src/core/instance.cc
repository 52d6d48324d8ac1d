#include "core/instance.h"

namespace ghscale {

std::string_view to_string(Market market) { return market == Market::kSpot ? "spot" : "on-demand"; }

std::optional<Market> parse_market(std::string_view text) {
  if (text == "spot") return Market::kSpot;
  if (text == "on-demand" || text == "on_demand" || text == "ondemand") return Market::kOnDemand;
  return std::nullopt;
}

std::string_view to_string(InstanceState state) {
  switch (state) {
    case InstanceState::kRequested: return "requested";
    case InstanceState::kBooting: return "booting";
    case InstanceState::kIdle: return "idle";
    case InstanceState::kBusy: return "busy";
    case InstanceState::kDraining: return "draining";
    case InstanceState::kTerminated: return "terminated";
  }
  return "requested";
}

std::optional<InstanceState> parse_instance_state(std::string_view text) {
  for (auto s : {InstanceState::kRequested, InstanceState::kBooting, InstanceState::kIdle, InstanceState::kBusy,
                 InstanceState::kDraining, InstanceState::kTerminated}) {
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

}  // namespace ghscale
