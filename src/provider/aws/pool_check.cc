#include "provider/aws/pool_check.h"

#include <algorithm>
#include <boost/json.hpp>

#include "aws/services/autoscaling.h"
#include "aws/services/ec2.h"

namespace ghscale::provider {

namespace {

std::string join(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out.empty() ? "(none)" : out;
}

// The launch template exists and its user data starts the runner bootstrap.
void check_template(PoolCheck& out, aws::Ec2Client& ec2, const aws::LaunchTemplateRef& ref) {
  auto version = ec2.describe_launch_template_version(ref);
  if (!version.ok()) {
    if (version.error().kind == ErrorKind::kNotFound) {
      out.differences.push_back({"launch_template", ref.id_or_name + " " + ref.version, "not found"});
    } else {
      out.error = version.error();
    }
    return;
  }
  if (version->user_data.find(kBootstrapMarker) == std::string::npos) {
    out.differences.push_back({"user_data", "contains \"" + std::string(kBootstrapMarker) + "\"",
                               version->user_data.empty() ? "no user data" : "marker missing"});
  }
}

}  // namespace

PoolCheck check_asg_pool(const config::PoolConfig& pool, aws::AwsClient& autoscaling_client, aws::AwsClient& ec2_client) {
  PoolCheck out{pool.name, "aws_asg", true, {}, std::nullopt};
  aws::AutoScalingClient asg(std::shared_ptr<aws::AwsClient>(&autoscaling_client, [](aws::AwsClient*) {}));
  aws::Ec2Client ec2(std::shared_ptr<aws::AwsClient>(&ec2_client, [](aws::AwsClient*) {}));
  const std::string& name = pool.provider.asg_name;
  auto groups = asg.describe_auto_scaling_groups({name});
  if (!groups.ok()) {
    out.error = groups.error();
    return out;
  }
  auto g = std::find_if(groups->begin(), groups->end(), [&](const auto& x) { return x.name == name; });
  if (g == groups->end()) {
    out.differences.push_back({"asg_name", name, "no such Auto Scaling group"});
    return out;
  }
  if (!g->mixed_instances) {
    out.differences.push_back({"mixed_instances_policy", "on-demand base " + std::to_string(pool.on_demand_base) + ", spot above",
                               "none (every instance on-demand from the launch template)"});
  } else {
    if (g->on_demand_base != pool.on_demand_base) {
      out.differences.push_back({"on_demand_base", std::to_string(pool.on_demand_base), std::to_string(g->on_demand_base)});
    }
    if (g->on_demand_percentage_above_base != 0) {
      out.differences.push_back({"on_demand_percentage_above_base", "0 (spot above the base)",
                                 std::to_string(g->on_demand_percentage_above_base)});
    }
    if (!pool.provider.instance_types.empty() && join(g->instance_types) != join(pool.provider.instance_types)) {
      out.differences.push_back({"instance_types", join(pool.provider.instance_types), join(g->instance_types)});
    }
  }
  if (g->max_size < pool.max_runners) {
    out.differences.push_back({"max_size", "at least max_runners " + std::to_string(pool.max_runners), std::to_string(g->max_size)});
  }
  if (g->launch_template_id.empty() && g->launch_template_name.empty()) {
    out.differences.push_back({"launch_template", "a launch template with the bootstrap user data", "none (launch configuration?)"});
    return out;
  }
  check_template(out, ec2,
                 {g->launch_template_id.empty() ? g->launch_template_name : g->launch_template_id,
                  g->launch_template_version.empty() ? "$Default" : g->launch_template_version});
  return out;
}

PoolCheck check_fleet_pool(const config::PoolConfig& pool, aws::AwsClient& ec2_client) {
  PoolCheck out{pool.name, "aws_fleet", true, {}, std::nullopt};
  aws::Ec2Client ec2(std::shared_ptr<aws::AwsClient>(&ec2_client, [](aws::AwsClient*) {}));
  check_template(out, ec2, {pool.provider.launch_template, pool.provider.launch_template_version});
  return out;
}

std::string format_pool_checks_text(const std::vector<PoolCheck>& checks) {
  std::string out;
  for (const auto& c : checks) {
    out += c.pool + " (" + c.provider + "): ";
    if (!c.checked) {
      out += "nothing to check\n";
      continue;
    }
    if (c.matches()) {
      out += "matches\n";
      continue;
    }
    out += c.error ? "could not check\n" : "differs\n";
    for (const auto& d : c.differences) out += "  " + d.what + ": expected " + d.expected + ", found " + d.actual + "\n";
    if (c.error) out += "  error: " + c.error->describe() + "\n";
  }
  return out;
}

std::string format_pool_checks_json(const std::vector<PoolCheck>& checks) {
  boost::json::array pools;
  bool all = true;
  for (const auto& c : checks) {
    boost::json::array diffs;
    for (const auto& d : c.differences) {
      diffs.push_back(boost::json::object{{"what", d.what}, {"expected", d.expected}, {"actual", d.actual}});
    }
    boost::json::object o{{"pool", c.pool},
                          {"provider", c.provider},
                          {"checked", c.checked},
                          {"matches", c.matches()},
                          {"differences", std::move(diffs)}};
    if (c.error) o["error"] = c.error->describe();
    all = all && c.matches();
    pools.push_back(std::move(o));
  }
  return boost::json::serialize(boost::json::object{{"matches", all}, {"pools", std::move(pools)}}) + "\n";
}

}  // namespace ghscale::provider
