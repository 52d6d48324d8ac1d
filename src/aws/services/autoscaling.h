// Auto Scaling, the calls the aws_asg provider makes. Lists are fetched to the end
// (NextToken). Thread-safe (AwsClient is).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aws/aws_client.h"

namespace ghscale::aws {

struct AsgInstance {
  std::string instance_id;
  std::string instance_type;
  std::string availability_zone;
  std::string lifecycle_state;  // "InService", "Pending", "Terminating", ...
  std::string health_status;
  bool protected_from_scale_in = false;
};

struct AutoScalingGroup {
  std::string name;
  int min_size = 0;
  int max_size = 0;
  int desired_capacity = 0;
  std::vector<AsgInstance> instances;
  // The launch template, from LaunchTemplate or MixedInstancesPolicy (empty names when the
  // group uses a launch configuration).
  std::string launch_template_id;
  std::string launch_template_name;
  std::string launch_template_version;
  // MixedInstancesPolicy, when the group has one.
  bool mixed_instances = false;
  int on_demand_base = 0;
  int on_demand_percentage_above_base = 100;  // AWS's default without a policy: all on-demand
  std::string spot_allocation_strategy;
  std::vector<std::string> instance_types;  // the policy's overrides
  std::vector<std::pair<std::string, std::string>> tags;
};

struct ScalingActivity {
  std::string activity_id;
  std::string status_code;  // "Successful", "InProgress", "Failed", ...
  std::string description;
  std::string cause;
  TimePoint start_time;
};

struct AsgUpdate {
  std::string name;
  std::optional<int> min_size, max_size, desired_capacity;
};

class AutoScalingClient {
 public:
  explicit AutoScalingClient(std::shared_ptr<AwsClient> client) : client_(std::move(client)) {}

  // Empty names = every group in the region.
  Result<std::vector<AutoScalingGroup>> describe_auto_scaling_groups(const std::vector<std::string>& names);
  Status set_desired_capacity(const std::string& group, int desired, bool honor_cooldown = false);
  Result<ScalingActivity> terminate_instance(const std::string& instance_id, bool decrement_desired_capacity);
  Status set_instance_protection(const std::string& group, const std::vector<std::string>& instance_ids, bool protect);
  Status update_auto_scaling_group(const AsgUpdate& update);
  // Newest first, at most max_items (0 = all).
  Result<std::vector<ScalingActivity>> describe_scaling_activities(const std::string& group, int max_items = 0);
  // result: "CONTINUE" or "ABANDON".
  Status complete_lifecycle_action(const std::string& group, const std::string& hook, const std::string& instance_id,
                                   const std::string& result);

  AwsClient& raw() { return *client_; }  // any other operation of the model

 private:
  std::shared_ptr<AwsClient> client_;
};

}  // namespace ghscale::aws
