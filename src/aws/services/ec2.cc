#include "aws/services/ec2.h"

#include "aws/encoding.h"
#include "aws/services/json_util.h"

namespace ghscale::aws {

namespace json = boost::json;
using services::arr;
using services::obj;
using services::str;

namespace {

json::object template_spec(const LaunchTemplateRef& ref) {
  json::object spec;
  spec[ref.id_or_name.rfind("lt-", 0) == 0 ? "LaunchTemplateId" : "LaunchTemplateName"] = ref.id_or_name;
  spec["Version"] = ref.version;
  return spec;
}

json::array tag_list(const std::vector<Tag>& tags) {
  json::array a;
  for (const auto& t : tags) a.push_back(json::object{{"Key", t.key}, {"Value", t.value}});
  return a;
}

json::array tag_specs(const std::vector<Tag>& tags, std::initializer_list<const char*> types) {
  json::array specs;
  for (const char* type : types) specs.push_back(json::object{{"ResourceType", type}, {"Tags", tag_list(tags)}});
  return specs;
}

Ec2Instance to_instance(const json::value& i) {
  Ec2Instance out;
  out.instance_id = str(i, "InstanceId");
  out.instance_type = str(i, "InstanceType");
  out.state = str(obj(i, "State"), "Name");
  out.lifecycle = str(i, "InstanceLifecycle");
  out.private_ip = str(i, "PrivateIpAddress");
  out.subnet_id = str(i, "SubnetId");
  out.image_id = str(i, "ImageId");
  out.launch_time = services::time(i, "LaunchTime");
  for (const auto& t : arr(i, "Tags")) out.tags.push_back({str(t, "Key"), str(t, "Value")});
  return out;
}

}  // namespace

std::optional<std::string> Ec2Instance::tag(std::string_view key) const {
  for (const auto& t : tags) {
    if (t.key == key) return t.value;
  }
  return std::nullopt;
}

Result<std::vector<Ec2Instance>> Ec2Client::run_instances(const RunInstancesRequest& r) {
  json::object params{
      {"MinCount", r.count}, {"MaxCount", r.count}, {"LaunchTemplate", template_spec(r.launch_template)}};
  if (!r.instance_type.empty()) params["InstanceType"] = r.instance_type;
  if (!r.subnet_id.empty()) params["SubnetId"] = r.subnet_id;
  if (r.spot) params["InstanceMarketOptions"] = json::object{{"MarketType", "spot"}};
  if (!r.tags.empty()) params["TagSpecifications"] = tag_specs(r.tags, {"instance", "volume"});
  if (!r.user_data.empty()) params["UserData"] = base64_encode(r.user_data);
  if (!r.client_token.empty()) params["ClientToken"] = r.client_token;
  auto out = client_->call("RunInstances", params);
  if (!out.ok()) return out.error();
  std::vector<Ec2Instance> instances;
  for (const auto& i : arr(*out, "Instances")) instances.push_back(to_instance(i));
  return instances;
}

Result<CreateFleetResult> Ec2Client::create_fleet(const CreateFleetRequest& r) {
  json::object config{{"LaunchTemplateSpecification", template_spec(r.launch_template)}};
  if (!r.overrides.empty()) {
    json::array overrides;
    for (const auto& o : r.overrides) {
      json::object item;
      if (!o.instance_type.empty()) item["InstanceType"] = o.instance_type;
      if (!o.subnet_id.empty()) item["SubnetId"] = o.subnet_id;
      overrides.push_back(std::move(item));
    }
    config["Overrides"] = std::move(overrides);
  }
  const int spot = r.total_capacity - r.on_demand_capacity;
  json::object params{
      {"Type", "instant"},
      {"LaunchTemplateConfigs", json::array{config}},
      {"TargetCapacitySpecification", json::object{{"TotalTargetCapacity", r.total_capacity},
                                                   {"OnDemandTargetCapacity", r.on_demand_capacity},
                                                   {"SpotTargetCapacity", spot},
                                                   {"DefaultTargetCapacityType", spot > 0 ? "spot" : "on-demand"}}},
      {"SpotOptions", json::object{{"AllocationStrategy", r.spot_allocation_strategy}}},
  };
  if (!r.tags.empty()) params["TagSpecifications"] = tag_specs(r.tags, {"instance", "volume", "fleet"});
  if (!r.client_token.empty()) params["ClientToken"] = r.client_token;
  auto out = client_->call("CreateFleet", params);
  if (!out.ok()) return out.error();
  CreateFleetResult result;
  result.fleet_id = str(*out, "FleetId");
  for (const auto& group : arr(*out, "Instances")) {
    const bool is_spot = str(group, "Lifecycle") == "spot";
    for (const auto& id : arr(group, "InstanceIds")) {
      if (!id.is_string()) continue;
      result.instance_ids.emplace_back(id.as_string());
      if (is_spot) result.spot_instance_ids.emplace_back(id.as_string());
    }
  }
  for (const auto& e : arr(*out, "Errors")) {
    result.errors.push_back({str(e, "ErrorCode"), str(e, "ErrorMessage"), str(e, "Lifecycle"),
                             str(obj(obj(e, "LaunchTemplateAndOverrides"), "Overrides"), "InstanceType")});
  }
  return result;
}

Result<std::vector<Ec2Instance>> Ec2Client::describe_instances(const std::vector<Filter>& filters,
                                                               const std::vector<std::string>& instance_ids) {
  std::vector<Ec2Instance> instances;
  std::string token;
  do {
    json::object params;
    if (!filters.empty()) {
      json::array fs;
      for (const auto& f : filters)
        fs.push_back(json::object{{"Name", f.name}, {"Values", services::string_array(f.values)}});
      params["Filters"] = std::move(fs);
    }
    // EC2 refuses MaxResults together with InstanceIds.
    if (!instance_ids.empty())
      params["InstanceIds"] = services::string_array(instance_ids);
    else
      params["MaxResults"] = 1000;
    if (!token.empty()) params["NextToken"] = token;
    auto out = client_->call("DescribeInstances", params);
    if (!out.ok()) return out.error();
    for (const auto& reservation : arr(*out, "Reservations")) {
      for (const auto& i : arr(reservation, "Instances")) instances.push_back(to_instance(i));
    }
    token = str(*out, "NextToken");
  } while (!token.empty());
  return instances;
}

Result<std::vector<InstanceStateChange>> Ec2Client::terminate_instances(const std::vector<std::string>& ids) {
  auto out = client_->call("TerminateInstances", json::object{{"InstanceIds", services::string_array(ids)}});
  if (!out.ok()) return out.error();
  std::vector<InstanceStateChange> changes;
  for (const auto& c : arr(*out, "TerminatingInstances")) {
    changes.push_back(
        {str(c, "InstanceId"), str(obj(c, "PreviousState"), "Name"), str(obj(c, "CurrentState"), "Name")});
  }
  return changes;
}

Status Ec2Client::create_tags(const std::vector<std::string>& resource_ids, const std::vector<Tag>& tags) {
  auto out = client_->call("CreateTags",
                           json::object{{"Resources", services::string_array(resource_ids)}, {"Tags", tag_list(tags)}});
  return out.ok() ? ok_status() : Status(out.error());
}

Result<LaunchTemplateVersion> Ec2Client::describe_launch_template_version(const LaunchTemplateRef& ref) {
  json::object params = template_spec(ref);
  params.erase("Version");
  params["Versions"] = json::array{json::value(ref.version.empty() ? "$Default" : ref.version)};
  auto out = client_->call("DescribeLaunchTemplateVersions", params);
  if (!out.ok()) return out.error();
  const auto& versions = arr(*out, "LaunchTemplateVersions");
  if (versions.empty()) {
    return make_error(ErrorKind::kNotFound, "launch template " + ref.id_or_name + " has no version " + ref.version);
  }
  const json::value& v = versions.front();
  LaunchTemplateVersion result{str(v, "LaunchTemplateId"), str(v, "LaunchTemplateName"),
                               services::num(v, "VersionNumber"), str(obj(v, "LaunchTemplateData"), "InstanceType"),
                               {}};
  if (auto data = str(obj(v, "LaunchTemplateData"), "UserData"); !data.empty()) {
    auto decoded = base64_decode(data);
    if (!decoded) return make_error(ErrorKind::kInvalid, "launch template " + ref.id_or_name + ": user data is not base64");
    result.user_data = std::move(*decoded);
  }
  return result;
}

}  // namespace ghscale::aws
