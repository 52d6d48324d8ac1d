#include "provider/aws/aws_providers.h"

namespace ghscale::provider {

Result<std::shared_ptr<aws::Session>> AwsProviderFactory::session(const config::ProviderConfig& provider) {
  const auto key = std::make_pair(provider.region, provider.endpoint_url);
  if (auto it = sessions_.find(key); it != sessions_.end()) return it->second.session;
  aws::SessionOptions options = base_;
  options.region = provider.region;
  options.endpoint_url = provider.endpoint_url;
  auto made = aws::Session::create(std::move(options));
  if (!made.ok()) return made.error();
  sessions_[key].session = *made;
  return *made;
}

Result<std::shared_ptr<Provider>> AwsProviderFactory::make(const config::PoolConfig& pool,
                                                          std::shared_ptr<LaunchLedger> ledger) {
  using Kind = config::ProviderConfig::Kind;
  const config::ProviderConfig& pc = pool.provider;
  if (pc.kind == Kind::kSim) return make_error(ErrorKind::kInvalid, "pool " + pool.name + ": not an AWS pool");
  auto s = session(pc);
  if (!s.ok()) return make_error(ErrorKind::kInvalid, "pool " + pool.name + ": " + s.error().message);
  Shared& shared = sessions_[std::make_pair(pc.region, pc.endpoint_url)];
  auto& hand_over = shared.hand_over[pc.ssm_prefix];
  if (!hand_over) {
    SsmHandOverOptions ho;
    ho.ssm = (*s)->client(aws::Service::kSsm);
    ho.prefix = pc.ssm_prefix;
    ho.sleeper = base_.sleeper;
    if (base_.context.clock) ho.clock = base_.context.clock;
    hand_over = std::make_shared<SsmHandOver>(std::move(ho));
  }
  if (pc.kind == Kind::kAwsAsg) {
    if (pc.asg_name.empty()) return make_error(ErrorKind::kInvalid, "pool " + pool.name + ": aws_asg needs asg_name");
    AsgProviderOptions o;
    o.pool = pool.name;
    o.group = pc.asg_name;
    o.max_runners = pool.max_runners;
    o.autoscaling = (*s)->client(aws::Service::kAutoScaling);
    o.ec2 = (*s)->client(aws::Service::kEc2);
    o.hand_over = hand_over;
    o.sleeper = base_.sleeper;
    if (base_.context.clock) o.clock = base_.context.clock;
    o.ledger = std::move(ledger);
    return std::shared_ptr<Provider>(std::make_shared<AsgProvider>(std::move(o)));
  }
  if (pc.launch_template.empty() || (pc.instance_types.empty() && pc.subnets.empty())) {
    return make_error(ErrorKind::kInvalid,
                      "pool " + pool.name + ": aws_fleet needs launch_template and instance_types or subnets");
  }
  FleetProviderOptions o;
  o.pool = pool.name;
  o.launch_template = {pc.launch_template, pc.launch_template_version};
  o.instance_types = pc.instance_types;
  o.subnets = pc.subnets;
  o.spot_allocation_strategy = pc.spot_allocation_strategy;
  o.on_demand_fallback_errors = pc.on_demand_fallback_errors;
  o.deployment = pc.deployment;
  o.ec2 = (*s)->client(aws::Service::kEc2);
  o.hand_over = hand_over;
  if (base_.context.clock) o.clock = base_.context.clock;
  o.ledger = std::move(ledger);
  return std::shared_ptr<Provider>(std::make_shared<FleetProvider>(std::move(o)));
}

}  // namespace ghscale::provider
