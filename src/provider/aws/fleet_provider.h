// The aws_fleet provider: one instance per job, launched by CreateFleet of type instant
// from a launch template with overrides (instance types x subnets). The MarketSplit's
// on-demand part is on-demand; the rest is spot with the configured allocation strategy,
// and a spot shortfall whose error code is one of on_demand_fallback_errors is launched
// on-demand instead (a second CreateFleet).
//
// Idempotency: the fleet's ClientToken is derived from the request's client_token (and the
// pool), so a retried or replayed launch — in this process or after a restart — gets the
// instances of the first call from EC2 rather than new ones; the fallback has its own
// derived token. Outcomes are also remembered in-process.
//
// Instances carry the tags ghscale:pool, ghscale:managed-by=ghscale, ghscale:launch (the
// client token) and ghscale:job (the job that caused the launch). describe() finds them by
// tag:ghscale:pool and instance-state-name, every page; terminate() ends only instances
// carrying this pool's tag, then deletes their SSM registration leftovers. protect() is a
// no-op (no group that could scale in). Thread-safe.
//
// Eventual consistency: DescribeInstances may miss an instance CreateFleet just answered,
// or list it without tags, for a while. Until it shows with its tags (or is seen gone, or
// unseen_launch_window passes) describe() lists it as the launch answer described it, so
// the scaler counts it as supply and max_runners holds — in a later process too, when
// options.ledger keeps them; terminate() ends it by id; and
// hand_over() to it writes the registration at once (the launch answer proves it ours),
// refusing only when EC2 lists it gone.
//
// A market swapped (spot asked, on-demand placed or the other way round) is no shortfall:
// launch() reports each instance in the market EC2 placed it in, and a market's error
// only for capacity placed in neither.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "aws/aws_client.h"
#include "aws/services/ec2.h"
#include "provider/aws/launch_ledger.h"
#include "provider/aws/ssm_hand_over.h"
#include "provider/provider.h"

namespace ghscale::provider {

inline constexpr std::string_view kTagManagedBy = "ghscale:managed-by";
inline constexpr std::string_view kTagDeployment = "ghscale:deployment";  // what IAM scopes the scaler to

struct FleetProviderOptions {
  std::string pool;                      // the pool it serves; describe() of any other pool is empty
  aws::LaunchTemplateRef launch_template;  // name or lt-... id, and version
  std::vector<std::string> instance_types;  // overrides: every type x every subnet
  std::vector<std::string> subnets;         // empty = the template's network settings
  std::string spot_allocation_strategy = "price-capacity-optimized";
  std::string deployment = "ghscale";  // tagged kTagDeployment: the IAM policy requires it
  std::vector<std::string> on_demand_fallback_errors = {"InsufficientInstanceCapacity", "MaxSpotInstanceCountExceeded",
                                                        "UnfulfillableCapacity"};
  std::shared_ptr<aws::AwsClient> ec2;     // required
  std::shared_ptr<SsmHandOver> hand_over;  // required
  // How long an instance launched here counts as live while EC2 does not show it.
  Duration unseen_launch_window = std::chrono::minutes(10);
  std::shared_ptr<Clock> clock = system_clock();
  // Keeps those instances beyond this process (launch_ledger.h), under "aws_fleet:POOL";
  // null: in-process only.
  std::shared_ptr<LaunchLedger> ledger;
};

class FleetProvider final : public Provider {
 public:
  explicit FleetProvider(FleetProviderOptions options);
  ~FleetProvider() override;

  Result<std::vector<CloudInstance>> describe(std::string_view pool) override;
  Result<LaunchOutcome> launch(const LaunchRequest& request) override;
  Status terminate(const std::vector<std::string>& ids) override;
  Status protect(const std::vector<std::string>& ids, bool enabled) override;
  Status hand_over(std::string_view instance_id, const Registration& registration) override;

  // The ClientToken CreateFleet gets for a request (at most 64 ASCII characters).
  static std::string fleet_token(std::string_view pool, std::string_view client_token, std::string_view purpose = "");

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ghscale::provider
