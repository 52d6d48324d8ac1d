#include "app/pools_command.h"

#include <iostream>

#include "app/exit_codes.h"
#include "config/loader.h"
#include "provider/aws/aws_providers.h"
#include "provider/aws/pool_check.h"

namespace ghscale::app {

int run_pools_check(const PoolsCheckOptions& o) {
  auto loaded = config::load_config_file(o.config_path);
  if (!loaded.ok()) {
    std::cerr << config::format_all(loaded.errors);
    return kExitUsage;
  }
  provider::AwsProviderFactory sessions;
  std::vector<provider::PoolCheck> checks;
  for (const auto& pool : loaded.config->pools) {
    using Kind = config::ProviderConfig::Kind;
    if (pool.provider.kind == Kind::kSim) {
      checks.push_back({pool.name, "sim", false, {}, std::nullopt});
      continue;
    }
    auto session = sessions.session(pool.provider);
    if (!session) {
      std::cerr << "ghscale: pool " << pool.name << ": " << session.error().message << "\n";
      return kExitUsage;
    }
    auto ec2 = (*session)->client(aws::Service::kEc2);
    if (pool.provider.kind == Kind::kAwsAsg) {
      checks.push_back(provider::check_asg_pool(pool, *(*session)->client(aws::Service::kAutoScaling), *ec2));
    } else {
      checks.push_back(provider::check_fleet_pool(pool, *ec2));
    }
  }
  std::cout << (o.json ? provider::format_pool_checks_json(checks) : provider::format_pool_checks_text(checks));
  for (const auto& c : checks) {
    if (!c.matches()) return kExitFailure;
  }
  return kExitOk;
}

}  // namespace ghscale::app
