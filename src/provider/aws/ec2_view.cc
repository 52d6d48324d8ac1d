#include "provider/aws/ec2_view.h"

namespace ghscale::provider::ec2_view {

Lifecycle lifecycle_of(std::string_view state) {
  if (state == "pending") return Lifecycle::kPending;
  if (state == "running") return Lifecycle::kRunning;
  if (state == "terminated") return Lifecycle::kTerminated;
  return Lifecycle::kStopping;  // stopping, stopped, shutting-down
}

Market market_of(const aws::Ec2Instance& instance) {
  return instance.lifecycle == "spot" ? Market::kSpot : Market::kOnDemand;
}

CloudInstance to_cloud(const aws::Ec2Instance& i, std::string_view pool) {
  CloudInstance c;
  c.id = i.instance_id;
  c.pool = std::string(pool);
  c.market = market_of(i);
  c.instance_type = i.instance_type;
  c.lifecycle = lifecycle_of(i.state);
  c.launched_at = i.launch_time;
  for (const auto& t : i.tags) c.tags[t.key] = t.value;
  return c;
}

std::vector<std::vector<std::string>> chunks(const std::vector<std::string>& ids, std::size_t size) {
  std::vector<std::vector<std::string>> out;
  for (std::size_t i = 0; i < ids.size(); i += size) {
    out.emplace_back(ids.begin() + static_cast<std::ptrdiff_t>(i),
                     ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), i + size)));
  }
  return out;
}

}  // namespace ghscale::provider::ec2_view
