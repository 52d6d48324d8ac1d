// EC2, the calls the providers make: launch (RunInstances, CreateFleet type instant),
// find (DescribeInstances with filters, all pages), terminate and tag. Thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/aws_client.h"

namespace ghscale::aws {

struct Tag {
  std::string key;
  std::string value;
  friend bool operator==(const Tag&, const Tag&) = default;
};

struct Ec2Instance {
  std::string instance_id;
  std::string instance_type;
  std::string state;      // "pending", "running", "shutting-down", "terminated", ...
  std::string lifecycle;  // "spot", "capacity-block", or "" (on-demand)
  std::string private_ip;
  std::string subnet_id;
  std::string image_id;
  TimePoint launch_time;
  std::vector<Tag> tags;

  std::optional<std::string> tag(std::string_view key) const;
};

struct LaunchTemplateRef {
  std::string id_or_name;  // "lt-0123..." is an id, anything else a name
  std::string version = "$Default";
};

struct RunInstancesRequest {
  LaunchTemplateRef launch_template;
  std::string instance_type;  // empty = the template's
  std::string subnet_id;
  int count = 1;
  bool spot = false;
  std::vector<Tag> tags;     // on the instances and their volumes
  std::string user_data;     // raw; base64-encoded here
  std::string client_token;  // idempotency across retries and crashes
};

struct FleetOverride {
  std::string instance_type;
  std::string subnet_id;
};

struct CreateFleetRequest {
  LaunchTemplateRef launch_template;
  std::vector<FleetOverride> overrides;
  int total_capacity = 1;
  int on_demand_capacity = 0;  // the rest is spot
  std::string spot_allocation_strategy = "price-capacity-optimized";
  std::vector<Tag> tags;
  std::string client_token;
};

struct FleetError {
  std::string code;  // "InsufficientInstanceCapacity", ...
  std::string message;
  std::string lifecycle;  // "spot" / "on-demand"
  std::string instance_type;
};

struct CreateFleetResult {
  std::string fleet_id;
  std::vector<std::string> instance_ids;
  std::vector<std::string> spot_instance_ids;
  std::vector<FleetError> errors;  // partial failures: fewer instances than asked
};

struct Filter {
  std::string name;  // "tag:ghscale:pool", "instance-state-name", ...
  std::vector<std::string> values;
};

// One version of a launch template, as pools check reads it.
struct LaunchTemplateVersion {
  std::string id;
  std::string name;
  std::int64_t version_number = 0;
  std::string instance_type;
  std::string user_data;  // decoded; empty when the template has none
};

struct InstanceStateChange {
  std::string instance_id;
  std::string previous_state;
  std::string current_state;
};

class Ec2Client {
 public:
  explicit Ec2Client(std::shared_ptr<AwsClient> client) : client_(std::move(client)) {}

  Result<std::vector<Ec2Instance>> run_instances(const RunInstancesRequest& request);
  Result<CreateFleetResult> create_fleet(const CreateFleetRequest& request);
  // Filters and/or ids; every page.
  Result<std::vector<Ec2Instance>> describe_instances(const std::vector<Filter>& filters,
                                                      const std::vector<std::string>& instance_ids = {});
  Result<std::vector<InstanceStateChange>> terminate_instances(const std::vector<std::string>& instance_ids);
  Status create_tags(const std::vector<std::string>& resource_ids, const std::vector<Tag>& tags);
  // The version `ref` names ($Default, $Latest or a number); kNotFound for no such template.
  Result<LaunchTemplateVersion> describe_launch_template_version(const LaunchTemplateRef& ref);

  AwsClient& raw() { return *client_; }

 private:
  std::shared_ptr<AwsClient> client_;
};

}  // namespace ghscale::aws
