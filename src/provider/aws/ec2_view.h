// How both AWS providers read EC2 instances: states to Lifecycle, InstanceLifecycle to
// Market, tags to a map. Internal to src/provider/aws.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "aws/services/ec2.h"
#include "provider/provider.h"

namespace ghscale::provider::ec2_view {

// The EC2 states of an instance that is not yet gone.
inline const std::vector<std::string> kLiveStates = {"pending", "running", "stopping", "stopped", "shutting-down"};

Lifecycle lifecycle_of(std::string_view ec2_state);
Market market_of(const aws::Ec2Instance& instance);
CloudInstance to_cloud(const aws::Ec2Instance& instance, std::string_view pool);

// Splits ids into groups of at most `size` (API limits on list lengths).
std::vector<std::vector<std::string>> chunks(const std::vector<std::string>& ids, std::size_t size);

}  // namespace ghscale::provider::ec2_view
