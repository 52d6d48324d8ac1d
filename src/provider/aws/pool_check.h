// `ghscale pools check`: does the cloud side of an AWS pool match its configuration?
// aws_asg: the group exists; its MixedInstancesPolicy keeps pool.on_demand_base on-demand
// and spot above it (0% on-demand above the base); its max size is at least max_runners;
// its instance types are the configured ones (when the pool names any); it launches from
// a launch template whose user data carries the bootstrap marker.
// aws_fleet: the launch template (and version) exists and its user data carries the
// bootstrap marker. Read-only: Describe* calls only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_client.h"
#include "config/config.h"
#include "core/error.h"

namespace ghscale::provider {

// deploy/runner/bootstrap.sh opens with this (its first comment line); a launch template
// whose user data lacks it does not start ghscale's runner bootstrap.
inline constexpr std::string_view kBootstrapMarker = "ghscale runner bootstrap";

struct PoolDifference {
  std::string what;      // "on_demand_base", "max_size", "instance_types", "launch_template", "user_data"
  std::string expected;  // from the configuration
  std::string actual;    // what AWS says
};

struct PoolCheck {
  std::string pool;
  std::string provider;  // "sim", "aws_asg", "aws_fleet"
  bool checked = false;  // false for sim pools: nothing to check
  std::vector<PoolDifference> differences;
  std::optional<Error> error;  // AWS could not be asked (the check is incomplete)
  bool matches() const { return differences.empty() && !error; }
};

PoolCheck check_asg_pool(const config::PoolConfig& pool, aws::AwsClient& autoscaling, aws::AwsClient& ec2);
PoolCheck check_fleet_pool(const config::PoolConfig& pool, aws::AwsClient& ec2);

std::string format_pool_checks_text(const std::vector<PoolCheck>& checks);
std::string format_pool_checks_json(const std::vector<PoolCheck>& checks);

}  // namespace ghscale::provider
