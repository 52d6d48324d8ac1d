// Where runner instances come from: a narrow interface over a cloud (EC2 Auto Scaling,
// EC2 Fleet) or the simulator. The scaler sees only this header; backends live in
// aws_asg/, aws_fleet/ and sim/. No cloud SDK or transport header is included here.
//
// Contract for every implementation:
// - Thread-safe: the reconciler and status readers call concurrently.
// - describe() is the truth the scaler plans from; it never lists instances of another pool.
// - launch() is idempotent by client_token: the same token launches nothing new and
//   answers the same ids, so a retried or replayed scale-out never doubles capacity.
// - A registration secret given to hand_over() never reaches a log, an error or a tag.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/instance.h"
#include "provider/tags.h"

namespace ghscale::provider {

// The cloud's view of an instance's life, which is coarser than core::InstanceState
// (the scaler derives idle/busy from GitHub, not from the cloud).
enum class Lifecycle { kPending, kRunning, kStopping, kTerminated };
std::string_view to_string(Lifecycle lifecycle);

// Tag keys every provider sets on what it launches, so state can be rebuilt from the
// cloud alone after a crash.
inline constexpr std::string_view kTagPool = "ghscale:pool";
inline constexpr std::string_view kTagLaunch = "ghscale:launch";  // the client token
inline constexpr std::string_view kTagJob = "ghscale:job";        // the job that caused it, when one did

struct CloudInstance {
  std::string id;
  std::string pool;
  Market market = Market::kSpot;
  std::string instance_type;
  Lifecycle lifecycle = Lifecycle::kPending;
  TimePoint launched_at{};
  bool scale_in_protected = false;
  // Capacity the cloud owes but has not placed yet (an Auto Scaling group's desired count
  // above its instances): booting supply for the scaler, which cannot be registered yet;
  // terminating it withdraws the capacity.
  bool placeholder = false;
  Tags tags;
};

struct MarketSplit {
  int on_demand = 0;
  int spot = 0;
  int total() const { return on_demand + spot; }
};

struct LaunchRequest {
  std::string pool;
  MarketSplit split;
  // Derived from the scaler's intent (pool + the jobs it launches for), so a replay of
  // the same decision after a crash carries the same token.
  std::string client_token;
  std::int64_t cause_job_id = 0;  // tagged kTagJob when non-zero
};

// Per market: the ids launched, or why none could be. Partial success is normal (spot
// capacity gone while on-demand was fine).
struct LaunchOutcome {
  std::vector<std::string> on_demand_ids;
  std::vector<std::string> spot_ids;
  std::optional<Error> on_demand_error;
  std::optional<Error> spot_error;
};

// How the runner on an instance registers. Both kinds carry a secret.
struct Registration {
  enum class Kind { kJitConfig, kRegistrationToken };
  Kind kind = Kind::kJitConfig;
  std::string runner_name;
  std::string secret;  // encoded JIT config or registration token: never logged
  // For kRegistrationToken: what config.sh needs besides the token.
  std::string url;  // https://github.com/ORG or .../OWNER/REPO
  std::vector<std::string> labels;
  std::string runner_group;
  bool ephemeral = true;
};

class Provider {
 public:
  virtual ~Provider() = default;
  // Instances of `pool` that are not yet gone (terminated ones may be listed briefly).
  virtual Result<std::vector<CloudInstance>> describe(std::string_view pool) = 0;
  // kInvalid for an empty request. Otherwise an outcome, maybe with per-market errors
  // (kConflict or kThrottled for capacity); a whole-call failure is an Error.
  virtual Result<LaunchOutcome> launch(const LaunchRequest& request) = 0;
  // Idempotent: unknown or already terminated ids are ignored.
  virtual Status terminate(const std::vector<std::string>& ids) = 0;
  // Scale-in protection (ASG); a no-op returning ok where the provider has none.
  virtual Status protect(const std::vector<std::string>& ids, bool enabled) = 0;
  // Gives the instance what its runner needs to register. kNotFound for an unknown or
  // terminated instance. Idempotent: a second hand-over replaces the first.
  virtual Status hand_over(std::string_view instance_id, const Registration& registration) = 0;
};

}  // namespace ghscale::provider
