// The aws_asg provider: one EC2 Auto Scaling group per pool, whose MixedInstancesPolicy
// decides the market of each instance (on-demand base, spot above). ghscale only moves the
// group's desired capacity up, and takes capacity away one chosen instance at a time.
//
// - describe: DescribeAutoScalingGroups (desired, instances, lifecycle, protection) joined
//   with DescribeInstances on tag aws:autoscaling:groupName (launch time, market from
//   InstanceLifecycle, tags). When the group wants more instances than it lists (it was
//   just raised, or it cannot place them), the gap is listed as placeholder instances
//   "pending-<group>-<n>" in kPending, so the scaler counts them as booting supply.
// - launch: SetDesiredCapacity(desired + n, HonorCooldown=false), never past the group's
//   max or the pool's max_runners; then waits briefly for the new instances to be listed
//   and reports them by market. Idempotent by client_token within the process.
//   Across a restart, what protects is describe(): capacity asked before a crash is either
//   listed (real instances) or shows as placeholders, and both count as booting supply, so
//   the replanned decision does not ask for it again. Desired capacity is always derived
//   from the group's current value, never from a count kept by ghscale.
// - terminate: TerminateInstanceInAutoScalingGroup(ShouldDecrementDesiredCapacity=true)
//   per chosen instance; desired capacity is never lowered blindly. Terminating a
//   placeholder withdraws that much of the gap (desired -= min(placeholders, gap) as seen
//   just before), so the group has what it wants and terminates nothing. SSM leftovers of
//   terminated instances are deleted.
// - protect: SetInstanceProtection (50 ids a call).
// - hand_over: the registration goes to SSM (ssm_hand_over.h); a placeholder answers
//   kRetryable: its instance does not exist yet.
// Eventual consistency: DescribeAutoScalingGroups may answer the group as it was before
// ghscale raised it. For unseen_launch_window after a launch (until the group shows the
// capacity asked) describe() and launch() take the group's desired capacity as at least
// what was set, so the capacity shows as placeholders, is not asked again, and a launch
// never lowers desired capacity from a stale read (which would make the group terminate
// instances of its choosing). An instance the group lists, or launch() reported, but
// DescribeInstances does not show with the group's tag yet gets its registration from
// hand_over() at once (the group's word proves it ours); only EC2 listing it gone refuses.
// With options.ledger, a later process (a restart, the next `reconcile --once`) starts
// from both, so a group that still answers as it was before the raise is not lowered.
// Thread-safe; calls that change the group are serialized.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "aws/aws_client.h"
#include "provider/aws/launch_ledger.h"
#include "provider/aws/ssm_hand_over.h"
#include "provider/provider.h"

namespace ghscale::provider {

struct AsgProviderOptions {
  std::string pool;   // the pool it serves; describe() of any other pool is empty
  std::string group;  // ProviderConfig::asg_name
  int max_runners = 10;
  std::shared_ptr<aws::AwsClient> autoscaling;  // required
  std::shared_ptr<aws::AwsClient> ec2;          // required
  std::shared_ptr<SsmHandOver> hand_over;       // required
  // How long launch() polls for the new instances to be listed, and how often.
  Duration placement_wait = std::chrono::seconds(10);
  Duration placement_poll = std::chrono::seconds(1);
  Duration unseen_launch_window = std::chrono::minutes(10);
  std::shared_ptr<Clock> clock = system_clock();
  aws::Sleeper sleeper = aws::real_sleeper();
  // Keeps the desired capacity set and the instances launch() reported beyond this
  // process (launch_ledger.h), under "aws_asg:POOL"; null: in-process only.
  std::shared_ptr<LaunchLedger> ledger;
};

// Placeholder ids start with this; they are never EC2 ids ("i-...").
inline constexpr std::string_view kPlaceholderPrefix = "pending-";
inline bool is_placeholder(std::string_view id) { return id.rfind(kPlaceholderPrefix, 0) == 0; }

class AsgProvider final : public Provider {
 public:
  explicit AsgProvider(AsgProviderOptions options);
  ~AsgProvider() override;

  Result<std::vector<CloudInstance>> describe(std::string_view pool) override;
  Result<LaunchOutcome> launch(const LaunchRequest& request) override;
  Status terminate(const std::vector<std::string>& ids) override;
  Status protect(const std::vector<std::string>& ids, bool enabled) override;
  Status hand_over(std::string_view instance_id, const Registration& registration) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ghscale::provider
