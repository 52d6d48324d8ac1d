// The fake's service behaviour: Auto Scaling groups that launch and terminate instances
// as desired capacity changes, EC2 instances with tags and lifecycle, SSM parameters,
// EventBridge events and STS identities.
#include <algorithm>

#include "aws/encoding.h"
#include "fakes/aws/fake_impl.h"

namespace ghscale::fakes {

namespace json = boost::json;

namespace {

std::string s(const json::object& o, std::string_view k) {
  const json::value* v = o.if_contains(k);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}
std::int64_t n(const json::object& o, std::string_view k, std::int64_t fallback = 0) {
  const json::value* v = o.if_contains(k);
  return v != nullptr && v->is_int64() ? v->as_int64() : fallback;
}
bool b(const json::object& o, std::string_view k, bool fallback = false) {
  const json::value* v = o.if_contains(k);
  return v != nullptr && v->is_bool() ? v->as_bool() : fallback;
}
const json::object& obj(const json::object& o, std::string_view k) {
  static const json::object kEmpty;
  const json::value* v = o.if_contains(k);
  return v != nullptr && v->is_object() ? v->as_object() : kEmpty;
}
const json::array& arr(const json::object& o, std::string_view k) {
  static const json::array kEmpty;
  const json::value* v = o.if_contains(k);
  return v != nullptr && v->is_array() ? v->as_array() : kEmpty;
}
std::vector<std::string> strings(const json::object& o, std::string_view k) {
  std::vector<std::string> out;
  for (const auto& v : arr(o, k)) {
    if (v.is_string()) out.emplace_back(v.as_string());
  }
  return out;
}
double epoch(TimePoint t) {
  return static_cast<double>(to_unix_ms(t)) / 1000.0;
}

// Pagination over a prepared list: NextToken is the next index.
template <typename T>
std::pair<std::vector<T>, std::string> page(const std::vector<T>& all, const json::object& in, std::string_view max_key,
                                            std::int64_t default_max) {
  std::size_t start = 0;
  if (auto token = s(in, "NextToken"); !token.empty()) start = static_cast<std::size_t>(std::stoull(token));
  const auto max = static_cast<std::size_t>(n(in, max_key, default_max));
  std::vector<T> out;
  for (std::size_t i = start; i < all.size() && out.size() < max; ++i) out.push_back(all[i]);
  const std::size_t next = start + out.size();
  return {std::move(out), next < all.size() ? std::to_string(next) : std::string()};
}

bool live(const FakeInstance& i) {
  return i.state != "terminated" && i.state != "shutting-down";
}

int state_code(const std::string& state) {
  if (state == "pending") return 0;
  if (state == "running") return 16;
  if (state == "shutting-down") return 32;
  if (state == "terminated") return 48;
  if (state == "stopping") return 64;
  return 80;
}

json::array tags_json(const std::vector<std::pair<std::string, std::string>>& tags) {
  json::array a;
  for (const auto& [k, v] : tags) a.push_back(json::object{{"Key", k}, {"Value", v}});
  return a;
}

void set_tag(FakeInstance& i, const std::string& key, const std::string& value) {
  for (auto& t : i.tags) {
    if (t.first == key) {
      t.second = value;
      return;
    }
  }
  i.tags.emplace_back(key, value);
}

json::object instance_json(const FakeInstance& i) {
  json::object o{{"InstanceId", i.id},
                 {"InstanceType", i.instance_type},
                 {"ImageId", i.image_id},
                 {"State", json::object{{"Code", state_code(i.state)}, {"Name", i.state}}},
                 {"LaunchTime", epoch(i.launch_time)},
                 {"PrivateIpAddress", i.private_ip},
                 {"SubnetId", i.subnet_id},
                 {"Placement", json::object{{"AvailabilityZone", "us-east-1a"}}},
                 {"Tags", tags_json(i.tags)}};
  if (!i.lifecycle.empty()) o["InstanceLifecycle"] = i.lifecycle;
  return o;
}

json::array group_tags_json(const FakeGroup& g) {
  json::array a;
  for (const auto& [k, v] : g.tags) {
    a.push_back(json::object{{"ResourceId", g.name},
                             {"ResourceType", "auto-scaling-group"},
                             {"Key", k},
                             {"Value", v},
                             {"PropagateAtLaunch", true}});
  }
  return a;
}

// A launch template by LaunchTemplateId or LaunchTemplateName (caller holds mu).
const FakeLaunchTemplate* find_template(const FakeAws::Impl& st, const json::object& spec) {
  const std::string id = s(spec, "LaunchTemplateId");
  const std::string name = s(spec, "LaunchTemplateName");
  for (const auto& [n_, t] : st.launch_templates) {
    if ((!id.empty() && t.id == id) || (id.empty() && !name.empty() && t.name == name)) return &t;
  }
  return nullptr;
}

Outcome not_found_group(const std::string& name) {
  return Outcome::fail(400, "ValidationError", "AutoScalingGroup name not found - " + name);
}

}  // namespace

FakeInstance& FakeAws::Impl::launch(const std::string& type, bool spot, const std::string& launch_template,
                                    const std::vector<std::pair<std::string, std::string>>& tags,
                                    const std::string& group) {
  FakeInstance i;
  i.id = new_id("i-");
  i.instance_type = type.empty() ? "t3.micro" : type;
  i.lifecycle = (spot ? !market_swap : market_swap_to_spot) ? "spot" : "";
  i.launch_template = launch_template;
  i.group = group;
  i.launch_time = now();
  Duration lag = describe_lag;
  if (describe_lag_varies && lag > Duration::zero()) {
    lag = Duration(std::uniform_int_distribution<Duration::rep>(0, lag.count())(lag_rng));
  }
  i.visible_at = i.launch_time + lag;
  i.tags_at = i.launch_time + tag_delay;
  i.private_ip = "10.0." + std::to_string((next_id / 250) % 250) + "." + std::to_string(next_id % 250 + 1);
  i.tags = tags;
  if (!group.empty()) set_tag(i, "aws:autoscaling:groupName", group);
  instance_order.push_back(i.id);
  FakeInstance& placed = instances[i.id] = std::move(i);
  for (const auto& tag : placed.tags) {
    int with_tag = 0;
    for (const auto& [id, other] : instances) {
      if (!live(other)) continue;
      for (const auto& t : other.tags) with_tag += t == tag ? 1 : 0;
    }
    int& peak = peak_live_by_tag[tag];
    peak = std::max(peak, with_tag);
  }
  return placed;
}

void FakeAws::Impl::reconcile_group(FakeGroup& group, const std::string& cause) {
  std::vector<std::string> alive;
  for (const auto& id : group.instance_ids) {
    if (live(instances.at(id))) alive.push_back(id);
  }
  // Partial capacity (weather): half of the spot instances owed now, rounded up.
  std::int64_t spot_owed = 0;
  for (auto k = static_cast<int>(alive.size()); k < group.desired_capacity; ++k) {
    if (k >= group.on_demand_base) ++spot_owed;
  }
  std::int64_t spot_left = spot_placeable(spot_owed);
  while (!group.hold_launches && static_cast<int>(alive.size()) < group.desired_capacity) {
    const bool spot = static_cast<int>(alive.size()) >= group.on_demand_base;
    if (spot && (spot_left-- <= 0 || spot_capacity_fault("AutoScaling"))) break;
    const std::string type =
        group.instance_types.empty() ? "t3.micro" : group.instance_types[alive.size() % group.instance_types.size()];
    FakeInstance& i = launch(type, spot, group.launch_template, group.tags, group.name);
    alive.push_back(i.id);
    group.instance_ids.push_back(i.id);
    activities.push_front(
        {new_id("act-", 8), group.name, "Successful", "Launching a new EC2 instance: " + i.id, cause, now()});
  }
  // Scale in newest first, never a protected instance.
  for (std::size_t k = alive.size(); k-- > 0 && static_cast<int>(alive.size()) > group.desired_capacity;) {
    FakeInstance& i = instances.at(alive[k]);
    if (i.protected_from_scale_in) continue;
    i.state = "terminated";
    i.asg_lifecycle_state = "Terminated";
    activities.push_front(
        {new_id("act-", 8), group.name, "Successful", "Terminating EC2 instance: " + i.id, cause, now()});
    alive.erase(alive.begin() + static_cast<std::ptrdiff_t>(k));
  }
  std::erase_if(group.instance_ids, [&](const std::string& id) { return !live(instances.at(id)); });
  auto& history = group_history[group.name];
  history.emplace_back(now(), group);
  // Bounded: what is older than the lag is needed only as the newest such state.
  while (history.size() > 1 && (history.size() > 1000 || history[1].first <= now() - describe_lag)) {
    history.pop_front();
  }
}

Outcome handle_autoscaling(FakeAws::Impl& st, const CallContext& ctx, const json::object& in) {
  const std::string& op = ctx.operation;
  if (op == "DescribeAutoScalingGroups") {
    const auto names = strings(in, "AutoScalingGroupNames");
    // A group short of spot capacity keeps trying, as Auto Scaling does.
    if (st.weather.partial_spot) {
      for (auto& [name, g] : st.groups) {
        if (names.empty() || std::find(names.begin(), names.end(), name) != names.end()) {
          st.reconcile_group(g, "placing capacity owed");
        }
      }
    }
    std::vector<json::value> all;
    for (const auto& [name, current] : st.groups) {
      if (!names.empty() && std::find(names.begin(), names.end(), name) == names.end()) continue;
      const FakeGroup& g = st.described_group(current);
      json::array instances;
      for (const auto& id : g.instance_ids) {
        const FakeInstance& i = st.instances.at(id);
        instances.push_back(json::object{{"InstanceId", i.id},
                                         {"InstanceType", i.instance_type},
                                         {"AvailabilityZone", "us-east-1a"},
                                         {"LifecycleState", i.asg_lifecycle_state},
                                         {"HealthStatus", "Healthy"},
                                         {"ProtectedFromScaleIn", i.protected_from_scale_in}});
      }
      all.push_back(
          json::object{{"AutoScalingGroupName", g.name},
                       {"AutoScalingGroupARN", "arn:aws:autoscaling:" + st.options.region + ":" + st.options.account +
                                                   ":autoScalingGroup:x:autoScalingGroupName/" + g.name},
                       {"MinSize", g.min_size},
                       {"MaxSize", g.max_size},
                       {"DesiredCapacity", g.desired_capacity},
                       {"DefaultCooldown", 300},
                       {"AvailabilityZones", json::array{"us-east-1a"}},
                       {"HealthCheckType", "EC2"},
                       {"CreatedTime", 1714564800},
                       {"Instances", std::move(instances)},
                       {"Tags", group_tags_json(g)}});
      json::object lt_spec{{"LaunchTemplateName", g.launch_template}, {"Version", "$Default"}};
      if (auto t = st.launch_templates.find(g.launch_template); t != st.launch_templates.end()) {
        lt_spec["LaunchTemplateId"] = t->second.id;
      }
      json::object& group_json = all.back().as_object();
      if (g.instance_types.empty()) {
        group_json["LaunchTemplate"] = lt_spec;
      } else {
        json::array overrides;
        for (const auto& type : g.instance_types) overrides.push_back(json::object{{"InstanceType", type}});
        group_json["MixedInstancesPolicy"] = json::object{
            {"LaunchTemplate",
             json::object{{"LaunchTemplateSpecification", lt_spec}, {"Overrides", std::move(overrides)}}},
            {"InstancesDistribution", json::object{{"OnDemandBaseCapacity", g.on_demand_base},
                                                   {"OnDemandPercentageAboveBaseCapacity",
                                                    g.on_demand_percentage_above_base},
                                                   {"SpotAllocationStrategy", g.spot_allocation_strategy}}}};
      }
    }
    auto [items, next] = page(all, in, "MaxRecords", 50);
    json::object out{{"AutoScalingGroups", json::array(items.begin(), items.end())}};
    if (!next.empty()) out["NextToken"] = next;
    return Outcome::ok(out);
  }
  const std::string name = s(in, "AutoScalingGroupName");
  if (op == "SetDesiredCapacity" || op == "UpdateAutoScalingGroup") {
    auto it = st.groups.find(name);
    if (it == st.groups.end()) return not_found_group(name);
    FakeGroup g = it->second;
    g.min_size = static_cast<int>(n(in, "MinSize", g.min_size));
    g.max_size = static_cast<int>(n(in, "MaxSize", g.max_size));
    g.desired_capacity = static_cast<int>(n(in, "DesiredCapacity", g.desired_capacity));
    if (op == "UpdateAutoScalingGroup") g.desired_capacity = std::clamp(g.desired_capacity, g.min_size, g.max_size);
    if (g.desired_capacity > g.max_size) {
      return Outcome::fail(400, "ValidationError",
                           "New SetDesiredCapacity value " + std::to_string(g.desired_capacity) +
                               " is above max value " + std::to_string(g.max_size) + " for the AutoScalingGroup.");
    }
    if (g.desired_capacity < g.min_size) {
      return Outcome::fail(400, "ValidationError",
                           "New SetDesiredCapacity value " + std::to_string(g.desired_capacity) +
                               " is below min value " + std::to_string(g.min_size) + " for the AutoScalingGroup.");
    }
    it->second = g;
    st.reconcile_group(it->second, "a user request set desired capacity to " + std::to_string(g.desired_capacity));
    return Outcome::ok(json::object());
  }
  if (op == "TerminateInstanceInAutoScalingGroup") {
    const std::string id = s(in, "InstanceId");
    auto inst = st.instances.find(id);
    if (inst == st.instances.end() || inst->second.group.empty() || !live(inst->second)) {
      return Outcome::fail(400, "ValidationError",
                           "Instance Id not found - No managed instance found for instance ID: " + id);
    }
    FakeGroup& g = st.groups.at(inst->second.group);
    inst->second.state = "terminated";
    inst->second.asg_lifecycle_state = "Terminated";
    if (b(in, "ShouldDecrementDesiredCapacity")) {
      if (g.desired_capacity - 1 < g.min_size) {
        inst->second.state = "running";
        inst->second.asg_lifecycle_state = "InService";
        return Outcome::fail(400, "ValidationError",
                             "Currently, desiredSize equals minSize (" + std::to_string(g.min_size) +
                                 "). Terminating instance without "
                                 "replacement will violate group's min size constraint.");
      }
      --g.desired_capacity;
    }
    const std::string activity = st.new_id("act-", 8);
    st.activities.push_front({activity, g.name, "InProgress", "Terminating EC2 instance: " + id,
                              "instance " + id + " was taken out of service in response to a user request", st.now()});
    st.reconcile_group(g, "replacing " + id);
    return Outcome::ok(json::object{{"Activity", json::object{{"ActivityId", activity},
                                                              {"AutoScalingGroupName", g.name},
                                                              {"Description", "Terminating EC2 instance: " + id},
                                                              {"Cause", "a user request"},
                                                              {"StartTime", epoch(st.now())},
                                                              {"StatusCode", "InProgress"},
                                                              {"Progress", 0}}}});
  }
  if (op == "SetInstanceProtection") {
    auto it = st.groups.find(name);
    if (it == st.groups.end()) return not_found_group(name);
    for (const auto& id : strings(in, "InstanceIds")) {
      auto inst = st.instances.find(id);
      if (inst == st.instances.end() || inst->second.group != name) {
        return Outcome::fail(400, "ValidationError",
                             "The instance " + id + " is not part of Auto Scaling group " + name + ".");
      }
    }
    for (const auto& id : strings(in, "InstanceIds"))
      st.instances.at(id).protected_from_scale_in = b(in, "ProtectedFromScaleIn");
    return Outcome::ok(json::object());
  }
  if (op == "DescribeScalingActivities") {
    std::vector<json::value> all;
    for (const auto& a : st.activities) {
      if (!name.empty() && a.group != name) continue;
      all.push_back(json::object{{"ActivityId", a.id},
                                 {"AutoScalingGroupName", a.group},
                                 {"Description", a.description},
                                 {"Cause", a.cause},
                                 {"StartTime", epoch(a.start)},
                                 {"StatusCode", a.status},
                                 {"Progress", 100}});
    }
    auto [items, next] = page(all, in, "MaxRecords", 100);
    json::object out{{"Activities", json::array(items.begin(), items.end())}};
    if (!next.empty()) out["NextToken"] = next;
    return Outcome::ok(out);
  }
  if (op == "CompleteLifecycleAction") {
    if (!st.groups.count(name)) return not_found_group(name);
    const std::string id = s(in, "InstanceId");
    if (id.empty() && s(in, "LifecycleActionToken").empty()) {
      return Outcome::fail(400, "ValidationError", "InstanceId or LifecycleActionToken is required");
    }
    st.lifecycle_actions.push_back(name + "/" + s(in, "LifecycleHookName") + "/" + id + "/" +
                                   s(in, "LifecycleActionResult"));
    return Outcome::ok(json::object());
  }
  return Outcome::fail(400, "InvalidAction", "the fake does not implement " + op);
}

Outcome handle_ec2(FakeAws::Impl& st, const CallContext& ctx, const json::object& in) {
  const std::string& op = ctx.operation;
  auto instance_tags = [](const json::object& request) {
    std::vector<std::pair<std::string, std::string>> tags;
    for (const auto& spec : arr(request, "TagSpecifications")) {
      if (!spec.is_object() || s(spec.as_object(), "ResourceType") != "instance") continue;
      for (const auto& t : arr(spec.as_object(), "Tags")) {
        if (t.is_object()) tags.emplace_back(s(t.as_object(), "Key"), s(t.as_object(), "Value"));
      }
    }
    return tags;
  };
  auto template_name = [](const json::object& spec) {
    const std::string id = s(spec, "LaunchTemplateId");
    return id.empty() ? s(spec, "LaunchTemplateName") : id;
  };
  if (op == "RunInstances") {
    const std::string token = s(in, "ClientToken");
    if (!token.empty() && st.client_tokens.count(token)) {
      json::array instances;
      for (const auto& id : st.client_tokens[token]) instances.push_back(instance_json(st.instances.at(id)));
      return Outcome::ok(
          json::object{{"ReservationId", "r-" + token}, {"OwnerId", st.options.account}, {"Instances", instances}});
    }
    const bool spot = s(obj(in, "InstanceMarketOptions"), "MarketType") == "spot";
    if (spot && st.spot_capacity_fault("RunInstances")) {
      return Outcome::fail(500, "InsufficientInstanceCapacity",
                           "There is no Spot capacity available that matches your request.");
    }
    const auto count = n(in, "MaxCount", 1);
    json::array instances;
    std::vector<std::string> ids;
    for (std::int64_t k = 0; k < count; ++k) {
      FakeInstance& i =
          st.launch(s(in, "InstanceType"), spot, template_name(obj(in, "LaunchTemplate")), instance_tags(in), "");
      if (auto subnet = s(in, "SubnetId"); !subnet.empty()) i.subnet_id = subnet;
      ids.push_back(i.id);
      instances.push_back(instance_json(i));
    }
    if (!token.empty()) st.client_tokens[token] = ids;
    return Outcome::ok(
        json::object{{"ReservationId", st.new_id("r-")}, {"OwnerId", st.options.account}, {"Instances", instances}});
  }
  if (op == "CreateFleet") {
    if (s(in, "Type") != "instant") {
      return Outcome::fail(400, "InvalidParameterValue", "the fake only implements CreateFleet of type instant");
    }
    // Idempotency: a token seen before answers what it answered then, launching nothing.
    const std::string token = s(in, "ClientToken");
    if (!token.empty()) {
      if (auto seen = st.fleet_tokens.find(token); seen != st.fleet_tokens.end()) return Outcome::ok(seen->second);
    }
    const auto& target = obj(in, "TargetCapacitySpecification");
    const auto total = n(target, "TotalTargetCapacity");
    const auto on_demand = std::min<std::int64_t>(n(target, "OnDemandTargetCapacity"), total);
    const auto spot = total - on_demand;
    const auto& configs = arr(in, "LaunchTemplateConfigs");
    if (configs.empty() || !configs[0].is_object()) {
      return Outcome::fail(400, "MissingParameter", "LaunchTemplateConfigs is required");
    }
    const auto& config = configs[0].as_object();
    const json::object& spec = obj(config, "LaunchTemplateSpecification");
    const std::string lt = template_name(spec);
    if (!st.launch_templates.empty() && !find_template(st, spec)) {
      return Outcome::fail(400, "InvalidLaunchTemplateName.NotFoundException",
                           "The specified launch template, with template name " + lt + ", does not exist.");
    }
    // Each instance takes the next override in turn (instance type x subnet).
    std::vector<json::object> overrides;
    for (const auto& ov : arr(config, "Overrides")) {
      if (ov.is_object()) overrides.push_back(ov.as_object());
    }
    if (overrides.empty()) overrides.push_back(json::object{{"InstanceType", "t3.micro"}});
    std::size_t next_override = 0;
    json::array groups, errors;
    auto add = [&](std::int64_t count, bool is_spot) {
      if (count <= 0) return;
      const std::string market = is_spot ? "spot" : "on-demand";
      FakeAws::Impl::Shortage shortage = st.capacity_fault("CreateFleet", market);
      if (shortage.code.empty() && is_spot && st.spot_placeable(count) < count) {
        shortage = {"InsufficientInstanceCapacity", static_cast<int>(st.spot_placeable(count))};
      }
      const std::int64_t placed =
          shortage.code.empty() ? count : std::clamp<std::int64_t>(shortage.placed, 0, count);
      if (!shortage.code.empty()) {
        const std::string& code = shortage.code;
        errors.push_back(json::object{{"LaunchTemplateAndOverrides",
                                       json::object{{"LaunchTemplateSpecification", spec}, {"Overrides", overrides[0]}}},
                                      {"Lifecycle", market},
                                      {"ErrorCode", code},
                                      {"ErrorMessage", "There is no " + std::string(is_spot ? "Spot" : "On-Demand") +
                                                           " capacity available that matches your request."}});
      }
      // One answer group per override and market placed, as EC2 groups its answer (the
      // market may not be the one asked: set_market_swap).
      std::map<std::pair<std::size_t, std::string>, json::array> ids_by_override;
      for (std::int64_t k = 0; k < placed; ++k) {
        const std::size_t o = next_override++ % overrides.size();
        std::string type = s(overrides[o], "InstanceType");
        if (type.empty()) type = "t3.micro";
        FakeInstance& i = st.launch(type, is_spot, lt, instance_tags(in), "");
        if (auto subnet = s(overrides[o], "SubnetId"); !subnet.empty()) i.subnet_id = subnet;
        ids_by_override[{o, i.lifecycle == "spot" ? "spot" : "on-demand"}].emplace_back(i.id);
      }
      for (auto& [key, ids] : ids_by_override) {
        const std::size_t o = key.first;
        std::string type = s(overrides[o], "InstanceType");
        groups.push_back(json::object{{"LaunchTemplateAndOverrides",
                                       json::object{{"LaunchTemplateSpecification", spec}, {"Overrides", overrides[o]}}},
                                      {"Lifecycle", key.second},
                                      {"InstanceIds", std::move(ids)},
                                      {"InstanceType", type.empty() ? "t3.micro" : type}});
      }
    };
    add(on_demand, false);
    add(spot, true);
    json::object out{{"FleetId", st.new_id("fleet-", 8)}, {"Instances", groups}, {"Errors", errors}};
    if (!token.empty()) st.fleet_tokens[token] = out;
    return Outcome::ok(out);
  }
  if (op == "DescribeLaunchTemplateVersions") {
    const FakeLaunchTemplate* t = find_template(st, in);
    if (t == nullptr) {
      const std::string id = s(in, "LaunchTemplateId");
      if (!id.empty()) {
        return Outcome::fail(400, "InvalidLaunchTemplateId.NotFound",
                             "The specified launch template, with template ID " + id + ", does not exist.");
      }
      return Outcome::fail(400, "InvalidLaunchTemplateName.NotFoundException",
                           "The specified launch template, with template name " + s(in, "LaunchTemplateName") +
                               ", does not exist.");
    }
    for (const auto& v : strings(in, "Versions")) {
      if (v != "$Default" && v != "$Latest" && v != std::to_string(t->version)) {
        return Outcome::fail(400, "InvalidLaunchTemplateVersion.NotFound",
                             "Could not find launch template version " + v);
      }
    }
    json::object data;
    if (!t->instance_type.empty()) data["InstanceType"] = t->instance_type;
    if (!t->user_data.empty()) data["UserData"] = aws::base64_encode(t->user_data);
    return Outcome::ok(json::object{{"LaunchTemplateVersions",
                                     json::array{json::object{{"LaunchTemplateId", t->id},
                                                              {"LaunchTemplateName", t->name},
                                                              {"VersionNumber", t->version},
                                                              {"DefaultVersion", true},
                                                              {"CreateTime", 1714564800},
                                                              {"LaunchTemplateData", std::move(data)}}}}});
  }
  if (op == "DescribeInstances") {
    const auto ids = strings(in, "InstanceIds");
    for (const auto& id : ids) {
      auto known = st.instances.find(id);
      if (known == st.instances.end() || !st.described_instance(known->second)) {
        return Outcome::fail(400, "InvalidInstanceID.NotFound", "The instance ID '" + id + "' does not exist");
      }
    }
    if (!ids.empty() && in.contains("MaxResults")) {
      return Outcome::fail(400, "InvalidParameterCombination",
                           "The parameter instancesSet cannot be used with the parameter maxResults");
    }
    std::vector<json::value> all;
    for (const auto& id : st.instance_order) {
      const std::optional<FakeInstance> shown = st.described_instance(st.instances.at(id));
      if (!shown) continue;
      const FakeInstance& i = *shown;
      if (!ids.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
      bool match = true;
      for (const auto& f : arr(in, "Filters")) {
        const std::string fname = s(f.as_object(), "Name");
        const auto values = strings(f.as_object(), "Values");
        auto any = [&](const std::string& v) { return std::find(values.begin(), values.end(), v) != values.end(); };
        if (fname == "instance-state-name")
          match = match && any(i.state);
        else if (fname == "instance-id")
          match = match && any(i.id);
        else if (fname == "instance-lifecycle")
          match = match && any(i.lifecycle.empty() ? "on-demand" : i.lifecycle);
        else if (fname == "tag-key") {
          match = match && std::any_of(i.tags.begin(), i.tags.end(), [&](const auto& t) { return any(t.first); });
        } else if (fname.rfind("tag:", 0) == 0) {
          const std::string key = fname.substr(4);
          match = match && std::any_of(i.tags.begin(), i.tags.end(),
                                       [&](const auto& t) { return t.first == key && any(t.second); });
        } else {
          return Outcome::fail(400, "InvalidParameterValue", "The filter '" + fname + "' is invalid");
        }
      }
      if (match) {
        all.push_back(json::object{{"ReservationId", "r-" + id.substr(2)},
                                   {"OwnerId", st.options.account},
                                   {"Instances", json::array{instance_json(i)}}});
      }
    }
    auto [items, next] = page(all, in, "MaxResults", 1000);
    json::object out{{"Reservations", json::array(items.begin(), items.end())}};
    if (!next.empty()) out["NextToken"] = next;
    return Outcome::ok(out);
  }
  if (op == "TerminateInstances") {
    const auto ids = strings(in, "InstanceIds");
    for (const auto& id : ids) {
      if (!st.instances.count(id)) {
        return Outcome::fail(400, "InvalidInstanceID.NotFound", "The instance ID '" + id + "' does not exist");
      }
    }
    json::array changes;
    for (const auto& id : ids) {
      FakeInstance& i = st.instances.at(id);
      const std::string previous = i.state;
      i.state = "terminated";
      changes.push_back(
          json::object{{"InstanceId", id},
                       {"PreviousState", json::object{{"Code", state_code(previous)}, {"Name", previous}}},
                       {"CurrentState", json::object{{"Code", 32}, {"Name", "shutting-down"}}}});
      if (!i.group.empty() && st.groups.count(i.group))
        st.reconcile_group(st.groups.at(i.group), "EC2 terminated " + id);
    }
    return Outcome::ok(json::object{{"TerminatingInstances", changes}});
  }
  if (op == "CreateTags") {
    const auto ids = strings(in, "Resources");
    for (const auto& id : ids) {
      if (!st.instances.count(id)) {
        return Outcome::fail(400, "InvalidInstanceID.NotFound", "The instance ID '" + id + "' does not exist");
      }
    }
    for (const auto& id : ids) {
      for (const auto& t : arr(in, "Tags"))
        set_tag(st.instances.at(id), s(t.as_object(), "Key"), s(t.as_object(), "Value"));
    }
    return Outcome::ok(json::object());
  }
  return Outcome::fail(400, "InvalidAction", "the fake does not implement " + op);
}

Outcome handle_ssm(FakeAws::Impl& st, const CallContext& ctx, const json::object& in) {
  const std::string& op = ctx.operation;
  auto to_json = [&](const FakeParameter& p, bool decrypt) {
    const std::string value = p.type == "SecureString" && !decrypt ? "AQICAHfakeciphertext" : p.value;
    return json::object{{"Name", p.name},
                        {"Type", p.type},
                        {"Value", value},
                        {"Version", p.version},
                        {"LastModifiedDate", epoch(p.last_modified)},
                        {"ARN", "arn:aws:ssm:" + st.options.region + ":" + st.options.account + ":parameter" +
                                    (p.name.rfind('/', 0) == 0 ? "" : "/") + p.name},
                        {"DataType", "text"}};
  };
  const bool decrypt = b(in, "WithDecryption");
  if (op == "GetParameter") {
    auto it = st.parameters.find(s(in, "Name"));
    if (it == st.parameters.end()) return Outcome::fail(400, "ParameterNotFound", "");
    return Outcome::ok(json::object{{"Parameter", to_json(it->second, decrypt)}});
  }
  if (op == "GetParameters") {
    const auto names = strings(in, "Names");
    if (names.size() > 10) {
      return Outcome::fail(400, "ValidationException", "Member must have length less than or equal to 10");
    }
    json::array found, invalid;
    for (const auto& name : names) {
      auto it = st.parameters.find(name);
      if (it == st.parameters.end())
        invalid.emplace_back(name);
      else
        found.push_back(to_json(it->second, decrypt));
    }
    return Outcome::ok(json::object{{"Parameters", found}, {"InvalidParameters", invalid}});
  }
  if (op == "GetParametersByPath") {
    std::string path = s(in, "Path");
    if (path.empty() || path[0] != '/') return Outcome::fail(400, "ValidationException", "Path must begin with /");
    if (path.back() != '/') path += '/';
    if (n(in, "MaxResults", 10) > 10) {
      return Outcome::fail(400, "ValidationException", "Member must have value less than or equal to 10");
    }
    std::vector<json::value> all;
    for (const auto& [name, p] : st.parameters) {
      if (name.rfind(path, 0) != 0) continue;
      if (!b(in, "Recursive") && name.find('/', path.size()) != std::string::npos) continue;
      all.push_back(to_json(p, decrypt));
    }
    auto [items, next] = page(all, in, "MaxResults", 10);
    json::object out{{"Parameters", json::array(items.begin(), items.end())}};
    if (!next.empty()) out["NextToken"] = next;
    return Outcome::ok(out);
  }
  if (op == "PutParameter") {
    const std::string name = s(in, "Name");
    auto it = st.parameters.find(name);
    if (it != st.parameters.end() && !b(in, "Overwrite")) {
      return Outcome::fail(
          400, "ParameterAlreadyExists",
          "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.");
    }
    std::string type = s(in, "Type");
    if (type.empty()) {
      if (it == st.parameters.end())
        return Outcome::fail(400, "ValidationException", "Type is required for a new parameter");
      type = it->second.type;
    }
    const std::int64_t version = it == st.parameters.end() ? 1 : it->second.version + 1;
    st.parameters[name] = FakeParameter{name, type, s(in, "Value"), version, st.now()};
    return Outcome::ok(json::object{{"Version", version}, {"Tier", "Standard"}});
  }
  if (op == "DeleteParameter") {
    if (st.parameters.erase(s(in, "Name")) == 0) return Outcome::fail(400, "ParameterNotFound", "");
    return Outcome::ok(json::object());
  }
  return Outcome::fail(400, "UnknownOperationException", "the fake does not implement " + op);
}

Outcome handle_events(FakeAws::Impl& st, const CallContext& ctx, const json::object& in) {
  if (ctx.operation != "PutEvents") {
    return Outcome::fail(400, "UnknownOperationException", "the fake does not implement " + ctx.operation);
  }
  const auto& entries = arr(in, "Entries");
  if (entries.empty() || entries.size() > 10) {
    return Outcome::fail(400, "ValidationException", "Entries must have between 1 and 10 members");
  }
  json::array results;
  int failed = 0;
  for (const auto& e : entries) {
    const json::object& entry = e.as_object();
    const std::string source = s(entry, "Source");
    const bool fails = std::find(st.failing_event_sources.begin(), st.failing_event_sources.end(), source) !=
                       st.failing_event_sources.end();
    if (fails || s(entry, "Detail").empty() || s(entry, "DetailType").empty()) {
      ++failed;
      results.push_back(
          json::object{{"ErrorCode", fails ? "InternalFailure" : "MalformedDetail"},
                       {"ErrorMessage", fails ? "injected failure" : "Detail and DetailType are required"}});
      continue;
    }
    st.events.push_back({source, s(entry, "DetailType"), s(entry, "Detail"), s(entry, "EventBusName")});
    results.push_back(json::object{{"EventId", st.new_id("", 8) + "-fake-event"}});
  }
  return Outcome::ok(json::object{{"FailedEntryCount", failed}, {"Entries", results}});
}

Outcome handle_sts(FakeAws::Impl& st, const CallContext& ctx, const json::object& in) {
  const std::string& op = ctx.operation;
  if (op == "GetCallerIdentity") {
    auto found = st.identities.find(ctx.access_key_id);
    if (found == st.identities.end()) return Outcome::fail(403, "MissingAuthenticationToken", "unsigned request");
    const Identity& id = found->second;
    return Outcome::ok(json::object{{"UserId", id.user_id}, {"Account", st.options.account}, {"Arn", id.arn}});
  }
  if (op == "AssumeRole" || op == "AssumeRoleWithWebIdentity") {
    const std::string role_arn = s(in, "RoleArn");
    const std::string session = s(in, "RoleSessionName");
    if (role_arn.find(":role/") == std::string::npos) {
      return Outcome::fail(400, "ValidationError", "RoleArn is not a role ARN: " + role_arn);
    }
    if (op == "AssumeRoleWithWebIdentity" && s(in, "WebIdentityToken") != "valid-web-identity-token") {
      return Outcome::fail(400, "InvalidIdentityToken", "The web identity token is not valid");
    }
    const std::string role = role_arn.substr(role_arn.find(":role/") + 6);
    const std::string key = st.new_id("ASIAFAKE", 12);
    const std::string secret = "secret-" + key;
    const std::string token = "token-" + key + "-" + std::to_string(st.next_request);
    const auto duration = n(in, "DurationSeconds", 3600);
    const std::string arn = "arn:aws:sts::" + st.options.account + ":assumed-role/" + role + "/" + session;
    st.identities[key] = Identity{secret, token, arn, "AROAFAKE:" + session};
    json::object out{{"Credentials", json::object{{"AccessKeyId", key},
                                                  {"SecretAccessKey", secret},
                                                  {"SessionToken", token},
                                                  {"Expiration", epoch(st.now() + std::chrono::seconds(duration))}}},
                     {"AssumedRoleUser", json::object{{"AssumedRoleId", "AROAFAKE:" + session}, {"Arn", arn}}}};
    if (op == "AssumeRoleWithWebIdentity") {
      out["SubjectFromWebIdentityToken"] = "system:serviceaccount:ghscale:runner";
      out["Provider"] = "oidc.fake";
      out["Audience"] = "sts.amazonaws.com";
    }
    return Outcome::ok(out);
  }
  return Outcome::fail(400, "InvalidAction", "the fake does not implement " + op);
}

}  // namespace ghscale::fakes
