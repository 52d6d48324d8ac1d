#include "aws/services/autoscaling.h"

#include "aws/services/json_util.h"

namespace ghscale::aws {

namespace json = boost::json;
using services::arr;
using services::flag;
using services::num;
using services::str;

namespace {

ScalingActivity to_activity(const json::value& a) {
  return {str(a, "ActivityId"), str(a, "StatusCode"), str(a, "Description"), str(a, "Cause"),
          services::time(a, "StartTime")};
}

// A member as a value (a null value when absent): unlike services::obj(), safe to pass on
// to the readers without copying into a temporary.
const json::value& member(const json::value& v, std::string_view key) {
  static const json::value kNull;
  const json::value* f = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  return f != nullptr ? *f : kNull;
}

Status to_status(const Result<json::value>& r) {
  return r.ok() ? ok_status() : Status(r.error());
}

}  // namespace

Result<std::vector<AutoScalingGroup>> AutoScalingClient::describe_auto_scaling_groups(
    const std::vector<std::string>& names) {
  std::vector<AutoScalingGroup> groups;
  std::string token;
  do {
    json::object params{{"MaxRecords", 100}};
    if (!names.empty()) params["AutoScalingGroupNames"] = services::string_array(names);
    if (!token.empty()) params["NextToken"] = token;
    auto out = client_->call("DescribeAutoScalingGroups", params);
    if (!out.ok()) return out.error();
    for (const auto& g : arr(*out, "AutoScalingGroups")) {
      AutoScalingGroup group{str(g, "AutoScalingGroupName"),
                             static_cast<int>(num(g, "MinSize")),
                             static_cast<int>(num(g, "MaxSize")),
                             static_cast<int>(num(g, "DesiredCapacity")),
                             {}};
      auto read_template = [&group](const json::value& spec) {
        group.launch_template_id = str(spec, "LaunchTemplateId");
        group.launch_template_name = str(spec, "LaunchTemplateName");
        group.launch_template_version = str(spec, "Version");
      };
      read_template(member(g, "LaunchTemplate"));
      if (const json::value& policy = member(g, "MixedInstancesPolicy"); policy.is_object()) {
        group.mixed_instances = true;
        const json::value& lt = member(policy, "LaunchTemplate");
        read_template(member(lt, "LaunchTemplateSpecification"));
        for (const auto& o : arr(lt, "Overrides")) {
          if (auto type = str(o, "InstanceType"); !type.empty()) group.instance_types.push_back(type);
        }
        const json::value& dist = member(policy, "InstancesDistribution");
        group.on_demand_base = static_cast<int>(num(dist, "OnDemandBaseCapacity"));
        group.on_demand_percentage_above_base = static_cast<int>(num(dist, "OnDemandPercentageAboveBaseCapacity", 100));
        group.spot_allocation_strategy = str(dist, "SpotAllocationStrategy");
      }
      for (const auto& t : arr(g, "Tags")) group.tags.emplace_back(str(t, "Key"), str(t, "Value"));
      for (const auto& i : arr(g, "Instances")) {
        group.instances.push_back({str(i, "InstanceId"), str(i, "InstanceType"), str(i, "AvailabilityZone"),
                                   str(i, "LifecycleState"), str(i, "HealthStatus"), flag(i, "ProtectedFromScaleIn")});
      }
      groups.push_back(std::move(group));
    }
    token = str(*out, "NextToken");
  } while (!token.empty());
  return groups;
}

Status AutoScalingClient::set_desired_capacity(const std::string& group, int desired, bool honor_cooldown) {
  return to_status(client_->call(
      "SetDesiredCapacity",
      json::object{{"AutoScalingGroupName", group}, {"DesiredCapacity", desired}, {"HonorCooldown", honor_cooldown}}));
}

Result<ScalingActivity> AutoScalingClient::terminate_instance(const std::string& instance_id,
                                                              bool decrement_desired_capacity) {
  auto out = client_->call(
      "TerminateInstanceInAutoScalingGroup",
      json::object{{"InstanceId", instance_id}, {"ShouldDecrementDesiredCapacity", decrement_desired_capacity}});
  if (!out.ok()) return out.error();
  return to_activity(services::obj(*out, "Activity"));
}

Status AutoScalingClient::set_instance_protection(const std::string& group, const std::vector<std::string>& ids,
                                                  bool protect) {
  return to_status(client_->call("SetInstanceProtection", json::object{{"AutoScalingGroupName", group},
                                                                       {"InstanceIds", services::string_array(ids)},
                                                                       {"ProtectedFromScaleIn", protect}}));
}

Status AutoScalingClient::update_auto_scaling_group(const AsgUpdate& update) {
  json::object params{{"AutoScalingGroupName", update.name}};
  if (update.min_size) params["MinSize"] = *update.min_size;
  if (update.max_size) params["MaxSize"] = *update.max_size;
  if (update.desired_capacity) params["DesiredCapacity"] = *update.desired_capacity;
  return to_status(client_->call("UpdateAutoScalingGroup", params));
}

Result<std::vector<ScalingActivity>> AutoScalingClient::describe_scaling_activities(const std::string& group,
                                                                                    int max_items) {
  std::vector<ScalingActivity> activities;
  std::string token;
  do {
    json::object params{{"AutoScalingGroupName", group}, {"MaxRecords", 100}};
    if (!token.empty()) params["NextToken"] = token;
    auto out = client_->call("DescribeScalingActivities", params);
    if (!out.ok()) return out.error();
    for (const auto& a : arr(*out, "Activities")) {
      activities.push_back(to_activity(a));
      if (max_items > 0 && static_cast<int>(activities.size()) >= max_items) return activities;
    }
    token = str(*out, "NextToken");
  } while (!token.empty());
  return activities;
}

Status AutoScalingClient::complete_lifecycle_action(const std::string& group, const std::string& hook,
                                                    const std::string& instance_id, const std::string& result) {
  return to_status(client_->call("CompleteLifecycleAction", json::object{{"AutoScalingGroupName", group},
                                                                         {"LifecycleHookName", hook},
                                                                         {"InstanceId", instance_id},
                                                                         {"LifecycleActionResult", result}}));
}

}  // namespace ghscale::aws
